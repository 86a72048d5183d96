import { missingKind } from '../../src/kube/operators.js'

describe('a kind the cluster does not serve', () => {
  it('is named with its CRD and, for a known group, the operator that installs it', () => {
    expect(missingKind('bitnami.com/v1alpha1', 'SealedSecret')).toContain(
      'CustomResourceDefinition sealedsecrets.bitnami.com is not installed, which the Sealed Secrets controller installs'
    )
    expect(missingKind('cert-manager.io/v1', 'Certificate')).toContain('certificates.cert-manager.io')
    expect(missingKind('cert-manager.io/v1', 'Certificate')).toContain('cert-manager installs')
    expect(missingKind('kyverno.io/v1', 'ClusterPolicy')).toContain('clusterpolicies.kyverno.io')
    expect(missingKind('example.com/v1', 'Gadget')).toBe(
      'the cluster has no kind Gadget in example.com/v1 (is the CustomResourceDefinition gadgets.example.com installed?)'
    )
    expect(missingKind('networking.istio.io/v1', 'Gateway')).toContain('gateways.networking.istio.io')
    expect(missingKind('v1', 'Gizmo')).toBe('the cluster has no kind Gizmo in v1')
  })
})

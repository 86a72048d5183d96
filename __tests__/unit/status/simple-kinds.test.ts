import type { V1CustomResourceDefinition, V1PersistentVolumeClaim, V1Service } from '@kubernetes/client-node'
import { crdReadiness } from '../../../src/kube/status/crd.js'
import { genericReadiness } from '../../../src/kube/status/generic.js'
import { pvcReadiness } from '../../../src/kube/status/pvc.js'
import { serviceReadiness } from '../../../src/kube/status/service.js'
import { NAMESPACE } from '../../fixtures/status/builders.js'

function claim(
  phase: string | undefined,
  storageClassName = 'standard',
  annotations = {}
): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: NAMESPACE, uid: 'uid-pvc-data', annotations },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName,
      ...(phase === 'Bound' || phase === 'Lost' ? { volumeName: 'pvc-3f1b2c4d' } : {})
    },
    status: phase ? { phase } : {}
  }
}

describe('PersistentVolumeClaim', () => {
  it('is Current when Bound, Failed when Lost, in progress otherwise', () => {
    expect(pvcReadiness(claim('Bound'))).toEqual({ state: 'Current', message: 'bound to pvc-3f1b2c4d' })
    const lost = pvcReadiness(claim('Lost'))
    expect(lost.state).toBe('Failed')
    expect(lost.failure).toEqual({
      code: 'ResourceFailed',
      reason: 'claim lost its volume pvc-3f1b2c4d (phase Lost)'
    })
    expect(pvcReadiness(claim('Pending'))).toEqual({
      state: 'InProgress',
      message: 'waiting to be bound (Pending)'
    })
    expect(pvcReadiness(claim(undefined)).message).toBe('waiting to be bound (Pending)')
  })

  it('takes a Pending claim of a WaitForFirstConsumer class as ready until a consumer is scheduled', () => {
    const context = { waitForFirstConsumerClasses: ['standard'] }
    expect(pvcReadiness(claim('Pending'), context)).toEqual({
      state: 'Current',
      message: 'Pending until a pod uses it (storage class standard binds on first consumer)'
    })
    // Once the scheduler picked a node, the provisioner is working on it: wait for the binding.
    const selected = claim('Pending', 'standard', { 'volume.kubernetes.io/selected-node': 'kind-worker' })
    expect(pvcReadiness(selected, context).state).toBe('InProgress')
    expect(pvcReadiness(claim('Pending', 'fast-ssd'), context).state).toBe('InProgress')
  })
})

describe('Service', () => {
  const service = (type: string, ingress?: { ip?: string; hostname?: string }[]): V1Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: NAMESPACE },
    spec: { type, selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    status: { loadBalancer: ingress ? { ingress } : {} }
  })

  it('is Current for ClusterIP and ExternalName services', () => {
    expect(serviceReadiness(service('ClusterIP'), { waitForLoadBalancer: true })).toEqual({
      state: 'Current',
      message: 'ClusterIP service'
    })
    expect(serviceReadiness(service('ExternalName'), { waitForLoadBalancer: true }).state).toBe('Current')
    const untyped = service('ClusterIP')
    delete untyped.spec!.type
    expect(serviceReadiness(untyped, { waitForLoadBalancer: true })).toEqual({
      state: 'Current',
      message: 'ClusterIP service'
    })
  })

  it('waits for a LoadBalancer address only when asked to', () => {
    expect(serviceReadiness(service('LoadBalancer'), { waitForLoadBalancer: false })).toEqual({
      state: 'Current',
      message: 'LoadBalancer service (address not awaited)'
    })
    expect(serviceReadiness(service('LoadBalancer'), { waitForLoadBalancer: true })).toEqual({
      state: 'InProgress',
      message: 'waiting for a load balancer address'
    })
    expect(serviceReadiness(service('LoadBalancer', []), { waitForLoadBalancer: true }).state).toBe(
      'InProgress'
    )
    expect(
      serviceReadiness(
        service('LoadBalancer', [{ ip: '203.0.113.10' }, { hostname: 'web.elb.example.com' }]),
        {
          waitForLoadBalancer: true
        }
      )
    ).toEqual({ state: 'Current', message: 'load balancer at 203.0.113.10, web.elb.example.com' })
    // An ingress entry without an address yet (only ports, say) is not an address.
    expect(serviceReadiness(service('LoadBalancer', [{}]), { waitForLoadBalancer: true })).toEqual({
      state: 'InProgress',
      message: 'waiting for a load balancer address'
    })
  })
})

describe('CustomResourceDefinition', () => {
  const crd = (conditions: { type: string; status: string; reason?: string; message?: string }[]) =>
    ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true }]
      },
      status: { conditions, acceptedNames: { kind: '', plural: '' }, storedVersions: ['v1'] }
    }) as V1CustomResourceDefinition

  it('is Current when Established', () => {
    const established = crd([
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts' },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted' }
    ])
    expect(crdReadiness(established)).toEqual({ state: 'Current', message: 'established' })
  })

  it('is in progress before it is Established', () => {
    expect(crdReadiness(crd([]))).toEqual({ state: 'InProgress', message: 'waiting to be established' })
  })

  it('fails when its names are not accepted', () => {
    const conflict = crd([
      {
        type: 'NamesAccepted',
        status: 'False',
        reason: 'PluralConflict',
        message: '"widgets" is already in use'
      },
      { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }
    ])
    expect(crdReadiness(conflict).failure).toEqual({
      code: 'ResourceFailed',
      reason: 'names not accepted (PluralConflict: "widgets" is already in use)'
    })
  })
})

describe('generic objects (kstatus conventions)', () => {
  const object = (status?: unknown, generation = 2) => ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'web-tls', namespace: NAMESPACE, generation },
    spec: { secretName: 'web-tls' },
    ...(status === undefined ? {} : { status })
  })

  it('is Current once applied when it has no status conventions', () => {
    expect(genericReadiness(object())).toEqual({ state: 'Current', message: 'applied' })
    expect(genericReadiness(object({ phase: 'Whatever' }))).toEqual({
      state: 'Current',
      message: 'applied (no readiness conditions)'
    })
  })

  it('skips malformed conditions rather than trusting or tripping over them', () => {
    const odd = object({
      conditions: [null, 'Ready', { type: 'Ready' }, { type: 'Ready', status: 'True', reason: 'Ready' }]
    })
    expect(genericReadiness(odd)).toEqual({ state: 'Current', message: 'ready' })
    expect(genericReadiness(object({ conditions: 'Ready' }))).toEqual({
      state: 'Current',
      message: 'applied (no readiness conditions)'
    })
  })

  it('follows Ready', () => {
    const ready = object({ conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }] })
    expect(genericReadiness(ready)).toEqual({ state: 'Current', message: 'ready' })
    const notReady = object({
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'DoesNotExist',
          message: 'Issuing certificate as Secret does not exist'
        }
      ]
    })
    expect(genericReadiness(notReady)).toEqual({
      state: 'InProgress',
      message: 'not ready (DoesNotExist: Issuing certificate as Secret does not exist)'
    })
  })

  it('fails on Stalled=True', () => {
    const stalled = object({
      conditions: [
        { type: 'Ready', status: 'False', reason: 'Failed' },
        {
          type: 'Stalled',
          status: 'True',
          reason: 'InvalidSpec',
          message: 'issuerRef "letsencrypt" not found'
        }
      ]
    })
    expect(genericReadiness(stalled).failure).toEqual({
      code: 'ResourceFailed',
      reason: 'stalled (InvalidSpec: issuerRef "letsencrypt" not found)'
    })
  })

  it('is in progress while Reconciling, or while its generation is not observed', () => {
    const reconciling = object({
      conditions: [{ type: 'Reconciling', status: 'True', reason: 'Progressing' }]
    })
    expect(genericReadiness(reconciling)).toEqual({
      state: 'InProgress',
      message: 'reconciling (Progressing)'
    })
    const stale = object({ observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] })
    expect(genericReadiness(stale).message).toBe('waiting for the controller to observe generation 2')
    const staleCondition = object({ conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }] })
    expect(genericReadiness(staleCondition).state).toBe('InProgress')
  })
})

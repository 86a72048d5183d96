import { KubeApiError } from '../../src/kube/errors.js'
import { isAuthorizationDenial } from '../../src/kube/forbidden.js'
import { dryRunUnsupportedMessage, dryRunUnsupportedWebhook } from '../../src/kube/webhooks.js'

describe('admission webhooks in the API server answers', () => {
  it('finds the webhook that does not support dry run, and nothing else', () => {
    expect(
      dryRunUnsupportedWebhook('admission webhook "sidecar.mesh.example" does not support dry run')
    ).toBe('sidecar.mesh.example')
    expect(
      dryRunUnsupportedWebhook('admission webhook "deny.kube-stage.test" denied the request: unsigned-image')
    ).toBeUndefined()
  })

  it('names each webhook once, every refused object, and what its owners can change', () => {
    const message = dryRunUnsupportedMessage([
      { object: 'Deployment/shop', webhook: 'a.example' },
      { object: 'Service/shop', webhook: 'a.example' }
    ])
    expect(message).toMatch(/^The admission webhook "a\.example" does not support dry run/)
    expect(message).toContain('Deployment/shop, Service/shop')
    expect(message).toContain('nothing was applied')
    expect(message).toContain('sideEffects None or NoneOnDryRun')
    expect(message).toContain('namespaceSelector or objectSelector')
    expect(
      dryRunUnsupportedMessage([
        { object: 'Deployment/shop', webhook: 'a.example' },
        { object: 'Job/migrate', webhook: 'b.example' }
      ])
    ).toMatch(/^The admission webhooks "a\.example", "b\.example" do not support dry run/)
  })

  it('tells the authorizer 403 from an admission 403', () => {
    const rbac = new KubeApiError(
      403,
      'Forbidden',
      'deployments.apps "shop" is forbidden: User "system:serviceaccount:prod:deployer" cannot patch resource "deployments" in API group "apps" in the namespace "prod"'
    )
    const webhook = new KubeApiError(
      403,
      'Forbidden',
      'admission webhook "validate.kyverno.svc-fail" denied the request: resource Deployment/prod/shop was blocked'
    )
    const quota = new KubeApiError(
      403,
      'Forbidden',
      'pods "x" is forbidden: exceeded quota: pods, requested: pods=1'
    )
    expect(isAuthorizationDenial(rbac)).toBe(true)
    expect(isAuthorizationDenial(webhook)).toBe(false)
    expect(isAuthorizationDenial(quota)).toBe(false)
  })
})

import {
  apiErrorFrom,
  asKubeApiError,
  describeConnectionFailure,
  KubeApiError
} from '../../src/kube/errors.js'
import { forbiddenError, parseDenial, rethrowForbidden } from '../../src/kube/forbidden.js'
import { guardNamespace } from '../../src/kube/namespace.js'

describe('describeConnectionFailure', () => {
  it('unwraps the socket error behind "fetch failed" and names the server', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' })
    const error = new TypeError('fetch failed', { cause: refused })
    const message = describeConnectionFailure(error, 'https://127.0.0.1:6443')
    expect(message).toContain('https://127.0.0.1:6443')
    expect(message).toContain('connect ECONNREFUSED 127.0.0.1:6443')
    expect(message).toContain('is the cluster running')
  })

  it('explains certificate and credential failures', () => {
    const tls = new TypeError('fetch failed', {
      cause: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
    })
    expect(describeConnectionFailure(tls, 'https://k')).toContain('certificate-authority-data')
    expect(describeConnectionFailure(apiErrorFrom(401, '{}'), 'https://k')).toContain('401 Unauthorized')
  })
})

describe('asKubeApiError', () => {
  it('reads a Status body with causes', () => {
    const body = JSON.stringify({
      kind: 'Status',
      reason: 'Conflict',
      message: 'Apply failed',
      details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.replicas' }] }
    })
    const error = asKubeApiError({ code: 409, body })
    expect(error?.status).toBe(409)
    expect(error?.reason).toBe('Conflict')
    expect(error?.causes[0].field).toBe('.spec.replicas')
    expect(asKubeApiError(new Error('x'))).toBeUndefined()
  })
})

describe('guardNamespace', () => {
  it('refuses a namespace labelled for another environment, and only that', () => {
    expect(() =>
      guardNamespace('prod', 'staging', { exists: true, labels: { environment: 'production' } })
    ).toThrow(/belongs to environment "production"/)
    expect(() =>
      guardNamespace('stg', 'staging', { exists: true, labels: { environment: 'staging' } })
    ).not.toThrow()
    expect(() => guardNamespace('new', 'staging', { exists: false, labels: {} })).not.toThrow()
    expect(() => guardNamespace('legacy', 'staging', { exists: true, labels: {} })).not.toThrow()
  })
})

describe('a 403 Forbidden', () => {
  const message =
    'deployments.apps "shop" is forbidden: User "system:serviceaccount:prod:deployer" cannot patch resource "deployments" in API group "apps" in the namespace "prod"'

  it('is read into the verb, resource, group, namespace and user', () => {
    expect(parseDenial(message)).toEqual({
      user: 'system:serviceaccount:prod:deployer',
      verb: 'patch',
      resource: 'deployments',
      group: 'apps',
      namespace: 'prod'
    })
    expect(
      parseDenial(
        'namespaces is forbidden: User "u" cannot list resource "namespaces" in API group "" at the cluster scope'
      )
    ).toEqual({ user: 'u', verb: 'list', resource: 'namespaces', group: '', namespace: undefined })
    expect(
      parseDenial(
        'pods "x" is forbidden: User "u" cannot get resource "pods/log" in API group "" in the namespace "n"'
      )?.resource
    ).toBe('pods/log')
    expect(parseDenial('something else entirely')).toBeUndefined()
  })

  it('becomes the Forbidden failure with the rule to add, in a Role or a ClusterRole', () => {
    const error = forbiddenError(new KubeApiError(403, 'Forbidden', message), 'apply the manifests')
    expect(error.code).toBe('Forbidden')
    expect(error.message).toContain('may not patch deployments (API group apps) in namespace prod')
    expect(error.message).toContain('to apply the manifests')
    expect(error.message).toContain('a Role in namespace prod')
    // Points at the page that explains the Role, not at a README section that moved.
    expect(error.message).toContain('(kube-stage docs/permissions.md)')
    expect(error.message).toContain('- apiGroups: ["apps"]\n  resources: ["deployments"]\n  verbs: ["patch"]')
    const cluster = forbiddenError(
      new KubeApiError(
        403,
        'Forbidden',
        'User "u" cannot create resource "namespaces" in API group "" at the cluster scope'
      ),
      'create the namespace'
    )
    expect(cluster.message).toContain('at the cluster scope')
    expect(cluster.message).toContain('a ClusterRole')
    const unparsed = forbiddenError(new KubeApiError(403, 'Forbidden', 'denied by webhook'), 'go on')
    expect(unparsed.code).toBe('Forbidden')
    expect(unparsed.message).toContain('denied by webhook')
  })

  it('is rethrown as Forbidden by rethrowForbidden, and other errors pass through unchanged', () => {
    const denied = new KubeApiError(403, 'Forbidden', message)
    expect(() => rethrowForbidden('read it')(denied)).toThrow(/may not patch deployments/)
    const other = new KubeApiError(404, 'NotFound', 'not found')
    expect(() => rethrowForbidden('read it')(other)).toThrow(other)
  })
})

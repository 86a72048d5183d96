import { apiErrorFrom, asKubeApiError, describeConnectionFailure } from '../../src/kube/errors.js'
import { guardNamespace, isolationPolicy } from '../../src/kube/namespace.js'

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

  it('isolates ingress to namespaces of the same environment', () => {
    const policy = isolationPolicy('production', 'production') as unknown as {
      spec: { policyTypes: string[]; ingress: unknown[] }
    }
    expect(policy.spec.policyTypes).toEqual(['Ingress'])
    expect(policy.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { environment: 'production' } } }] }
    ])
  })
})

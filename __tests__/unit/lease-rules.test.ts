// Who holds a stage's Lease, at a given moment.
import { HOLDER_URL_ANNOTATION, leaseState, microTime } from '../../src/kube/lease-rules.js'

const NOW = Date.parse('2026-11-25T12:00:00Z')
const lease = (holder: string | null, renewedSecondsAgo: number | undefined, seconds = 30) => ({
  metadata: {
    resourceVersion: '7',
    annotations: { [HOLDER_URL_ANNOTATION]: 'https://github.com/acme/shop/actions/runs/1' }
  },
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: seconds,
    renewTime: renewedSecondsAgo === undefined ? null : microTime(NOW - renewedSecondsAgo * 1000)
  }
})

describe('leaseState', () => {
  it('is free when there is no lease, no holder, or an expired one', () => {
    expect(leaseState(undefined, 'me', NOW)).toEqual({ state: 'free' })
    expect(leaseState(lease(null, 1), 'me', NOW)).toEqual({ state: 'free' })
    expect(leaseState(lease('', 1), 'me', NOW)).toEqual({ state: 'free' })
    expect(leaseState(lease('other', 30), 'me', NOW)).toEqual({ state: 'free' })
    expect(leaseState(lease('other', 31), 'me', NOW)).toEqual({ state: 'free' })
  })

  it('is held by another run until its lease expires, naming the run', () => {
    expect(leaseState(lease('other', 29), 'me', NOW)).toEqual({
      state: 'held',
      holder: 'other',
      runUrl: 'https://github.com/acme/shop/actions/runs/1',
      expiresAt: NOW + 1000
    })
  })

  it('gives a holder that never renewed one full term from now', () => {
    expect(leaseState(lease('other', undefined), 'me', NOW)).toMatchObject({
      state: 'held',
      expiresAt: NOW + 30_000
    })
  })

  it('is ours when we hold it, expired or not', () => {
    expect(leaseState(lease('me', 1), 'me', NOW)).toEqual({ state: 'ours' })
    expect(leaseState(lease('me', 100), 'me', NOW)).toEqual({ state: 'ours' })
  })
})

describe('microTime', () => {
  it('writes RFC 3339 with microseconds, as the API server does', () => {
    expect(microTime(Date.parse('2026-11-25T12:00:00.123Z'))).toBe('2026-11-25T12:00:00.123000Z')
  })
})

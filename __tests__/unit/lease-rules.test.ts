// Who holds a stage's Lease, timed by this runner's own clock from when it saw the lease change.
import { leaseHolder, leaseVerdict, microTime, type LeaseObject } from '../../src/kube/lease-rules.js'

const NOW = Date.parse('2026-12-03T12:00:00Z')
const RUN = 'https://github.com/acme/shop/actions/runs/1'
const lease = (
  holder: string | null,
  renewTime: string | null = microTime(NOW),
  seconds = 15
): LeaseObject => ({
  metadata: { resourceVersion: '7' },
  spec: { holderIdentity: holder, leaseDurationSeconds: seconds, renewTime }
})

describe('leaseVerdict', () => {
  it('is free when there is no lease or no holder', () => {
    expect(leaseVerdict(undefined, 'me', NOW)).toEqual({ verdict: { state: 'free' } })
    expect(leaseVerdict(lease(null), 'me', NOW)).toEqual({ verdict: { state: 'free' } })
    expect(leaseVerdict(lease(''), 'me', NOW)).toEqual({ verdict: { state: 'free' } })
  })

  it('is ours when we hold it', () => {
    expect(leaseVerdict(lease('me'), 'me', NOW).verdict).toEqual({ state: 'ours' })
  })

  it('gives another holder one full term from when this runner first saw it, whatever its clock wrote', () => {
    // Renewed "an hour ago" by the holder's clock: a skewed clock must not free a live lease.
    const seen = leaseVerdict(lease('other', microTime(NOW - 3_600_000)), 'me', NOW)
    expect(seen).toEqual({
      verdict: { state: 'held', holder: 'other', expiresAt: NOW + 15_000 },
      observation: { holder: 'other', renewTime: microTime(NOW - 3_600_000), observedAt: NOW }
    })
  })

  it('frees a lease that has not changed for a whole term, and only then', () => {
    const first = leaseVerdict(lease('other'), 'me', NOW)
    expect(leaseVerdict(lease('other'), 'me', NOW + 14_999, first.observation).verdict.state).toBe('held')
    const expired = leaseVerdict(lease('other'), 'me', NOW + 15_000, first.observation)
    expect(expired.verdict).toEqual({ state: 'free' })
    expect(expired.observation).toEqual(first.observation)
  })

  it('starts a new term when the holder renews or another run takes over', () => {
    const first = leaseVerdict(lease('other'), 'me', NOW)
    const renewed = leaseVerdict(
      lease('other', microTime(NOW + 5_000)),
      'me',
      NOW + 14_000,
      first.observation
    )
    expect(renewed.verdict).toMatchObject({ state: 'held', expiresAt: NOW + 29_000 })
    const taken = leaseVerdict(lease('third'), 'me', NOW + 14_000, first.observation)
    expect(taken.verdict).toMatchObject({ state: 'held', holder: 'third', expiresAt: NOW + 29_000 })
  })

  it('reads acquireTime when there is no renewTime, and a missing duration as none', () => {
    const acquired: LeaseObject = {
      spec: { holderIdentity: 'other', acquireTime: 'a', leaseDurationSeconds: 10 }
    }
    const first = leaseVerdict(acquired, 'me', NOW)
    expect(first.observation?.renewTime).toBe('a')
    expect(first.verdict).toEqual({
      state: 'held',
      holder: 'other',
      expiresAt: NOW + 10_000
    })
    expect(leaseVerdict({ spec: { holderIdentity: 'other' } }, 'me', NOW).verdict).toEqual({ state: 'free' })
  })
})

describe('leaseHolder', () => {
  it('is the run, its attempt and the job: a re-run or another job is another holder', () => {
    expect(leaseHolder({ runUrl: RUN, runAttempt: '2', job: 'deploy' }, 'x')).toBe(
      `${RUN}/attempts/2 (job deploy)`
    )
    expect(leaseHolder({ runUrl: RUN }, 'x')).toBe(`${RUN}/attempts/1`)
    expect(leaseHolder({}, 'host/1/uuid')).toBe('host/1/uuid')
    expect(leaseHolder({ job: 'j' }, 'host/1/uuid')).toBe('host/1/uuid (job j)')
  })
})

describe('microTime', () => {
  it('writes RFC 3339 with microseconds, as the API server does', () => {
    expect(microTime(Date.parse('2026-11-25T12:00:00.123Z'))).toBe('2026-11-25T12:00:00.123000Z')
  })
})

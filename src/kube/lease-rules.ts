/**
 * Who holds a stage's Lease: free (none, released, or its holder stopped
 * renewing it), ours, or another run's until it expires. Expiry is timed by
 * this runner's own clock from when it saw the lease last change, as client-go's
 * leader election does: two runners' clocks may disagree by more than a lease
 * lasts, so the holder's renewTime is compared, never subtracted. Pure.
 */
export interface LeaseObject {
  metadata?: { resourceVersion?: string }
  spec?: {
    holderIdentity?: string | null
    leaseDurationSeconds?: number | null
    renewTime?: string | null
    acquireTime?: string | null
  }
}

/** What this runner last saw of another run's lease, and when by its own clock. */
export interface LeaseObservation {
  holder: string
  renewTime?: string | null
  observedAt: number
}

export type LeaseVerdict =
  { state: 'free' } | { state: 'ours' } | { state: 'held'; holder: string; expiresAt: number }

export function leaseVerdict(
  lease: LeaseObject | undefined,
  identity: string,
  now: number,
  previous?: LeaseObservation
): { verdict: LeaseVerdict; observation?: LeaseObservation } {
  const spec = lease?.spec
  if (!spec?.holderIdentity) return { verdict: { state: 'free' } }
  const holder = spec.holderIdentity
  if (holder === identity) return { verdict: { state: 'ours' } }
  const renewTime = spec.renewTime ?? spec.acquireTime
  const unchanged = previous?.holder === holder && previous.renewTime === renewTime
  const observation = unchanged ? previous : { holder, renewTime, observedAt: now }
  const expiresAt = observation.observedAt + (spec.leaseDurationSeconds ?? 0) * 1000
  if (expiresAt <= now) return { verdict: { state: 'free' }, observation }
  return {
    verdict: { state: 'held', holder, expiresAt },
    observation
  }
}

/**
 * Unique per run, attempt and job (a re-run is another holder, and so is a second job of the run),
 * and the run's URL, so a waiting stage can say where to look.
 */
export function leaseHolder(
  github: { runUrl?: string; runAttempt?: string; job?: string },
  fallback: string
): string {
  const run = github.runUrl ? `${github.runUrl}/attempts/${github.runAttempt || '1'}` : fallback
  return github.job ? `${run} (job ${github.job})` : run
}

/** MicroTime, as the API server writes renewTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  // toISOString always ends in milliseconds and its one Z
  return new Date(ms).toISOString().replace('Z', '000Z')
}

/**
 * Who holds a stage's Lease, read from the Lease object: free (none, released,
 * or its holder stopped renewing it), ours, or another run's until it expires.
 * Pure: the clock is an argument.
 */
export interface LeaseObject {
  metadata?: { resourceVersion?: string; annotations?: Record<string, string> }
  spec?: {
    holderIdentity?: string | null
    leaseDurationSeconds?: number | null
    renewTime?: string | null
    acquireTime?: string | null
  }
}

/** The run URL of the holder, kept beside its identity so a waiting stage can name it. */
export const HOLDER_URL_ANNOTATION = 'kube-stage.dev/holder-run-url'

export type LeaseState =
  | { state: 'free' }
  | { state: 'ours' }
  | { state: 'held'; holder: string; runUrl?: string; expiresAt: number }

export function leaseState(lease: LeaseObject | undefined, identity: string, now: number): LeaseState {
  const holder = lease?.spec?.holderIdentity
  if (!holder) return { state: 'free' }
  if (holder === identity) return { state: 'ours' }
  const renewed = Date.parse(lease?.spec?.renewTime ?? lease?.spec?.acquireTime ?? '')
  const seconds = lease?.spec?.leaseDurationSeconds ?? 0
  // A lease with no time it was renewed is treated as just renewed: its holder gets one full term.
  const expiresAt = (Number.isNaN(renewed) ? now : renewed) + seconds * 1000
  if (expiresAt <= now) return { state: 'free' }
  return { state: 'held', holder, runUrl: lease?.metadata?.annotations?.[HOLDER_URL_ANNOTATION], expiresAt }
}

/** MicroTime, as the API server writes renewTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

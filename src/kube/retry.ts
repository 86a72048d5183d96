/**
 * When a request to the API server may be sent again, and after how long. A
 * runner is far from its cluster: connections drop, API servers restart behind
 * load balancers, and priority-and-fairness answers 429 with Retry-After. GET and
 * server-side apply are safe to repeat (applying the same configuration twice
 * changes nothing); other writes only when the request never reached the server. Pure.
 */
import { failureCode, NEVER_SENT } from '../network.js'

const CONNECTION_LOST = new Set([
  ...NEVER_SENT,
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  // HTTP/2: GOAWAY, a stream reset or closed before its answer (fetch said "fetch failed").
  'UND_ERR_INFO'
])
const RETRIED_STATUS = new Set([429, 502, 503, 504])

export const MAX_ATTEMPTS = 6
const MAX_DELAY_MS = 10_000

/** A failure of the connection (not an answer of the API server). */
export function isConnectionError(error: unknown): boolean {
  const code = failureCode(error)
  if (code) return CONNECTION_LOST.has(code)
  return error instanceof TypeError && /fetch failed|terminated|other side closed/i.test(error.message)
}

export interface Attempt {
  method: string
  /** Server-side apply: repeating it is harmless. */
  apply: boolean
  attempt: number
  status?: number
  retryAfter?: string | null
  error?: unknown
}

/** Milliseconds to wait before the next attempt, or undefined when the failure is final. */
export function retryDelay(a: Attempt): number | undefined {
  if (a.attempt >= MAX_ATTEMPTS) return undefined
  const backoff = Math.min(MAX_DELAY_MS, 250 * 2 ** (a.attempt - 1))
  if (a.status !== undefined) {
    if (!RETRIED_STATUS.has(a.status)) return undefined
    const seconds = Number(a.retryAfter)
    return a.retryAfter && Number.isFinite(seconds) && seconds >= 0
      ? Math.min(MAX_DELAY_MS, seconds * 1000)
      : backoff
  }
  if (!isConnectionError(a.error)) return undefined
  const safe = a.method === 'GET' || a.apply || NEVER_SENT.has(failureCode(a.error) ?? '')
  return safe ? backoff : undefined
}

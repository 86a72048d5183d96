/**
 * Whether a request reached the service. A request that never reached it
 * (refused, unresolvable, unroutable, connect timeout) changed nothing, so it
 * is safe to repeat whatever its method: right after a rollout, kube-proxy or an
 * ingress may not yet route to the new pods although every pod is Ready.
 */

/** Error codes of failures before any byte of the request was sent. */
const BEFORE_SENDING = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT'
])

/** The code of a failed request: undici puts the socket's error in `cause`. Pure. */
export function failureCode(error: unknown): string | undefined {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown } }
  if (typeof cause?.code === 'string') return cause.code
  return typeof code === 'string' ? code : undefined
}

/** True when the request certainly never reached the server. Pure. */
export function neverReachedServer(error: unknown): boolean {
  const code = failureCode(error)
  return code !== undefined && BEFORE_SENDING.has(code)
}

/**
 * When each origin first answered at all (any HTTP status), shared by the
 * checks of one run: checks that must not run twice wait for it, so they are
 * not sent to a service that is still coming up.
 */
export class FirstAnswers {
  private readonly started = Date.now()
  private readonly answeredAt = new Map<string, number>()
  private readonly waiters = new Map<string, (() => void)[]>()

  answered(origin: string): void {
    if (this.answeredAt.has(origin)) return
    this.answeredAt.set(origin, Date.now() - this.started)
    for (const wake of this.waiters.get(origin) ?? []) wake()
    this.waiters.delete(origin)
  }

  /** Milliseconds from the start of the smoke checks to the origin's first answer. */
  afterMs(origin: string): number | undefined {
    return this.answeredAt.get(origin)
  }

  /** Resolves once the origin has answered, or when the deadline passes. */
  async wait(origin: string, deadline: number): Promise<void> {
    if (this.answeredAt.has(origin)) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))
      const wake = () => {
        clearTimeout(timer)
        resolve()
      }
      this.waiters.set(origin, [...(this.waiters.get(origin) ?? []), wake])
    })
  }
}

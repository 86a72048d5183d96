/**
 * What a failed request says about the network. A request that never reached
 * the server (refused, unresolvable, unroutable, connect timeout) changed
 * nothing, so it is safe to repeat whatever its method: for the smoke checks
 * right after a rollout, and for the API server behind a restarting load balancer. Pure.
 */

/** Error codes of failures before any byte of the request was sent. */
export const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT'
])

/** The innermost cause: the socket or TLS error that explains a failed fetch (wrapped in `cause`, maybe twice). */
export function rootCause(error: unknown): unknown {
  let current = error
  for (let depth = 0; depth < 10; depth++) {
    const next = (current as { cause?: unknown } | undefined)?.cause
    if (next === undefined || next === null) break
    current = next
  }
  return current
}

/** The socket-level code of a failed request, when there is one. */
export function failureCode(error: unknown): string | undefined {
  const code = (rootCause(error) as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/** True when the request certainly never reached the server. */
export function neverReachedServer(error: unknown): boolean {
  const code = failureCode(error)
  return code !== undefined && NEVER_SENT.has(code)
}

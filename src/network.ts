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

/** The socket-level code of a failed request: fetch and undici wrap it in `cause`, maybe twice. */
export function failureCode(error: unknown): string | undefined {
  let current = error
  for (let depth = 0; depth < 10 && current; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown }
    if (cause === undefined || cause === null) return typeof code === 'string' ? code : undefined
    current = cause
  }
  return undefined
}

/** True when the request certainly never reached the server. */
export function neverReachedServer(error: unknown): boolean {
  const code = failureCode(error)
  return code !== undefined && NEVER_SENT.has(code)
}

/**
 * One HTTP request with undici: TLS verified unless told otherwise, a private
 * CA when given, redirects followed (at most 5), a deadline.
 *
 * Redirects are followed here rather than by undici's interceptor, which drops
 * only Authorization, Cookie and Proxy-Authorization on a cross-origin redirect:
 * a redirect to another origin must carry no credential at all (X-Api-Key,
 * X-Auth-Token, or any header whose value holds a secret).
 */
import { readFileSync } from 'node:fs'
import { Agent, request, type Dispatcher } from 'undici'
import { isSensitiveHeader, redact } from '../redact.js'
import type { ObservedResponse } from './expect.js'

export interface TlsOptions {
  caFile?: string
  insecure: boolean
}

export function createDispatcher(tls: TlsOptions): Dispatcher {
  const connect: Record<string, unknown> = {}
  if (tls.caFile) connect.ca = readFileSync(tls.caFile, 'utf8')
  if (tls.insecure) connect.rejectUnauthorized = false
  return new Agent({ connect })
}

const BODY_LIMIT = 1024 * 1024
export const MAX_REDIRECTS = 5
const REDIRECT_STATUSES = new Set([300, 301, 302, 303, 307, 308])

export interface RequestInit {
  method: string
  headers: Record<string, string>
  body?: string
}

/**
 * The request to send to `location` after a `status` redirect from `from`. Pure.
 * A 303 (and a 301 or 302 answering a POST) becomes a GET without body or
 * Content-* headers, as browsers do. On a redirect to another origin (scheme,
 * host or port), every credential header is left out: the sensitive names
 * (isSensitiveHeader) and any header whose value holds one of `secrets`.
 */
export function redirectedRequest(
  from: URL,
  to: URL,
  status: number,
  init: RequestInit,
  secrets: readonly string[]
): RequestInit {
  let { method, body } = init
  let dropContent = false
  if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
    method = 'GET'
    body = undefined
    dropContent = true
  }
  const crossOrigin = from.origin !== to.origin
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(init.headers)) {
    const lower = name.toLowerCase()
    if (lower === 'host') continue
    if (dropContent && lower.startsWith('content-')) continue
    if (crossOrigin && (isSensitiveHeader(name) || redact(value, secrets) !== value)) continue
    headers[name] = value
  }
  return { method, headers, body }
}

export async function send(
  dispatcher: Dispatcher,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  options: { secrets?: readonly string[] } = {}
): Promise<ObservedResponse> {
  const started = performance.now()
  const signal = AbortSignal.timeout(Math.max(1, timeoutMs))
  let current = new URL(url)
  let next = init
  for (let redirects = 0; ; redirects++) {
    const response = await request(current, {
      method: next.method as Dispatcher.HttpMethod,
      headers: next.headers,
      body: next.body,
      dispatcher,
      signal
    })
    const location = response.headers.location
    if (
      REDIRECT_STATUSES.has(response.statusCode) &&
      typeof location === 'string' &&
      location !== '' &&
      redirects < MAX_REDIRECTS
    ) {
      await response.body.dump()
      const target = new URL(location, current)
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new Error(`redirected to a ${target.protocol} URL, which is not followed`)
      next = redirectedRequest(current, target, response.statusCode, next, options.secrets ?? [])
      current = target
      continue
    }
    // Read at most 1 MiB: enough for any assertion, bounded against a runaway endpoint.
    // Decoded once at the end, so a character split across chunks stays whole.
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      if (size < BODY_LIMIT) chunks.push(chunk)
      size += chunk.length
    }
    const body = Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8')
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
    }
    return { status: response.statusCode, headers, body, durationMs: performance.now() - started }
  }
}

/**
 * One HTTP request with undici: TLS verified unless told otherwise, a private
 * CA when given, redirects followed (at most 5), a deadline.
 */
import { readFileSync } from 'node:fs'
import { Agent, interceptors, request, type Dispatcher } from 'undici'
import type { ObservedResponse } from './expect.js'

export interface TlsOptions {
  caFile?: string
  insecure: boolean
}

export function createDispatcher(tls: TlsOptions): Dispatcher {
  const connect: Record<string, unknown> = {}
  if (tls.caFile) connect.ca = readFileSync(tls.caFile, 'utf8')
  if (tls.insecure) connect.rejectUnauthorized = false
  return new Agent({ connect }).compose(interceptors.redirect({ maxRedirections: 5 }))
}

const BODY_LIMIT = 1024 * 1024

export async function send(
  dispatcher: Dispatcher,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  timeoutMs: number
): Promise<ObservedResponse> {
  const started = performance.now()
  const response = await request(url, {
    method: init.method as Dispatcher.HttpMethod,
    headers: init.headers,
    body: init.body,
    dispatcher,
    signal: AbortSignal.timeout(Math.max(1, timeoutMs))
  })
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

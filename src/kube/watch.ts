/**
 * List-then-watch of one collection, resumed from the last resourceVersion when
 * the server closes the stream, re-listed when that version is gone (410).
 * A lost connection, a stream that goes silent, or an API server answering 429
 * or 5xx is retried until the caller aborts: a network blip between a runner and
 * its cluster is not a verdict. Only an answer that retrying cannot change (403,
 * 404...) is reported as an error. Events are plain JSON objects, exactly as the
 * API server sent them.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { KubeClient } from './client.js'
import { KubeApiError } from './errors.js'
import { withQuery } from './paths.js'

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'
export type WatchHandler = (type: WatchEventType, object: WatchedObject) => void

export interface WatchHandlers {
  onEvent: WatchHandler
  /**
   * Before a re-list (the watch fell too far behind): objects deleted in the
   * gap are not in the new list, so what was known must be forgotten first.
   */
  onReset?: () => void
  /** Failures that re-watching and re-listing cannot recover (the server's own refusal). */
  onError?: (error: unknown) => void
  /** The connection was lost (first failure of a series); retrying goes on. */
  onDisconnected?: (error: unknown) => void
  /** The watch delivers again after onDisconnected. */
  onReconnected?: () => void
}

export interface WatchedObject {
  metadata: {
    name: string
    namespace?: string
    uid?: string
    resourceVersion?: string
    [key: string]: unknown
  }
  [key: string]: unknown
}

interface ListResponse {
  metadata: { resourceVersion: string }
  items: WatchedObject[]
}

async function* lines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true })
    let newline: number
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim()
      buffered = buffered.slice(newline + 1)
      if (line) yield line
    }
  }
}

/** 410 Gone: the resourceVersion is older than the server keeps; only a new list can resume. */
const isGone = (error: unknown) => error instanceof KubeApiError && error.status === 410

/** Worth retrying: the connection, or an overloaded or restarting API server. */
function transient(error: unknown): boolean {
  if (error instanceof KubeApiError) return error.status === 429 || error.status >= 500
  return true
}

/**
 * A watch that delivers nothing for this long is re-opened: a stalled connection
 * (a proxy or load balancer that stopped forwarding) looks exactly like a quiet one.
 */
export const WATCH_IDLE_MS = 20_000
const MAX_BACKOFF_MS = 2_000

/**
 * Calls `onEvent` for every object in the collection (as ADDED) and every later
 * change, until `signal` aborts. Resolves once the initial list is delivered;
 * the watch goes on in the background.
 */
export async function watchCollection(
  client: KubeClient,
  path: string,
  signal: AbortSignal,
  {
    onEvent,
    onReset = () => {},
    onError = () => {},
    onDisconnected = () => {},
    onReconnected = () => {}
  }: WatchHandlers,
  idleMs = WATCH_IDLE_MS
): Promise<void> {
  let failures = 0
  const failed = async (error: unknown): Promise<boolean> => {
    if (signal.aborted) return false
    if (!transient(error)) {
      onError(error)
      return false
    }
    if (failures++ === 0) onDisconnected(error)
    await sleep(Math.min(MAX_BACKOFF_MS, 200 * failures), undefined, { signal }).catch(() => undefined)
    return !signal.aborted
  }
  const healthy = () => {
    if (failures > 0) onReconnected()
    failures = 0
  }
  const list = async (): Promise<string> => {
    const response = await client.getJson<ListResponse>(path)
    for (const item of response.items ?? []) onEvent('ADDED', item)
    return response.metadata.resourceVersion
  }
  const relist = async (): Promise<string> => {
    onReset()
    return list()
  }
  let resourceVersion: string
  for (;;) {
    try {
      resourceVersion = await list()
      healthy()
      break
    } catch (error) {
      if (!(await failed(error))) throw error
    }
  }
  void (async () => {
    let needsRelist = false
    while (!signal.aborted) {
      // One stream: aborted by the caller, or when it has been silent too long.
      const stream = new AbortController()
      const stop = () => stream.abort()
      signal.addEventListener('abort', stop, { once: true })
      let idle = setTimeout(stop, idleMs)
      try {
        if (needsRelist) {
          resourceVersion = await relist()
          needsRelist = false
          healthy()
        }
        const body = await client.stream(
          withQuery(path, { watch: 1, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 240 }),
          stream.signal
        )
        healthy()
        for await (const line of lines(body)) {
          clearTimeout(idle)
          idle = setTimeout(stop, idleMs)
          const event = JSON.parse(line) as {
            type: string
            object: WatchedObject & { code?: number; message?: string }
          }
          if (event.type === 'ERROR') {
            if (event.object.code === 410) needsRelist = true
            else
              throw new KubeApiError(
                event.object.code ?? 500,
                'WatchError',
                `watch of ${path}: ${event.object.message ?? `error ${event.object.code}`}`
              )
            break
          }
          resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion
          if (event.type !== 'BOOKMARK') onEvent(event.type as WatchEventType, event.object)
        }
      } catch (streamError) {
        if (signal.aborted) return
        if (isGone(streamError)) {
          needsRelist = true
          continue
        }
        // A silent stream we stopped ourselves: re-open it from where it was.
        if (stream.signal.aborted) continue
        if (!(await failed(streamError))) return
      } finally {
        clearTimeout(idle)
        signal.removeEventListener('abort', stop)
      }
    }
  })()
}

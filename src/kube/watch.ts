/**
 * List-then-watch of one collection, resumed from the last resourceVersion when
 * the server closes the stream, re-listed when that version is gone (410).
 * Events are plain JSON objects, exactly as the API server sent them.
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
  /** Failures that re-watching and re-listing could not recover. */
  onError?: (error: unknown) => void
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

async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
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

/**
 * Calls `onEvent` for every object in the collection (as ADDED) and every later
 * change, until `signal` aborts. Resolves once the initial list is delivered;
 * the watch goes on in the background.
 */
export async function watchCollection(
  client: KubeClient,
  path: string,
  signal: AbortSignal,
  { onEvent, onReset = () => {}, onError = () => {} }: WatchHandlers
): Promise<void> {
  const list = async (): Promise<string> => {
    const response = await client.getJson<ListResponse>(path)
    for (const item of response.items ?? []) onEvent('ADDED', item)
    return response.metadata.resourceVersion
  }
  const relist = async (): Promise<string> => {
    onReset()
    return list()
  }
  let resourceVersion = await list()
  void (async () => {
    let failures = 0
    while (!signal.aborted) {
      try {
        const response = await client.stream(
          withQuery(path, { watch: 1, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 240 }),
          signal
        )
        let received = false
        for await (const line of lines(response.body as ReadableStream<Uint8Array>)) {
          const event = JSON.parse(line) as {
            type: string
            object: WatchedObject & { code?: number; message?: string }
          }
          if (event.type === 'ERROR') {
            if (event.object.code === 410) resourceVersion = await relist()
            else throw new Error(`watch of ${path}: ${event.object.message ?? `error ${event.object.code}`}`)
            break
          }
          received = true
          resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion
          if (event.type !== 'BOOKMARK') onEvent(event.type as WatchEventType, event.object)
        }
        // Only a stream that delivered something proves the watch healthy again.
        if (received) failures = 0
      } catch (streamError) {
        if (signal.aborted) return
        let error = streamError
        if (isGone(streamError)) {
          try {
            resourceVersion = await relist()
            continue
          } catch (relistError) {
            error = relistError
          }
        }
        if (++failures >= 5) {
          onError(error)
          return
        }
        await sleep(200 * failures)
      }
    }
  })()
}

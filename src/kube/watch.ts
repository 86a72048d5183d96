/**
 * List-then-watch of one collection, resumed from the last resourceVersion when
 * the server closes the stream, re-listed when that version is gone (410).
 * Events are plain JSON objects, exactly as the API server sent them.
 */
import type { KubeClient } from './client.js'
import { withQuery } from './paths.js'

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'
export type WatchHandler = (type: WatchEventType, object: WatchedObject) => void

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

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/**
 * Calls `onEvent` for every object in the collection (as ADDED) and every later
 * change, until `signal` aborts. Resolves once the initial list is delivered;
 * the watch goes on in the background. `onError` hears about failures that
 * could not be recovered by re-watching.
 */
export async function watchCollection(
  client: KubeClient,
  path: string,
  signal: AbortSignal,
  onEvent: WatchHandler,
  onError: (error: unknown) => void = () => {}
): Promise<void> {
  const relist = async (): Promise<string> => {
    const list = await client.getJson<ListResponse>(path)
    for (const item of list.items ?? []) onEvent('ADDED', item)
    return list.metadata.resourceVersion
  }
  let resourceVersion = await relist()
  void (async () => {
    let failures = 0
    while (!signal.aborted) {
      try {
        const response = await client.stream(
          withQuery(path, { watch: 1, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 240 }),
          signal
        )
        failures = 0
        for await (const line of lines(response.body as ReadableStream<Uint8Array>)) {
          const event = JSON.parse(line) as { type: string; object: WatchedObject & { code?: number } }
          if (event.type === 'ERROR') {
            if (event.object.code === 410) resourceVersion = await relist()
            break
          }
          resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion
          if (event.type !== 'BOOKMARK') onEvent(event.type as WatchEventType, event.object)
        }
      } catch (error) {
        if (signal.aborted) return
        if (++failures >= 5) {
          onError(error)
          return
        }
        await sleep(200 * failures)
      }
    }
  })()
}

/**
 * The jq worker thread (started by jq-thread.ts): loads jq once, says when it is ready, then
 * runs each expression it is sent and answers with jq's own output. jq runs here, off the
 * main thread, so that an expression that never ends (`any(range(1e18); . < 0)`) blocks only
 * this thread, which the main thread stops at the time limit.
 *
 * The bundle builds this file into dist/jq-worker/ (script/bundle.sh); tests run it from src/
 * as it is, with Node stripping the types: so only erasable TypeScript here, and no imports
 * of the project's own modules but type-only ones.
 */
import { parentPort } from 'node:worker_threads'
// The inline build: its WebAssembly is inside the module, so the bundle needs no asset.
import { loadJq } from 'jq-wasm/inline'
import type { JqReply, JqRequest } from './jq-thread.js'

const port = parentPort!

function send(reply: JqReply): void {
  port.postMessage(reply)
}

try {
  const jq = await loadJq()
  port.on('message', (request: JqRequest) => {
    try {
      const { stdout, stderr, exitCode } = jq.raw(request.input, request.filter, request.flags)
      send({ id: request.id, stdout, stderr, exitCode })
    } catch (error) {
      // A trap inside the WebAssembly (out of memory, say): this expression fails, not the thread.
      send({ id: request.id, error: (error as Error).message })
    }
  })
  send({ ready: true })
} catch (error) {
  send({ loadError: (error as Error).message })
}

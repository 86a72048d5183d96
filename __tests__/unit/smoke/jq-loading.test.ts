/**
 * When jq's worker thread starts: only for a checks file with a jq assertion, as soon as the
 * file is read; and what a check says when no worker can run jq. The broken workers are real
 * worker files (__tests__/fixtures/jq/), not mocks: a worker thread runs outside jest's modules.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { StageError } from '../../../src/errors.js'
import { checkJq, sharedJq, stopJq } from '../../../src/smoke/jq.js'
import { JqThread } from '../../../src/smoke/jq-thread.js'
import { parseSmokeSpec, prepareSmokeSpec } from '../../../src/smoke/spec.js'

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/jq')
const fixture = (name: string) => new JqThread(pathToFileURL(path.join(FIXTURES, name)))

const withAssertion = (assertion: string) =>
  parseSmokeSpec(
    `checks:\n  - name: db\n    path: /api/db-status\n    expect:\n      json:\n        - ${assertion}\n`,
    'smoke.yaml'
  )

async function prepareError(thread: JqThread): Promise<StageError> {
  try {
    await prepareSmokeSpec(withAssertion("jq: '.ok'"), thread)
  } catch (error) {
    return error as StageError
  }
  throw new Error('expected prepareSmokeSpec to fail')
}

const threads: JqThread[] = []
const track = (thread: JqThread) => (threads.push(thread), thread)
afterAll(async () => {
  await stopJq()
  await Promise.all(threads.map(thread => thread.stop()))
})

describe("starting jq's worker", () => {
  it('does not start for a file without a jq assertion, and starts once for one with', async () => {
    const plain = withAssertion('path: .ok\n          equals: true')
    await prepareSmokeSpec(plain)
    expect(sharedJq().starts).toBe(0)

    const spec = withAssertion("jq: '.ok'")
    // Reading the file starts it; compiling its expressions uses the same worker.
    expect(sharedJq().starts).toBe(1)
    await prepareSmokeSpec(spec)
    expect(await checkJq('{"ok":true}', '.ok')).toBeUndefined()
    expect(sharedJq().starts).toBe(1)
  })

  it('names the worker file when it cannot be started, for checks and for the file alike', async () => {
    const missing = path.join(FIXTURES, 'no-such-worker.js')
    const thread = track(new JqThread(pathToFileURL(missing)))
    const reason = await checkJq('{"ok":true}', '.ok', 1000, thread)
    expect(reason).toMatch(/^jq '\.ok': the jq worker could not be started from /)
    expect(reason).toContain(missing)
    expect(reason).toMatch(/Cannot find module/)
    // Later expressions fail at once with the same reason, without starting it again.
    expect(await checkJq('{"ok":true}', '.ok', 1000, thread)).toBe(reason)
    expect(thread.starts).toBe(1)

    const error = await prepareError(thread)
    expect(error.code).toBe('InvalidSmokeSpec')
    expect(error.message).toBe(`smoke.yaml: ${reason!.replace("jq '.ok': ", '')}`)
    expect(error.location).toEqual({ file: 'smoke.yaml' })
  })

  it('says why when the worker fails as it loads', async () => {
    const thread = track(fixture('throwing-worker.mjs'))
    expect(await checkJq('{"ok":true}', '.ok', 1000, thread)).toMatch(
      /^jq '\.ok': the jq worker could not be started from .*throwing-worker\.mjs \(this worker is broken\)$/
    )
  })

  it("keeps jq's own load error", async () => {
    const thread = track(fixture('no-wasm-worker.mjs'))
    expect(await checkJq('{"ok":true}', '.ok', 1000, thread)).toBe(
      "jq '.ok': jq could not be loaded (no WebAssembly here)"
    )
    const error = await prepareError(thread)
    expect(error.message).toBe('smoke.yaml: jq could not be loaded (no WebAssembly here)')
  })

  it('fails the expression whose worker ends mid-way, and starts a new one for the next', async () => {
    const thread = track(fixture('exiting-worker.mjs'))
    expect(await checkJq('{}', '.a', 1000, thread)).toBeUndefined()
    expect(await checkJq('{}', '.b', 1000, thread)).toBe(
      "jq '.b': could not be checked (the jq worker stopped (it exited with code 3))"
    )
    expect(await checkJq('{}', '.c', 1000, thread)).toBeUndefined()
    expect(thread.starts).toBe(2)
  })
})

/**
 * When jq is loaded: only for a checks file with a jq assertion, as soon as the file is
 * read. Here the WebAssembly cannot load, so every state shows in what checkJq says.
 */
import { jest } from '@jest/globals'
import type { StageError } from '../../../src/errors.js'

jest.unstable_mockModule('jq-wasm/inline', () => ({
  loadJq: () => Promise.reject(new Error('no WebAssembly here'))
}))

const { checkJq, preloadJq } = await import('../../../src/smoke/jq.js')
const { parseSmokeSpec, prepareSmokeSpec } = await import('../../../src/smoke/spec.js')

const withAssertion = (assertion: string) =>
  parseSmokeSpec(
    `checks:\n  - name: db\n    path: /api/db-status\n    expect:\n      json:\n        - ${assertion}\n`,
    'smoke.yaml'
  )

/** Lets the (failed) import settle. */
const settle = () => new Promise(resolve => setTimeout(resolve, 50))

const NOT_LOADED = "jq '.ok': jq has not finished loading"
const FAILED = "jq '.ok': jq could not be loaded (no WebAssembly here)"

describe('loading jq', () => {
  it('does not start for a file without a jq assertion', async () => {
    const spec = withAssertion('path: .ok\n          equals: true')
    await settle()
    expect(checkJq('{"ok":true}', '.ok')).toBe(NOT_LOADED)
    await expect(prepareSmokeSpec(spec)).resolves.toBeUndefined()
    await settle()
    expect(checkJq('{"ok":true}', '.ok')).toBe(NOT_LOADED)
  })

  it('starts as soon as a file with a jq assertion is read, and keeps why it failed', async () => {
    const spec = withAssertion("jq: '.ok'")
    await settle()
    expect(checkJq('{"ok":true}', '.ok')).toBe(FAILED)
    let error: StageError | undefined
    try {
      await prepareSmokeSpec(spec)
    } catch (e) {
      error = e as StageError
    }
    expect(error?.code).toBe('InvalidSmokeSpec')
    expect(error?.message).toBe('smoke.yaml: jq could not be loaded: no WebAssembly here')
    expect(error?.location).toEqual({ file: 'smoke.yaml' })
  })

  it('preloading again neither throws nor leaves a rejection unhandled', async () => {
    expect(() => preloadJq()).not.toThrow()
    await settle()
    expect(checkJq('{"ok":true}', '.ok')).toBe(FAILED)
  })
})

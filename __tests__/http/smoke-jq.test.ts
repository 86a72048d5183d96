/**
 * jq assertions over real HTTP responses (servers on 127.0.0.1). jq runs in a worker thread
 * with a time limit: an expression the response makes endless fails its check in time, and
 * the main thread (the stage's deadlines, the Lease renewal) keeps running meanwhile.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { runSmokeChecks, type SmokeOptions } from '../../src/smoke/index.js'
import { sharedJq } from '../../src/smoke/jq.js'
import { parseSmokeSpec } from '../../src/smoke/spec.js'
import { REPO_ROOT } from '../support/action.js'

const servers: Server[] = []
afterAll(() => {
  for (const server of servers) server.close()
})

/** A server that answers every request with `payload` as JSON. */
async function serveJson(payload: unknown): Promise<string> {
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(payload))
  })
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function options(baseUrl: string, extra: Partial<SmokeOptions> = {}): SmokeOptions {
  return {
    baseUrl,
    env: {},
    secrets: [],
    tls: { insecure: false },
    workspace: REPO_ROOT,
    log: () => {},
    ...extra
  }
}

const checks = (yaml: string) => parseSmokeSpec(`checks:\n${yaml}`, 'smoke.yaml')

it('stops an endless expression at the check deadline with a clear reason, while the main thread runs on', async () => {
  // 1e18 iterations: about an hour of jq on the main thread, as in the issue.
  const url = await serveJson({ n: 1e18, connected: true })
  const spec = checks(
    `  - name: hostile
    path: /count
    timeout: 2s
    expect:
      json:
        - jq: 'any(range(.n); . < 0)'
  - name: ordinary
    path: /status
    timeout: 20s
    expect:
      json:
        - jq: '.connected == true'
`
  )
  // A timer on the main thread: each gap between its ticks shows how long the thread was busy.
  const ticks: number[] = []
  const ticking = setInterval(() => ticks.push(Date.now()), 20)
  const started = Date.now()
  let results
  try {
    results = await runSmokeChecks(spec, options(url))
  } finally {
    clearInterval(ticking)
  }
  const elapsed = Date.now() - started
  const [hostile, ordinary] = results
  expect(hostile.passed).toBe(false)
  expect(hostile.reason).toMatch(
    /^jq 'any\(range\(\.n\); \. < 0\)': ran past (1\.\d|2\.0)s, the time limit for a jq expression; its worker thread was stopped$/
  )
  expect(hostile.durationMs).toBeLessThan(4_000)
  // The ordinary check's expression waited for the hostile one, then ran in a new worker.
  expect(ordinary.passed).toBe(true)
  expect(elapsed).toBeLessThan(5_000)
  const gaps = ticks.slice(1).map((tick, i) => tick - ticks[i])
  expect(ticks.length).toBeGreaterThan(elapsed / 20 / 4)
  expect(Math.max(...gaps)).toBeLessThan(500)
  // Done: no worker is left to hold the process open.
  expect(sharedJq().alive).toBe(false)
}, 30_000)

it('runs an endless expression once, not again to redact a response that holds no secret', async () => {
  const url = await serveJson({ n: 1e18 })
  const before = sharedJq().starts
  const spec = checks(
    `  - name: hostile
    path: /count
    timeout: 2s
    expect:
      json:
        - jq: 'any(range(.n); . < 0)'
`
  )
  const [result] = await runSmokeChecks(spec, options(url, { secrets: ['a-secret-the-service-never-sends'] }))
  expect(result.reason).toMatch(/: ran past (1\.\d|2\.0)s, the time limit for a jq expression;/)
  // The worker that reading the file started, and no second one for running it again.
  expect(sharedJq().starts).toBe(before + 1)
  expect(result.durationMs).toBeLessThan(2_200)
}, 30_000)

it('passes and fails ordinary jq assertions as before, with one worker for all the checks', async () => {
  const url = await serveJson({ connected: true, items: [1, 2, 3], version: '1.4.0' })
  const before = sharedJq().starts
  const spec = checks(
    `  - name: connected
    path: /db
    expect:
      json:
        - jq: '.connected == true'
        - jq: '.items | length == 3'
  - name: too few items
    path: /items
    retry: false
    expect:
      json:
        - jq: '.items | length > 5'
  - name: jq error
    path: /version
    retry: false
    expect:
      json:
        - path: .version
          equals: 1.4.0
        - jq: '.version | error("not \\(.)")'
`
  )
  const results = await runSmokeChecks(spec, options(url))
  expect(results.map(r => [r.name, r.passed, r.reason])).toEqual([
    ['connected', true, undefined],
    ['too few items', false, "jq '.items | length > 5': expected true, got false"],
    ['jq error', false, `jq '.version | error("not \\(.)")': error: not 1.4.0`]
  ])
  // Reading the file started the worker; every expression ran in it; the run stopped it.
  expect(sharedJq().starts).toBe(before + 1)
  expect(sharedJq().alive).toBe(false)
})

it('never shows a secret that a jq message would quote', async () => {
  const token = 'jq-secret-4f3e2d1c0b'
  const url = await serveJson({ token })
  const [result] = await runSmokeChecks(
    checks(
      `  - name: token
    path: /me
    retry: false
    expect:
      json:
        - jq: 'error(.token)'
`
    ),
    options(url, { secrets: [token] })
  )
  expect(result.passed).toBe(false)
  expect(result.reason).toBe("jq 'error(.token)': error: ***")
  expect(JSON.stringify(result)).not.toContain(token)
})

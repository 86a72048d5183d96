/**
 * The fixture app's metrics and misbehaviours (issue 34), on 127.0.0.1: what the test
 * cluster's Prometheus scrapes and what the soak and analysis tests make it do. /metrics
 * counts every request but its own, FAIL_RATE fails an exact share of /api/* requests,
 * LATENCY slows them, CRASH_AFTER exits 1 that long after the app became ready.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fixtureAppBinary, startFixtureApp } from '../support/fixture-app.js'

const started: ChildProcess[] = []
afterAll(() => {
  for (const app of started) app.kill()
})

interface Series {
  name: string
  labels: Record<string, string>
  value: number
}

/** The samples of a text exposition (comments skipped), with escaped label values read back. */
function parseExposition(text: string): Series[] {
  return text
    .split('\n')
    .filter(line => line !== '' && !line.startsWith('#'))
    .map(line => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
      if (!match) throw new Error(`not a sample line: ${line}`)
      const labels: Record<string, string> = {}
      for (const [, name, value] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[name] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
      }
      return { name: match[1], labels, value: Number(match[3]) }
    })
}

async function scrape(base: string): Promise<{ contentType: string | null; series: Series[] }> {
  const response = await fetch(`${base}/metrics`)
  expect(response.status).toBe(200)
  return { contentType: response.headers.get('content-type'), series: parseExposition(await response.text()) }
}

/** The value of the one series named so whose labels include these; undefined when none. */
function valueOf(series: Series[], name: string, labels: Record<string, string>): number | undefined {
  const found = series.filter(
    s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  )
  if (found.length > 1) throw new Error(`${found.length} series ${name} ${JSON.stringify(labels)}`)
  return found[0]?.value
}

const statuses = async (url: string, n: number, init?: RequestInit) => {
  const codes: number[] = []
  // One after the other: FAIL_RATE's order is the order requests arrive in.
  for (let i = 0; i < n; i++) codes.push((await fetch(url, init)).status)
  return codes
}

/**
 * Runs the app to its exit: the code, its stdout and stderr, when "listening" came and the
 * exit; onListening is called with the base URL once it listens.
 */
function runToExit(
  env: Record<string, string>,
  onListening: (base: string) => void = () => {}
): Promise<{
  code: number | null
  stdout: string
  stderr: string
  listenedAt?: number
  exitedAt: number
  port?: number
}> {
  const app = spawn(fixtureAppBinary(), [], { env: { ...process.env, PORT: '0', BIND: '127.0.0.1', ...env } })
  started.push(app)
  let stdout = ''
  let stderr = ''
  let listenedAt: number | undefined
  let port: number | undefined
  app.stdout.on('data', chunk => {
    stdout += String(chunk)
    const found = /listening (\d+)/.exec(stdout)
    if (found && listenedAt === undefined) {
      listenedAt = Date.now()
      port = Number(found[1])
      onListening(`http://127.0.0.1:${port}`)
    }
  })
  app.stderr.on('data', chunk => (stderr += String(chunk)))
  // An app that never exits is ended after 10 s (code null), so such a failure is reported quickly.
  const limit = setTimeout(() => app.kill('SIGKILL'), 10_000)
  return new Promise((resolve, reject) => {
    app.on('error', reject)
    app.on('close', code => {
      clearTimeout(limit)
      resolve({ code, stdout, stderr, listenedAt, exitedAt: Date.now(), port })
    })
  })
}

describe('the fixture app /metrics', () => {
  it('counts every request but the scrapes by code, method and route path, with a latency histogram', async () => {
    const base = await startFixtureApp({ APP_VERSION: '1.4.0' }, started)
    await statuses(`${base}/api/version`, 3)
    await statuses(`${base}/api/test-action`, 1, { method: 'POST', body: '{"test":true}' })
    await statuses(`${base}/api/test-action`, 1, { method: 'POST', body: 'not json' })
    await statuses(`${base}/healthz`, 2)
    await statuses(`${base}/no/such/page?x=1`, 1)
    await statuses(`${base}/another-unknown`, 1, { method: 'BREW' })
    await scrape(base)

    const { contentType, series } = await scrape(base)
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    const requests = series.filter(s => s.name === 'http_requests_total')
    expect(requests.map(s => [s.labels, s.value])).toEqual([
      // Sorted by path, method, code: two scrapes of the same counts are the same text.
      [{ code: '200', method: 'POST', path: '/api/test-action' }, 1],
      [{ code: '400', method: 'POST', path: '/api/test-action' }, 1],
      [{ code: '200', method: 'GET', path: '/api/version' }, 3],
      [{ code: '200', method: 'GET', path: '/healthz' }, 2],
      // Unknown paths and methods share one series each, so a scanner cannot make series without bound.
      [{ code: '404', method: 'GET', path: 'other' }, 1],
      [{ code: '404', method: 'other', path: 'other' }, 1]
    ])
    expect(valueOf(series, 'shop_build_info', { version: '1.4.0' })).toBe(1)

    const version = { method: 'GET', path: '/api/version' }
    expect(valueOf(series, 'http_request_duration_seconds_count', version)).toBe(3)
    const buckets = series.filter(
      s => s.name === 'http_request_duration_seconds_bucket' && s.labels.path === '/api/version'
    )
    expect(buckets.map(b => b.labels.le)).toEqual([
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '+Inf'
    ])
    // Cumulative, ending at the count.
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value)
    expect(buckets.at(-1)?.value).toBe(3)
    expect(valueOf(series, 'http_request_duration_seconds_sum', version)).toBeGreaterThan(0)
  })

  it('FAIL_RATE fails exactly that share of /api/* requests, every n-th, and the counters show it', async () => {
    const base = await startFixtureApp({ FAIL_RATE: '0.2' }, started)
    const codes = await statuses(`${base}/api/version`, 20)
    expect(codes.map((code, i) => (code === 500 ? i + 1 : 0)).filter(Boolean)).toEqual([5, 10, 15, 20])
    // The count runs across all /api/* routes; other paths never fail.
    expect(await statuses(`${base}/api/db-status`, 5)).toEqual([200, 200, 200, 200, 500])
    expect(await statuses(`${base}/healthz`, 10)).toEqual(Array(10).fill(200))
    const failed = await fetch(`${base}/api/flags`, { method: 'GET' })
    expect(failed.status).toBe(200)

    const { series } = await scrape(base)
    expect(valueOf(series, 'http_requests_total', { code: '500', path: '/api/version' })).toBe(4)
    expect(valueOf(series, 'http_requests_total', { code: '200', path: '/api/version' })).toBe(16)
    expect(valueOf(series, 'http_requests_total', { code: '500', path: '/api/db-status' })).toBe(1)
    expect(valueOf(series, 'http_requests_total', { code: '500', path: '/healthz' })).toBeUndefined()
  })

  it('FAIL_RATE 1 fails every /api/* request with a JSON error; 0.57 fails 57 of 100', async () => {
    const all = await startFixtureApp({ FAIL_RATE: '1' }, started)
    const response = await fetch(`${all}/api/test-action`, { method: 'POST', body: '{"test":true}' })
    expect(response.status).toBe(500)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.text()).toBe('{"error":"injected failure (FAIL_RATE)"}')

    // Exact arithmetic: in floating point 100 * 0.57 is 56.99999999999999, which would lose one.
    const some = await startFixtureApp({ FAIL_RATE: '0.57' }, started)
    expect((await statuses(`${some}/api/version`, 100)).filter(code => code === 500)).toHaveLength(57)
  })

  it('LATENCY delays /api/* requests, not the probes, and the histogram records it', async () => {
    const base = await startFixtureApp({ LATENCY: '300ms' }, started)
    let t = Date.now()
    expect((await fetch(`${base}/api/version`)).status).toBe(200)
    expect(Date.now() - t).toBeGreaterThanOrEqual(300)
    t = Date.now()
    await fetch(`${base}/healthz`)
    expect(Date.now() - t).toBeLessThan(250)

    const { series } = await scrape(base)
    const version = { path: '/api/version' }
    expect(valueOf(series, 'http_request_duration_seconds_bucket', { ...version, le: '0.25' })).toBe(0)
    expect(valueOf(series, 'http_request_duration_seconds_bucket', { ...version, le: '0.5' })).toBe(1)
    expect(valueOf(series, 'http_request_duration_seconds_sum', version)).toBeGreaterThanOrEqual(0.3)
    expect(valueOf(series, 'http_request_duration_seconds_bucket', { path: '/healthz', le: '0.25' })).toBe(1)
  })

  it('CRASH_AFTER exits 1 with a message that long after listening, serving until then', async () => {
    // Serving meanwhile: a crash comes after readiness, not instead of it.
    let served: Promise<number> | undefined
    const result = await runToExit({ CRASH_AFTER: '1500ms' }, base => {
      served = fetch(`${base}/healthz`).then(response => response.status)
    })
    expect(await served).toBe(200)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe(`shop 1.0.0 starting\nlistening ${result.port}\n`)
    expect(result.stderr).toBe('shop: crashing: CRASH_AFTER 1.5s elapsed since ready\n')
    const lived = result.exitedAt - result.listenedAt!
    expect(lived).toBeGreaterThanOrEqual(1400)
    expect(lived).toBeLessThan(4000)
  })

  it('CRASH_AFTER counts from readiness: after READY_AFTER when that is later', async () => {
    const result = await runToExit({ READY_AFTER: '1s', CRASH_AFTER: '1s' })
    expect(result.code).toBe(1)
    expect(result.exitedAt - result.listenedAt!).toBeGreaterThanOrEqual(1900)
  })

  it.each([
    ['FAIL_RATE', '1.5', 'shop: FAIL_RATE "1.5" is not a share from 0 to 1 such as 0.2\n'],
    ['FAIL_RATE', 'often', 'shop: FAIL_RATE "often" is not a share from 0 to 1 such as 0.2\n'],
    ['LATENCY', '-1s', 'shop: LATENCY "-1s" is not a duration such as 5s\n'],
    ['CRASH_AFTER', '20', 'shop: CRASH_AFTER "20" is not a duration such as 5s\n']
  ])('a bad %s (%s) exits 2 before listening', async (name, value, message) => {
    const result = await runToExit({ [name]: value })
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(message)
    expect(result.listenedAt).toBeUndefined()
  })
})

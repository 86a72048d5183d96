/**
 * Smoke checks against real HTTP(S) servers on 127.0.0.1: the fixture app that
 * the demo uses, and small servers that misbehave in one way each.
 */
import { spawnSync, execFileSync, type ChildProcess } from 'node:child_process'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
  type Server
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { runSmokeChecks, loadSmokeSpec, type SmokeOptions } from '../../src/smoke/index.js'
import { parseSmokeSpec } from '../../src/smoke/spec.js'
import { REPO_ROOT } from '../support/action.js'
import { startFixtureApp } from '../support/fixture-app.js'

const servers: (Server | ChildProcess)[] = []
afterAll(() => {
  for (const s of servers) {
    if ('kill' in s) s.kill()
    else s.close()
  }
})

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

async function serve(handler: Handler): Promise<string> {
  const server = createHttpServer((req, res) => {
    let body = ''
    req.on('data', c => (body += c))
    req.on('end', () => handler(req, res, body))
  })
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const json = (res: ServerResponse, status: number, payload: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(payload))
}

function options(baseUrl: string, extra: Partial<SmokeOptions> = {}): SmokeOptions {
  return {
    baseUrl,
    env: { ...process.env },
    secrets: [],
    tls: { insecure: false },
    workspace: REPO_ROOT,
    log: () => {},
    ...extra
  }
}

const spec = (yaml: string) => parseSmokeSpec(yaml, 'test.yaml')

it('the fixture app passes the four reference checks, written in the check format', async () => {
  const url = await startFixtureApp({ APP_VERSION: '1.4.0' }, servers)
  const checks = loadSmokeSpec({
    smokeUrl: url,
    smokeTests: 'examples/app/smoke-checks.yaml',
    workspace: REPO_ROOT
  })!
  const results = await runSmokeChecks(checks, options(url))
  expect(results.map(r => [r.name, r.passed, r.lastStatus])).toEqual([
    ['health', true, 200],
    ['api version', true, 200],
    ['database connected', true, 200],
    ['critical action', true, 200]
  ])
})

it('with only a base URL, checks GET /healthz', async () => {
  const url = await serve((req, res) => json(res, req.url === '/healthz' ? 200 : 404, {}))
  const [result] = await runSmokeChecks(loadSmokeSpec({ smokeUrl: url, workspace: REPO_ROOT })!, options(url))
  expect(result).toMatchObject({ name: 'health', passed: true, attempts: 1 })
})

it('polls a service that fails its first requests until it recovers', async () => {
  let calls = 0
  const url = await serve((_, res) =>
    ++calls <= 3 ? json(res, 503, { ready: false }) : json(res, 200, { ready: true })
  )
  const [result] = await runSmokeChecks(
    spec(
      'defaults: { timeout: 10s, interval: 50ms }\nchecks:\n  - name: ready\n    path: /ready\n    expect:\n      json: [{ path: .ready, equals: true }]\n'
    ),
    options(url)
  )
  expect(result.passed).toBe(true)
  expect(result.attempts).toBe(4)
})

it('gives up at the deadline on a slow service and says why', async () => {
  const url = await serve((_, res) => setTimeout(() => json(res, 200, {}), 3000))
  const [result] = await runSmokeChecks(
    spec('checks:\n  - name: slow\n    path: /\n    timeout: 400ms\n    interval: 100ms\n'),
    options(url)
  )
  expect(result.passed).toBe(false)
  expect(result.durationMs).toBeLessThan(2500)
  expect(result.reason).toMatch(/request failed: .*(abort|timeout)/i)
})

it('says what the service answered when the deadline cuts the next attempt short', async () => {
  let calls = 0
  // First a refusal, then no answer at all: the check ends inside the second attempt.
  const url = await serve((_, res) => (++calls === 1 ? json(res, 503, { ready: false }) : undefined))
  const [result] = await runSmokeChecks(
    spec('checks:\n  - name: ready\n    path: /ready\n    timeout: 600ms\n    interval: 50ms\n'),
    options(url)
  )
  expect(result.passed).toBe(false)
  expect(result.attempts).toBe(2)
  expect(result.reason).toMatch(/503/)
  expect(result.reason).toContain("the last attempt was cut short by the check's timeout")
})

it('follows redirects', async () => {
  const url = await serve((req, res) => {
    if (req.url === '/old') {
      res.writeHead(302, { location: '/new' })
      res.end()
    } else json(res, 200, { moved: true })
  })
  const [result] = await runSmokeChecks(
    spec('checks:\n  - name: r\n    path: /old\n    expect:\n      json: [{ path: .moved, equals: true }]\n'),
    options(url)
  )
  expect(result.passed).toBe(true)
})

it('verifies TLS: a self-signed server fails without its CA and passes with the CA file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'smoke-tls-'))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      `${dir}/key.pem`,
      '-out',
      `${dir}/cert.pem`
    ],
    { stdio: 'ignore' }
  )
  const server = createHttpsServer(
    { key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) },
    (_, res) => json(res, 200, {})
  )
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  const checks = spec('checks:\n  - name: tls\n    path: /\n    timeout: 1s\n    interval: 200ms\n')
  const [untrusted] = await runSmokeChecks(checks, options(url))
  expect(untrusted.passed).toBe(false)
  expect(untrusted.reason).toMatch(/self-signed|certificate/i)
  const [trusted] = await runSmokeChecks(
    checks,
    options(url, { tls: { caFile: `${dir}/cert.pem`, insecure: false } })
  )
  expect(trusted.passed).toBe(true)
})

it('reports a malformed JSON body with an escaped-later excerpt of it', async () => {
  const url = await serve((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"version": <oops>')
  })
  const [result] = await runSmokeChecks(
    spec(
      'checks:\n  - name: v\n    path: /\n    timeout: 300ms\n    interval: 100ms\n    expect:\n      json: [{ path: .version, exists: true }]\n'
    ),
    options(url)
  )
  expect(result.passed).toBe(false)
  expect(result.reason).toMatch(/^body: expected JSON/)
  expect(result.bodyExcerpt).toBe('{"version": <oops>')
})

it('runs a POST once unless the check says retry', async () => {
  let posts = 0
  const url = await serve((_, res) => {
    posts++
    json(res, 500, { success: false })
  })
  const [once] = await runSmokeChecks(
    spec(
      'checks:\n  - name: p\n    method: POST\n    path: /api/test-action\n    json: { test: true }\n    timeout: 2s\n    interval: 50ms\n'
    ),
    options(url)
  )
  expect(once.passed).toBe(false)
  expect(once.attempts).toBe(1)
  expect(posts).toBe(1)
  const [retried] = await runSmokeChecks(
    spec(
      'checks:\n  - name: p\n    method: POST\n    path: /x\n    retry: true\n    timeout: 500ms\n    interval: 50ms\n'
    ),
    options(url)
  )
  expect(retried.attempts).toBeGreaterThan(1)
})

it('runs scripts: exit 0 passes with SMOKE_URL set, exit 1 fails with its output kept', async () => {
  const url = await serve((_, res) => json(res, 200, { ok: true }))
  const results = await runSmokeChecks(
    spec(
      'checks:\n  - name: curl\n    run: curl -sf "${SMOKE_URL}/x"\n  - name: broken\n    run: echo "Health check failed" >&2; exit 1\n'
    ),
    options(url)
  )
  expect(results[0]).toMatchObject({ passed: true, type: 'script' })
  expect(results[0].output).toContain('{"ok":true}')
  expect(results[1]).toMatchObject({ passed: false, reason: 'exited with code 1' })
  expect(results[1].output).toContain('Health check failed')
})

it('never leaks a secret header value, even when the server echoes it back', async () => {
  const url = await serve((req, res) =>
    json(res, 401, { error: 'bad token', echoed: req.headers.authorization, key: req.headers['x-api-key'] })
  )
  const env = { ...process.env, API_TOKEN: 'super-secret-token-42', API_KEY: 'key-0987654321' }
  const results = await runSmokeChecks(
    spec(
      'checks:\n  - name: auth\n    path: /private?token=${API_TOKEN}\n    headers:\n      Authorization: Bearer ${API_TOKEN}\n      X-Api-Key: ${API_KEY}\n    timeout: 300ms\n    interval: 100ms\n  - name: script\n    run: echo "token is $API_TOKEN"; exit 1\n'
    ),
    options(url, { env, secrets: ['super-secret-token-42'] })
  )
  const everything = JSON.stringify(results)
  expect(results[0].passed).toBe(false)
  expect(everything).not.toContain('super-secret-token-42')
  expect(everything).not.toContain('key-0987654321')
  expect(results[0].bodyExcerpt).toContain('***')
  expect(results[1].output).toContain('token is ***')
})

it('stops a script at its deadline, and retries a script only when told to', async () => {
  const marker = path.join(mkdtempSync(path.join(tmpdir(), 'smoke-script-')), 'runs')
  const started = Date.now()
  const [hung, retried] = await runSmokeChecks(
    spec(
      `checks:\n  - name: hung\n    run: sleep 31.4159\n    timeout: 1s\n  - name: flaky\n    run: echo x >> ${marker}; test $(wc -l < ${marker}) -ge 3\n    retry: true\n    timeout: 10s\n    interval: 50ms\n`
    ),
    options('http://127.0.0.1:9')
  )
  expect(hung).toMatchObject({ passed: false, attempts: 1, reason: 'did not finish within 1.0s (stopped)' })
  expect(Date.now() - started).toBeLessThan(10_000)
  expect(retried).toMatchObject({ passed: true, attempts: 3 })
  // `sleep 31.4159` was ended with the check, not left behind.
  const left = spawnSync('pgrep', ['-f', '-x', 'sleep 31.4159'], { encoding: 'utf8' })
  expect({ status: left.status, pids: left.stdout.trim() }).toEqual({ status: 1, pids: '' })
})

it('fails only the check whose ${VAR} is not set; the others still run', async () => {
  const url = await serve((_, res) => json(res, 200, { ok: true }))
  const results = await runSmokeChecks(
    spec(
      'checks:\n  - name: needs var\n    path: /x\n    headers:\n      X-Token: ${NOT_SET_ANYWHERE}\n  - name: fine\n    path: /y\n'
    ),
    options(url, { env: {} })
  )
  expect(results[0]).toMatchObject({
    passed: false,
    attempts: 0,
    reason: 'check "needs var" header X-Token uses ${NOT_SET_ANYWHERE}, which is not set in the environment'
  })
  expect(results[1]).toMatchObject({ passed: true })
})

it('keeps a body whole when multi-byte characters are split across chunks', async () => {
  const url = await serve((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    const bytes = Buffer.from(JSON.stringify({ greeting: 'grüße, 世界' }))
    // Split inside the two-byte "ü" and send the halves separately.
    const cut = bytes.indexOf(0xc3) + 1
    res.write(bytes.subarray(0, cut))
    setTimeout(() => res.end(bytes.subarray(cut)), 20)
  })
  const [result] = await runSmokeChecks(
    spec(
      'checks:\n  - name: utf8\n    path: /\n    expect:\n      json:\n        - path: .greeting\n          equals: grüße, 世界\n'
    ),
    options(url)
  )
  expect(result).toMatchObject({ passed: true })
})

it('a POST whose connection is refused until the service listens is sent once it listens, exactly once', async () => {
  // A port that is free now and refuses connections until the server below binds it.
  const probe = createHttpServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise(resolve => probe.close(resolve))
  let posts = 0
  const server = createHttpServer((req, res) => {
    if (req.method === 'POST') posts++
    req.resume()
    req.on('end', () => json(res, 200, { success: true }))
  })
  servers.push(server)
  setTimeout(() => server.listen(port, '127.0.0.1'), 600)
  const logs: string[] = []
  const results = await runSmokeChecks(
    spec(
      'defaults: { timeout: 5s, interval: 100ms }\nchecks:\n  - name: action\n    method: POST\n    path: /api/test-action\n    json: { test: true }\n  - name: health\n    path: /healthz\n'
    ),
    options(`http://127.0.0.1:${port}`, { log: line => logs.push(line) })
  )
  expect(results.map(r => [r.name, r.passed])).toEqual([
    ['action', true],
    ['health', true]
  ])
  expect(posts).toBe(1)
  expect(results[1].attempts).toBeGreaterThan(1)
  expect(logs.join('\n')).toMatch(/smoke: http:\/\/127\.0\.0\.1:\d+ first answered after /)
})

it('a POST alone is repeated while its connection is refused, up to its deadline', async () => {
  const url = await serve((_, res) => json(res, 200, {}))
  const [refused] = await runSmokeChecks(
    spec(
      'checks:\n  - name: p\n    method: POST\n    url: http://127.0.0.1:1/x\n    timeout: 400ms\n    interval: 50ms\n'
    ),
    options(url)
  )
  expect(refused.passed).toBe(false)
  expect(refused.attempts).toBeGreaterThan(1)
  expect(refused.reason).toContain('ECONNREFUSED')
})

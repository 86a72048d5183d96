/**
 * Smoke checks and hostile values: `run:` checks with values that are shell
 * code, credentials on redirects to another origin (two real servers on
 * 127.0.0.1, different ports), secrets cut in two by a message, and when the
 * service first answered.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { runSmokeChecks, type SmokeOptions } from '../../src/smoke/index.js'
import { parseSmokeSpec } from '../../src/smoke/spec.js'
import { REPO_ROOT } from '../support/action.js'

const servers: Server[] = []
afterAll(() => {
  for (const s of servers) s.close()
})

async function listen(server: Server, port = 0): Promise<string> {
  servers.push(server)
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function options(baseUrl: string | undefined, extra: Partial<SmokeOptions> = {}): SmokeOptions {
  return {
    baseUrl,
    env: { PATH: process.env.PATH },
    secrets: [],
    tls: { insecure: false },
    workspace: REPO_ROOT,
    log: () => {},
    ...extra
  }
}

/** Checks as JSON (a YAML document too), so hostile text needs no YAML quoting. */
const checksOf = (checks: object[], defaults: object = {}) =>
  parseSmokeSpec(JSON.stringify({ defaults, checks }), 'test.yaml')

describe('run: checks get values only as environment variables', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'smoke-inject-'))
  const marker = path.join(dir, 'pwned')
  const payloads = [
    `x; touch ${marker}`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `x'; touch ${marker}; echo '`,
    `x"; touch ${marker}; echo "`,
    `x\ntouch ${marker}`,
    `http://127.0.0.1:9/$(touch\${IFS}${marker})`
  ]

  it('a ${NAME} value that is shell code is never run, and the script sees it literally', async () => {
    const env: Record<string, string | undefined> = { PATH: process.env.PATH }
    const checks = payloads.map((payload, i) => {
      env[`V${i}`] = payload
      env[`EXPECTED${i}`] = payload
      const out = path.join(dir, `seen-${i}`)
      return {
        name: `payload ${i}`,
        // Quoted and unquoted: word splitting of an unquoted value is not code execution either.
        run: `printf '%s' "\${V${i}}" > ${out}; echo \${V${i}} > /dev/null; test "\${V${i}}" = "$EXPECTED${i}"`
      }
    })
    const results = await runSmokeChecks(checksOf(checks), options(undefined, { env }))
    expect(existsSync(marker)).toBe(false)
    expect(results.map(r => [r.name, r.passed, r.reason])).toEqual(
      payloads.map((_, i) => [`payload ${i}`, true, undefined])
    )
    payloads.forEach((payload, i) => expect(readFileSync(path.join(dir, `seen-${i}`), 'utf8')).toBe(payload))
  })

  it.each(payloads.map((payload, i) => [i, payload]))(
    'SMOKE_URL %i is never run as code, and the script sees it literally',
    async (i, payload) => {
      const out = path.join(dir, `smoke-url-${i}`)
      const [result] = await runSmokeChecks(
        checksOf([
          {
            name: 'legacy script',
            run: `printf '%s' "\${SMOKE_URL}" > ${out}; echo \${SMOKE_URL} > /dev/null; test "$SMOKE_URL" = "\${SMOKE_URL}"`
          }
        ]),
        options(payload)
      )
      expect(existsSync(marker)).toBe(false)
      expect(result).toMatchObject({ passed: true })
      expect(readFileSync(out, 'utf8')).toBe(payload)
    }
  )

  it('a ${NAME} the script uses that is not set fails that check alone, naming it', async () => {
    const results = await runSmokeChecks(
      checksOf([
        { name: 'needs var', run: 'echo "${NOT_SET_ANYWHERE}"' },
        { name: 'fine', run: 'test -z "${INPUT_KUBECONFIG-}"' }
      ]),
      options(undefined, { env: { PATH: process.env.PATH, INPUT_KUBECONFIG: 'creds' } })
    )
    expect(results[0]).toMatchObject({
      passed: false,
      reason: 'check "needs var" run uses ${NOT_SET_ANYWHERE}, which is not set in the environment'
    })
    expect(results[1]).toMatchObject({ passed: true })
  })
})

describe('a smoke-url with user:password@', () => {
  it('gives the script the URL whole, and shows its password nowhere', async () => {
    const url = await listen(createServer((_, res) => res.end('{}')))
    const base = url.replace('http://', 'http://admin:hunter2%2Fpass@')
    const results = await runSmokeChecks(
      checksOf([
        { name: 'script', run: 'echo "$SMOKE_URL"; echo hunter2/pass; exit 1' },
        { name: 'http', path: '/x', expect: { status: 418 }, timeout: '300ms', interval: '100ms' }
      ]),
      options(base)
    )
    expect(results.map(r => r.passed)).toEqual([false, false])
    expect(results[0].output).toBe(`${url.replace('http://', 'http://***@')}\n***\n`)
    expect(JSON.stringify(results)).not.toMatch(/hunter2/)
  })
})

describe('redirects', () => {
  const env = {
    PATH: process.env.PATH,
    API_TOKEN: 'tok-4f9a8b7c6d5e',
    API_KEY: 'key-0987654321',
    SESSION: 'sess-1234567890'
  }
  const secrets = ['tok-4f9a8b7c6d5e', 'key-0987654321', 'sess-1234567890']
  const headers = {
    Authorization: 'Bearer ${API_TOKEN}',
    'X-Api-Key': '${API_KEY}',
    'X-Auth-Token': '${API_TOKEN}',
    Cookie: 'session=${SESSION}',
    'X-Custom': 'v1 ${SESSION}',
    'X-Harmless': 'hello'
  }

  async function servers2() {
    const seen: { path: string; headers: IncomingHttpHeaders }[] = []
    const record = (req: { url?: string; headers: IncomingHttpHeaders }) =>
      seen.push({ path: req.url ?? '', headers: req.headers })
    const b = await listen(
      createServer((req, res) => {
        record(req)
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"ok":true}')
      })
    )
    const a = await listen(
      createServer((req, res) => {
        record(req)
        if (req.url === '/cross') res.writeHead(302, { location: `${b}/landing` })
        else if (req.url === '/same') res.writeHead(307, { location: '/landing' })
        else res.writeHead(200, { 'content-type': 'application/json' })
        res.end(req.url === '/landing' ? '{"ok":true}' : '')
      })
    )
    return { a, b, seen }
  }

  it('a redirect to another origin carries no credential header; one to the same origin keeps them', async () => {
    const { a, seen } = await servers2()
    const results = await runSmokeChecks(
      checksOf([
        { name: 'cross', path: '/cross', headers },
        { name: 'same', path: '/same', headers }
      ]),
      options(a, { env, secrets, concurrency: 1 })
    )
    expect(results.map(r => [r.name, r.passed])).toEqual([
      ['cross', true],
      ['same', true]
    ])
    const landings = seen.filter(s => s.path === '/landing')
    expect(landings).toHaveLength(2)
    const [crossed, same] = landings
    for (const name of ['authorization', 'x-api-key', 'x-auth-token', 'cookie', 'x-custom'])
      expect(crossed.headers[name]).toBeUndefined()
    expect(crossed.headers['x-harmless']).toBe('hello')
    expect(JSON.stringify(crossed.headers)).not.toMatch(/tok-4f9a|key-0987|sess-1234/)
    expect(same.headers).toMatchObject({
      authorization: 'Bearer tok-4f9a8b7c6d5e',
      'x-api-key': 'key-0987654321',
      'x-auth-token': 'tok-4f9a8b7c6d5e',
      cookie: 'session=sess-1234567890',
      'x-custom': 'v1 sess-1234567890',
      'x-harmless': 'hello'
    })
  })
})

describe('redirect limits', () => {
  it('follows at most 5 redirects, then reports the redirect it got', async () => {
    let hops = 0
    const url = await listen(
      createServer((_, res) => {
        hops++
        res.writeHead(302, { location: `/loop/${hops}` })
        res.end()
      })
    )
    const [result] = await runSmokeChecks(
      checksOf([{ name: 'loop', path: '/loop', retry: false }]),
      options(url)
    )
    expect(result).toMatchObject({ passed: false, lastStatus: 302, reason: 'status: expected 2xx, got 302' })
    expect(hops).toBe(6)
  })

  it('does not follow a redirect to a scheme other than http(s)', async () => {
    const url = await listen(
      createServer((_, res) => {
        res.writeHead(302, { location: 'file:///etc/passwd' })
        res.end()
      })
    )
    const [result] = await runSmokeChecks(checksOf([{ name: 'file', path: '/', retry: false }]), options(url))
    expect(result).toMatchObject({ passed: false })
    expect(result.reason).toContain('redirected to a file: URL, which is not followed')
  })
})

describe('messages that quote part of a response', () => {
  const secret = '<TOPSECRETVALUE>-12345'

  it('never show the first part of a secret that a quote cut in two', async () => {
    const url = await listen(
      createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': `${'h'.repeat(110)}${secret}` })
        // A JSON value quoted up to 117 characters (also with "<" escaped as a server may do),
        // and a body JSON.parse quotes 10 characters of.
        const value = JSON.stringify({ value: `${'x'.repeat(110)}${secret}` })
        if (req.url === '/json') res.end(value)
        else if (req.url === '/escaped') res.end(value.replace(/</g, '\\u003c').replace(/>/g, '\\u003e'))
        else res.end(`abcd${secret}`)
      })
    )
    const results = await runSmokeChecks(
      checksOf(
        [
          {
            name: 'json',
            path: '/json',
            expect: { json: [{ path: '.value', equals: 'nope' }], headers: { 'x-echo': '^nope$' } }
          },
          { name: 'text', path: '/text', expect: { json: [{ path: '.value', exists: true }] } },
          { name: 'escaped', path: '/escaped', expect: { json: [{ path: '.value', equals: 'nope' }] } }
        ],
        { timeout: '300ms', interval: '100ms' }
      ),
      options(url, { secrets: [secret] })
    )
    expect(results.map(r => r.passed)).toEqual([false, false, false])
    expect(results[0].reason).toMatch(/^header x-echo: expected to match \/\^nope\$\/, got "h+\*\*\*"; /)
    expect(results[0].reason).toMatch(/; \.value: expected "nope", got "x+\*\*\*"$/)
    expect(results[1].reason).toMatch(/^body: expected JSON, got something else \(.*"abcd\*\*\*"/)
    expect(results[2].reason).toMatch(/^\.value: expected "nope", got "x+\*\*\*"$/)
    expect(results[2].bodyExcerpt).toMatch(/^\{"value":"x+\*\*\*"\}$/)
    expect(JSON.stringify(results)).not.toMatch(/TOPS|u003cT/)
  })
})

describe('when the service first answered', () => {
  it('is in each HTTP check result, measured from the start of the checks', async () => {
    // A port that is free now and refuses connections until the server below binds it.
    const probe = createServer()
    const free = await listen(probe)
    const port = Number(new URL(free).port)
    await new Promise(resolve => probe.close(resolve))
    const server = createServer((_, res) => {
      res.writeHead(200)
      res.end('{}')
    })
    setTimeout(() => void listen(server, port), 500)
    const results = await runSmokeChecks(
      checksOf(
        [
          { name: 'health', path: '/healthz' },
          { name: 'script', run: 'true' },
          { name: 'never', url: 'http://127.0.0.1:1/x', timeout: '300ms' }
        ],
        { timeout: '5s', interval: '50ms' }
      ),
      options(`http://127.0.0.1:${port}`)
    )
    expect(results[0]).toMatchObject({ passed: true, target: `http://127.0.0.1:${port}` })
    expect(results[0].targetAnsweredAfterMs).toBeGreaterThanOrEqual(400)
    expect(results[0].targetAnsweredAfterMs).toBeLessThan(5000)
    expect(results[1].target).toBeUndefined()
    expect(results[2]).toMatchObject({ passed: false, target: 'http://127.0.0.1:1' })
    expect(results[2].targetAnsweredAfterMs).toBeUndefined()
  })
})

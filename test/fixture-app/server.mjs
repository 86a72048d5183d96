// The sample app's stand-in on 127.0.0.1: the four endpoints the reference
// smoke-test.sh checks. Plain Node, no dependencies. Environment:
//   PORT (0 = any free port), APP_VERSION, DB_CONNECTED=false, FEATURE_FLAGS=name=on,other=off
// Prints "listening <port>" once ready.
import { createServer } from 'node:http'

const flags = Object.fromEntries(
  (process.env.FEATURE_FLAGS ?? '')
    .split(',')
    .filter(Boolean)
    .map(pair => pair.split('='))
    .map(([name, state]) => [name, state === 'on'])
)

const routes = {
  'GET /healthz': () => [200, { status: 'ok' }],
  'GET /api/version': () => [200, { version: process.env.APP_VERSION ?? '1.0.0' }],
  'GET /api/db-status': () => [200, { connected: process.env.DB_CONNECTED !== 'false' }],
  'POST /api/test-action': body => {
    try {
      return [200, { success: JSON.parse(body || '{}').test === true }]
    } catch {
      return [400, { success: false, error: 'body is not JSON' }]
    }
  },
  'GET /api/flags': () => [200, flags]
}

const server = createServer((req, res) => {
  let body = ''
  req.on('data', chunk => (body += chunk))
  req.on('end', () => {
    const route = routes[`${req.method} ${new URL(req.url, 'http://x').pathname}`]
    const [status, payload] = route ? route(body) : [404, { error: 'not found' }]
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(payload))
  })
})

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`)
})
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)))

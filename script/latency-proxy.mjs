// A TCP proxy on 127.0.0.1 that puts a network's round trip between a client and a server:
// every chunk, in both directions, is passed on RTT/2 after it arrived, in order. It never
// looks inside the bytes, so TLS (and HTTP/2) to the kube-apiserver passes through untouched:
// a kubeconfig whose server is https://127.0.0.1:<proxy port> keeps working with the same CA
// and client certificate (the test cluster's serving certificate has SAN IP:127.0.0.1).
//
// It adds latency only, not a bandwidth limit: a managed cluster a few tens of milliseconds
// away is bounded by round trips, not by bytes, for the few hundred kilobytes a stage sends.
//
//   import { startLatencyProxy } from './latency-proxy.mjs'
//   const proxy = await startLatencyProxy({ target: 'https://127.0.0.1:6443', rttMs: 30 })
//   ... proxy.port ...; await proxy.close()
//
// or as a process of its own (bench.mjs runs it so, so its timers never wait behind the
// benchmark's own work): `node script/latency-proxy.mjs <target host:port or URL> <rtt ms>`
// prints the port it listens on, alone on one line, and runs until killed.
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { clearTimeout, setTimeout } from 'node:timers'

/** host and port of "https://host:port", "host:port" or {host, port}. */
function targetOf(target) {
  if (typeof target === 'object') return target
  const url = new URL(/^[a-z]+:\/\//.test(target) ? target : `tcp://${target}`)
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port }
}

/**
 * Passes what `from` sends on to `to`, each chunk delayed by `delayMs` (order kept: the
 * delay is the same for every chunk, and one queue drains it). The end of the stream is
 * delayed too, so a half-close arrives after the data before it. Nothing leaves before
 * `notBefore` (a performance.now() time) + delayMs.
 */
function pipeDelayed(from, to, delayMs, notBefore = 0) {
  const queue = []
  let timer
  const drain = () => {
    timer = undefined
    const now = performance.now()
    while (queue.length > 0 && queue[0].at <= now + 0.5) {
      const { chunk } = queue.shift()
      if (to.destroyed) return
      if (chunk === null) to.end()
      else to.write(chunk)
    }
    if (queue.length > 0) timer = setTimeout(drain, queue[0].at - now)
  }
  const push = chunk => {
    if (delayMs <= 0 && notBefore <= performance.now()) {
      if (chunk === null) to.end()
      else to.write(chunk)
      return
    }
    const at = Math.max(performance.now(), notBefore) + delayMs
    queue.push({ at, chunk })
    if (timer === undefined) timer = setTimeout(drain, at - performance.now())
  }
  from.on('data', chunk => push(chunk))
  from.on('end', () => push(null))
  return () => clearTimeout(timer)
}

/**
 * Starts the proxy; resolves to { port, close() }. rttMs is the round trip it adds: each
 * direction is delayed by rttMs / 2. A new connection also pays the TCP handshake's round
 * trip: the kernel accepts the client's connection at once on loopback, so the client's
 * first bytes are held until one RTT after the accept (as if they had waited for SYN-ACK),
 * then delayed by RTT/2 like any other.
 */
export function startLatencyProxy({ target, rttMs = 30, host = '127.0.0.1', port = 0 }) {
  const upstream = targetOf(target)
  const oneWay = rttMs / 2
  const sockets = new Set()
  const server = net.createServer(client => {
    client.setNoDelay(true)
    const server = net.connect({ ...upstream, noDelay: true })
    sockets.add(client)
    sockets.add(server)
    const stops = [
      pipeDelayed(client, server, oneWay, performance.now() + rttMs),
      pipeDelayed(server, client, oneWay)
    ]
    const close = () => {
      for (const stop of stops) stop()
      client.destroy()
      server.destroy()
      sockets.delete(client)
      sockets.delete(server)
    }
    // A reset or error on either side ends both, as a real network path would.
    client.on('error', close)
    server.on('error', close)
    client.on('close', () => setTimeout(close, oneWay + 5))
    server.on('close', () => setTimeout(close, oneWay + 5))
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      resolve({
        port: server.address().port,
        rttMs,
        close: () =>
          new Promise(done => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          })
      })
    })
  })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [target, rtt] = process.argv.slice(2)
  if (!target) {
    console.error(
      'usage: node script/latency-proxy.mjs <host:port or https://host:port> [rtt ms, default 30]'
    )
    process.exit(2)
  }
  const proxy = await startLatencyProxy({ target, rttMs: Number(rtt ?? 30) })
  console.log(proxy.port)
  const stop = () => proxy.close().then(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

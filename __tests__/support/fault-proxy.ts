/**
 * A fault-injecting proxy between the action and the real API server: plain
 * HTTP towards the action (its kubeconfig needs no credentials, and client-node wants
 * insecure-skip-tls-verify to speak plain HTTP), HTTPS with the
 * test cluster's admin certificate towards the API server. Rules decide, per
 * request, to pass it on, reset the connection, answer 429 or 503, answer a
 * watch with 410 Gone, or stall a watch; `cut` drops every connection and
 * refuses new ones for a while, as a network blip between a runner and its
 * cluster does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { Agent, request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { testKubeConfig } from './cluster.js'

export type Fault = 'pass' | 'reset' | { status: 429 | 503; retryAfter?: number } | 'gone' | 'stall'

export interface SeenRequest {
  method: string
  path: string
  watch: boolean
  contentType?: string
}

export type Rule = (request: SeenRequest, index: number) => Fault

export interface FaultProxy {
  url: string
  kubeconfig: string
  /** Every request that reached the proxy, in order. */
  seen: SeenRequest[]
  rule: Rule
  /** Drops every open connection and refuses new ones for `ms` (Infinity: for good). */
  cut(ms: number): void
  close(): Promise<void>
}

export async function startFaultProxy(rule: Rule = () => 'pass'): Promise<FaultProxy> {
  const kc = testKubeConfig()
  const cluster = kc.getCurrentCluster()!
  const user = kc.getCurrentUser()!
  const upstream = new URL(cluster.server)
  const decode = (data?: string) => (data ? Buffer.from(data, 'base64') : undefined)
  const agent = new Agent({
    keepAlive: true,
    ca: decode(cluster.caData),
    cert: decode(user.certData),
    key: decode(user.keyData)
  })
  const sockets = new Set<Socket>()
  let cutUntil = 0
  const proxy: FaultProxy = {
    url: '',
    kubeconfig: '',
    seen: [],
    rule,
    cut(ms: number) {
      cutUntil = Date.now() + ms
      for (const socket of sockets) socket.destroy()
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      agent.destroy()
      await new Promise(resolve => server.close(resolve))
    }
  }

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const upstreamRequest = httpsRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent
      },
      upstreamResponse => {
        res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers)
        upstreamResponse.pipe(res)
      }
    )
    upstreamRequest.on('error', () => res.destroy())
    res.on('close', () => upstreamRequest.destroy())
    req.pipe(upstreamRequest)
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy')
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      watch: url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true',
      contentType: req.headers['content-type']
    }
    proxy.seen.push(seen)
    const fault = proxy.rule(seen, proxy.seen.length - 1)
    if (fault === 'pass') return forward(req, res)
    if (fault === 'reset') return req.socket.destroy()
    if (fault === 'stall') {
      // Headers, then nothing: a watch that went silent behind a load balancer.
      res.writeHead(200, { 'content-type': 'application/json' })
      res.flushHeaders()
      return
    }
    if (fault === 'gone') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          type: 'ERROR',
          object: {
            kind: 'Status',
            status: 'Failure',
            code: 410,
            reason: 'Expired',
            message: 'too old resource version'
          }
        }) + '\n'
      )
      return
    }
    res.writeHead(fault.status, {
      'content-type': 'application/json',
      ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {})
    })
    res.end(
      JSON.stringify({
        kind: 'Status',
        status: 'Failure',
        code: fault.status,
        message: 'injected by the fault proxy'
      })
    )
  })
  server.on('connection', socket => {
    if (Date.now() < cutUntil) {
      socket.destroy()
      return
    }
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  proxy.kubeconfig = `apiVersion: v1
kind: Config
clusters: [{ name: proxy, cluster: { server: '${proxy.url}', insecure-skip-tls-verify: true } }]
users: [{ name: nobody, user: {} }]
contexts: [{ name: proxy, context: { cluster: proxy, user: nobody } }]
current-context: proxy
`
  return proxy
}

/**
 * A local stand-in for the GitHub REST endpoints the action uses (deployments
 * and deployment statuses), on 127.0.0.1. It records every request so tests can
 * assert exactly what was sent.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  path: string
  authorization?: string
  body?: Record<string, unknown>
}

export interface FakeDeployment {
  id: number
  environment: string
  sha: string
  created_at: string
  statuses: Record<string, unknown>[]
}

export interface FakeGitHub {
  url: string
  requests: RecordedRequest[]
  deployments: FakeDeployment[]
  close(): Promise<void>
}

export async function startFakeGitHub(deployments: FakeDeployment[] = []): Promise<FakeGitHub> {
  const requests: RecordedRequest[] = []
  let nextId = 1000
  const server: Server = createServer((req, res) => {
    let raw = ''
    req.on('data', chunk => (raw += chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined
      requests.push({
        method: req.method ?? '',
        path: url.pathname + url.search,
        authorization: req.headers.authorization,
        body
      })
      const send = (status: number, data: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(data))
      }
      const statusesMatch = /^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(url.pathname)
      if (statusesMatch) {
        const deployment = deployments.find(d => d.id === Number(statusesMatch[1]))
        if (!deployment) return send(404, { message: 'Not Found' })
        if (req.method === 'GET') return send(200, deployment.statuses)
        deployment.statuses.unshift(body ?? {})
        return send(201, { id: nextId++, ...body })
      }
      if (/^\/repos\/[^/]+\/[^/]+\/deployments$/.test(url.pathname)) {
        if (req.method === 'GET') {
          const sha = url.searchParams.get('sha')
          const environment = url.searchParams.get('environment')
          return send(
            200,
            deployments.filter(
              d => (!sha || d.sha === sha) && (!environment || d.environment === environment)
            )
          )
        }
        const created: FakeDeployment = {
          id: nextId++,
          environment: String(body?.environment),
          sha: String(body?.ref),
          created_at: new Date().toISOString(),
          statuses: []
        }
        deployments.push(created)
        return send(201, created)
      }
      send(404, { message: 'Not Found' })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    deployments,
    close: () => new Promise(resolve => server.close(() => resolve()))
  }
}

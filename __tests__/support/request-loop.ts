/**
 * Users' traffic during a stage: GETs through a Service, one new connection
 * each (kube-proxy picks a pod per connection, so a kept-alive connection
 * would stick to one pod), every few milliseconds, each answer kept with its
 * time: who answered (the app's version) or what went wrong.
 */
import { get } from 'node:http'

export interface Answer {
  at: number
  /** The HTTP status, or 0 when the request failed (refused, reset, timed out). */
  status: number
  version?: string
}

export interface RequestLoop {
  answers: Answer[]
  stop(): Promise<Answer[]>
}

function once(url: string): Promise<Answer> {
  const at = Date.now()
  return new Promise(resolve => {
    const request = get(url, { agent: false, timeout: 2000 }, response => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', chunk => (body += chunk))
      response.on('end', () => {
        let version: string | undefined
        try {
          version = (JSON.parse(body) as { version?: string }).version
        } catch {
          // an error page
        }
        resolve({ at, status: response.statusCode ?? 0, version })
      })
      response.on('error', () => resolve({ at, status: 0 }))
    })
    request.on('timeout', () => request.destroy(new Error('timeout')))
    request.on('error', () => resolve({ at, status: 0 }))
  })
}

/** Starts GETting `url` every `everyMs` until stopped. */
export function startRequestLoop(url: string, everyMs = 25): RequestLoop {
  const answers: Answer[] = []
  let running = true
  const loop = (async () => {
    while (running) {
      const next = Date.now() + everyMs
      answers.push(await once(url))
      await new Promise(resolve => setTimeout(resolve, Math.max(0, next - Date.now())))
    }
  })()
  return {
    answers,
    async stop() {
      running = false
      await loop
      return answers
    }
  }
}

export const failed = (a: Answer) => a.status !== 200

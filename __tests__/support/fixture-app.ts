/**
 * The fixture app (test/fixture-app, Go) as a process on 127.0.0.1: the same
 * binary the real node's images run. test/cluster/images.sh builds it once per
 * version of its sources and caches it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { REPO_ROOT } from './action.js'

let binary: string | undefined

export function fixtureAppBinary(): string {
  binary ??= path.join(
    execFileSync(path.join(REPO_ROOT, 'test/cluster/images.sh'), { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!,
    'shop'
  )
  return binary
}

/** Starts the app on a free port; resolves with its base URL once it listens. */
export function startFixtureApp(
  env: Record<string, string>,
  started: { push(app: ChildProcess): unknown }
): Promise<string> {
  const app = spawn(fixtureAppBinary(), [], { env: { ...process.env, PORT: '0', BIND: '127.0.0.1', ...env } })
  started.push(app)
  return new Promise((resolve, reject) => {
    app.stdout.on('data', chunk => {
      const port = /listening (\d+)/.exec(String(chunk))?.[1]
      if (port) resolve(`http://127.0.0.1:${port}`)
    })
    app.on('error', reject)
    app.on('exit', code => reject(new Error(`fixture app exited with ${code}`)))
  })
}

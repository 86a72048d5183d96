/**
 * Runs the checks: independent checks concurrently, each retried until it
 * passes or its deadline passes (a service needs a moment after rollout), except
 * requests that are not idempotent, which run once unless the check says retry.
 */
import { redact } from '../redact.js'
import { mapConcurrent } from '../concurrency.js'
import { checkResponse } from './expect.js'
import { interpolate } from './interpolate.js'
import { createDispatcher, send, type TlsOptions } from './http.js'
import { runScript } from './script.js'
import type { HttpCheck, ScriptCheck, SmokeCheck, SmokeResult, SmokeSpec } from './types.js'

export interface SmokeOptions {
  baseUrl?: string
  env: Record<string, string | undefined>
  /** Values to redact from every result (secret env values, kubeconfig credentials). */
  secrets: readonly string[]
  tls: TlsOptions
  workspace: string
  log: (line: string) => void
  concurrency?: number
}

const NOT_IDEMPOTENT = new Set(['POST', 'PATCH'])
const EXCERPT_LIMIT = 2048
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

function targetUrl(check: HttpCheck, options: SmokeOptions): string {
  const target = interpolate(check.target, options.env, `check "${check.name}" url`)
  let url: URL
  if (/^https?:\/\//.test(target)) url = new URL(target)
  else {
    if (!options.baseUrl) throw new Error(`check "${check.name}" has a path but smoke-url is not set`)
    url = new URL(options.baseUrl.replace(/\/$/, '') + target)
  }
  for (const [name, value] of Object.entries(check.query))
    url.searchParams.set(name, interpolate(value, options.env, `check "${check.name}" query ${name}`))
  return url.toString()
}

async function runHttp(
  check: HttpCheck,
  options: SmokeOptions,
  dispatcher: ReturnType<typeof createDispatcher>
): Promise<SmokeResult> {
  const started = Date.now()
  const deadline = started + check.timeoutMs
  const url = targetUrl(check, options)
  const headers = Object.fromEntries(
    Object.entries(check.headers).map(([k, v]) => [
      k,
      interpolate(v, options.env, `check "${check.name}" header ${k}`)
    ])
  )
  // Header values are credentials often enough: never echo any of them.
  const secrets = [...options.secrets, ...Object.values(headers).filter(v => v.length >= 8)]
  let body =
    check.body === undefined ? undefined : interpolate(check.body, options.env, `check "${check.name}" body`)
  if (check.json !== undefined) {
    body = interpolate(JSON.stringify(check.json), options.env, `check "${check.name}" json`)
    headers['content-type'] ??= 'application/json'
  }
  const retry = check.retry || !NOT_IDEMPOTENT.has(check.method)
  let attempts = 0
  let last: Omit<SmokeResult, 'name' | 'type' | 'attempts' | 'durationMs' | 'passed'> = {}
  let lastReason = ''
  for (;;) {
    attempts++
    try {
      const response = await send(
        dispatcher,
        url,
        { method: check.method, headers, body },
        deadline - Date.now()
      )
      const problems = checkResponse(check.expect, response)
      last = {
        lastStatus: response.status,
        bodyExcerpt: redact(response.body.slice(0, EXCERPT_LIMIT), secrets)
      }
      if (problems.length === 0) {
        return {
          name: check.name,
          type: 'http',
          passed: true,
          attempts,
          durationMs: Date.now() - started,
          line: check.line,
          lastStatus: response.status
        }
      }
      last.reason = redact(problems.join('; '), secrets)
    } catch (error) {
      const cause = (error as { cause?: { message?: string; code?: string } }).cause
      last = {
        reason: redact(
          `request failed: ${cause?.message ?? (error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`,
          secrets
        )
      }
    }
    if (last.reason !== lastReason) {
      options.log(`smoke ${check.name}: attempt ${attempts}: ${last.reason}`)
      lastReason = last.reason ?? ''
    }
    if (!retry || Date.now() + check.intervalMs >= deadline) break
    await sleep(check.intervalMs)
  }
  return {
    name: check.name,
    type: 'http',
    passed: false,
    attempts,
    durationMs: Date.now() - started,
    line: check.line,
    ...last
  }
}

async function runScriptCheck(check: ScriptCheck, options: SmokeOptions): Promise<SmokeResult> {
  const started = Date.now()
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v
  if (options.baseUrl) env.SMOKE_URL = options.baseUrl
  const command = interpolate(check.run, env, `check "${check.name}" run`)
  try {
    const outcome = await runScript(command, env, options.workspace, check.timeoutMs)
    const output = redact(outcome.output, options.secrets)
    const passed = outcome.exitCode === 0
    return {
      name: check.name,
      type: 'script',
      passed,
      attempts: 1,
      durationMs: Date.now() - started,
      line: check.line,
      output,
      reason: passed ? undefined : `exited with code ${outcome.exitCode}`
    }
  } catch (error) {
    return {
      name: check.name,
      type: 'script',
      passed: false,
      attempts: 1,
      durationMs: Date.now() - started,
      line: check.line,
      reason: redact((error as Error).message, options.secrets)
    }
  }
}

export async function runSmokeChecks(spec: SmokeSpec, options: SmokeOptions): Promise<SmokeResult[]> {
  const dispatcher = createDispatcher(options.tls)
  try {
    return await mapConcurrent(spec.checks, options.concurrency ?? 8, (check: SmokeCheck) =>
      check.type === 'script' ? runScriptCheck(check, options) : runHttp(check, options, dispatcher)
    )
  } finally {
    await dispatcher.close()
  }
}

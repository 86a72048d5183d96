/**
 * Runs the checks: independent checks concurrently, each retried until it
 * passes or its deadline passes (a service needs a moment after rollout), except
 * requests that are not idempotent, which run once unless the check says retry.
 * Those wait until the service has answered another check, and are repeated
 * only when the request never reached it (see reach.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { redact, redactAndCut, SENSITIVE_HEADERS } from '../redact.js'
import { mapConcurrent } from '../concurrency.js'
import { formatDuration } from '../duration.js'
import { checkResponse } from './expect.js'
import { interpolate } from './interpolate.js'
import { createDispatcher, send, type TlsOptions } from './http.js'
import { FirstAnswers, neverReachedServer } from './reach.js'
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

const EXCERPT_LIMIT = 2048
const SCRIPT_OUTPUT_LIMIT = 4096

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

interface PreparedRequest {
  url: string
  headers: Record<string, string>
  body?: string
  /** What must never be shown: the configured secrets and the credentials this request sends. */
  secrets: string[]
}

function prepareRequest(check: HttpCheck, options: SmokeOptions): PreparedRequest {
  const url = targetUrl(check, options)
  const headers = Object.fromEntries(
    Object.entries(check.headers).map(([k, v]) => [
      k,
      interpolate(v, options.env, `check "${check.name}" header ${k}`)
    ])
  )
  // Credential headers are never shown; other long header values are treated as secrets too,
  // since tokens travel under many names.
  const sent = Object.entries(headers)
    .filter(([name, value]) => SENSITIVE_HEADERS.has(name.toLowerCase()) || value.length >= 8)
    .map(([, value]) => value)
  let body =
    check.body === undefined ? undefined : interpolate(check.body, options.env, `check "${check.name}" body`)
  if (check.json !== undefined) {
    body = interpolate(JSON.stringify(check.json), options.env, `check "${check.name}" json`)
    headers['content-type'] ??= 'application/json'
  }
  return { url, headers, body, secrets: [...options.secrets, ...sent] }
}

type Outcome = Omit<SmokeResult, 'name' | 'type' | 'attempts' | 'durationMs' | 'passed' | 'line'>

function result(
  check: SmokeCheck,
  started: number,
  attempts: number,
  passed: boolean,
  outcome: Outcome
): SmokeResult {
  return {
    name: check.name,
    type: check.type,
    passed,
    attempts,
    durationMs: Date.now() - started,
    line: check.line,
    ...outcome
  }
}

interface HttpContext {
  dispatcher: ReturnType<typeof createDispatcher>
  answers: FirstAnswers
  /** Origins that some retried check asks, so its first answer will come. */
  probedOrigins: Set<string>
}

async function runHttp(check: HttpCheck, options: SmokeOptions, context: HttpContext): Promise<SmokeResult> {
  const started = Date.now()
  const deadline = started + check.timeoutMs
  let request: PreparedRequest
  try {
    request = prepareRequest(check, options)
  } catch (error) {
    // One check that cannot be built fails alone; the others still run.
    return result(check, started, 0, false, { reason: redact((error as Error).message, options.secrets) })
  }
  const { url, headers, body, secrets } = request
  const origin = new URL(url).origin
  if (!check.retry && context.probedOrigins.has(origin)) await context.answers.wait(origin, deadline)
  let attempts = 0
  let last: Outcome = {}
  let lastReason = ''
  for (;;) {
    attempts++
    let reached = true
    try {
      const response = await send(
        context.dispatcher,
        url,
        { method: check.method, headers, body },
        deadline - Date.now()
      )
      context.answers.answered(origin)
      const problems = checkResponse(check.expect, response)
      if (problems.length === 0)
        return result(check, started, attempts, true, { lastStatus: response.status })
      last = {
        lastStatus: response.status,
        bodyExcerpt: redactAndCut(response.body, secrets, EXCERPT_LIMIT),
        reason: redact(problems.join('; '), secrets)
      }
    } catch (error) {
      reached = !neverReachedServer(error)
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
    if ((!check.retry && reached) || Date.now() + check.intervalMs >= deadline) break
    await sleep(check.intervalMs)
  }
  return result(check, started, attempts, false, last)
}

/**
 * What `${NAME}` and scripts may read: the job's environment without the
 * action's own inputs (INPUT_KUBECONFIG, INPUT_GITHUB-TOKEN), plus SMOKE_URL.
 */
function checkEnvironment(options: SmokeOptions): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined && !k.startsWith('INPUT_')) env[k] = v
  if (options.baseUrl) env.SMOKE_URL = options.baseUrl
  return env
}

async function runScriptCheck(check: ScriptCheck, options: SmokeOptions): Promise<SmokeResult> {
  const started = Date.now()
  const deadline = started + check.timeoutMs
  const env = options.env as Record<string, string>
  let attempts = 0
  for (;;) {
    attempts++
    let outcome: Awaited<ReturnType<typeof runScript>>
    try {
      const command = interpolate(check.run, env, `check "${check.name}" run`)
      outcome = await runScript(command, env, options.workspace, deadline - Date.now())
    } catch (error) {
      // A check that cannot run fails alone; the others still run.
      return result(check, started, attempts, false, {
        reason: redact((error as Error).message, options.secrets)
      })
    }
    const passed = outcome.exitCode === 0
    const last: Outcome = {
      output: redactAndCut(outcome.output, options.secrets, SCRIPT_OUTPUT_LIMIT, 'end'),
      reason: passed
        ? undefined
        : outcome.timedOut
          ? `did not finish within ${formatDuration(check.timeoutMs)} (stopped)`
          : `exited with code ${outcome.exitCode}`
    }
    if (passed || !check.retry || Date.now() + check.intervalMs >= deadline)
      return result(check, started, attempts, passed, last)
    options.log(`smoke ${check.name}: attempt ${attempts}: ${last.reason}`)
    await sleep(check.intervalMs)
  }
}

/** Origins of the checks that are retried: one of them will see the service's first answer. */
function retriedOrigins(spec: SmokeSpec, options: SmokeOptions): Set<string> {
  const origins = new Set<string>()
  for (const check of spec.checks) {
    if (check.type !== 'http' || !check.retry) continue
    try {
      origins.add(new URL(targetUrl(check, options)).origin)
    } catch {
      // reported by the check itself
    }
  }
  return origins
}

export async function runSmokeChecks(spec: SmokeSpec, options: SmokeOptions): Promise<SmokeResult[]> {
  const checked = { ...options, env: checkEnvironment(options) }
  const context: HttpContext = {
    dispatcher: createDispatcher(options.tls),
    answers: new FirstAnswers(),
    probedOrigins: retriedOrigins(spec, checked)
  }
  try {
    const results = await mapConcurrent(spec.checks, options.concurrency ?? 8, (check: SmokeCheck) =>
      check.type === 'script' ? runScriptCheck(check, checked) : runHttp(check, checked, context)
    )
    for (const origin of new Set([...context.probedOrigins])) {
      const after = context.answers.afterMs(origin)
      options.log(
        after === undefined
          ? `smoke: ${origin} never answered`
          : `smoke: ${origin} first answered after ${formatDuration(after)}`
      )
    }
    return results
  } finally {
    await context.dispatcher.close()
  }
}

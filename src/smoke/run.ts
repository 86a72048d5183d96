/**
 * Runs the checks: independent checks concurrently, each retried until it
 * passes or its deadline passes (a service needs a moment after rollout), except
 * requests that are not idempotent, which run once unless the check says retry.
 * Those wait until the service has answered another check, and are repeated
 * only when the request never reached it (see reach.ts).
 * Over 300 lines: HTTP and script checks share one deadline, retry rule and redaction; transport
 * (http.ts), reachability (reach.ts) and scripts (script.ts) are already apart.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { isSensitiveHeader, redact, redactAndCut, redactJson, REDACTED } from '../redact.js'
import { mapConcurrent } from '../concurrency.js'
import { formatDuration } from '../duration.js'
import { checkResponse, type ObservedResponse } from './expect.js'
import { interpolate, requireReferences } from './interpolate.js'
import { createDispatcher, send, type TlsOptions } from './http.js'
import { stopJq } from './jq.js'
import { FirstAnswers, neverReachedServer } from './reach.js'
import { runScript } from './script.js'
import type { HttpCheck, HttpExpectation, ScriptCheck, SmokeCheck, SmokeResult, SmokeSpec } from './types.js'

/** When the service an HTTP check asked first answered at all, for the summary. */
export interface TargetAnswer {
  /** The origin (scheme://host:port) the check asked, redacted. */
  target?: string
  /**
   * Milliseconds from the start of the smoke checks until that origin first
   * answered (any HTTP status); absent when it never answered.
   */
  targetAnsweredAfterMs?: number
}

/** A check's result, with when its service first answered (HTTP checks). */
export type SmokeCheckResult = SmokeResult & TargetAnswer

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
    .filter(([name, value]) => isSensitiveHeader(name) || value.length >= 8)
    .map(([, value]) => value)
  let body =
    check.body === undefined ? undefined : interpolate(check.body, options.env, `check "${check.name}" body`)
  if (check.json !== undefined) {
    body = interpolate(JSON.stringify(check.json), options.env, `check "${check.name}" json`)
    headers['content-type'] ??= 'application/json'
  }
  return { url, headers, body, secrets: [...options.secrets, ...sent] }
}

type Outcome = Omit<SmokeCheckResult, 'name' | 'type' | 'attempts' | 'durationMs' | 'passed' | 'line'>

function result(
  check: SmokeCheck,
  started: number,
  attempts: number,
  passed: boolean,
  outcome: Outcome
): SmokeCheckResult {
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

/**
 * A body as it may be shown: every secret redacted, and a JSON body still JSON
 * with its numbers as written whenever redacting it as text allows.
 */
function redactedBody(body: string, secrets: readonly string[]): string {
  const text = redact(body, secrets)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    // Not JSON, or text redaction broke it (a secret inside a number, or across quotes).
    try {
      return JSON.stringify(redactJson(JSON.parse(body), secrets))
    } catch {
      return text
    }
  }
  // A string the server escaped ("\u003c") hides a secret from text redaction: then value by value.
  const deep = JSON.stringify(redactJson(parsed, secrets))
  return deep === JSON.stringify(parsed) ? text : deep
}

/** The response as it may be shown: every secret redacted, credential headers blanked. */
function redactedResponse(response: ObservedResponse, secrets: readonly string[]): ObservedResponse {
  const headers = Object.fromEntries(
    Object.entries(response.headers).map(([name, value]) => [
      name,
      isSensitiveHeader(name) ? REDACTED : redact(value, secrets)
    ])
  )
  return { ...response, body: redactedBody(response.body, secrets), headers }
}

/**
 * What was wrong, with no part of a secret. The messages quote response values
 * cut to a length (and JSON.parse quotes the start of a body): a secret cut in
 * two would no longer be found by redact. So the messages are made again from
 * the redacted response, where every cut falls on text already redacted. When
 * redaction changes which expectations fail, the values are left out instead.
 * When redaction changed nothing, the messages are already those: the checks (jq's
 * expressions among them, up to their time limit) do not run twice.
 */
async function describeProblems(
  expectation: HttpExpectation,
  problems: string[],
  response: ObservedResponse,
  view: ObservedResponse,
  secrets: readonly string[],
  deadline: number
): Promise<string> {
  if (secrets.length === 0) return problems.join('; ')
  const unchanged =
    view.body === response.body &&
    Object.entries(view.headers).every(([name, value]) => response.headers[name] === value)
  if (unchanged) return redact(problems.join('; '), secrets)
  const shown = await checkResponse(expectation, view, { deadline })
  const stem = (problem: string) => problem.split(', got ')[0]
  const same = shown.length === problems.length && shown.every((p, i) => stem(p) === stem(problems[i]))
  const lines = same
    ? shown
    : problems.map(p =>
        p === stem(p) ? p : `${stem(p)}, got a value not shown (the response holds a secret)`
      )
  return redact(lines.join('; '), secrets)
}

async function runHttp(
  check: HttpCheck,
  options: SmokeOptions,
  context: HttpContext
): Promise<{ result: SmokeCheckResult; origin?: string }> {
  const started = Date.now()
  const deadline = started + check.timeoutMs
  let request: PreparedRequest
  try {
    request = prepareRequest(check, options)
  } catch (error) {
    // One check that cannot be built fails alone; the others still run.
    return {
      result: result(check, started, 0, false, { reason: redact((error as Error).message, options.secrets) })
    }
  }
  const { url, headers, body, secrets } = request
  const origin = new URL(url).origin
  const target = redact(origin, secrets)
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
        deadline - Date.now(),
        // A redirect to another origin carries none of the configured secrets.
        { secrets: options.secrets }
      )
      context.answers.answered(origin)
      const problems = await checkResponse(check.expect, response, { deadline })
      if (problems.length === 0)
        return {
          origin,
          result: result(check, started, attempts, true, { lastStatus: response.status, target })
        }
      const view = secrets.length ? redactedResponse(response, secrets) : response
      last = {
        lastStatus: response.status,
        bodyExcerpt: redactAndCut(view.body, secrets, EXCERPT_LIMIT),
        reason: await describeProblems(check.expect, problems, response, view, secrets, deadline)
      }
    } catch (error) {
      reached = !neverReachedServer(error)
      const cause = (error as { cause?: { message?: string; code?: string } }).cause
      const said = redact(
        `request failed: ${cause?.message ?? (error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`,
        secrets
      )
      // An attempt the check's own deadline cut short says nothing new: what the earlier one found
      // (a certificate refused, a 503) is still why the check failed.
      const cutByDeadline =
        Date.now() >= deadline - 20 &&
        [error, cause].some(e => (e as Error | undefined)?.name === 'TimeoutError')
      last =
        attempts > 1 && last.reason && cutByDeadline
          ? { ...last, reason: `${last.reason} (the last attempt was cut short by the check's timeout)` }
          : { reason: said }
    }
    if (last.reason !== lastReason) {
      options.log(`smoke ${check.name}: attempt ${attempts}: ${last.reason}`)
      lastReason = last.reason ?? ''
    }
    if ((!check.retry && reached) || Date.now() + check.intervalMs >= deadline) break
    await sleep(check.intervalMs)
  }
  return { origin, result: result(check, started, attempts, false, { ...last, target }) }
}

/**
 * What `${NAME}` and scripts may read: the job's environment without the
 * action's own inputs (INPUT_KUBECONFIG, INPUT_GITHUB-TOKEN), plus SMOKE_URL.
 * A script gets these as its environment, never spliced into its command.
 */
function checkEnvironment(options: SmokeOptions): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined && !k.startsWith('INPUT_')) env[k] = v
  if (options.baseUrl) env.SMOKE_URL = options.baseUrl
  return env
}

/**
 * A `run:` command goes to bash as written: `${NAME}` and `$SMOKE_URL` are
 * expanded by bash from its environment, as data that is never parsed as code
 * (a value with `;`, `$(...)`, backticks, quotes or newlines stays a value).
 * Splicing values into the command text would run them.
 */
async function runScriptCheck(check: ScriptCheck, options: SmokeOptions): Promise<SmokeCheckResult> {
  const started = Date.now()
  const deadline = started + check.timeoutMs
  const env = options.env as Record<string, string>
  let attempts = 0
  for (;;) {
    attempts++
    let outcome: Awaited<ReturnType<typeof runScript>>
    try {
      // A ${NAME} that is not set fails this check alone, as in every other field.
      requireReferences(check.run, env, `check "${check.name}" run`)
      outcome = await runScript(check.run, env, options.workspace, deadline - Date.now())
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

/** The password (or lone token) of the base URL's `user:password@`, as written and decoded: secrets too. */
function baseUrlCredentials(baseUrl: string | undefined): string[] {
  if (!baseUrl) return []
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return []
  }
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text)
    } catch {
      return text
    }
  }
  const found = new Set<string>()
  // A userinfo without a password is usually a token (https://<token>@host).
  const secret = url.password || url.username
  if (secret) for (const value of [secret, decode(secret)]) found.add(value)
  if (url.username && url.password) found.add(`${url.username}:${url.password}`)
  return [...found]
}

/**
 * Runs every check. Each HTTP check's result says when its service (origin)
 * first answered at all: `target` and `targetAnsweredAfterMs`.
 */
export async function runSmokeChecks(spec: SmokeSpec, options: SmokeOptions): Promise<SmokeCheckResult[]> {
  const secrets = [...options.secrets, ...baseUrlCredentials(options.baseUrl)]
  const checked = { ...options, secrets, env: checkEnvironment(options) }
  const context: HttpContext = {
    dispatcher: createDispatcher(options.tls),
    answers: new FirstAnswers(),
    probedOrigins: retriedOrigins(spec, checked)
  }
  try {
    const runs = await mapConcurrent(spec.checks, options.concurrency ?? 8, (check: SmokeCheck) =>
      check.type === 'script'
        ? runScriptCheck(check, checked).then(result => ({ result, origin: undefined }))
        : runHttp(check, checked, context)
    )
    for (const origin of new Set([...context.probedOrigins])) {
      const after = context.answers.afterMs(origin)
      const shown = redact(origin, secrets)
      options.log(
        after === undefined
          ? `smoke: ${shown} never answered`
          : `smoke: ${shown} first answered after ${formatDuration(after)}`
      )
    }
    // Once every check is done: a check that gave up early still learns when its service answered.
    return runs.map(({ result, origin }) => {
      const after = origin === undefined ? undefined : context.answers.afterMs(origin)
      return after === undefined ? result : { ...result, targetAnsweredAfterMs: after }
    })
  } finally {
    // The jq worker too, if a check started one: nothing is left to hold the process open.
    await Promise.all([context.dispatcher.close(), stopJq()])
  }
}

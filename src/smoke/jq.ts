/**
 * `jq:` assertions, run by real jq: jq 1.8 compiled to WebAssembly (the jq-wasm
 * package, its `inline` build, whose wasm is embedded in the module so a bundle
 * needs no separate asset). jq runs in a worker thread (jq-thread.ts), started only
 * when a checks file has a jq assertion, and each expression within a time limit:
 * one that would run for an hour fails its check instead of stalling the stage.
 *
 * An assertion passes when jq, given the response body, outputs at least one value
 * and every value it outputs is truthy (neither false nor null). `jq -e` looks at
 * the last output only; a check that passes here passes `jq -e` too.
 */
import { formatDuration } from '../duration.js'
import { JqThread, type JqOutcome, type JqTimeLimit } from './jq-thread.js'

/** The longest one jq expression may run. */
export const JQ_TIME_LIMIT_MS = 10_000
/** The shortest: a response that arrives just before its check's deadline is still judged. */
export const JQ_MIN_TIME_LIMIT_MS = 250

/**
 * How long an expression may run: JQ_TIME_LIMIT_MS, and no longer than what is left
 * before `deadline` (the check's), but never less than JQ_MIN_TIME_LIMIT_MS.
 */
export function jqTimeLimitMs(deadline: number | undefined, now: number): number {
  if (deadline === undefined) return JQ_TIME_LIMIT_MS
  return Math.min(JQ_TIME_LIMIT_MS, Math.max(JQ_MIN_TIME_LIMIT_MS, deadline - now))
}

/**
 * Where the worker's code is. From src/ (tests) this module is jq.ts, beside jq-worker.ts,
 * which Node runs as it is; in the bundle it is in dist/, and the worker is a bundle of its
 * own in dist/jq-worker/ (script/bundle.sh). Not `new URL('./x', import.meta.url)`: ncc
 * would copy that file into dist/ unbundled, without jq.
 */
function workerFile(): URL {
  const here = import.meta.url
  // Stryker disable next-line StringLiteral: the unit tests run from src/; the bundle's path is for the bundle tests (http/smoke-jq-bundle.test.ts)
  return new URL(here.endsWith('.ts') ? 'jq-worker.ts' : 'jq-worker/index.js', here)
}

let shared: JqThread | undefined

/** The stage's jq worker, created (not started) on first use. */
export function sharedJq(): JqThread {
  shared ??= new JqThread(workerFile())
  return shared
}

/** Starts the worker without waiting for it: checks run long after their file is read. */
export function preloadJq(): void {
  sharedJq().start()
}

/** Terminates the worker, so that it holds nothing once the checks are done. */
export async function stopJq(): Promise<void> {
  await shared?.stop()
}

function label(expression: string): string {
  const oneLine = expression.replace(/\s+/g, ' ').trim()
  return `jq '${oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine}'`
}

/** jq's first error line, without its "jq: " prefix and the name of its (virtual) input file. */
function jqError(stderr: string, exitCode: number): string {
  // Stryker disable next-line MethodExpression: equivalent, jq-wasm trims its stderr and jq prints no blank lines within it
  const first = stderr.split('\n').find(l => l.trim())
  const line = first
    ?.replace(/^jq: /, '')
    .replace(/ \(at \/dev\/stdin:\d+\)/, '')
    .replace(/:$/, '') // before jq's copy of the offending line
  return line ?? `jq exited with code ${exitCode}`
}

/** Why jq gave no output to judge: timed out, unavailable or failed. */
function noOutput(outcome: Exclude<JqOutcome, { kind: 'done' }>): string {
  if (outcome.kind === 'timeout')
    return `ran past ${formatDuration(outcome.limitMs)}, the time limit for a jq expression; its worker thread was stopped`
  if (outcome.kind === 'unavailable') return outcome.message
  return `could not be checked (${outcome.message})`
}

/**
 * Why `expression` does not compile, or undefined when it does. It is compiled but
 * not run: behind `empty |`, which outputs nothing, so nothing after it is evaluated,
 * and an expression that would never end cannot hang the check of the file. (`|` binds
 * loosest of jq's operators, so the whole expression is on its right. Module
 * directives, import and include, are refused: the WebAssembly jq has no modules.)
 * Throws when jq cannot run at all.
 */
export async function jqCompileProblem(expression: string, jq = sharedJq()): Promise<string | undefined> {
  const outcome = await jq.run(
    // Stryker disable next-line StringLiteral,ArrayDeclaration: equivalent, with `empty |` in front nothing reads the input, so neither the input nor -n and -c change the verdict
    { input: 'null', filter: `empty |\n${expression}`, flags: ['-n', '-c'] },
    JQ_TIME_LIMIT_MS
  )
  if (outcome.kind === 'unavailable') throw new Error(outcome.message)
  if (outcome.kind !== 'done') return noOutput(outcome)
  const { exitCode, stderr } = outcome
  if (exitCode === 0) return undefined
  // Line numbers as the user wrote the expression: the wrapper is a line of its own.
  return jqError(stderr, exitCode).replace(/\bline (\d+)/, (_, n: string) => `line ${Number(n) - 1}`)
}

/** What is wrong according to a jq assertion, given what jq did with the body; undefined when it passes. */
export function jqVerdict(expression: string, outcome: JqOutcome): string | undefined {
  const at = label(expression)
  if (outcome.kind !== 'done') return `${at}: ${noOutput(outcome)}`
  const { stdout, stderr, exitCode } = outcome
  if (exitCode !== 0) return `${at}: ${jqError(stderr, exitCode)}`
  // Compact output: one JSON value per line (newlines inside strings are escaped).
  // Stryker disable next-line MethodExpression: equivalent, a compact JSON value is never blank and jq-wasm trims stdout
  const outputs = stdout.split('\n').filter(line => line.trim())
  if (outputs.length === 0) return `${at}: expected true, got no output`
  const falsy = outputs.findIndex(output => output === 'false' || output === 'null')
  if (falsy >= 0)
    return `${at}: expected true, got ${outputs[falsy]}${outputs.length > 1 ? ` (output ${falsy + 1} of ${outputs.length})` : ''}`
  return undefined
}

/**
 * What is wrong with `body` according to a jq assertion, or undefined when it passes.
 * `timeLimit` is asked when the expression starts, behind any still queued.
 */
export async function checkJq(
  body: string,
  expression: string,
  timeLimit: JqTimeLimit = JQ_TIME_LIMIT_MS,
  jq = sharedJq()
): Promise<string | undefined> {
  return jqVerdict(expression, await jq.run({ input: body, filter: expression, flags: ['-c'] }, timeLimit))
}

/**
 * `jq:` assertions, run by real jq: jq 1.8 compiled to WebAssembly (the jq-wasm
 * package, its `inline` build, whose wasm is embedded in the module so a bundle
 * needs no separate asset). It is imported only when a checks file has a jq
 * assertion; once loaded, every call is synchronous.
 *
 * An assertion passes when jq, given the response body, outputs at least one value
 * and every value it outputs is truthy (neither false nor null). `jq -e` looks at
 * the last output only; a check that passes here passes `jq -e` too.
 */
import type { Jq } from 'jq-wasm/inline'

let engine: Jq | undefined
let loading: Promise<Jq> | undefined
let loadError: Error | undefined

/** Loads jq once per process (about 1 MB of WebAssembly); later calls return the same engine. */
export function loadJq(): Promise<Jq> {
  loading ??= import('jq-wasm/inline')
    .then(module => module.loadJq())
    .then(
      jq => (engine = jq),
      (error: Error) => {
        loadError = error
        throw error
      }
    )
  return loading
}

/** Starts loading jq without waiting for it: checks run long after their file is read. */
export function preloadJq(): void {
  // A failure is kept in loadError and reported by each jq assertion.
  loadJq().catch(() => undefined)
}

function label(expression: string): string {
  const oneLine = expression.replace(/\s+/g, ' ').trim()
  return `jq '${oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine}'`
}

/** jq's first error line, without its "jq: " prefix and the name of its (virtual) input file. */
function jqError(stderr: string, exitCode: number): string {
  const line = stderr
    .split('\n')
    // Stryker disable next-line MethodExpression: equivalent, jq-wasm trims its stderr and jq prints no blank lines within it
    .find(l => l.trim())
    ?.replace(/^jq: /, '')
    .replace(/ \(at \/dev\/stdin:\d+\)/, '')
    .replace(/:$/, '') // before jq's copy of the offending line
  return line ?? `jq exited with code ${exitCode}`
}

/**
 * Why `expression` does not compile, or undefined when it does. It is compiled but
 * not run: behind `empty |`, which outputs nothing, so nothing after it is evaluated,
 * and an expression that would never end cannot hang the check of the file. (`|` binds
 * loosest of jq's operators, so the whole expression is on its right. Module
 * directives, import and include, are refused: the WebAssembly jq has no modules.)
 */
export function jqCompileProblem(jq: Jq, expression: string): string | undefined {
  // Stryker disable next-line StringLiteral,ArrayDeclaration: equivalent, with `empty |` in front nothing reads the input, so neither the input nor -n and -c change the verdict
  const { exitCode, stderr } = jq.raw('null', `empty |\n${expression}`, ['-n', '-c'])
  if (exitCode === 0) return undefined
  // Line numbers as the user wrote the expression: the wrapper is a line of its own.
  return jqError(stderr, exitCode).replace(/\bline (\d+)/, (_, n: string) => `line ${Number(n) - 1}`)
}

/**
 * What is wrong with `body` according to a jq assertion, or undefined when it passes.
 * Synchronous: the engine must have been loaded (see loadJq and preloadJq).
 */
export function checkJq(body: string, expression: string): string | undefined {
  const at = label(expression)
  if (!engine)
    return `${at}: ${loadError ? `jq could not be loaded (${loadError.message})` : 'jq has not finished loading'}`
  const { stdout, stderr, exitCode } = engine.raw(body, expression, ['-c'])
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

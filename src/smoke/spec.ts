/**
 * The smoke checks file (or inline YAML), parsed and validated strictly: an
 * error names the file, the check and the field, with the line. Pure, except that
 * a file with a jq assertion starts jq's worker thread (see prepareSmokeSpec).
 * Over 300 lines: one strict validator of the whole format, so every error names file, check, field and line alike.
 */
import { LineCounter, parseDocument, isMap, isSeq, visit, type Document, type Node, type YAMLMap } from 'yaml'
import { StageError } from '../errors.js'
import { parseDuration } from '../duration.js'
import { jqCompileProblem, preloadJq, sharedJq } from './jq.js'
import { parseJsonPath } from './jsonpath.js'
import { hasNonFiniteNumber } from './jsonvalue.js'
import { regexProblem } from './regex.js'
import { parseAnalysis } from '../verify/analysis/spec.js'
import type {
  HttpCheck,
  JqAssertion,
  JsonAssertion,
  JsonType,
  ScriptCheck,
  SmokeCheck,
  SmokeSpec
} from './types.js'

export const DEFAULT_TIMEOUT_MS = 60_000
export const DEFAULT_INTERVAL_MS = 2_000

const CHECK_FIELDS = new Set([
  'name',
  'method',
  'path',
  'url',
  'headers',
  'query',
  'body',
  'json',
  'retry',
  'timeout',
  'interval',
  'expect',
  'run'
])
const EXPECT_FIELDS = new Set(['status', 'json', 'headers', 'body', 'maxDuration'])
const ASSERTION_FIELDS = new Set([
  'path',
  'equals',
  'exists',
  'matches',
  'contains',
  'gt',
  'gte',
  'lt',
  'lte',
  'length',
  'type',
  'oneOf',
  'jq'
])
const MATCHERS = 'equals, exists, matches, contains, gt, gte, lt, lte, length, type or oneOf'
const JSON_TYPES = new Set(['string', 'number', 'boolean', 'object', 'array', 'null'])
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

export class SpecReader {
  constructor(
    private readonly source: string,
    private readonly lines: LineCounter
  ) {}

  lineOf(node: Node | null | undefined): number | undefined {
    const offset = node?.range?.[0]
    return offset === undefined ? undefined : this.lines.linePos(offset).line
  }

  fail(where: string, message: string, node?: Node | null): never {
    const line = this.lineOf(node)
    throw new StageError(
      'InvalidSmokeSpec',
      `${this.source}${line ? `:${line}` : ''}: ${where}: ${message}`,
      {
        location: { file: this.source, line }
      }
    )
  }

  /** The node of `key` in a map, for locating errors about it. */
  nodeOf(map: YAMLMap, key: string): Node | undefined {
    const pair = map.items.find(p => (p.key as { value?: unknown } | null)?.value === key)
    return (pair?.value ?? pair?.key) as Node | undefined
  }

  mapOf(node: unknown, where: string): YAMLMap {
    if (!isMap(node)) this.fail(where, 'must be a mapping', node as Node)
    return node
  }

  onlyFields(map: YAMLMap, allowed: Set<string>, where: string): void {
    for (const pair of map.items) {
      const key = String((pair.key as { value?: unknown }).value)
      if (!allowed.has(key))
        this.fail(
          where,
          `unknown field "${key}" (expected one of: ${[...allowed].join(', ')})`,
          pair.key as Node
        )
    }
  }

  duration(map: YAMLMap, key: string, where: string, fallback: number): number {
    const node = this.nodeOf(map, key)
    const value = map.get(key)
    if (value === undefined) return fallback
    const ms = parseDuration(String(value))
    if (ms === undefined || ms <= 0)
      this.fail(`${where} ${key}`, `"${String(value)}" is not a duration such as 500ms, 30s or 2m`, node)
    return ms
  }

  stringMap(map: YAMLMap, key: string, where: string): Record<string, string> {
    const value = map.get(key, true)
    if (value === undefined) return {}
    const inner = this.mapOf(value, `${where} ${key}`)
    const result: Record<string, string> = {}
    for (const pair of inner.items) {
      const v = (pair.value as { value?: unknown } | null)?.value
      // A mapping or list has no scalar value (undefined); YAML's null is an object.
      if (v === undefined || typeof v === 'object')
        this.fail(
          `${where} ${key}.${String((pair.key as { value?: unknown }).value)}`,
          'must be a string',
          pair.value as Node
        )
      result[String((pair.key as { value?: unknown }).value)] = String(v)
    }
    return result
  }

  /** An RE2 regular expression: no lookaround, no backreferences (see regex.ts). */
  regex(pattern: unknown, where: string, node?: Node): string {
    if (typeof pattern !== 'string') this.fail(where, 'must be a regular expression string', node)
    const problem = regexProblem(pattern)
    if (problem) this.fail(where, problem, node)
    return pattern
  }
}

function jqAssertion(reader: SpecReader, map: YAMLMap, where: string): JqAssertion {
  const node = reader.nodeOf(map, 'jq')
  const others = map.items
    .map(pair => String((pair.key as { value?: unknown }).value))
    .filter(key => key !== 'jq')
  if (others.length)
    reader.fail(
      where,
      `jq cannot be combined with ${others.join(', ')} (the expression can test the path itself: jq: '.version | test("^1")')`,
      map
    )
  const jq = map.get('jq')
  if (typeof jq !== 'string' || !jq.trim())
    reader.fail(`${where} jq`, "must be a jq expression, such as '.connected == true'", node)
  return { jq, line: reader.lineOf(node) }
}

function assertion(reader: SpecReader, node: unknown, where: string): JsonAssertion | JqAssertion {
  const map = reader.mapOf(node, where)
  if (map.has('jq')) return jqAssertion(reader, map, where)
  reader.onlyFields(map, ASSERTION_FIELDS, where)
  const value = map.toJSON() as Record<string, unknown>
  if (typeof value.path !== 'string')
    reader.fail(`${where} path`, 'is required (a jq-style path such as .version), or use jq:', map)
  try {
    parseJsonPath(value.path)
  } catch (error) {
    reader.fail(`${where} path`, (error as Error).message, reader.nodeOf(map, 'path'))
  }
  const checks = Object.keys(value).filter(k => k !== 'path')
  if (checks.length === 0) reader.fail(where, `needs a matcher: ${MATCHERS}`, map)
  for (const key of ['gt', 'gte', 'lt', 'lte', 'length']) {
    if (key in value && typeof value[key] !== 'number')
      reader.fail(`${where} ${key}`, 'must be a number', reader.nodeOf(map, key))
  }
  if ('exists' in value && typeof value.exists !== 'boolean')
    reader.fail(`${where} exists`, 'must be true or false', reader.nodeOf(map, 'exists'))
  // `type: null` is YAML's null: it means the type named "null".
  if ('type' in value && value.type === null) value.type = 'null'
  if ('type' in value && !JSON_TYPES.has(String(value.type)))
    reader.fail(`${where} type`, `must be one of ${[...JSON_TYPES].join(', ')}`, reader.nodeOf(map, 'type'))
  if ('oneOf' in value && !Array.isArray(value.oneOf))
    reader.fail(`${where} oneOf`, 'must be a list', reader.nodeOf(map, 'oneOf'))
  for (const key of ['equals', 'contains', 'oneOf']) {
    if (key in value && hasNonFiniteNumber(value[key]))
      reader.fail(
        `${where} ${key}`,
        'can never match: JSON has no Infinity or NaN (.inf, .nan in YAML)',
        reader.nodeOf(map, key)
      )
  }
  if ('matches' in value) reader.regex(value.matches, `${where} matches`, reader.nodeOf(map, 'matches'))
  return value as unknown as JsonAssertion & { type?: JsonType }
}

/** Methods that may change state: run once unless the check says retry. */
const NOT_IDEMPOTENT = new Set(['POST', 'PATCH'])

function retryOf(reader: SpecReader, map: YAMLMap, where: string): boolean | undefined {
  const retry = map.get('retry')
  if (retry !== undefined && typeof retry !== 'boolean')
    reader.fail(`${where} retry`, 'must be true or false', reader.nodeOf(map, 'retry'))
  return retry
}

function httpCheck(
  reader: SpecReader,
  map: YAMLMap,
  name: string,
  where: string,
  timeoutMs: number,
  intervalMs: number,
  line?: number
): HttpCheck {
  const path = map.get('path')
  const url = map.get('url')
  if ((path === undefined) === (url === undefined))
    reader.fail(where, 'needs exactly one of path, url or run', map)
  const target = String(path ?? url)
  if (path !== undefined && !target.startsWith('/'))
    reader.fail(`${where} path`, `must start with "/" (got "${target}")`, reader.nodeOf(map, 'path'))
  if (url !== undefined && !/^https?:\/\//.test(target))
    reader.fail(
      `${where} url`,
      `must be an absolute http(s) URL (got "${target}")`,
      reader.nodeOf(map, 'url')
    )
  const method = String(map.get('method') ?? 'GET').toUpperCase()
  if (!METHODS.has(method))
    reader.fail(`${where} method`, `must be one of ${[...METHODS].join(', ')}`, reader.nodeOf(map, 'method'))
  if (map.has('body') && map.has('json')) reader.fail(where, 'has both body and json; use one', map)
  const body = map.get('body')
  if (body !== undefined && typeof body !== 'string')
    reader.fail(
      `${where} body`,
      'must be a string (use json: for structured bodies)',
      reader.nodeOf(map, 'body')
    )

  const expectNode = map.get('expect', true)
  const expectMap = expectNode === undefined ? undefined : reader.mapOf(expectNode, `${where} expect`)
  if (expectMap) reader.onlyFields(expectMap, EXPECT_FIELDS, `${where} expect`)
  const status = expectMap?.get('status')
  const statuses =
    status === undefined
      ? []
      : Array.isArray((status as { toJSON?: () => unknown }).toJSON?.())
        ? ((status as { toJSON: () => unknown[] }).toJSON() as unknown[])
        : [status]
  for (const s of statuses) {
    if (typeof s !== 'number' || s < 100 || s > 599)
      reader.fail(
        `${where} expect.status`,
        `must be an HTTP status or a list of them (got ${JSON.stringify(s)})`,
        expectMap && reader.nodeOf(expectMap, 'status')
      )
  }
  const jsonNode = expectMap?.get('json', true)
  if (jsonNode !== undefined && !isSeq(jsonNode))
    reader.fail(`${where} expect.json`, 'must be a list of assertions', jsonNode as Node)
  const json = isSeq(jsonNode)
    ? jsonNode.items.map((item, i) => assertion(reader, item, `${where} expect.json[${i}]`))
    : []
  const headers = expectMap ? reader.stringMap(expectMap, 'headers', `${where} expect`) : {}
  // Any header here means expect.headers was read above as a mapping.
  const headersNode = expectMap?.get('headers') as YAMLMap
  for (const [header, pattern] of Object.entries(headers))
    reader.regex(pattern, `${where} expect.headers.${header}`, reader.nodeOf(headersNode, header))
  const bodyNode = expectMap?.get('body', true)
  let bodyExpectation: HttpCheck['expect']['body']
  if (bodyNode !== undefined) {
    const bodyMap = reader.mapOf(bodyNode, `${where} expect.body`)
    reader.onlyFields(bodyMap, new Set(['contains', 'matches']), `${where} expect.body`)
    bodyExpectation = bodyMap.toJSON() as { contains?: string; matches?: string }
    if (bodyExpectation.matches !== undefined)
      reader.regex(bodyExpectation.matches, `${where} expect.body.matches`, reader.nodeOf(bodyMap, 'matches'))
  }
  return {
    type: 'http',
    name,
    line,
    method,
    target,
    headers: reader.stringMap(map, 'headers', where),
    query: reader.stringMap(map, 'query', where),
    body: body as string | undefined,
    json: map.has('json') ? (map.get('json', true) as Node).toJSON() : undefined,
    retry: retryOf(reader, map, where) ?? !NOT_IDEMPOTENT.has(method),
    timeoutMs,
    intervalMs,
    expect: {
      status: statuses as number[],
      json,
      headers,
      body: bodyExpectation,
      maxDurationMs: expectMap?.has('maxDuration')
        ? reader.duration(expectMap, 'maxDuration', `${where} expect`, 0)
        : undefined
    }
  }
}

/** Values aliases may copy in all: a few shared headers or bodies need far fewer. */
const MAX_ALIASED_VALUES = 1_000

/**
 * An alias (`*common`) means its anchored value (`&common`): each is replaced by a copy of that
 * node, so the reader, which walks nodes for their lines, reads the value itself (at the line
 * of the anchor). The values copied are counted, so nested aliases cannot blow a small file up.
 */
function expandAliases(document: Document, reader: SpecReader): void {
  let copied = 0
  visit(document, {
    Alias(_, alias) {
      const target = alias.resolve(document)
      if (!target)
        reader.fail('the smoke checks', `alias *${alias.source} has no anchor &${alias.source}`, alias)
      visit(target, { Node: () => void copied++ })
      if (copied > MAX_ALIASED_VALUES)
        reader.fail(
          'the smoke checks',
          `aliases (*name) copy more than ${MAX_ALIASED_VALUES} values; write the values out`,
          alias
        )
      return target.clone() as typeof target
    }
  })
}

export function parseSmokeSpec(text: string, source: string): SmokeSpec {
  const lines = new LineCounter()
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  const reader: SpecReader = new SpecReader(source, lines)
  if (document.errors.length > 0) {
    const error = document.errors[0]
    const line = lines.linePos(error.pos[0]).line
    throw new StageError('InvalidSmokeSpec', `${source}:${line}: ${error.message.split('\n')[0]}`, {
      location: { file: source, line }
    })
  }
  expandAliases(document, reader)
  const root = reader.mapOf(document.contents, 'the smoke checks')
  reader.onlyFields(root, new Set(['defaults', 'checks', 'analysis']), 'the smoke checks')
  // Metric analysis (verify/analysis/) shares the file: its queries run while the release soaks.
  const analysisNode = root.get('analysis', true)
  const analysis = analysisNode === undefined ? undefined : parseAnalysis(reader, analysisNode)
  const defaultsNode = root.get('defaults', true)
  const defaults = defaultsNode === undefined ? undefined : reader.mapOf(defaultsNode, 'defaults')
  if (defaults) reader.onlyFields(defaults, new Set(['timeout', 'interval']), 'defaults')
  const timeoutMs = defaults
    ? reader.duration(defaults, 'timeout', 'defaults', DEFAULT_TIMEOUT_MS)
    : DEFAULT_TIMEOUT_MS
  const intervalMs = defaults
    ? reader.duration(defaults, 'interval', 'defaults', DEFAULT_INTERVAL_MS)
    : DEFAULT_INTERVAL_MS
  const checksNode = root.get('checks', true)
  if (analysis && checksNode === undefined) return { source, checks: [], analysis }
  if (!isSeq(checksNode) || checksNode.items.length === 0) {
    reader.fail('checks', 'must be a non-empty list', (checksNode ?? root) as Node)
  }
  const names = new Set<string>()
  const checks = checksNode.items.map((item: unknown, index: number): SmokeCheck => {
    const map = reader.mapOf(item, `check ${index + 1}`)
    const given = map.get('name')
    const name = given === undefined ? `check ${index + 1}` : String(given)
    const where = `check "${name}"`
    reader.onlyFields(map, CHECK_FIELDS, where)
    if (names.has(name)) reader.fail(where, 'another check has the same name', map)
    names.add(name)
    const line = reader.lineOf(map)
    const checkTimeout = reader.duration(map, 'timeout', where, timeoutMs)
    const checkInterval = reader.duration(map, 'interval', where, intervalMs)
    if (map.has('run')) {
      const run = map.get('run')
      if (typeof run !== 'string' || !run.trim())
        reader.fail(`${where} run`, 'must be a shell command', reader.nodeOf(map, 'run'))
      for (const field of ['path', 'url', 'method', 'headers', 'query', 'body', 'json', 'expect']) {
        if (map.has(field))
          reader.fail(`${where} ${field}`, 'does not apply to a run: check', reader.nodeOf(map, field))
      }
      return {
        type: 'script',
        name,
        run: run as string,
        // A script may change things: it runs once unless the check says retry.
        retry: retryOf(reader, map, where) ?? false,
        timeoutMs: checkTimeout,
        intervalMs: checkInterval,
        line
      } satisfies ScriptCheck
    }
    return httpCheck(reader, map, name, where, checkTimeout, checkInterval, line)
  })
  // jq's worker starts loading jq now, in its own thread; prepareSmokeSpec compiles through it.
  if (jqAssertions({ source, checks }).length) preloadJq()
  return { source, checks, ...(analysis ? { analysis } : {}) }
}

function jqAssertions(spec: SmokeSpec): { assertion: JqAssertion; where: string }[] {
  return spec.checks.flatMap(check =>
    check.type === 'http'
      ? check.expect.json.flatMap((assertion, i) =>
          'jq' in assertion ? [{ assertion, where: `check "${check.name}" expect.json[${i}] jq` }] : []
        )
      : []
  )
}

/**
 * What a parsed spec needs before its checks run: starts jq when some check has a jq
 * assertion (only then), and compiles each expression, so that one that does not
 * compile is refused like any other error in the file (file, line, check, field).
 */
export async function prepareSmokeSpec(spec: SmokeSpec, jq = sharedJq()): Promise<void> {
  const assertions = jqAssertions(spec)
  if (!assertions.length) return
  for (const { assertion, where } of assertions) {
    let problem: string | undefined
    try {
      problem = await jqCompileProblem(assertion.jq, jq)
    } catch (error) {
      // jq cannot run at all: the worker, not this expression.
      throw new StageError('InvalidSmokeSpec', `${spec.source}: ${(error as Error).message}`, {
        location: { file: spec.source }
      })
    }
    if (problem)
      throw new StageError(
        'InvalidSmokeSpec',
        `${spec.source}${assertion.line ? `:${assertion.line}` : ''}: ${where}: ${problem}`,
        { location: { file: spec.source, line: assertion.line } }
      )
  }
}

/** With only a base URL: GET /healthz must answer 2xx. */
export function defaultSmokeSpec(
  timeoutMs = DEFAULT_TIMEOUT_MS,
  intervalMs = DEFAULT_INTERVAL_MS
): SmokeSpec {
  return {
    source: 'smoke-url',
    checks: [
      {
        type: 'http',
        name: 'health',
        method: 'GET',
        target: '/healthz',
        headers: {},
        query: {},
        retry: true,
        timeoutMs,
        intervalMs,
        expect: { status: [], json: [], headers: {} }
      }
    ]
  }
}

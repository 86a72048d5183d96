/** The smoke check format, after validation. */
import type { AnalysisSpec } from '../verify/analysis/types.js'

export type JsonType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null'

export interface JsonAssertion {
  path: string
  equals?: unknown
  exists?: boolean
  matches?: string
  contains?: unknown
  gt?: number
  gte?: number
  lt?: number
  lte?: number
  length?: number
  type?: JsonType
  oneOf?: unknown[]
}

/** `jq: <expression>`: passes when jq outputs at least one value and all of them are truthy. */
export interface JqAssertion {
  jq: string
  /** Line of the expression in its file, for errors found when jq compiles it. */
  line?: number
}

export interface HttpExpectation {
  /** Accepted statuses; empty means any 2xx. */
  status: number[]
  json: (JsonAssertion | JqAssertion)[]
  /** Header name → RE2 regex its value must match. */
  headers: Record<string, string>
  body?: { contains?: string; matches?: string }
  maxDurationMs?: number
}

interface CheckBase {
  name: string
  /** The whole check's deadline, retries included. */
  timeoutMs: number
  intervalMs: number
  /** Retry until it passes or the deadline: the default for idempotent HTTP requests, opt-in otherwise. */
  retry: boolean
  /** Line of the check in its file, for annotations. */
  line?: number
}

export interface HttpCheck extends CheckBase {
  type: 'http'
  method: string
  /** A path joined to the base URL, or an absolute URL. */
  target: string
  headers: Record<string, string>
  query: Record<string, string>
  body?: string
  json?: unknown
  expect: HttpExpectation
}

export interface ScriptCheck extends CheckBase {
  type: 'script'
  run: string
}

export type SmokeCheck = HttpCheck | ScriptCheck

export interface SmokeSpec {
  /** The file the checks came from (relative to the workspace), or "smoke-checks" when inline. */
  source: string
  checks: SmokeCheck[]
  /** Metric analysis (verify/analysis/): Prometheus queries judged during the soak. */
  analysis?: AnalysisSpec
}

export interface SmokeResult {
  name: string
  type: 'http' | 'script'
  passed: boolean
  attempts: number
  durationMs: number
  lastStatus?: number
  /** What was wrong on the last attempt: "status: expected 2xx, got 503". */
  reason?: string
  /** The start of the last response body (at most 2 KB), redacted, not escaped. */
  bodyExcerpt?: string
  /** A script's output (last 4 KB), redacted. */
  output?: string
  line?: number
}

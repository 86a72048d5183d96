/**
 * Action inputs → one typed, validated StageConfig. Every message says which
 * input was wrong and what format was expected. Reads inputs through a
 * function so the parsing is testable without @actions/core.
 */
import { StageError } from './errors.js'
import { parseDuration } from './duration.js'

export type InputReader = (name: string) => string

export interface GitHubContext {
  workspace: string
  sha?: string
  runUrl?: string
  repositoryUrl?: string
  workflow?: string
  actor?: string
}

export interface StageConfig {
  manifests: string
  environment: string
  namespace: string
  kubeconfig?: string
  context?: string
  timeoutMs: number
  fieldManager: string
  forceConflicts: boolean
  github: GitHubContext
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export function required(read: InputReader, name: string): string {
  const value = read(name).trim()
  if (!value) throw new StageError('InvalidInput', `Input required and not supplied: ${name}`)
  return value
}

export function optional(read: InputReader, name: string): string | undefined {
  const value = read(name).trim()
  return value === '' ? undefined : value
}

export function booleanInput(read: InputReader, name: string, fallback: boolean): boolean {
  const value = read(name).trim().toLowerCase()
  if (value === '') return fallback
  if (['true', 'yes', '1', 'on'].includes(value)) return true
  if (['false', 'no', '0', 'off'].includes(value)) return false
  throw new StageError('InvalidInput', `Input ${name} must be true or false, not "${read(name).trim()}".`)
}

export function durationInput(read: InputReader, name: string, fallback: string): number {
  const text = optional(read, name) ?? fallback
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0) {
    throw new StageError(
      'InvalidInput',
      `Input ${name} must be a duration such as 90s, 5m or 1h30m, not "${text}".`
    )
  }
  return ms
}

function dnsLabel(name: string, value: string, what: string): string {
  if (value.length > 63 || !DNS_LABEL.test(value)) {
    throw new StageError(
      'InvalidInput',
      `Input ${name} must be a valid ${what} (lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit), not "${value}".`
    )
  }
  return value
}

export function githubContext(env: NodeJS.ProcessEnv): GitHubContext {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com'
  const repositoryUrl = env.GITHUB_REPOSITORY ? `${server}/${env.GITHUB_REPOSITORY}` : undefined
  const runUrl =
    repositoryUrl && env.GITHUB_RUN_ID ? `${repositoryUrl}/actions/runs/${env.GITHUB_RUN_ID}` : undefined
  return {
    repositoryUrl,
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    sha: env.GITHUB_SHA || undefined,
    runUrl,
    workflow: env.GITHUB_WORKFLOW || undefined,
    actor: env.GITHUB_ACTOR || undefined
  }
}

export function readStageConfig(read: InputReader, env: NodeJS.ProcessEnv): StageConfig {
  const environment = dnsLabel('environment', required(read, 'environment'), 'environment name')
  const manifests = required(read, 'manifests')
  return {
    manifests,
    environment,
    namespace: dnsLabel('namespace', optional(read, 'namespace') ?? environment, 'namespace name'),
    kubeconfig: optional(read, 'kubeconfig'),
    context: optional(read, 'context'),
    timeoutMs: durationInput(read, 'timeout', '5m'),
    fieldManager: optional(read, 'field-manager') ?? 'kube-stage',
    forceConflicts: booleanInput(read, 'force-conflicts', false),
    github: githubContext(env)
  }
}

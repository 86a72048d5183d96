/**
 * Action inputs → one typed, validated StageConfig. Every message says which
 * input was wrong and what format was expected. Reads inputs through a
 * function so the parsing is testable without @actions/core.
 */
import { StageError } from './errors.js'
import {
  booleanInput,
  canaryStepsInput,
  choiceInput,
  durationInput,
  headersInput,
  listInput,
  optional,
  required,
  urlInput,
  type InputReader
} from './input-readers.js'
import { DEFAULT_PARITY_EXPECTED } from './promote/release.js'
import { isCidr } from './kube/isolation/policy.js'
import { checkRenderEnvNames } from './manifests/render-env.js'
import { MIN_RELEASE_KEY_LENGTH } from './promote/signature.js'
import type { StrategyName } from './strategy/plan.js'

export type { InputReader } from './input-readers.js'

export interface GitHubContext {
  workspace: string
  apiUrl: string
  repository?: string
  runId?: string
  /** GITHUB_RUN_ATTEMPT: a re-run of the same run is another holder of the stage's Lease. */
  runAttempt?: string
  /** GITHUB_JOB */
  job?: string
  sha?: string
  runUrl?: string
  repositoryUrl?: string
  workflow?: string
  actor?: string
}

export type DeploymentMode = 'auto' | 'create' | 'off'
export type ParityMode = 'warn' | 'fail' | 'off'
/** `plan`: everything up to the server-side dry run, nothing written. */
export type StageMode = 'apply' | 'plan'
/** warn: a network that does not enforce the policy is a warning; fail: a failure; off: not checked. */
export type IsolationCheck = 'warn' | 'fail' | 'off'

export interface HelmInput {
  /** A chart directory in the workspace. */
  chart: string
  release: string
  values: string[]
  /** `key=value`, each passed to helm as --set. */
  set: string[]
}

export interface StageConfig {
  /** Files, directories and globs of plain manifests; empty when everything is rendered. */
  manifests: string
  /** Kustomize directories (overlays) to render with kustomize build. */
  kustomize: string[]
  helm?: HelmInput
  /** Names of environment variables kustomize and helm may read; they get no other (render-env.ts). */
  renderEnv: string[]
  environment: string
  namespace: string
  kubeconfig?: string
  context?: string
  mode: StageMode
  timeoutMs: number
  /** How long a pod may stay Unschedulable with nothing seen making room for it. */
  unschedulableGraceMs: number
  /** The time budget of a pre-deploy Job without its own annotation; undefined: none. */
  preDeployBudgetMs?: number
  /** How long to wait for another run of this environment's stage to release its Lease. */
  leaseTimeoutMs: number
  waitForLoadBalancer: boolean
  fieldManager: string
  forceConflicts: boolean
  /** Fail before any write when the dry run returns a warning. */
  warningsAsErrors: boolean
  /** Stamp pod templates with a digest of the configuration they consume, so a config change rolls them. */
  configRollout: boolean
  allowClusterScoped: boolean
  allowOtherNamespaces: boolean
  isolate: boolean
  /** Address ranges the isolation policy admits besides this environment's and unlabelled namespaces. */
  isolateAllowCidrs: string[]
  /** With isolate: whether the stage checks that the network enforces it, and what a negative finding does. */
  isolationCheck: IsolationCheck
  /** The image of the isolation probe's pods (sh, httpd and wget, as busybox has them). */
  isolationProbeImage: string
  images?: string
  environmentNames: string[]
  environmentUrl?: string
  deployment: DeploymentMode
  githubToken?: string
  promoteFrom?: string
  /** The environment whose release promote-from must carry: an empty promote-from is refused. */
  requirePromotionFrom?: string
  /** Signs the release output and verifies promote-from (HMAC-SHA256). A credential: masked, never shown. */
  releaseKey?: string
  smokeUrl?: string
  smokeTests?: string
  smokeSecrets: string[]
  smokeCaFile?: string
  smokeInsecure: boolean
  rollback: boolean
  /** Delete what this stage applied before and its manifests no longer have (its ApplySet), once it passed. */
  prune: boolean
  parity: ParityMode
  parityExpected: string[]
  /** Secret keys ("key" or "secret/key") whose value may be the same in every environment. */
  sharedSecretKeys: string[]
  github: GitHubContext
  /** Watch the new revision this long after the smoke checks pass (0: no soak). */
  soakMs: number
  soakIntervalMs: number
  /** Metric analysis (the analysis section of the smoke checks): where Prometheus answers. */
  prometheusUrl?: string
  /** Header name → value sent to Prometheus (credentials: masked). */
  prometheusHeaders: Record<string, string>
  /** What an inconclusive metric (no data) does: fail the stage, or warn. */
  analysisInconclusive: 'fail' | 'warn'
  /** How a changed Deployment reaches its new version (src/strategy/). */
  strategy: StrategyName
  /** strategy canary: the canary's share of pods at each step, in percent, rising. */
  canarySteps: number[]
  /** strategy blue-green: how long the old version stays after the switch, the new one watched. */
  rollbackWindowMs: number
  /** strategy blue-green: where the preview answers, for the smoke checks before the switch. */
  previewUrl?: string
  /** Old names of renamed inputs that this run set (RENAMED_INPUTS): each gets a warning. */
  renamedInputs: string[]
}

export const DEFAULT_ENVIRONMENT_NAMES = [
  'dev',
  'development',
  'test',
  'qa',
  'stage',
  'staging',
  'prod',
  'production'
]

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

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
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    repository: env.GITHUB_REPOSITORY || undefined,
    runId: env.GITHUB_RUN_ID || undefined,
    runAttempt: env.GITHUB_RUN_ATTEMPT || undefined,
    job: env.GITHUB_JOB || undefined,
    repositoryUrl,
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    sha: env.GITHUB_SHA || undefined,
    runUrl,
    workflow: env.GITHUB_WORKFLOW || undefined,
    actor: env.GITHUB_ACTOR || undefined
  }
}

function cidrsInput(read: InputReader, name: string): string[] {
  const cidrs = listInput(read, name) ?? []
  const bad = cidrs.find(c => !isCidr(c))
  if (bad)
    throw new StageError(
      'InvalidInput',
      `Input ${name} takes address ranges in CIDR notation (10.0.0.0/16, 2001:db8::/32), and "${bad}" is not one.`
    )
  return cidrs
}

/** helm-set values may hold commas ({a,b}, lists): one per line. */
function linesInput(read: InputReader, name: string): string[] {
  return read(name)
    .split('\n')
    .map(v => v.trim())
    .filter(Boolean)
}

/** Never quoted in a message: it is a credential, and may not be masked yet. */
function releaseKeyInput(read: InputReader): string | undefined {
  const key = optional(read, 'release-key')
  if (key !== undefined && key.length < MIN_RELEASE_KEY_LENGTH)
    throw new StageError(
      'InvalidInput',
      `Input release-key is ${key.length} characters; it must be at least ${MIN_RELEASE_KEY_LENGTH}, random, and the same for every stage of the workflow. Make one with \`openssl rand -hex 32\` and keep it as a repository secret.`
    )
  return key
}

function helmInput(read: InputReader): HelmInput | undefined {
  const chart = optional(read, 'helm-chart')
  const values = listInput(read, 'helm-values') ?? []
  const set = linesInput(read, 'helm-set')
  const release = optional(read, 'helm-release')
  if (!chart) {
    const given = [
      values.length && 'helm-values',
      set.length && 'helm-set',
      release && 'helm-release'
    ].filter(Boolean)
    if (given.length)
      throw new StageError(
        'InvalidInput',
        `Input ${given[0]} is given without helm-chart: name the chart directory.`
      )
    return undefined
  }
  for (const entry of set)
    if (!/^[^=\s][^=]*=/.test(entry))
      throw new StageError(
        'InvalidInput',
        `Input helm-set takes key=value lines, as helm --set does; one line is not.`
      )
  const name = release ?? chart.replace(/\/+$/, '').split('/').pop()!.toLowerCase()
  return { chart, release: dnsLabel('helm-release', name, 'Helm release name'), values, set }
}

/** Inputs renamed since v0: the old name still works, with a warning (README, "Renamed inputs"). */
export const RENAMED_INPUTS: Readonly<Record<string, string>> = {
  'smoke-tests': 'smoke-checks',
  deployment: 'github-deployment'
}

/**
 * A reader that answers a renamed input's new name from its old one when only the old one is
 * set, and records that it did; both set is a mistake worth stopping for.
 */
function readingRenamed(read: InputReader, used: string[]): InputReader {
  const oldNames = new Map(Object.entries(RENAMED_INPUTS).map(([old, current]) => [current, old]))
  return name => {
    const old = oldNames.get(name)
    const value = read(name)
    if (!old) return value
    const oldValue = read(old)
    if (!oldValue.trim()) return value
    if (value.trim())
      throw new StageError(
        'InvalidInput',
        `Inputs ${old} and ${name} are both set: ${old} is the old name of ${name}; keep only ${name}.`
      )
    used.push(old)
    return oldValue
  }
}

export function readStageConfig(readInput: InputReader, env: NodeJS.ProcessEnv): StageConfig {
  const renamedInputs: string[] = []
  const read = readingRenamed(readInput, renamedInputs)
  const environment = dnsLabel('environment', required(read, 'environment'), 'environment name')
  const manifests = read('manifests').trim()
  const kustomize = listInput(read, 'kustomize') ?? []
  const helm = helmInput(read)
  if (!manifests && kustomize.length === 0 && !helm)
    throw new StageError(
      'InvalidInput',
      'Input required and not supplied: manifests (or kustomize, or helm-chart, to render them).'
    )
  return {
    manifests,
    kustomize,
    helm,
    renderEnv: checkRenderEnvNames(listInput(read, 'render-env') ?? []),
    environment,
    namespace: dnsLabel('namespace', optional(read, 'namespace') ?? environment, 'namespace name'),
    kubeconfig: optional(read, 'kubeconfig'),
    context: optional(read, 'context'),
    mode: choiceInput(read, 'mode', ['apply', 'plan'] as const, 'apply'),
    timeoutMs: durationInput(read, 'timeout', '5m'),
    unschedulableGraceMs: durationInput(read, 'unschedulable-grace', '30s'),
    preDeployBudgetMs: optional(read, 'pre-deploy-budget')
      ? durationInput(read, 'pre-deploy-budget', '')
      : undefined,
    leaseTimeoutMs: durationInput(read, 'lease-timeout', '10m'),
    waitForLoadBalancer: booleanInput(read, 'wait-for-load-balancer', false),
    fieldManager: optional(read, 'field-manager') ?? 'kube-stage',
    forceConflicts: booleanInput(read, 'force-conflicts', false),
    warningsAsErrors: booleanInput(read, 'warnings-as-errors', false),
    configRollout: booleanInput(read, 'config-rollout', true),
    allowClusterScoped: booleanInput(read, 'allow-cluster-scoped', false),
    allowOtherNamespaces: booleanInput(read, 'allow-other-namespaces', false),
    isolate: booleanInput(read, 'isolate', false),
    isolateAllowCidrs: cidrsInput(read, 'isolate-allow-cidrs'),
    isolationCheck: choiceInput(read, 'isolation-check', ['warn', 'fail', 'off'] as const, 'warn'),
    isolationProbeImage: optional(read, 'isolation-probe-image') ?? 'busybox:1.37',
    images: optional(read, 'images'),
    environmentNames: listInput(read, 'environment-names') ?? DEFAULT_ENVIRONMENT_NAMES,
    environmentUrl: urlInput(read, 'environment-url'),
    deployment: choiceInput(read, 'github-deployment', ['auto', 'create', 'off'] as const, 'auto'),
    githubToken: optional(read, 'github-token'),
    promoteFrom: optional(read, 'promote-from'),
    requirePromotionFrom: optional(read, 'require-promotion-from'),
    releaseKey: releaseKeyInput(read),
    smokeUrl: urlInput(read, 'smoke-url'),
    smokeTests: optional(read, 'smoke-checks'),
    smokeSecrets: listInput(read, 'smoke-secrets') ?? [],
    smokeCaFile: optional(read, 'smoke-ca-file'),
    smokeInsecure: booleanInput(read, 'smoke-insecure', false),
    soakMs: optional(read, 'soak') ? durationInput(read, 'soak', '') : 0,
    soakIntervalMs: durationInput(read, 'soak-interval', '10s'),
    prometheusUrl: urlInput(read, 'prometheus-url'),
    prometheusHeaders: headersInput(read, 'prometheus-headers'),
    analysisInconclusive: choiceInput(read, 'analysis-inconclusive', ['fail', 'warn'] as const, 'fail'),
    strategy: choiceInput(read, 'strategy', ['rolling', 'canary', 'blue-green'] as const, 'rolling'),
    canarySteps: canaryStepsInput(read),
    rollbackWindowMs: durationInput(read, 'rollback-window', '1m'),
    previewUrl: urlInput(read, 'preview-url'),
    rollback: booleanInput(read, 'rollback', true),
    prune: booleanInput(read, 'prune', false),
    parity: choiceInput(read, 'parity', ['warn', 'fail', 'off'] as const, 'warn'),
    // Declared differences add to the defaults: declaring nodePorts must not start comparing replicas.
    parityExpected: [...new Set([...DEFAULT_PARITY_EXPECTED, ...(listInput(read, 'parity-expected') ?? [])])],
    sharedSecretKeys: listInput(read, 'shared-secret-keys') ?? [],
    github: githubContext(env),
    renamedInputs
  }
}

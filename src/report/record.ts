/**
 * Everything a stage learned, as plain data. The pipeline fills it in as it
 * goes; the summary, outputs and annotations are rendered from it, so a stage
 * that fails early still reports what it knew.
 */
import type { FailureCode, ErrorLocation } from '../errors.js'
import type { ApplyAction } from '../kube/change.js'
import type { ProbeVerdict } from '../kube/isolation/policy.js'
import type { PreDeployRecord } from '../manifests/pre-deploy.js'
import type { PlanEntry } from './plan.js'
import type { SmokeResult } from '../smoke/types.js'

export interface ResourceRecord {
  apiVersion: string
  kind: string
  name: string
  namespace?: string
  action?: ApplyAction
  /** Current, InProgress, Failed, or absent when not waited on (yet). */
  readiness?: 'Current' | 'InProgress' | 'Failed'
  readinessMessage?: string
  readyAfterMs?: number
}

export interface ImageRecord {
  workload: string
  container: string
  image: string
  /** The digest the cluster reports for a running container, when it reports one. */
  digest?: string
}

export interface FailureRecord {
  code: FailureCode
  message: string
  details: string[]
  location?: ErrorLocation
  /** Log lines or other evidence shown in a collapsible section. */
  evidence?: { title: string; text: string }[]
}

export interface ParityRecord {
  from: string
  mode: 'warn' | 'fail'
  differences: { path: string; message: string; expected: boolean; object?: string; declareWith?: string }[]
}

export interface StageRecord {
  environment?: string
  namespace?: string
  server?: string
  clusterVersion?: string
  commit?: string
  runUrl?: string
  repositoryUrl?: string
  environmentUrl?: string
  startedAt: number
  finishedAt?: number
  resources: ResourceRecord[]
  images: ImageRecord[]
  warnings: string[]
  failure?: FailureRecord
  parity?: ParityRecord
  smoke?: SmokeResult[]
  /** With soak: how long the new revision was watched, and what ended it early. */
  soak?: SoakRecord
  /** Metric analysis: each metric's measurements and verdict. */
  analysis?: MetricResult[]
  /** What a failed stage put back: the workloads restored, whether they are ready again, what could not be. */
  rollback?: {
    restored: string[]
    /** What the stage created and the rollback deleted (the isolation policy). */
    removed?: string[]
    ready: boolean
    message: string
    failed: string[]
    /** The smoke checks run again against the restored version. */
    verified?: { passed: boolean; failed: string[] }
  }
  /** JSON of the release record, for the release output. */
  release?: string
  /** `plan`: the stage only planned (dry run), and wrote nothing. */
  mode?: 'apply' | 'plan'
  /** What applying does (or would do) to each object, and what was (or would be) pruned. */
  plan?: PlanEntry[]
  /** What prune deleted: "Kind/name". */
  pruned?: string[]
  /** With isolate: what the probe found about the network's enforcement. */
  isolation?: { verdict: ProbeVerdict; elapsedMs: number }
  /** The pre-deploy Jobs (migrations), in the order they ran, with their durations and budgets. */
  preDeploy?: PreDeployRecord[]
  /** With release-key: keyed digests of the Secret values the pods use (promote/secret-reuse.ts). */
  secretDigests?: Record<string, string>
  /** The post-deploy hook Jobs (Helm post-install/post-upgrade), in the order they ran. */
  postDeploy?: PreDeployRecord[]
  /** With strategy canary or blue-green: each step, what it measured, and how far the new version got. */
  strategy?: StrategyRecord
}

export function newStageRecord(now = Date.now()): StageRecord {
  return { startedAt: now, resources: [], images: [], warnings: [] }
}

export function stageResult(record: StageRecord): 'success' | 'failure' {
  return record.failure ? 'failure' : 'success'
}

import type { MetricResult } from '../verify/analysis/types.js'

export interface SoakRecord {
  /** The soak asked for (the soak input). */
  plannedMs: number
  /** How long it watched before it passed or failed. */
  watchedMs: number
  /** Pods of the new revision watched. */
  pods: number
  /** Rounds of smoke checks that passed during it. */
  rounds: number
  passed: boolean
  /** What ended it, when it failed. */
  failure?: string
}

export interface StrategyStep {
  /** "canary 10%", "preview", "switched". */
  name: string
  /** The new version's share of the pods the Services select (0 for a preview before the switch). */
  share: number
  /** Its pods, and the stable version's, during the step. */
  pods: { new: number; stable: number }
  startedAt: number
  durationMs: number
  passed: boolean
  failure?: string
  /** The last value each metric measured during the step. */
  analysis?: Record<string, number>
}

export interface StrategyRecord {
  name: 'canary' | 'blue-green'
  /** The Deployments it applied to ("Deployment/shop"); none when no pod template changed. */
  deployments: string[]
  steps: StrategyStep[]
  /** promoted: the Deployments now run the new version; stopped: it never took all the traffic; switched back. */
  outcome?: 'promoted' | 'stopped' | 'switched back'
  /** How much of the traffic the new version could take, and for how long, when it was stopped. */
  exposure?: { share: number; ms: number }
}

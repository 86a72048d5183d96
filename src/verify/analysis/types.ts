/** Metric analysis, in the vocabulary of Argo Rollouts' AnalysisTemplate and Flagger's metrics. */
import type { Condition } from './condition.js'

export interface MetricSpec {
  name: string
  /** PromQL; ${NAMESPACE} and ${ENVIRONMENT} are the stage's. */
  query: string
  intervalMs: number
  /** Measurements taken, one per interval. */
  count: number
  /** When a measured value is good (successCondition, or Flagger's thresholdRange). */
  success: Condition
  /** Failed measurements tolerated before the metric fails (Argo's failureLimit; default 0). */
  failureLimit: number
  /** Measurements without data tolerated before the metric is inconclusive (default 0). */
  inconclusiveLimit: number
  /** The value may be at most maxRatio times the upstream stage's, plus slack. */
  upstream?: { maxRatio: number; slack: number }
  line?: number
}

export interface AnalysisSpec {
  metrics: MetricSpec[]
}

/** One measurement: a value, or why there is none (no data, NaN, an error). */
export type Measurement = { value: number } | { inconclusive: string }

export type MetricPhase = 'Successful' | 'Failed' | 'Inconclusive'

export interface MetricResult {
  name: string
  phase: MetricPhase
  /** Each measured value (null: no value), in order. */
  values: (number | null)[]
  /** The value compared with the upstream stage's and recorded for the next one: the last measured. */
  value?: number
  failed: number
  inconclusive: number
  /** Why it ended as it did, for people. */
  reason: string
  upstream?: { environment: string; value: number; limit: number }
}

/**
 * Runs every metric of the analysis at once: one measurement per interval
 * (the first after one interval, so a rate has samples of the new pods), up to
 * its count, stopping early once it has failed. Logs each measurement.
 */
import { formatDuration } from '../../duration.js'
import { judgeMetric } from './evaluate.js'
import { queryPrometheus } from './prometheus.js'
import type { AnalysisSpec, Measurement, MetricResult, MetricSpec } from './types.js'

export interface AnalysisOptions {
  url: string
  headers: Record<string, string>
  /** ${NAMESPACE} and ${ENVIRONMENT} in queries. */
  variables: Record<string, string>
  /** The upstream stage's recorded values, by metric name. */
  upstream?: { environment: string; values: Record<string, number> }
  log: (line: string) => void
  signal?: AbortSignal
}

export function expandQuery(query: string, variables: Record<string, string>): string {
  return query.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => variables[name] ?? whole)
}

export async function runAnalysis(spec: AnalysisSpec, options: AnalysisOptions): Promise<MetricResult[]> {
  options.log(
    `Analysis: ${spec.metrics.map(m => `${m.name} (${m.count} × ${formatDuration(m.intervalMs)})`).join(', ')} from ${options.url}`
  )
  return Promise.all(spec.metrics.map(metric => runMetric(metric, options)))
}

async function runMetric(metric: MetricSpec, options: AnalysisOptions): Promise<MetricResult> {
  const query = expandQuery(metric.query, options.variables)
  const upstreamValue = options.upstream?.values[metric.name]
  const upstream =
    upstreamValue === undefined
      ? undefined
      : { environment: options.upstream!.environment, value: upstreamValue }
  const measurements: Measurement[] = []
  for (let i = 0; i < metric.count; i++) {
    await new Promise(resolve => setTimeout(resolve, metric.intervalMs))
    if (options.signal?.aborted) break
    const measurement = await queryPrometheus(options.url, query, options.headers)
    measurements.push(measurement)
    options.log(
      `Analysis ${metric.name}: measurement ${i + 1}/${metric.count}: ${'value' in measurement ? measurement.value : `inconclusive, ${measurement.inconclusive}`}`
    )
    if (judgeMetric(metric, measurements).phase === 'Failed') break
  }
  return judgeMetric(metric, measurements, upstream)
}

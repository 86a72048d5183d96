/**
 * A metric's verdict from its measurements, as Argo Rollouts counts them: more
 * failed measurements than failureLimit fails it; more without data than
 * inconclusiveLimit makes it inconclusive (no data is never a pass); otherwise,
 * once every measurement is taken, it succeeds, unless its last value is above
 * the bound the upstream stage's value sets. Pure.
 */
import { describeCondition, holds } from './condition.js'
import type { Measurement, MetricResult, MetricSpec } from './types.js'

const formatValue = (value: number) => String(Number(value.toPrecision(4)))

export function judgeMetric(
  spec: MetricSpec,
  measurements: readonly Measurement[],
  upstream?: { environment: string; value: number }
): MetricResult {
  const values = measurements.map(m => ('value' in m ? m.value : null))
  const bad = measurements.filter(m => 'value' in m && !holds(spec.success, m.value)) as { value: number }[]
  const missing = measurements.filter(m => 'inconclusive' in m) as { inconclusive: string }[]
  const last = [...values].reverse().find((v): v is number => v !== null)
  const base = { name: spec.name, values, value: last, failed: bad.length, inconclusive: missing.length }
  if (bad.length > spec.failureLimit)
    return {
      ...base,
      phase: 'Failed',
      reason: `${bad.length} of ${measurements.length} measurement(s) failed ${describeCondition(spec.success)} (measured ${bad.map(b => formatValue(b.value)).join(', ')}; failureLimit ${spec.failureLimit})`
    }
  if (missing.length > spec.inconclusiveLimit)
    return {
      ...base,
      phase: 'Inconclusive',
      reason: `${missing.length} of ${measurements.length} measurement(s) had no value (${missing[missing.length - 1].inconclusive}; inconclusiveLimit ${spec.inconclusiveLimit})`
    }
  if (spec.upstream && upstream && last !== undefined) {
    const limit = upstream.value * spec.upstream.maxRatio + spec.upstream.slack
    const compared = { ...upstream, limit }
    if (last > limit)
      return {
        ...base,
        phase: 'Failed',
        upstream: compared,
        reason: `${formatValue(last)} is above ${formatValue(limit)}, ${spec.upstream.maxRatio} times what ${upstream.environment} measured (${formatValue(upstream.value)})${spec.upstream.slack ? ` plus ${spec.upstream.slack}` : ''}`
      }
    return {
      ...base,
      phase: 'Successful',
      upstream: compared,
      reason: `${formatValue(last)}, within ${formatValue(limit)} of ${upstream.environment}'s bound`
    }
  }
  return {
    ...base,
    phase: 'Successful',
    reason: `${measurements.length - missing.length} measurement(s) met ${describeCondition(spec.success)}${last !== undefined ? `, last ${formatValue(last)}` : ''}`
  }
}

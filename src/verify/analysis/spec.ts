/**
 * The `analysis:` section of the smoke-check file: Prometheus queries judged
 * while the release soaks. Each metric: name, query, interval, count (or a
 * duration: count = duration / interval), successCondition or thresholdRange,
 * failureLimit, inconclusiveLimit, and upstream {maxRatio, slack}. Errors name
 * the file and line, as the checks' do. Pure.
 */
import { isSeq, type Node, type YAMLMap } from 'yaml'
import type { SpecReader } from '../../smoke/spec.js'
import { parseCondition, thresholdCondition, type Condition } from './condition.js'
import type { AnalysisSpec, MetricSpec } from './types.js'

const METRIC_FIELDS = new Set([
  'name',
  'query',
  'interval',
  'count',
  'duration',
  'successCondition',
  'thresholdRange',
  'failureLimit',
  'inconclusiveLimit',
  'upstream'
])
const DEFAULT_INTERVAL_MS = 10_000

function count(
  reader: SpecReader,
  map: YAMLMap,
  key: string,
  where: string,
  fallback: number,
  min: number
): number {
  const value = map.get(key)
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    reader.fail(`${where} ${key}`, `must be a whole number of at least ${min}`, reader.nodeOf(map, key))
  return value
}

function number(reader: SpecReader, map: YAMLMap, key: string, where: string): number | undefined {
  const value = map.get(key)
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value))
    reader.fail(`${where} ${key}`, 'must be a number', reader.nodeOf(map, key))
  return value
}

function success(reader: SpecReader, map: YAMLMap, where: string): Condition {
  const text = map.get('successCondition')
  const range = map.get('thresholdRange', true)
  if ((text === undefined) === (range === undefined))
    reader.fail(
      where,
      'needs exactly one of successCondition (result < 0.05) or thresholdRange ({ max: 0.05 })',
      map
    )
  if (text !== undefined) {
    const parsed = typeof text === 'string' ? parseCondition(text) : 'must be a string such as result < 0.05'
    if (typeof parsed === 'string')
      reader.fail(`${where} successCondition`, parsed, reader.nodeOf(map, 'successCondition'))
    return parsed
  }
  const bounds = reader.mapOf(range, `${where} thresholdRange`)
  reader.onlyFields(bounds, new Set(['min', 'max']), `${where} thresholdRange`)
  const min = number(reader, bounds, 'min', `${where} thresholdRange`)
  const max = number(reader, bounds, 'max', `${where} thresholdRange`)
  if (min === undefined && max === undefined)
    reader.fail(`${where} thresholdRange`, 'needs min, max or both', bounds)
  return thresholdCondition(min, max)
}

export function parseAnalysis(reader: SpecReader, node: unknown): AnalysisSpec {
  const root = reader.mapOf(node, 'analysis')
  reader.onlyFields(root, new Set(['interval', 'metrics']), 'analysis')
  const defaultInterval = reader.duration(root, 'interval', 'analysis', DEFAULT_INTERVAL_MS)
  const list = root.get('metrics', true)
  if (!isSeq(list) || list.items.length === 0)
    reader.fail('analysis metrics', 'must be a non-empty list', (list ?? root) as Node)
  const names = new Set<string>()
  const metrics = list.items.map((item, index): MetricSpec => {
    const map = reader.mapOf(item, `analysis metric ${index + 1}`)
    reader.onlyFields(map, METRIC_FIELDS, `analysis metric ${index + 1}`)
    const name = map.get('name')
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name))
      reader.fail(`analysis metric ${index + 1} name`, 'must be a name such as error-rate', map)
    if (names.has(name)) reader.fail(`analysis metric ${name}`, 'is defined twice', map)
    names.add(name)
    const where = `analysis metric ${name}`
    const query = map.get('query')
    if (typeof query !== 'string' || !query.trim())
      reader.fail(`${where} query`, 'must be a PromQL query', map)
    const intervalMs = reader.duration(map, 'interval', where, defaultInterval)
    if (map.get('count') !== undefined && map.get('duration') !== undefined)
      reader.fail(where, 'give count or duration, not both', map)
    const durationMs = reader.duration(map, 'duration', where, 0)
    const measurements = durationMs
      ? Math.max(1, Math.floor(durationMs / intervalMs))
      : count(reader, map, 'count', where, 3, 1)
    const upstreamNode = map.get('upstream', true)
    let upstream: MetricSpec['upstream']
    if (upstreamNode !== undefined) {
      const bound = reader.mapOf(upstreamNode, `${where} upstream`)
      reader.onlyFields(bound, new Set(['maxRatio', 'slack']), `${where} upstream`)
      const maxRatio = number(reader, bound, 'maxRatio', `${where} upstream`)
      if (maxRatio === undefined || maxRatio <= 0)
        reader.fail(`${where} upstream maxRatio`, 'must be a number above 0, such as 1.5', bound)
      upstream = { maxRatio, slack: number(reader, bound, 'slack', `${where} upstream`) ?? 0 }
    }
    return {
      name,
      query,
      intervalMs,
      count: measurements,
      success: success(reader, map, where),
      failureLimit: count(reader, map, 'failureLimit', where, 0, 0),
      inconclusiveLimit: count(reader, map, 'inconclusiveLimit', where, 0, 0),
      upstream,
      line: reader.lineOf(map)
    }
  })
  return { metrics }
}

import {
  describeCondition,
  holds,
  parseCondition,
  thresholdCondition,
  type Condition
} from '../../../src/verify/analysis/condition.js'
import { judgeMetric } from '../../../src/verify/analysis/evaluate.js'
import { measurementOf } from '../../../src/verify/analysis/prometheus.js'
import { expandQuery } from '../../../src/verify/analysis/run.js'
import type { MetricSpec } from '../../../src/verify/analysis/types.js'
import { parseSmokeSpec } from '../../../src/smoke/spec.js'

const condition = (text: string) => parseCondition(text) as Condition

describe('success conditions', () => {
  it.each([
    ['result < 0.05', 0.01, true],
    ['result < 0.05', 0.05, false],
    ['result[0] >= 0.95 && result <= 1', 0.97, true],
    ['result >= 0.95 && result <= 1', 1.2, false],
    ['result < 1 || result > 10', 11, true],
    ['result == 0', 0, true],
    ['result != 0', 0, false]
  ])('%s with %p is %p', (text, value, expected) => {
    expect(holds(condition(text), value)).toBe(expected)
  })

  it('refuses anything but comparisons of result with a number, saying how to write one', () => {
    expect(parseCondition('len(result) > 0')).toBe(
      '"len(result) > 0" is not a comparison of result with a number, such as result < 0.05 (&& and || join them)'
    )
    expect(typeof parseCondition('result < "x"')).toBe('string')
  })

  it("Flagger's thresholdRange is min <= result <= max", () => {
    expect(describeCondition(thresholdCondition(0.9, 1))).toBe('result >= 0.9 && result <= 1')
    expect(describeCondition(thresholdCondition(undefined, 0.05))).toBe('result <= 0.05')
  })
})

const metric = (extra: Partial<MetricSpec> = {}): MetricSpec => ({
  name: 'error-rate',
  query: 'q',
  intervalMs: 1000,
  count: 3,
  success: condition('result < 0.05'),
  failureLimit: 0,
  inconclusiveLimit: 0,
  ...extra
})

describe('a metric from its measurements', () => {
  it('passes when every measurement meets its condition', () => {
    const result = judgeMetric(metric(), [{ value: 0.01 }, { value: 0 }, { value: 0.02 }])
    expect(result).toMatchObject({ phase: 'Successful', value: 0.02, failed: 0, values: [0.01, 0, 0.02] })
  })

  it('fails past its failureLimit, with the measured values', () => {
    const result = judgeMetric(metric({ failureLimit: 1 }), [
      { value: 0.2 },
      { value: 0.01 },
      { value: 0.19 }
    ])
    expect(result.phase).toBe('Failed')
    expect(result.reason).toBe(
      '2 of 3 measurement(s) failed result < 0.05 (measured 0.2, 0.19; failureLimit 1)'
    )
    expect(judgeMetric(metric({ failureLimit: 1 }), [{ value: 0.2 }, { value: 0.01 }]).phase).toBe(
      'Successful'
    )
  })

  it('no data is inconclusive, never a pass', () => {
    const result = judgeMetric(metric(), [{ inconclusive: 'the query returned no data' }, { value: 0.01 }])
    expect(result.phase).toBe('Inconclusive')
    expect(result.reason).toBe(
      '1 of 2 measurement(s) had no value (the query returned no data; inconclusiveLimit 0)'
    )
    expect(
      judgeMetric(metric({ inconclusiveLimit: 1 }), [{ inconclusive: 'x' }, { value: 0.01 }]).phase
    ).toBe('Successful')
    expect(judgeMetric(metric({ inconclusiveLimit: 5 }), [{ inconclusive: 'x' }]).value).toBeUndefined()
  })

  it("is bounded by the upstream stage's value", () => {
    const bounded = metric({ success: condition('result < 1'), upstream: { maxRatio: 1.5, slack: 0.001 } })
    const staging = { environment: 'staging', value: 0.02 }
    const high = judgeMetric(bounded, [{ value: 0.2 }], staging)
    expect(high.phase).toBe('Failed')
    expect(high.reason).toBe('0.2 is above 0.031, 1.5 times what staging measured (0.02) plus 0.001')
    expect(high.upstream).toEqual({ environment: 'staging', value: 0.02, limit: 0.031 })
    expect(judgeMetric(bounded, [{ value: 0.025 }], staging).phase).toBe('Successful')
    expect(judgeMetric(bounded, [{ value: 0.2 }]).phase).toBe('Successful')
  })
})

describe("a Prometheus answer's number", () => {
  it.each([
    [{ resultType: 'vector', result: [{ metric: {}, value: [1, '0.25'] }] }, { value: 0.25 }],
    [{ resultType: 'scalar', result: [1, '3'] }, { value: 3 }],
    [{ resultType: 'vector', result: [] }, { inconclusive: 'the query returned no data' }],
    [{ resultType: 'vector', result: [{ value: [1, 'NaN'] }] }, { inconclusive: 'the query returned NaN' }],
    [
      { resultType: 'vector', result: [{ value: [1, '1'] }, { value: [1, '2'] }] },
      { inconclusive: 'the query returned 2 series; aggregate it to one (sum, max)' }
    ],
    [
      { resultType: 'matrix', result: [] },
      { inconclusive: 'the query returned a matrix result, not one number' }
    ]
  ])('%j', (data, expected) => {
    expect(measurementOf(data)).toEqual(expected)
  })

  it('queries name the stage namespace and environment', () => {
    expect(
      expandQuery('x{namespace="${NAMESPACE}",env="${ENVIRONMENT}",y="${OTHER}"}', {
        NAMESPACE: 'shop-prod',
        ENVIRONMENT: 'production'
      })
    ).toBe('x{namespace="shop-prod",env="production",y="${OTHER}"}')
  })
})

describe('the analysis section of the smoke checks', () => {
  it('reads metrics with their defaults, and alone without checks', () => {
    const spec = parseSmokeSpec(
      `analysis:
  interval: 5s
  metrics:
    - name: error-rate
      query: sum(rate(x[30s]))
      duration: 20s
      thresholdRange: { max: 0.05 }
      upstream: { maxRatio: 1.5 }
`,
      'smoke.yaml'
    )
    expect(spec.checks).toEqual([])
    expect(spec.analysis?.metrics[0]).toMatchObject({
      name: 'error-rate',
      intervalMs: 5000,
      count: 4,
      failureLimit: 0,
      inconclusiveLimit: 0,
      upstream: { maxRatio: 1.5, slack: 0 },
      line: 4
    })
  })

  it.each([
    [
      '    - name: a\n      query: q\n',
      'smoke.yaml:3: analysis metric a: needs exactly one of successCondition'
    ],
    [
      '    - name: a\n      query: q\n      successCondition: len(result)\n',
      'smoke.yaml:5: analysis metric a successCondition: "len(result)" is not a comparison'
    ],
    [
      '    - name: a\n      query: q\n      successCondition: result < 1\n      count: 0\n',
      'smoke.yaml:6: analysis metric a count: must be a whole number of at least 1'
    ],
    [
      '    - name: a\n      query: q\n      successCondition: result < 1\n      failureLimits: 1\n',
      'smoke.yaml:6: analysis metric 1: unknown field "failureLimits"'
    ]
  ])('names the file, line and field of a mistake: %#', (metrics, message) => {
    expect(() => parseSmokeSpec(`analysis:\n  metrics:\n${metrics}`, 'smoke.yaml')).toThrow(message)
  })
})

import type { ApplyAction } from '../../src/kube/change.js'
import { readStageConfig } from '../../src/inputs.js'
import type { KubeObject } from '../../src/manifests/types.js'
import {
  fitPlan,
  planCounts,
  planEntry,
  prunedEntry,
  VALUE_MAX_CHARS,
  type PlanEntry
} from '../../src/report/plan.js'
import { stageOutputs } from '../../src/report/outputs.js'
import { newStageRecord } from '../../src/report/record.js'
import { renderSummary } from '../../src/report/summary.js'

const options = { ignoredAnnotations: ['kube-stage.dev/commit'], secrets: ['s3cr3t-token-value'] }

const configMap = (data: Record<string, string>, commit = 'a'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'shop-config', namespace: 'dev', annotations: { 'kube-stage.dev/commit': commit } },
  data
})

const planned = (action: ApplyAction, live?: KubeObject, preview?: KubeObject) => ({
  object: preview ?? live!,
  live,
  preview,
  action
})

describe('planEntry', () => {
  it('a configured object is changed, with its fields; the provenance annotation never counts', () => {
    const entry = planEntry(
      planned('configured', configMap({ FLAG: 'on' }), configMap({ FLAG: 'off' }, 'b')),
      options
    )
    expect(entry).toEqual({
      kind: 'ConfigMap',
      name: 'shop-config',
      namespace: 'dev',
      action: 'changed',
      fields: [{ path: 'data.FLAG', before: 'on', after: 'off' }]
    })
  })

  it('a replaced object (a Job deleted and created again) is changed in the plan, with its fields', () => {
    const entry = planEntry(
      planned('replaced', configMap({ FLAG: 'on' }), configMap({ FLAG: 'off' }, 'b')),
      options
    )
    expect(entry.action).toBe('changed')
    expect(entry.fields).toEqual([{ path: 'data.FLAG', before: 'on', after: 'off' }])
  })

  it('created and unchanged objects carry no fields', () => {
    expect(planEntry(planned('created', undefined, configMap({ A: '1' })), options)).toEqual({
      kind: 'ConfigMap',
      name: 'shop-config',
      namespace: 'dev',
      action: 'created'
    })
    expect(
      planEntry(planned('unchanged', configMap({ A: '1' }), configMap({ A: '1' })), options).fields
    ).toBeUndefined()
  })

  it('a change of field ownership alone has an empty list of fields', () => {
    expect(
      planEntry(planned('configured', configMap({ A: '1' }), configMap({ A: '1' })), options).fields
    ).toEqual([])
  })

  it("redacts the stage's credentials and cuts long values", () => {
    const long = 'x'.repeat(VALUE_MAX_CHARS + 50)
    const entry = planEntry(
      planned(
        'configured',
        configMap({ K: 'old', BIG: 'y' }),
        configMap({ K: 'Bearer s3cr3t-token-value', BIG: long })
      ),
      options
    )
    expect(entry.fields).toEqual([
      { path: 'data.BIG', before: 'y', after: `${'x'.repeat(VALUE_MAX_CHARS)}… (50 more characters)` },
      { path: 'data.K', before: 'old', after: 'Bearer ***' }
    ])
  })

  it('a pruned object is named, without fields', () => {
    expect(prunedEntry({ kind: 'Deployment', metadata: { name: 'old', namespace: 'dev' } })).toEqual({
      kind: 'Deployment',
      name: 'old',
      namespace: 'dev',
      action: 'pruned'
    })
  })
})

describe('fitPlan', () => {
  const entries: PlanEntry[] = [
    {
      kind: 'ConfigMap',
      name: 'c',
      action: 'changed',
      fields: [{ path: 'data.A', before: 'a'.repeat(300), after: 'b' }]
    },
    { kind: 'Deployment', name: 'd', action: 'unchanged' }
  ]

  it('keeps a plan that fits', () => {
    expect(fitPlan(entries)).toEqual({ entries })
  })

  it('leaves out the values, then the fields, to fit', () => {
    expect(fitPlan(entries, 200)).toEqual({
      entries: [
        { kind: 'ConfigMap', name: 'c', action: 'changed', fields: [{ path: 'data.A' }] },
        { kind: 'Deployment', name: 'd', action: 'unchanged' }
      ],
      omitted: 'values'
    })
    expect(fitPlan(entries, 100)).toEqual({
      entries: [
        { kind: 'ConfigMap', name: 'c', action: 'changed' },
        { kind: 'Deployment', name: 'd', action: 'unchanged' }
      ],
      omitted: 'fields'
    })
  })

  it('counts each action', () => {
    expect(planCounts([...entries, { kind: 'Secret', name: 's', action: 'pruned' }])).toEqual({
      created: 0,
      changed: 1,
      unchanged: 1,
      pruned: 1
    })
  })
})

describe('the summary and outputs of a plan', () => {
  const plan: PlanEntry[] = [
    { kind: 'ConfigMap', name: 'new', namespace: 'dev', action: 'created' },
    {
      kind: 'Deployment',
      name: 'web',
      namespace: 'dev',
      action: 'changed',
      fields: [
        { path: 'spec.replicas', before: 2, after: 3 },
        { path: 'metadata.labels.tier', after: '<b>x</b>' }
      ]
    },
    { kind: 'Service', name: 'web', namespace: 'dev', action: 'changed', fields: [] },
    { kind: 'Secret', name: 'creds', namespace: 'dev', action: 'unchanged' },
    { kind: 'ConfigMap', name: 'old', namespace: 'dev', action: 'pruned' }
  ]

  it('shows what would change and be pruned, field by field, escaped, and that nothing was written', () => {
    const text = renderSummary({
      ...newStageRecord(0),
      finishedAt: 1000,
      mode: 'plan',
      plan,
      environment: 'dev'
    })
    expect(text).toContain('## 📋 kube-stage plan')
    expect(text).toContain('1 to create, 2 to change, 1 unchanged, 1 to prune. Nothing was written.')
    expect(text).toContain('<td>➕ create</td><td>ConfigMap</td><td><code>dev/new</code></td>')
    expect(text).toContain('<code>spec.replicas</code>: <code>2</code> → <code>3</code>')
    expect(text).toContain(
      '<code>metadata.labels.tier</code>: <i>(none)</i> → <code>&quot;&lt;b&gt;x&lt;/b&gt;&quot;</code>'
    )
    expect(text).not.toContain('<b>x</b>')
    expect(text).toContain('no field changes: kube-stage takes over their ownership')
    expect(text).toContain('<td>🗑️ prune</td><td>ConfigMap</td><td><code>dev/old</code></td>')
    expect(text).toContain('<details><summary>1 unchanged</summary>')
    expect(text).not.toContain('### Pruned')
  })

  it('a failed plan says so', () => {
    const text = renderSummary({
      ...newStageRecord(0),
      mode: 'plan',
      failure: { code: 'PreflightFailed', message: 'no', details: [] }
    })
    expect(text).toContain('## ❌ kube-stage plan failed')
  })

  it('a deploy lists what it pruned, and no plan table', () => {
    const text = renderSummary({ ...newStageRecord(0), mode: 'apply', plan, pruned: ['ConfigMap/old'] })
    expect(text).toContain('## ✅ kube-stage passed')
    expect(text).toContain('### Pruned')
    expect(text).toContain('<code>ConfigMap/old</code>')
    expect(text).not.toContain('### Plan')
    expect(renderSummary({ ...newStageRecord(0), mode: 'apply', pruned: [] })).not.toContain('### Pruned')
  })

  it('outputs the plan and what was pruned as JSON, [] when there is none', () => {
    const outputs = stageOutputs({ ...newStageRecord(0), plan, pruned: ['ConfigMap/old'] })
    expect(JSON.parse(outputs.plan)).toEqual(plan)
    expect(JSON.parse(outputs.pruned)).toEqual(['ConfigMap/old'])
    const none = stageOutputs(newStageRecord(0))
    expect(none.plan).toBe('[]')
    expect(none.pruned).toBe('[]')
  })
})

describe('mode and prune inputs', () => {
  const read = (inputs: Record<string, string>) => (name: string) =>
    ({ manifests: 'k8s/', environment: 'dev', ...inputs })[name] ?? ''

  it('default to apply, without prune', () => {
    const config = readStageConfig(read({}), {})
    expect(config.mode).toBe('apply')
    expect(config.prune).toBe(false)
  })

  it('take plan and a boolean', () => {
    const config = readStageConfig(read({ mode: 'plan', prune: 'true' }), {})
    expect(config.mode).toBe('plan')
    expect(config.prune).toBe(true)
  })

  it('refuse anything else, saying what is expected', () => {
    expect(() => readStageConfig(read({ mode: 'dry-run' }), {})).toThrow(
      'Input mode must be one of apply, plan, not "dry-run".'
    )
    expect(() => readStageConfig(read({ prune: 'maybe' }), {})).toThrow('Input prune must be true or false')
  })
})

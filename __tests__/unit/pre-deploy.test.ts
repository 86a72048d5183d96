// Which Jobs run before the workloads, in what order, within what budget, and what a stage does with one it finds.
import {
  PRE_DEPLOY_ANNOTATION,
  TIME_BUDGET_ANNOTATION,
  checkTimeBudgets,
  describePreDeploy,
  isPreDeployJob,
  mustReplace,
  preDeployOrder,
  preDeployParity,
  preDeployStep,
  timeBudget
} from '../../src/manifests/pre-deploy.js'
import type { KubeObject } from '../../src/manifests/types.js'

const job = (
  name: string,
  annotations: Record<string, string> = {},
  status?: object,
  kind = 'Job'
): KubeObject => ({
  apiVersion: 'batch/v1',
  kind,
  metadata: { name, annotations },
  ...(status ? { status } : {})
})
const migrate = (annotations: Record<string, string> = {}) =>
  job('migrate', { [PRE_DEPLOY_ANNOTATION]: 'true', ...annotations })
const condition = (type: string, status = 'True') => ({ conditions: [{ type, status }] })

describe('isPreDeployJob', () => {
  it('is a Job marked with the annotation (any case, spaces trimmed) or a Helm pre-install/pre-upgrade hook', () => {
    expect(isPreDeployJob(migrate())).toBe(true)
    expect(isPreDeployJob(job('m', { [PRE_DEPLOY_ANNOTATION]: ' True ' }))).toBe(true)
    expect(isPreDeployJob(job('m', { 'helm.sh/hook': 'pre-upgrade' }))).toBe(true)
    expect(isPreDeployJob(job('m', { 'helm.sh/hook': 'post-install' }))).toBe(false)
    expect(isPreDeployJob(job('m', { [PRE_DEPLOY_ANNOTATION]: 'false' }))).toBe(false)
    expect(isPreDeployJob(job('m'))).toBe(false)
    expect(isPreDeployJob(job('m', { [PRE_DEPLOY_ANNOTATION]: 'true' }, undefined, 'CronJob'))).toBe(false)
  })
})

describe('preDeployOrder', () => {
  it("runs Helm's lowest hook-weight first, then in the manifests' order", () => {
    const jobs = [
      { object: job('c') },
      { object: job('a', { 'helm.sh/hook-weight': '5' }) },
      { object: job('b', { 'helm.sh/hook-weight': '-1' }) },
      { object: job('d', { 'helm.sh/hook-weight': 'x' }) }
    ]
    expect(preDeployOrder(jobs).map(j => j.object.metadata.name)).toEqual(['b', 'c', 'd', 'a'])
  })
})

describe('timeBudget', () => {
  it("is the Job's annotation, else the stage's default, else none", () => {
    expect(timeBudget(migrate({ [TIME_BUDGET_ANNOTATION]: '90s' }), 5_000)).toBe(90_000)
    expect(timeBudget(migrate(), 5_000)).toBe(5_000)
    expect(timeBudget(migrate(), undefined)).toBeUndefined()
  })

  it('refuses a budget that is not a positive duration, at its line', () => {
    const source = { file: 'k8s/migrate.yaml', line: 3 }
    const loaded = (annotations: Record<string, string>) => ({ object: migrate(annotations), source })
    expect(checkTimeBudgets([loaded({ [TIME_BUDGET_ANNOTATION]: '2m' }), loaded({})])).toEqual([])
    expect(checkTimeBudgets([loaded({ [TIME_BUDGET_ANNOTATION]: 'soon' })])).toEqual([
      {
        location: source,
        message: `Job/migrate: ${TIME_BUDGET_ANNOTATION} must be a positive duration such as 90s or 5m, not "soon"`
      }
    ])
    expect(checkTimeBudgets([loaded({ [TIME_BUDGET_ANNOTATION]: '0s' })])).toHaveLength(1)
    // Only pre-deploy Jobs have a budget.
    expect(checkTimeBudgets([{ object: job('j', { [TIME_BUDGET_ANNOTATION]: 'soon' }), source }])).toEqual([])
  })
})

describe('mustReplace and preDeployStep', () => {
  it('replaces a changed pre-deploy Job, and an unchanged one that failed; keeps one that completed or runs', () => {
    expect(mustReplace(migrate(), job('migrate', {}, condition('Complete')), false)).toBe(true)
    expect(mustReplace(migrate(), job('migrate', {}, condition('Failed')), true)).toBe(true)
    expect(mustReplace(migrate(), job('migrate', {}, condition('Failed', 'False')), true)).toBe(false)
    expect(mustReplace(migrate(), job('migrate', {}, condition('Complete')), true)).toBe(false)
    expect(mustReplace(migrate(), job('migrate'), true)).toBe(false)
    // Other Jobs are applied as they are.
    expect(mustReplace(job('j'), job('j', {}, condition('Failed')), false)).toBe(false)
  })

  it('runs what it wrote, skips an unchanged Job that completed, waits for one still running', () => {
    expect(preDeployStep('created', undefined)).toBe('run')
    expect(preDeployStep('configured', job('m', {}, condition('Complete')))).toBe('run')
    expect(preDeployStep('unchanged', job('m', {}, condition('Complete')))).toBe('skip')
    expect(preDeployStep('unchanged', job('m', {}, condition('Complete', 'False')))).toBe('wait')
    expect(preDeployStep('unchanged', job('m'))).toBe('wait')
  })
})

describe('describePreDeploy', () => {
  it('says what happened, how long it took and the budget', () => {
    expect(
      describePreDeploy({
        job: 'Job/m',
        step: 'run',
        outcome: 'succeeded',
        durationMs: 4_200,
        budgetMs: 60_000
      })
    ).toBe('Job/m: succeeded after 4.2s (budget 1m)')
    expect(describePreDeploy({ job: 'Job/m', step: 'run', outcome: 'failed' })).toBe('Job/m: failed')
    expect(describePreDeploy({ job: 'Job/m', step: 'skip', outcome: 'skipped', budgetMs: 1000 })).toBe(
      'Job/m: already completed with this spec; not run again'
    )
  })
})

describe('preDeployParity', () => {
  it('shows what each migration took upstream beside its budget here', () => {
    const upstream = { 'Job/migrate': { durationMs: 48_000 }, 'Job/other': { durationMs: 1 } }
    expect(
      preDeployParity(upstream, 'staging', [
        { job: 'Job/migrate', budgetMs: 60_000 },
        { job: 'Job/new', budgetMs: 1 }
      ])
    ).toEqual([
      {
        path: 'duration/Job/migrate',
        message: 'Job/migrate took 48.0s in staging; its budget here is 1m',
        overBudget: false
      }
    ])
    expect(preDeployParity(upstream, 'staging', [{ job: 'Job/migrate', budgetMs: 30_000 }])[0]).toEqual({
      path: 'duration/Job/migrate',
      message: 'Job/migrate took 48.0s in staging; its budget here is 30.0s, which it would exceed',
      overBudget: true
    })
    expect(preDeployParity(upstream, 'staging', [{ job: 'Job/migrate' }])[0].message).toBe(
      'Job/migrate took 48.0s in staging; it has no budget here'
    )
    expect(
      preDeployParity(upstream, 'staging', [{ job: 'Job/migrate', budgetMs: 48_000 }])[0].overBudget
    ).toBe(false)
  })
})

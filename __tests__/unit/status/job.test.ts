import type { V1Pod } from '@kubernetes/client-node'
import { jobReadiness } from '../../../src/kube/status/job.js'
import type { ReadinessContext } from '../../../src/kube/status/types.js'
import { crashLooping, job, jobPod, running, terminated, waiting } from '../../fixtures/status/builders.js'

const context = (pods: V1Pod[] = []): ReadinessContext => ({
  pods,
  replicaSets: [],
  waitForLoadBalancer: false
})

describe('Job', () => {
  it('is Current when Complete', () => {
    const migrate = job({ succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] })
    expect(jobReadiness(migrate, context())).toEqual({ state: 'Current', message: 'completed (1 succeeded)' })
  })

  it('fails on BackoffLimitExceeded, pointing at the latest crash for its log', () => {
    const migrate = job({
      failed: 2,
      backoffLimit: 1,
      conditions: [
        {
          type: 'FailureTarget',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit'
        },
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit'
        }
      ]
    })
    const pods = [
      jobPod(migrate, 'first', {
        phase: 'Failed',
        containers: [terminated('migrate', 1, { finishedAt: '2026-11-24T10:00:09Z' })]
      }),
      jobPod(migrate, 'second', {
        phase: 'Failed',
        containers: [terminated('migrate', 3, { finishedAt: '2026-11-24T10:00:31Z' })]
      })
    ]
    const readiness = jobReadiness(migrate, context(pods))
    expect(readiness.state).toBe('Failed')
    expect(readiness.failure).toEqual({
      code: 'JobFailed',
      pod: 'migrate-second',
      container: 'migrate',
      exitCode: 3,
      restartCount: 0,
      wantsLogs: true,
      previousLogs: false,
      reason:
        'job failed: BackoffLimitExceeded: Job has reached the specified backoff limit; last failure: pod migrate-second container migrate exited with code 3'
    })
  })

  it('fails on DeadlineExceeded without a crashed pod to show', () => {
    const migrate = job({
      conditions: [
        {
          type: 'Failed',
          status: 'True',
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline'
        }
      ]
    })
    expect(jobReadiness(migrate, context()).failure).toEqual({
      code: 'JobFailed',
      reason: 'job failed: DeadlineExceeded: Job was active longer than specified deadline',
      wantsLogs: false,
      previousLogs: false
    })
  })

  it('asks for the previous container log when an OnFailure pod crashed and restarted', () => {
    const migrate = job({ conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] })
    const pods = [
      jobPod(migrate, 'only', { restartPolicy: 'OnFailure', containers: [crashLooping('migrate', 6, 1)] })
    ]
    expect(jobReadiness(migrate, context(pods)).failure).toMatchObject({
      pod: 'migrate-only',
      restartCount: 6,
      exitCode: 1,
      previousLogs: true
    })
  })

  it('does not fail early on crashed pods: the Job retries until its backoff limit', () => {
    const migrate = job({ active: 1, failed: 2 })
    const pods = [
      jobPod(migrate, 'first', { phase: 'Failed', containers: [terminated('migrate', 1)] }),
      jobPod(migrate, 'second', { phase: 'Failed', containers: [terminated('migrate', 1)] }),
      jobPod(migrate, 'third', { containers: [waiting('migrate', 'ContainerCreating')] })
    ]
    expect(jobReadiness(migrate, context(pods))).toEqual({
      state: 'InProgress',
      message:
        '0 of 1 completions, 1 active, 2 failed (backoff limit 6); pod migrate-third: not ready (container migrate: ContainerCreating) (+2 more)'
    })
    const onFailure = [
      jobPod(migrate, 'only', { restartPolicy: 'OnFailure', containers: [crashLooping('migrate')] })
    ]
    expect(jobReadiness(migrate, context(onFailure)).state).toBe('InProgress')
  })

  it('retries crashes of its pods even when their owner reference does not mark it as controller', () => {
    const migrate = job({ active: 1 })
    const only = jobPod(migrate, 'only', {
      restartPolicy: 'OnFailure',
      containers: [crashLooping('migrate')]
    })
    only.metadata!.ownerReferences![0].controller = false
    expect(jobReadiness(migrate, context([only])).state).toBe('InProgress')
  })

  it('fails early on what no retry fixes: an image that cannot be pulled', () => {
    const migrate = job({ active: 1 })
    const pods = [jobPod(migrate, 'first', { containers: [waiting('migrate', 'ErrImagePull', 'not found')] })]
    expect(jobReadiness(migrate, context(pods)).failure?.code).toBe('ImagePull')
  })

  it('is in progress while running, and while suspended', () => {
    const migrate = job({ active: 1 })
    const pods = [jobPod(migrate, 'first', { containers: [running('migrate')] })]
    expect(jobReadiness(migrate, context(pods)).message).toBe(
      '0 of 1 completions, 1 active, 0 failed (backoff limit 6)'
    )
    expect(jobReadiness(job({ suspend: true }), context())).toEqual({
      state: 'InProgress',
      message: 'suspended (spec.suspend is true)'
    })
  })

  it('is Current when its success policy is met, before the remaining pods are gone', () => {
    const migrate = job({
      completions: 3,
      active: 1,
      conditions: [{ type: 'SuccessCriteriaMet', status: 'True', reason: 'SuccessPolicy' }]
    })
    expect(jobReadiness(migrate, context())).toEqual({
      state: 'Current',
      message: 'succeeded (success policy met)'
    })
  })

  it('counts toward spec.completions and passes over attempts that already succeeded', () => {
    const migrate = job({ completions: 2, succeeded: 1, active: 1 })
    const pods = [
      jobPod(migrate, 'done', { phase: 'Succeeded', containers: [terminated('migrate', 0)] }),
      jobPod(migrate, 'next', { containers: [waiting('migrate', 'ContainerCreating')] })
    ]
    expect(jobReadiness(migrate, context(pods)).message).toBe(
      '1 of 2 completions, 1 active, 0 failed (backoff limit 6); pod migrate-next: not ready (container migrate: ContainerCreating)'
    )
  })

  it('leaves the backoff limit out when the spec has none', () => {
    const migrate = job({ active: 1 })
    delete migrate.spec!.backoffLimit
    expect(jobReadiness(migrate, context()).message).toBe('0 of 1 completions, 1 active, 0 failed')
  })

  it('names attempts in the order listed, the failed ones after those still running', () => {
    const migrate = job({ completions: 2, active: 2, failed: 2 })
    const starting = (suffix: string) =>
      jobPod(migrate, suffix, { containers: [waiting('migrate', 'ContainerCreating')] })
    const crashed = (suffix: string) =>
      jobPod(migrate, suffix, { phase: 'Failed', containers: [terminated('migrate', 1)] })
    const named = (pods: V1Pod[]) => /; pod (\S+):/.exec(jobReadiness(migrate, context(pods)).message)?.[1]
    expect(named([crashed('a'), starting('b'), starting('c')])).toBe('migrate-b')
    expect(named([starting('b'), starting('c')])).toBe('migrate-b')
    // Between a failed attempt and its replacement, the first failed one.
    expect(named([crashed('a'), crashed('d')])).toBe('migrate-a')
  })

  it('names a termination reason other than Error, such as OOMKilled', () => {
    const migrate = job({ conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] })
    const pods = [
      jobPod(migrate, 'only', {
        phase: 'Failed',
        containers: [terminated('migrate', 137, { reason: 'OOMKilled' })]
      })
    ]
    expect(jobReadiness(migrate, context(pods)).failure?.reason).toBe(
      'job failed: BackoffLimitExceeded; last failure: pod migrate-only container migrate exited with code 137 (OOMKilled)'
    )
  })

  it('of crashes in the same second (timestamps have second resolution), names the first container', () => {
    const migrate = job({ conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] })
    const pods = [
      jobPod(migrate, 'only', {
        phase: 'Failed',
        containers: [
          terminated('migrate', 2, { finishedAt: '2026-11-24T10:00:09Z' }),
          terminated('proxy', 1, { finishedAt: '2026-11-24T10:00:09Z' })
        ]
      })
    ]
    expect(jobReadiness(migrate, context(pods)).failure).toMatchObject({ container: 'migrate', exitCode: 2 })
  })
})

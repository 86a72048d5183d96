/**
 * Waiting, end to end: the bundle against the real control plane, where KWOK
 * plays the kubelets. Test stages (test/cluster/stages) make pods labelled
 * kube-stage.test/behaviour never ready, crash-loop, fail to pull, or exit 1.
 * Each test asserts the verdict and the reason, and that failures end the
 * stage long before its deadline.
 */
import { apps, deleteNamespace, kubeconfigPath, testKubeConfig, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { deploymentYaml, workspaceWith } from '../support/workspace.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

const DEADLINE = '90s'
/** Far below the deadline: a failure must be reported when it appears, not when time runs out. */
const FAIL_FAST_MS = 30_000

async function stage(
  files: Record<string, string>,
  extra: Record<string, string> = {},
  namespace?: string
): Promise<ActionRun & { namespace: string }> {
  const ns = namespace ?? uniqueName('wait')
  if (!namespaces.includes(ns)) namespaces.push(ns)
  const run = await runAction(
    {
      manifests: Object.keys(files).join(','),
      environment: 'dev',
      namespace: ns,
      timeout: DEADLINE,
      ...extra
    },
    { workspace: workspaceWith(files), env: { KUBECONFIG: kubeconfigPath() } }
  )
  return { ...run, namespace: ns }
}

const behaviour = (name: string) => ({ 'kube-stage.test/behaviour': name })

function failureLine(run: ActionRun): string {
  return run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''
}

describe('rollouts that succeed', () => {
  it('a first rollout, then an update whose old pods terminate, then an unchanged re-run', async () => {
    const first = await stage({
      'app.yaml': deploymentYaml('web', { replicas: 3, image: 'ghcr.io/example/web:1.0.0' })
    })
    expect(failureLine(first)).toBe('')
    expect(first.stdout).toMatch(/Deployment\/web: ready: 3 of 3/)
    const resources = JSON.parse(first.outputs.resources) as { kind: string; readiness: string }[]
    expect(resources.find(r => r.kind === 'Deployment')?.readiness).toBe('Current')

    const update = await stage(
      { 'app.yaml': deploymentYaml('web', { replicas: 3, image: 'ghcr.io/example/web:2.0.0' }) },
      {},
      first.namespace
    )
    expect(failureLine(update)).toBe('')
    const web = await apps().readNamespacedDeployment({ name: 'web', namespace: first.namespace })
    expect(web.spec?.template.spec?.containers[0].image).toBe('ghcr.io/example/web:2.0.0')
    expect(web.status).toMatchObject({ updatedReplicas: 3, availableReplicas: 3, replicas: 3 })
  })

  it('a rollout that replaces crash-looping pods is not failed by them', async () => {
    const broken = await stage({ 'app.yaml': deploymentYaml('api', { labels: behaviour('crash-loop') }) })
    expect(broken.outputs['failure-reason']).toBe('CrashLoop')
    const fixed = await stage({ 'app.yaml': deploymentYaml('api') }, {}, broken.namespace)
    expect(failureLine(fixed)).toBe('')
    expect(fixed.outputs.result).toBe('success')
  })

  it('a StatefulSet, a DaemonSet and a Job that succeeds', async () => {
    const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  serviceName: db
  replicas: 2
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec: { containers: [{ name: db, image: postgres:17 }] }
`
    const ds = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec: { containers: [{ name: agent, image: ghcr.io/example/agent:1 }] }
`
    const job = `apiVersion: batch/v1
kind: Job
metadata: { name: migrate }
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: migrate, image: ghcr.io/example/migrate:1 }]
`
    const run = await stage({ 'sts.yaml': sts, 'ds.yaml': ds, 'job.yaml': job })
    expect(failureLine(run)).toBe('')
    const readiness = Object.fromEntries(
      (JSON.parse(run.outputs.resources) as { kind: string; readiness: string }[]).map(r => [
        r.kind,
        r.readiness
      ])
    )
    expect(readiness).toMatchObject({ StatefulSet: 'Current', DaemonSet: 'Current', Job: 'Current' })
  })
})

describe('rollouts that fail fast, with the reason', () => {
  it('a crash loop: pod, container, restart count and last exit code', async () => {
    const run = await stage({ 'app.yaml': deploymentYaml('web', { labels: behaviour('crash-loop') }) })
    expect(run.code).toBe(1)
    expect(run.outputs['failure-reason']).toBe('CrashLoop')
    const line = failureLine(run)
    expect(line).toMatch(/Deployment\/web failed: .*pod web-[a-z0-9]+-[a-z0-9]+/)
    expect(line).toContain('container app')
    expect(line).toMatch(/4 restarts/)
    expect(line).toMatch(/exit code 1/)
    expect(run.summary).toContain('Last log lines of web-')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it('an image that cannot be pulled', async () => {
    const run = await stage({
      'app.yaml': deploymentYaml('web', {
        labels: behaviour('image-pull'),
        image: 'ghcr.io/example/missing:0'
      })
    })
    expect(run.outputs['failure-reason']).toBe('ImagePull')
    expect(failureLine(run)).toContain('ErrImagePull')
    expect(failureLine(run)).toContain('ghcr.io/example/missing:0')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it("unschedulable pods, with the scheduler's message", async () => {
    const resources = '          resources:\n            requests: { cpu: "1000" }\n'
    const run = await stage({ 'app.yaml': deploymentYaml('huge', { extraSpec: resources }) })
    expect(run.outputs['failure-reason']).toBe('Unschedulable')
    expect(failureLine(run)).toMatch(/0\/\d+ nodes are available: .*Insufficient cpu/)
    expect(failureLine(run)).toContain('more than any node can offer')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it('an unschedulable pod with nothing making room fails once the grace period has passed', async () => {
    const selector = '      nodeSelector: { kube-stage.test/pool: none }\n'
    const run = await stage(
      {
        'app.yaml': deploymentYaml('lost', { extraSpec: '' }).replace('    spec:\n', `    spec:\n${selector}`)
      },
      { 'unschedulable-grace': '3s' }
    )
    expect(run.outputs['failure-reason']).toBe('Unschedulable')
    expect(run.stdout).toMatch(/Deployment\/lost: waiting: .*cannot be scheduled.*waiting for room/)
    expect(failureLine(run)).toMatch(/stayed unschedulable for \d+\.\ds \(grace 3\.0s\)/)
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it('a Job past its backoff limit', async () => {
    const job = `apiVersion: batch/v1
kind: Job
metadata: { name: migrate }
spec:
  backoffLimit: 0
  template:
    metadata: { labels: { kube-stage.test/behaviour: job-fail } }
    spec:
      restartPolicy: Never
      containers: [{ name: migrate, image: ghcr.io/example/migrate:1 }]
`
    const run = await stage({ 'job.yaml': job })
    expect(run.outputs['failure-reason']).toBe('JobFailed')
    expect(failureLine(run)).toContain('BackoffLimitExceeded')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it('an exceeded progress deadline', async () => {
    const run = await stage({
      'app.yaml': deploymentYaml('slow', { labels: behaviour('never-ready') }).replace(
        '  replicas: 1\n',
        '  replicas: 1\n  progressDeadlineSeconds: 2\n'
      )
    })
    expect(run.outputs['failure-reason']).toBe('ProgressDeadline')
    expect(failureLine(run)).toContain('progress deadline')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })
})

describe('the stage deadline', () => {
  it('says, per resource, what is still missing', async () => {
    const run = await stage(
      { 'app.yaml': deploymentYaml('stuck', { replicas: 2, labels: behaviour('never-ready') }) },
      { timeout: '4s' }
    )
    expect(run.outputs['failure-reason']).toBe('Timeout')
    const line = failureLine(run)
    expect(line).toContain('not ready after 4.0s')
    expect(line).toMatch(/Deployment\/stuck: 0 of 2 .*available/)
    expect(line).toMatch(/pod stuck-[a-z0-9]+-[a-z0-9]+: not ready/)
  })
})

describe('rollback', () => {
  it('puts the previous version back when an update fails, and waits until it serves again', async () => {
    const good = await stage({
      'app.yaml': deploymentYaml('web', { replicas: 2, image: 'ghcr.io/example/web:1.0.0' })
    })
    expect(good.code).toBe(0)
    const bad = await stage(
      {
        'app.yaml': deploymentYaml('web', {
          replicas: 2,
          image: 'ghcr.io/example/web:2.0.0',
          labels: behaviour('crash-loop')
        })
      },
      {},
      good.namespace
    )
    expect(bad.outputs['failure-reason']).toBe('CrashLoop')
    expect(bad.outputs['rolled-back']).toBe('true')
    expect(bad.stdout).toContain('Rolled back Deployment/web: the previous version is serving again')
    expect(bad.summary).toContain('### Rolled back')
    const web = await apps().readNamespacedDeployment({ name: 'web', namespace: good.namespace })
    expect(web.spec?.template.spec?.containers[0].image).toBe('ghcr.io/example/web:1.0.0')
    expect(web.status?.availableReplicas).toBe(2)
  })

  it('leaves a failed first rollout alone (nothing served before), and does nothing when rollback is off', async () => {
    const first = await stage({ 'app.yaml': deploymentYaml('web', { labels: behaviour('crash-loop') }) })
    expect(first.outputs['rolled-back']).toBe('false')
    const good = await stage({ 'app.yaml': deploymentYaml('api', { image: 'ghcr.io/example/api:1' }) })
    const kept = await stage(
      {
        'app.yaml': deploymentYaml('api', { image: 'ghcr.io/example/api:2', labels: behaviour('image-pull') })
      },
      { rollback: 'false' },
      good.namespace
    )
    expect(kept.outputs['failure-reason']).toBe('ImagePull')
    expect(kept.outputs['rolled-back']).toBe('false')
    const api = await apps().readNamespacedDeployment({ name: 'api', namespace: good.namespace })
    expect(api.spec?.template.spec?.containers[0].image).toBe('ghcr.io/example/api:2')
  })
})

describe('LoadBalancer Services', () => {
  // This control plane has no load balancer controller: an address never comes.
  const service = `apiVersion: v1
kind: Service
metadata:
  name: edge
spec:
  type: LoadBalancer
  selector: { app: edge }
  ports:
    - port: 80
`
  it('are ready once applied unless asked, and then wait for an address that never comes', async () => {
    const plain = await stage({ 'svc.yaml': service })
    expect(failureLine(plain)).toBe('')
    expect(plain.outputs.result).toBe('success')

    const asked = await stage({ 'svc.yaml': service }, { 'wait-for-load-balancer': 'true', timeout: '3s' })
    expect(asked.outputs['failure-reason']).toBe('Timeout')
    expect(failureLine(asked)).toContain('Service/edge')
  })
})

describe('PersistentVolumeClaims', () => {
  const storageClass = (name: string, mode: string) => `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ${name}
provisioner: example.com/nothing-provisions-here
volumeBindingMode: ${mode}
`
  const claim = (className: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  storageClassName: ${className}
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Gi } }
`
  it('a claim that binds on first consumer is ready without a pod; one that must bind now waits for it', async () => {
    const lazy = uniqueName('wffc')
    const eager = uniqueName('immediate')
    const classes = {
      'classes.yaml': `${storageClass(lazy, 'WaitForFirstConsumer')}---\n${storageClass(eager, 'Immediate')}`
    }
    const installed = await stage(classes, { 'allow-cluster-scoped': 'true' })
    expect(installed.outputs.result).toBe('success')
    try {
      const waiting = await stage({ 'pvc.yaml': claim(lazy) })
      expect(failureLine(waiting)).toBe('')
      expect(waiting.stdout).toContain(
        `PersistentVolumeClaim/data: ready: Pending until a pod uses it (storage class ${lazy}`
      )

      const unbound = await stage({ 'pvc.yaml': claim(eager) }, { timeout: '3s' })
      expect(unbound.outputs['failure-reason']).toBe('Timeout')
      expect(failureLine(unbound)).toContain('PersistentVolumeClaim/data')
    } finally {
      const { StorageV1Api } = await import('@kubernetes/client-node')
      const storage = testKubeConfig().makeApiClient(StorageV1Api)
      await Promise.all([lazy, eager].map(name => storage.deleteStorageClass({ name })))
    }
  })
})

describe('a resource deleted while the stage waits', () => {
  it('a Job removed by its TTL right after it completed still counts as done', async () => {
    const job = `apiVersion: batch/v1
kind: Job
metadata: { name: cleanup }
spec:
  ttlSecondsAfterFinished: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: cleanup, image: ghcr.io/example/cleanup:1 }]
`
    // A slower Deployment keeps the stage waiting after the Job is gone.
    const run = await stage({
      'job.yaml': job,
      'app.yaml': deploymentYaml('web', { replicas: 4 })
    })
    expect(failureLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')
    expect(run.stdout).toMatch(/Job\/cleanup: ready/)
  })

  it('fails the stage at once instead of waiting for the deadline', async () => {
    const namespace = uniqueName('deleted')
    const running = stage(
      { 'app.yaml': deploymentYaml('doomed', { labels: behaviour('never-ready') }) },
      {},
      namespace
    )
    // Delete it as soon as it exists: someone else's cleanup, or a TTL.
    for (let i = 0; i < 200; i++) {
      const found = await apps()
        .readNamespacedDeployment({ name: 'doomed', namespace })
        .then(
          () => true,
          () => false
        )
      if (found) break
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    await apps().deleteNamespacedDeployment({ name: 'doomed', namespace })
    const run = await running
    expect(run.outputs['failure-reason']).toBe('ResourceFailed')
    expect(failureLine(run)).toContain(
      'Deployment/doomed failed: it was deleted while the stage waited for it'
    )
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })
})

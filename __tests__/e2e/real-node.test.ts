/**
 * Verdicts a real kubelet decides: the bundle against the control plane and its
 * real node (containerd, runc, CNI, kube-proxy), with images built here from
 * test/fixture-app. Readiness probes, crash loops with their own log lines, a
 * real image pull error, a real OOM kill, a failing init container and Job, smoke
 * checks against the deployed Service, and a rollback after which the previous
 * version really answers again.
 */
import { apps, deleteNamespace, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'
import {
  entryService,
  getJson,
  realNodeNamespace,
  requireRealNode,
  shopDeployment as shop,
  shopImage
} from '../support/real-node.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

beforeAll(async () => {
  const node = await requireRealNode()
  // The suite's log says which kubelet decided these verdicts.
  console.log(
    `real node ${node.metadata?.name}: kubelet ${node.status?.nodeInfo?.kubeletVersion}, ${node.status?.nodeInfo?.containerRuntimeVersion}`
  )
})

/** Far below the deadline: a failure must be reported when the kubelet shows it. */
const FAIL_FAST_MS = 45_000

async function realNamespace(): Promise<string> {
  const namespace = uniqueName('real')
  namespaces.push(namespace)
  await realNodeNamespace(namespace, 'dev')
  return namespace
}

async function stage(
  namespace: string,
  files: Record<string, string>,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  return runAction(
    {
      manifests: Object.keys(files)
        .filter(f => f.endsWith('.yaml') && f !== 'smoke.yaml')
        .join(','),
      environment: 'dev',
      namespace,
      timeout: '90s',
      ...inputs
    },
    { workspace: workspaceWith(files), env: { KUBECONFIG: kubeconfigPath() } }
  )
}

function failureLine(run: ActionRun): string {
  return run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''
}

describe('on the real node', () => {
  it('waits for readiness probes before calling a rollout ready', async () => {
    const namespace = await realNamespace()
    const run = await stage(namespace, { 'app.yaml': shop({ replicas: 2, env: { READY_AFTER: '4s' } }) })
    expect(failureLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')
    // The stage said what it waited for while the probe still failed.
    const waiting = run.stdout.indexOf('Deployment/shop: waiting: ')
    expect(waiting).toBeGreaterThan(-1)
    expect(run.stdout.indexOf('Deployment/shop: ready: 2 of 2')).toBeGreaterThan(waiting)
  })

  it('a pod whose readiness probe never passes is reported as not ready at the deadline', async () => {
    const namespace = await realNamespace()
    const run = await stage(
      namespace,
      { 'app.yaml': shop({ env: { READY_AFTER: '1h' } }) },
      { timeout: '15s' }
    )
    expect(run.outputs['failure-reason']).toBe('Timeout')
    expect(failureLine(run)).toMatch(/Deployment\/shop/)
    expect(failureLine(run)).toMatch(/0 of 1|not ready/)
  })

  it('a pod unschedulable until a terminating pod frees the node waits for it and passes', async () => {
    const cpu = (name: string, grace = '') => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 20
      containers:
        - name: app
          image: ${shopImage('1.0.0')}
          resources: { requests: { cpu: 1500m } }
${grace}`
    const previous = await realNamespace()
    const hog = await stage(previous, {
      'hog.yaml': cpu('hog', '          lifecycle: { preStop: { exec: { command: [/bin/sleep, "8"] } } }\n')
    })
    expect(hog.outputs.result).toBe('success')
    // The previous version goes away slowly (its preStop hook), as a rollout's old pods do.
    await apps().deleteNamespacedDeployment({ name: 'hog', namespace: previous })
    const namespace = await realNamespace()
    const run = await stage(namespace, { 'app.yaml': cpu('next') })
    expect(failureLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')
    expect(run.stdout).toMatch(
      /Deployment\/next: waiting: .*cannot be scheduled: .*Insufficient cpu.*; waiting for room/
    )
  })

  it('a pod no node can hold fails at once, saying why', async () => {
    const namespace = await realNamespace()
    const run = await stage(namespace, {
      'app.yaml': shop({ container: '          resources: { requests: { cpu: "64" } }\n' })
    })
    expect(run.outputs['failure-reason']).toBe('Unschedulable')
    expect(failureLine(run)).toContain('more than any node can offer')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it('a real crash loop, with the exit code and the container’s own last log lines', async () => {
    const namespace = await realNamespace()
    const run = await stage(namespace, {
      'app.yaml': shop({
        env: {
          STARTUP_LOG: 'reading configuration',
          EXIT_CODE: '3',
          EXIT_MESSAGE: 'FATAL: DATABASE_URL is not set'
        }
      })
    })
    expect(run.outputs['failure-reason']).toBe('CrashLoop')
    expect(failureLine(run)).toMatch(/container shop is crash-looping \(.*last exit code 3/)
    expect(run.summary).toContain('FATAL: DATABASE_URL is not set')
    expect(run.summary).toContain('reading configuration')
    expect(run.summary).not.toContain('log unavailable')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it('log lines of a failing pod that look like workflow commands stay text', async () => {
    const namespace = await realNamespace()
    const run = await stage(namespace, {
      'app.yaml': shop({
        env: {
          STARTUP_LOG: '::stop-commands::pwned\\n::add-mask::kube-stage\\n::warning::injected by a pod',
          EXIT_CODE: '1'
        }
      })
    })
    expect(run.outputs['failure-reason']).toBe('CrashLoop')
    const lines = run.stdout.split('\n')
    expect(lines.some(l => l.includes('injected by a pod'))).toBe(true)
    // No line the runner would run: the pod's text never starts one, the stage's own error does.
    expect(lines.filter(l => /^\s*::(stop-commands|add-mask::kube|warning::injected)/.test(l))).toEqual([])
    expect(lines.some(l => l.startsWith('::error::'))).toBe(true)
  })

  it('a real image pull error: a registry that does not resolve', async () => {
    const namespace = await realNamespace()
    const image = 'registry.kube-stage.invalid/shop:1.0.0'
    const run = await stage(namespace, { 'app.yaml': shop().replace(shopImage('1.0.0'), image) })
    expect(run.outputs['failure-reason']).toBe('ImagePull')
    expect(failureLine(run)).toMatch(/ErrImagePull|ImagePullBackOff/)
    expect(failureLine(run)).toContain(image)
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it('a container killed by its memory limit is reported as OOMKilled', async () => {
    const namespace = await realNamespace()
    const run = await stage(namespace, {
      'app.yaml': shop({
        env: { ALLOCATE_MB: '96' },
        container: '          resources:\n            limits: { memory: 32Mi }\n'
      })
    })
    expect(run.outputs['failure-reason']).toBe('CrashLoop')
    expect(failureLine(run)).toContain('OOMKilled')
    expect(failureLine(run)).toContain('exit code 137')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it('a failing init container, with its log', async () => {
    const namespace = await realNamespace()
    const init = `      initContainers:
        - name: wait-for-schema
          image: ${shopImage('1.0.0')}
          args: [exit, '2', 'schema version 41 is older than 42']
`
    const run = await stage(namespace, { 'app.yaml': shop({ podSpec: init }) })
    expect(run.outputs['failure-reason']).toBe('CrashLoop')
    expect(failureLine(run)).toContain('wait-for-schema')
    expect(run.summary).toContain('schema version 41 is older than 42')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it('a Job that really runs and fails, with its log', async () => {
    const namespace = await realNamespace()
    const job = `apiVersion: batch/v1
kind: Job
metadata: { name: migrate }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: ${shopImage('1.0.0')}
          args: [exit, '4', 'migration 0042 failed: lock timeout on table orders']
`
    const run = await stage(namespace, { 'job.yaml': job })
    expect(run.outputs['failure-reason']).toBe('JobFailed')
    expect(failureLine(run)).toContain('BackoffLimitExceeded')
    expect(run.summary).toContain('migration 0042 failed: lock timeout on table orders')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
  })

  it('smoke checks hit the deployed Service; a failing update is rolled back and the old version answers again', async () => {
    const namespace = await realNamespace()
    const url = await entryService(namespace, 'shop')
    const smoke = `checks:
  - name: version
    path: /api/version
    expect: { json: [{ path: .version, exists: true }] }
  - name: database connected
    path: /api/db-status
    expect: { json: [{ path: .connected, equals: true }] }
  - name: critical action
    method: POST
    path: /api/test-action
    json: { test: true }
    expect: { json: [{ path: .success, equals: true }] }
defaults: { timeout: 20s, interval: 500ms }
`
    const inputs = { 'smoke-url': url, 'smoke-checks': 'smoke.yaml' }
    const good = await stage(namespace, { 'app.yaml': shop({ replicas: 2 }), 'smoke.yaml': smoke }, inputs)
    expect(failureLine(good)).toBe('')
    expect(good.outputs.result).toBe('success')
    expect(good.summary).toContain('critical action')
    expect(await getJson(`${url}/api/version`)).toEqual({ version: '1.0.0' })

    const broken = await stage(
      namespace,
      {
        'app.yaml': shop({ replicas: 2, version: '2.0.0', env: { DB_CONNECTED: 'false' } }),
        'smoke.yaml': smoke
      },
      { ...inputs, 'smoke-checks': 'smoke.yaml' }
    )
    expect(broken.outputs['failure-reason']).toBe('SmokeFailed')
    expect(broken.outputs['rolled-back']).toBe('true')
    // No answer comes from 2.0.0 any more. A request may still be refused for a moment while
    // kube-proxy drops the endpoints of the pods being terminated; then 1.0.0 answers every time.
    const answers: unknown[] = []
    const until = Date.now() + 15_000
    const settled = () =>
      answers.length >= 6 && answers.slice(-6).every(a => JSON.stringify(a) === '{"version":"1.0.0"}')
    while (Date.now() < until && !settled()) answers.push(await getJson(`${url}/api/version`))
    expect(answers).not.toContainEqual({ version: '2.0.0' })
    expect(answers.slice(-6)).toEqual(Array(6).fill({ version: '1.0.0' }))
    expect(await getJson(`${url}/api/db-status`)).toEqual({ connected: true })
  })
})

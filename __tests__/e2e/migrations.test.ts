/**
 * Migrations before the rollout, and one stage at a time, on the real node:
 * pre-deploy Jobs really run (a kubelet starts and ends their containers)
 * before the Deployment's pods exist; a failing or slow one stops the stage
 * with the previous version still serving; a changed one is replaced; two
 * stages on one namespace take turns through the Lease, and a killed stage's
 * Lease expires.
 */
import { ApiextensionsV1Api, BatchV1Api, CoordinationV1Api, CustomObjectsApi } from '@kubernetes/client-node'
import {
  apps,
  core,
  deleteNamespace,
  kubeconfigPath,
  testKubeConfig,
  uniqueName
} from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'
import {
  entryService,
  getJson,
  realNodeNamespace,
  requireRealNode,
  shopDeployment,
  shopImage
} from '../support/real-node.js'

const batch = () => testKubeConfig().makeApiClient(BatchV1Api)
const coordination = () => testKubeConfig().makeApiClient(CoordinationV1Api)

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

async function realNamespace(): Promise<string> {
  const namespace = uniqueName('mig')
  namespaces.push(namespace)
  await realNodeNamespace(namespace, 'staging')
  return namespace
}

/** The shop app, answering its version on /api/version once its readiness probe passes. */
const shop = (version: string) => shopDeployment({ version })

/** A migration: a shell script in the shop image (it has busybox), run once. */
function migration(script: string, annotations: Record<string, string> = {}, name = 'migrate'): string {
  const extra = Object.entries(annotations)
    .map(([k, v]) => `\n    ${k}: ${JSON.stringify(v)}`)
    .join('')
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  annotations:
    kube-stage.dev/pre-deploy: "true"${extra}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
        - name: migrate
          image: ${shopImage('1.0.0')}
          command: [sh, -c, ${JSON.stringify(script)}]
`
}

async function stage(
  namespace: string,
  files: Record<string, string>,
  inputs: Record<string, string> = {},
  options: { runId?: string; kill?: AbortSignal; onStdout?: (chunk: string) => void } = {}
): Promise<ActionRun> {
  return runAction(
    {
      manifests: Object.keys(files).join(','),
      environment: 'staging',
      namespace,
      timeout: '90s',
      ...inputs
    },
    {
      workspace: workspaceWith(files),
      env: { KUBECONFIG: kubeconfigPath(), GITHUB_RUN_ID: options.runId ?? '4242' },
      kill: options.kill,
      onStdout: options.onStdout
    }
  )
}

async function waitEstablished(extensions: ApiextensionsV1Api, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const crd = await extensions.readCustomResourceDefinition({ name })
    if (crd.status?.conditions?.some(c => c.type === 'Established' && c.status === 'True')) return
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`${name} was not Established`)
}

const failureLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''
const seconds = (time: Date | string | undefined) => new Date(time ?? 0).getTime()

async function podsOf(namespace: string, selector: string) {
  return (await core().listNamespacedPod({ namespace, labelSelector: selector })).items
}

describe('pre-deploy Jobs on the real node', () => {
  it('runs the migration to completion before the Deployment has a pod, not again when unchanged, and production promoted from it sees its duration', async () => {
    const namespace = await realNamespace()
    const files = {
      'migrate.yaml': migration('echo migrating; sleep 3; echo schema v2 ready'),
      'app.yaml': shop('1.0.0')
    }
    const run = await stage(namespace, files)
    expect(failureLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')

    // Timestamps the cluster wrote: the Job completed before the Deployment's pod was created.
    const job = await batch().readNamespacedJob({ name: 'migrate', namespace })
    const [pod] = await podsOf(namespace, 'app=shop')
    const completed = seconds(job.status?.completionTime)
    expect(completed).toBeGreaterThan(0)
    expect(completed - seconds(job.status?.startTime)).toBeGreaterThanOrEqual(3000)
    expect(seconds(pod.metadata?.creationTimestamp)).toBeGreaterThanOrEqual(completed)
    expect(run.stdout.indexOf('Job/migrate: succeeded after')).toBeLessThan(
      run.stdout.indexOf('Deployment/shop: created')
    )
    expect(run.summary).toContain('### Pre-deploy Jobs')
    expect(run.summary).toMatch(/<code>Job\/migrate<\/code><\/td><td>✅ succeeded<\/td><td>[\d.]+s<\/td>/)
    const release = JSON.parse(run.outputs['release-json']) as {
      preDeploy: Record<string, { durationMs: number }>
    }
    expect(release.preDeploy['Job/migrate'].durationMs).toBeGreaterThanOrEqual(3000)

    // The same manifests again: the migration completed with this spec and is not run again.
    const again = await stage(namespace, files)
    expect(again.outputs.result).toBe('success')
    expect(again.stdout).toContain('Job/migrate: already completed with this spec; not run again')
    const still = await batch().readNamespacedJob({ name: 'migrate', namespace })
    expect(still.metadata?.uid).toBe(job.metadata?.uid)

    // Production, promoted from staging, is told what the migration took there, beside its budget here.
    const production = uniqueName('mig-prod')
    namespaces.push(production)
    await realNodeNamespace(production, 'production')
    const promoted = await runAction(
      {
        manifests: Object.keys(files).join(','),
        environment: 'production',
        namespace: production,
        timeout: '90s',
        'promote-from': run.outputs.release,
        'pre-deploy-budget': '2m'
      },
      { workspace: workspaceWith(files), env: { KUBECONFIG: kubeconfigPath() } }
    )
    expect(failureLine(promoted)).toBe('')
    expect(promoted.outputs.result).toBe('success')
    expect(promoted.summary).toMatch(/Job\/migrate took [\d.]+s in staging; its budget here is 2m/)
  })

  it('a failing migration fails the stage with its log, and the previous version keeps serving', async () => {
    const namespace = await realNamespace()
    const url = await entryService(namespace, 'shop')
    const first = await stage(namespace, { 'app.yaml': shop('1.0.0') })
    expect(first.outputs.result).toBe('success')
    const before = await apps().readNamespacedDeployment({ name: 'shop', namespace })

    const run = await stage(namespace, {
      'migrate.yaml': migration('echo "ALTER TABLE orders: lock timeout" >&2; exit 3'),
      'app.yaml': shop('1.1.0')
    })
    expect(run.outputs.result).toBe('failure')
    expect(run.outputs['failure-reason']).toBe('JobFailed')
    expect(failureLine(run)).toMatch(
      /Pre-deploy Job\/migrate failed.*no workload of the new version was applied/
    )
    expect(run.summary).toContain('ALTER TABLE orders: lock timeout')
    // The Deployment was never touched: same generation, same image, and 1.0.0 still answers.
    const after = await apps().readNamespacedDeployment({ name: 'shop', namespace })
    expect(after.metadata?.generation).toBe(before.metadata?.generation)
    expect(after.spec?.template.spec?.containers[0].image).toBe(shopImage('1.0.0'))
    expect(await getJson(`${url}/api/version`)).toEqual({ version: '1.0.0' })
    expect(run.stdout).not.toContain('Rolling back')
  })

  it('replaces a migration Job whose spec changed, and runs it again', async () => {
    const namespace = await realNamespace()
    const first = await stage(namespace, { 'migrate.yaml': migration('echo v1'), 'app.yaml': shop('1.0.0') })
    expect(first.outputs.result).toBe('success')
    const old = await batch().readNamespacedJob({ name: 'migrate', namespace })

    const run = await stage(namespace, {
      'migrate.yaml': migration('echo v2; sleep 1'),
      'app.yaml': shop('1.1.0')
    })
    expect(failureLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')
    expect(run.stdout).toContain('Job/migrate: replaced (a Job cannot be updated in place)')
    // Deleted and created again: the record says replaced, not configured.
    const resources = JSON.parse(run.outputs.resources) as { kind: string; name: string; action: string }[]
    expect(resources.find(r => r.kind === 'Job')).toMatchObject({ name: 'migrate', action: 'replaced' })
    expect(run.summary).toMatch(/<td>Job<\/td><td><code>[^<]*\/migrate<\/code><\/td><td>replaced<\/td>/)
    const replaced = await batch().readNamespacedJob({ name: 'migrate', namespace })
    expect(replaced.metadata?.uid).not.toBe(old.metadata?.uid)
    expect(replaced.status?.succeeded).toBe(1)
    expect(JSON.stringify(replaced.spec?.template.spec?.containers[0].command)).toContain('echo v2')
  })

  it('applies custom resources after the migration completed, with the workloads', async () => {
    const namespace = await realNamespace()
    const group = `${namespace}.example.com`
    const extensions = testKubeConfig().makeApiClient(ApiextensionsV1Api)
    await extensions.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } }
            }
          ]
        }
      }
    })
    try {
      await waitEstablished(extensions, `widgets.${group}`)
      const run = await stage(namespace, {
        'widget.yaml': `apiVersion: ${group}/v1\nkind: Widget\nmetadata: { name: reader }\nspec: { table: orders }\n`,
        'migrate.yaml': migration('echo migrating; sleep 3'),
        'app.yaml': shop('1.0.0')
      })
      expect(failureLine(run)).toBe('')
      expect(run.outputs.result).toBe('success')
      const job = await batch().readNamespacedJob({ name: 'migrate', namespace })
      const widget = (await testKubeConfig().makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group,
        version: 'v1',
        namespace,
        plural: 'widgets',
        name: 'reader'
      })) as {
        metadata: { creationTimestamp: string }
      }
      expect(seconds(widget.metadata.creationTimestamp)).toBeGreaterThanOrEqual(
        seconds(job.status?.completionTime)
      )
      expect(run.stdout.indexOf('Job/migrate: succeeded after')).toBeLessThan(
        run.stdout.indexOf('Widget/reader: created')
      )
    } finally {
      await extensions.deleteCustomResourceDefinition({ name: `widgets.${group}` })
    }
  })

  it('a migration over its time budget fails with MigrationTooSlow and the measured duration, before any workload', async () => {
    const namespace = await realNamespace()
    const started = Date.now()
    const run = await stage(
      namespace,
      {
        'migrate.yaml': migration('sleep 60', { 'kube-stage.dev/time-budget': '4s' }),
        'app.yaml': shop('1.0.0')
      },
      { 'pre-deploy-budget': '1h' }
    )
    expect(run.outputs['failure-reason']).toBe('MigrationTooSlow')
    expect(failureLine(run)).toMatch(
      /Pre-deploy Job\/migrate was still running after [\d.]+s, over its time budget of 4\.0s/
    )
    // It failed when the budget was spent, not at the stage's timeout.
    expect(Date.now() - started).toBeLessThan(60_000)
    expect(run.summary).toMatch(/⏱️ too slow<\/td><td>[\d.]+s<\/td><td>4\.0s<\/td>/)
    await expect(apps().readNamespacedDeployment({ name: 'shop', namespace })).rejects.toMatchObject({
      code: 404
    })
  })
})

describe('one stage at a time on the real node', () => {
  /** Wall-clock moments a run printed a line starting with each of `marks`. */
  function marker(marks: string[]) {
    const seen: Record<string, number> = {}
    return {
      seen,
      onStdout: (chunk: string) => {
        for (const mark of marks)
          if (chunk.includes(mark) && seen[mark] === undefined) seen[mark] = Date.now()
      }
    }
  }

  it('two stages started at once on one namespace run one after the other', async () => {
    const namespace = await realNamespace()
    const files = { 'migrate.yaml': migration('sleep 3'), 'app.yaml': shop('1.0.0') }
    const marks = ['Holding lease', 'Released lease']
    const a = marker(marks)
    const b = marker(marks)
    const [runA, runB] = await Promise.all([
      stage(namespace, files, {}, { runId: '1001', onStdout: a.onStdout }),
      stage(namespace, files, {}, { runId: '1002', onStdout: b.onStdout })
    ])
    expect([runA.outputs.result, runB.outputs.result]).toEqual(['success', 'success'])
    // One waited, naming the other's run; their holds did not overlap.
    const [first, second, waiter, holderRun] =
      a.seen['Holding lease'] < b.seen['Holding lease'] ? [a, b, runB, '1001'] : [b, a, runA, '1002']
    expect(waiter.stdout).toContain(
      `Waiting for another stage of this environment to finish: https://github.com/example/shop/actions/runs/${holderRun}/attempts/1`
    )
    expect(second.seen['Holding lease']).toBeGreaterThanOrEqual(first.seen['Released lease'])
    const lease = await coordination().readNamespacedLease({ name: 'kube-stage-staging', namespace })
    expect(lease.spec?.holderIdentity ?? null).toBeNull()
  })

  it("a stage refused for a missing Secret fails at once, not after waiting for another run's lease", async () => {
    const namespace = await realNamespace()
    const holder = 'https://github.com/example/shop/actions/runs/3001/attempts/1'
    await coordination().createNamespacedLease({
      namespace,
      body: {
        metadata: { name: 'kube-stage-staging' },
        spec: {
          holderIdentity: holder,
          leaseDurationSeconds: 600,
          renewTime: new Date().toISOString().replace('Z', '000Z') as never
        }
      }
    })
    const app = `apiVersion: apps/v1
kind: Deployment
metadata: { name: needs-secret }
spec:
  selector: { matchLabels: { app: needs-secret } }
  template:
    metadata: { labels: { app: needs-secret } }
    spec:
      containers:
        - name: app
          image: ${shopImage('1.0.0')}
          env:
            - name: DB_PASSWORD
              valueFrom: { secretKeyRef: { name: db-password, key: password } }
`
    // With a 10-minute lease-timeout, waiting for the lease would outlast the test's own timeout.
    const run = await stage(namespace, { 'app.yaml': app }, { 'lease-timeout': '10m' }, { runId: '3002' })
    expect(run.outputs['failure-reason']).toBe('MissingReference')
    expect(failureLine(run)).toContain('db-password')
    const lease = await coordination().readNamespacedLease({ name: 'kube-stage-staging', namespace })
    expect(lease.spec?.holderIdentity).toBe(holder)
  })

  it("a killed stage's lease blocks the next one until it expires; a short lease-timeout fails with StageBusy naming it", async () => {
    const namespace = await realNamespace()
    const kill = new AbortController()
    const holding = new Promise<void>(resolve => {
      void stage(
        namespace,
        { 'migrate.yaml': migration('sleep 120'), 'app.yaml': shop('1.0.0') },
        {},
        {
          runId: '2001',
          kill: kill.signal,
          // Killed once its migration runs: the next stage must replace it, not wait for it.
          onStdout: chunk => chunk.includes('Job/migrate: waiting') && resolve()
        }
      )
    })
    await holding
    kill.abort()

    const files = { 'migrate.yaml': migration('echo quick'), 'app.yaml': shop('1.0.0') }
    const busy = await stage(namespace, files, { 'lease-timeout': '2s' }, { runId: '2002' })
    expect(busy.outputs['failure-reason']).toBe('StageBusy')
    expect(failureLine(busy)).toContain('https://github.com/example/shop/actions/runs/2001')
    expect(failureLine(busy)).toContain('lease-timeout')

    const started = Date.now()
    const next = await stage(namespace, files, { 'lease-timeout': '60s' }, { runId: '2003' })
    expect(failureLine(next)).toBe('')
    expect(next.outputs.result).toBe('success')
    expect(next.stdout).toContain('runs/2001/attempts/1 holds lease')
    // It waited for the dead holder's lease to expire (15 s once seen), not for the 60 s bound.
    expect(Date.now() - started).toBeLessThan(60_000)
    expect(next.stdout).toContain('Job/migrate: replaced (a Job cannot be updated in place)')
  })
})

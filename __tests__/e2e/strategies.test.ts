/**
 * Canary and blue-green on the real node, with a Deployment of 10 pods, while
 * a request loop plays the users: GETs through the Service (a NodePort, as an
 * ingress would reach it), one new connection each.
 * - A bad canary (every /api request fails) is stopped at its first step by
 *   the analysis of its own pods; the loop sees errors from about the canary's
 *   share of pods (1 in 11), only while that step lasted; the Deployment never
 *   left the stable version and no canary is left.
 * - A good canary goes through both steps and leaves one Deployment at the new
 *   version and no canary.
 * - Blue-green switches the Services to the new version, and switches them back
 *   when a check fails in the rollback window.
 */
import { deleteNamespace, apps, core, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'
import { entryService, realNodeNamespace, requireRealNode, shopDeployment } from '../support/real-node.js'
import { prometheusUrl } from '../support/prometheus.js'
import { failed, startRequestLoop, type Answer } from '../support/request-loop.js'
import { startFaultProxy, type SeenRequest } from '../support/fault-proxy.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

const SCRAPED = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' }
const REPLICAS = 10

/** The error rate of exactly the judged pods (${PODS}): 0 when none failed. */
const POD_ERROR_RATE =
  '(sum(rate(http_requests_total{namespace="${NAMESPACE}",pod=~"${PODS}",code=~"5.."}[10s])) or vector(0)) / sum(rate(http_requests_total{namespace="${NAMESPACE}",pod=~"${PODS}"}[10s]))'

const CHECKS = `defaults: { timeout: 20s, interval: 200ms }
checks:
  - name: version
    path: /api/version
    expect: { json: [{ path: .version, exists: true }] }
`
const SMOKE = `${CHECKS}analysis:
  interval: 4s
  metrics:
    - name: error-rate
      query: '${POD_ERROR_RATE}'
      count: 4
      # Prometheus discovers and first scrapes a new pod a few seconds after it is ready, later on a
      # busy machine: up to two measurements may find no data yet.
      inconclusiveLimit: 2
      successCondition: result < 0.05
`

const app = (version: string, env: Record<string, string> = {}, replicas = REPLICAS, flag = 'off') =>
  `${shopDeployment({ replicas, env: { APP_VERSION: version, ...env }, podAnnotations: SCRAPED })}---
apiVersion: v1
kind: ConfigMap
metadata: { name: shop-flags }
data: { NEW_CHECKOUT: '${flag}' }
`

async function stage(
  namespace: string,
  url: string,
  manifest: string,
  inputs: Record<string, string> = {},
  smoke = SMOKE,
  options: Pick<Parameters<typeof runAction>[1] & object, 'onStdout' | 'kill'> = {}
): Promise<ActionRun> {
  return runAction(
    {
      manifests: 'app.yaml',
      environment: 'production',
      namespace,
      timeout: '120s',
      'smoke-url': url,
      'smoke-checks': 'smoke.yaml',
      'prometheus-url': prometheusUrl(),
      ...inputs
    },
    {
      workspace: workspaceWith({ 'app.yaml': manifest, 'smoke.yaml': smoke }),
      env: { KUBECONFIG: kubeconfigPath() },
      ...options
    }
  )
}

const failureLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

/** A production namespace on the real node, its entry Service, and version 1.0.0 running 10 pods. */
async function production(replicas = REPLICAS): Promise<{ namespace: string; url: string }> {
  const namespace = uniqueName('strategy')
  namespaces.push(namespace)
  await realNodeNamespace(namespace, 'production')
  const url = await entryService(namespace, 'shop')
  // The version users have now: smoke checks only (nothing to measure against yet).
  const first = await stage(namespace, url, app('1.0.0', {}, replicas), { strategy: 'canary' }, CHECKS)
  expect(failureLine(first)).toBe('')
  // A first deploy has nothing serving yet: there is nothing to take step by step.
  expect(first.stdout).toContain("no live Deployment's pod template changes, so there is no step to take")
  return { namespace, url }
}

async function deploymentEnv(namespace: string, name = 'shop'): Promise<Record<string, string>> {
  const deployment = await apps().readNamespacedDeployment({ name, namespace })
  return Object.fromEntries(
    (deployment.spec!.template.spec!.containers[0].env ?? []).map(e => [e.name, e.value ?? ''])
  )
}

async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read()
    return false
  } catch (error) {
    return (error as { code?: number }).code === 404
  }
}

/** Keeps the loop running a few seconds past the stage: what users see once it is over. */
async function after(loop: ReturnType<typeof startRequestLoop>, ms = 4000): Promise<Answer[]> {
  const ended = Date.now()
  await new Promise(resolve => setTimeout(resolve, ms))
  return (await loop.stop()).filter(a => a.at > ended + 500)
}

describe('strategy: canary', () => {
  it('a bad canary is stopped at its first step; the users saw errors from at most its share of pods, only then', async () => {
    const { namespace, url } = await production()
    const loop = startRequestLoop(`${url}/api/version`)
    const started = Date.now()
    // With a ConfigMap changed beside it: the rollback gives it back.
    const run = await stage(namespace, url, app('2.0.0', { FAIL_RATE: '1' }, REPLICAS, 'on'), {
      strategy: 'canary',
      'canary-steps': '10%, 50%'
    })
    const ended = Date.now()
    const later = await after(loop)
    const during = loop.answers.filter(a => a.at >= started && a.at <= ended)

    expect(run.outputs['failure-reason']).toBe('AnalysisFailed')
    expect(failureLine(run)).toMatch(
      /error-rate: 1 of [1-4] measurement\(s\) failed result < 0\.05 \(measured 0\.\d+/
    )
    const release = JSON.parse(run.outputs['release-json'])
    expect(release.strategy).toMatchObject({ name: 'canary', outcome: 'stopped' })
    expect(release.strategy.steps).toHaveLength(1)
    expect(release.strategy.steps[0]).toMatchObject({ name: 'canary 10%', passed: false, share: 0.091 })
    expect(run.summary).toContain('### Strategy: canary')
    expect(run.summary).toMatch(/the new version had at most 9\.1% of the pods behind the Services .* for \d/)
    expect(run.stdout).toContain(
      'Canary 10%: 1 pod(s) of the new version beside 10 of the stable one, 9.1% of the pods the Services select'
    )

    // The users: the canary took traffic (else nothing was tested), about its share of it, only during its step.
    const errors = during.filter(failed)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.length / during.length).toBeLessThan(0.2)
    const step = release.strategy.steps[0]
    expect(errors[errors.length - 1].at - errors[0].at).toBeLessThanOrEqual(step.durationMs + 5000)
    expect(errors.every(a => a.status === 500 || a.status === 0)).toBe(true)
    // Once it is over, the stable version answers every request.
    expect(later.length).toBeGreaterThan(20)
    expect(later.filter(failed)).toEqual([])
    expect(new Set(later.map(a => a.version))).toEqual(new Set(['1.0.0']))

    // The Deployment never left the stable version, no canary is left, and the ConfigMap is as it was.
    expect(await deploymentEnv(namespace)).toEqual({ APP_VERSION: '1.0.0' })
    expect(run.outputs['rolled-back']).toBe('true')
    const flags = await core().readNamespacedConfigMap({ name: 'shop-flags', namespace })
    expect(flags.data).toEqual({ NEW_CHECKOUT: 'off' })
    expect(await gone(() => apps().readNamespacedDeployment({ name: 'shop-canary', namespace }))).toBe(true)
  })

  it('a good canary passes both steps and leaves one Deployment at the new version, and no canary', async () => {
    const { namespace, url } = await production()
    const loop = startRequestLoop(`${url}/api/version`)
    const run = await stage(namespace, url, app('2.0.0'), {
      strategy: 'canary',
      'canary-steps': '10%, 50%',
      soak: '4s',
      'soak-interval': '1s'
    })
    const later = await after(loop)

    expect(failureLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')
    const release = JSON.parse(run.outputs['release-json'])
    expect(release.strategy).toMatchObject({ name: 'canary', outcome: 'promoted' })
    expect(
      release.strategy.steps.map((s: { name: string; passed: boolean; share: number }) => [
        s.name,
        s.passed,
        s.share
      ])
    ).toEqual([
      ['canary 10%', true, 0.091],
      ['canary 50%', true, 0.5]
    ])
    expect(release.strategy.steps[1].analysis).toEqual({ 'error-rate': 0 })
    expect(run.stdout).toContain(
      'Canary 50%: 10 pod(s) of the new version beside 10 of the stable one, 50% of the pods'
    )
    expect(run.stdout).toContain('Removed the canary: Deployment/shop-canary')

    // Users saw the new version during the steps, and only it afterwards.
    expect(loop.answers.some(a => a.version === '2.0.0' && a.at < Date.now() - 10_000)).toBe(true)
    expect(new Set(later.map(a => a.version))).toEqual(new Set(['2.0.0']))
    expect(later.filter(failed)).toEqual([])

    expect(await deploymentEnv(namespace)).toEqual({ APP_VERSION: '2.0.0' })
    expect(await gone(() => apps().readNamespacedDeployment({ name: 'shop-canary', namespace }))).toBe(true)
    const deployments = await apps().listNamespacedDeployment({ namespace })
    expect(deployments.items.map(d => d.metadata!.name)).toEqual(['shop'])
  })
})

describe('strategy: blue-green', () => {
  /** What a preview ingress would be: a NodePort for the pods labelled kube-stage.dev/preview=shop. */
  async function previewEntry(namespace: string): Promise<string> {
    const service = await core().createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'shop-preview-entry' },
        spec: {
          type: 'NodePort',
          selector: { 'kube-stage.dev/preview': 'shop' },
          ports: [{ port: 80, targetPort: 8080 }]
        }
      }
    })
    return `http://127.0.0.1:${service.spec!.ports![0].nodePort}`
  }

  it('switches the Services to the new version, then leaves one Deployment at it', async () => {
    const { namespace, url } = await production(4)
    const previewUrl = await previewEntry(namespace)
    const loop = startRequestLoop(`${url}/api/version`)
    const run = await stage(namespace, url, app('2.0.0', {}, 4), {
      strategy: 'blue-green',
      'preview-url': previewUrl,
      'rollback-window': '8s',
      'soak-interval': '1s'
    })
    const later = await after(loop)

    expect(failureLine(run)).toBe('')
    const release = JSON.parse(run.outputs['release-json'])
    expect(release.strategy).toMatchObject({ name: 'blue-green', outcome: 'promoted' })
    expect(release.strategy.steps.map((s: { name: string; passed: boolean }) => [s.name, s.passed])).toEqual([
      ['preview', true],
      ['switched', true]
    ])
    expect(run.stdout).toContain(`Smoke checks (1) against ${previewUrl}`)
    expect(run.stdout).toMatch(/Blue-green: switched Service\/shop-entry to the new version/)

    // The users moved to the new version at the switch, before the Deployment itself was updated.
    const switched = loop.answers.findIndex(a => a.version === '2.0.0')
    expect(switched).toBeGreaterThan(0)
    expect(loop.answers.slice(switched + 40).filter(a => a.version === '1.0.0')).toEqual([])
    expect(loop.answers.filter(failed).length / loop.answers.length).toBeLessThan(0.02)
    expect(new Set(later.map(a => a.version))).toEqual(new Set(['2.0.0']))

    expect(await deploymentEnv(namespace)).toEqual({ APP_VERSION: '2.0.0' })
    const entry = await core().readNamespacedService({ name: 'shop-entry', namespace })
    expect(entry.spec!.selector).toEqual({ app: 'shop' })
    expect(await gone(() => apps().readNamespacedDeployment({ name: 'shop-preview', namespace }))).toBe(true)
    expect(await gone(() => core().readNamespacedService({ name: 'shop-preview', namespace }))).toBe(true)
  })

  it('switches back when a check fails in the rollback window', async () => {
    const { namespace, url } = await production(4)
    const previewUrl = await previewEntry(namespace)
    const loop = startRequestLoop(`${url}/api/version`)
    // Ready and answering at first (the preview's smoke checks pass), then it crashes under the real traffic.
    const run = await stage(
      namespace,
      url,
      app('2.0.0', { CRASH_AFTER: '10s' }, 4),
      { strategy: 'blue-green', 'preview-url': previewUrl, 'rollback-window': '30s', 'soak-interval': '1s' },
      CHECKS
    )
    const later = await after(loop)

    expect(run.outputs['failure-reason']).toBe('PodRestarted')
    const release = JSON.parse(run.outputs['release-json'])
    expect(release.strategy).toMatchObject({ name: 'blue-green', outcome: 'switched back' })
    expect(release.strategy.steps.map((s: { name: string; passed: boolean }) => [s.name, s.passed])).toEqual([
      ['preview', true],
      ['switched', false]
    ])
    expect(run.summary).toMatch(
      /Switched back: the Services select the stable version again; the new version had all the traffic for \d/
    )
    // The switch happened (users saw the new version), and users are back on the old one.
    expect(loop.answers.some(a => a.version === '2.0.0')).toBe(true)
    expect(new Set(later.map(a => a.version))).toEqual(new Set(['1.0.0']))
    expect(later.filter(failed)).toEqual([])

    expect(await deploymentEnv(namespace)).toEqual({ APP_VERSION: '1.0.0' })
    const entry = await core().readNamespacedService({ name: 'shop-entry', namespace })
    expect(entry.spec!.selector).toEqual({ app: 'shop' })
    expect(await gone(() => apps().readNamespacedDeployment({ name: 'shop-preview', namespace }))).toBe(true)
  })

  it('a stage killed in the rollback window leaves the Services switched; the next blue-green switches them back first', async () => {
    const { namespace, url } = await production(2)
    const kill = new AbortController()
    const killed = await stage(
      namespace,
      url,
      app('2.0.0', {}, 2),
      { strategy: 'blue-green', 'rollback-window': '5m' },
      CHECKS,
      { onStdout: chunk => chunk.includes('Blue-green: switched') && kill.abort(), kill: kill.signal }
    )
    expect(killed.outputs.result).toBeUndefined()
    const left = await core().readNamespacedService({ name: 'shop-entry', namespace })
    expect(left.spec!.selector).toEqual({ 'kube-stage.dev/preview': 'shop' })
    expect(left.metadata!.annotations!['kube-stage.dev/switched-from']).toBe('{"app":"shop"}')

    const next = await stage(
      namespace,
      url,
      app('2.1.0', {}, 2),
      { strategy: 'blue-green', 'rollback-window': '2s' },
      CHECKS
    )
    expect(failureLine(next)).toBe('')
    expect(next.stdout).toContain(
      '::warning::Service/shop-entry still selected a preview an earlier stage left switched (it stopped before switching back): it selects app=shop again.'
    )
    const entry = await core().readNamespacedService({ name: 'shop-entry', namespace })
    expect(entry.spec!.selector).toEqual({ app: 'shop' })
    expect(entry.metadata!.annotations?.['kube-stage.dev/switched-from']).toBeUndefined()
    expect(await deploymentEnv(namespace)).toEqual({ APP_VERSION: '2.1.0' })
    expect(await gone(() => apps().readNamespacedDeployment({ name: 'shop-preview', namespace }))).toBe(true)
  })
})

describe('blue-green on KWOK nodes', () => {
  const deployment = (
    name: string,
    version: string,
    labels = `app: ${name}, tier: web`
  ) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 2
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { ${labels} } }
    spec:
      containers: [{ name: app, image: ghcr.io/example/shop:1.0.0, env: [{ name: APP_VERSION, value: '${version}' }] }]
`
  const service = (name: string, selector: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec: { selector: { ${selector} }, ports: [{ port: 80, targetPort: 8080 }] }
`
  async function kwokNamespace(): Promise<string> {
    const namespace = uniqueName('strategy-kwok')
    namespaces.push(namespace)
    await core().createNamespace({
      body: { metadata: { name: namespace, labels: { environment: 'production' } } }
    })
    return namespace
  }
  const run = (namespace: string, objects: string[], inputs: Record<string, string> = {}) =>
    runAction(
      { manifests: 'app.yaml', environment: 'production', namespace, ...inputs },
      {
        workspace: workspaceWith({ 'app.yaml': objects.join('---\n') }),
        env: { KUBECONFIG: kubeconfigPath() }
      }
    )

  it("updates in place, with a warning, a Deployment whose Service also selects another workload's pods", async () => {
    const namespace = await kwokNamespace()
    const objects = (version: string) => [
      deployment('shop', version),
      deployment('admin', '1.0.0'),
      service('web', 'tier: web')
    ]
    expect(failureLine(await run(namespace, objects('1.0.0')))).toBe('')

    const update = await run(namespace, objects('2.0.0'), { strategy: 'blue-green' })
    expect(failureLine(update)).toBe('')
    expect(update.stdout).toContain(
      '::warning::strategy blue-green: Deployment/shop is updated in place: Service/web also selects the pods of Deployment/admin, which a switch would cut off.'
    )
    expect(JSON.parse(update.outputs['release-json']).strategy).toEqual({ name: 'blue-green', steps: [] })
    expect(await deploymentEnv(namespace)).toEqual({ APP_VERSION: '2.0.0' })
    const web = await core().readNamespacedService({ name: 'web', namespace })
    expect(web.spec!.selector).toEqual({ tier: 'web' })
    expect(await gone(() => apps().readNamespacedDeployment({ name: 'shop-preview', namespace }))).toBe(true)
  })

  it('switches what it can: a Deployment no Service selects is updated in place, the other goes through the preview', async () => {
    const namespace = await kwokNamespace()
    const objects = (version: string) => [
      deployment('shop', version, 'app: shop'),
      deployment('worker', version, 'app: worker'),
      service('shop', 'app: shop')
    ]
    expect(failureLine(await run(namespace, objects('1.0.0')))).toBe('')

    const update = await run(namespace, objects('2.0.0'), { strategy: 'blue-green', 'rollback-window': '1s' })
    expect(failureLine(update)).toBe('')
    expect(update.stdout).toContain(
      '::warning::strategy blue-green: Deployment/worker is updated in place: no Service selects its pods, so there is nothing to switch.'
    )
    expect(JSON.parse(update.outputs['release-json']).strategy).toMatchObject({
      name: 'blue-green',
      outcome: 'promoted',
      steps: [
        { name: 'preview', passed: true },
        { name: 'switched', passed: true }
      ]
    })
    expect(update.stdout).toContain('Blue-green: switched Service/shop to the new version')
    expect(await deploymentEnv(namespace, 'shop')).toEqual({ APP_VERSION: '2.0.0' })
    expect(await deploymentEnv(namespace, 'worker')).toEqual({ APP_VERSION: '2.0.0' })
    const shop = await core().readNamespacedService({ name: 'shop', namespace })
    expect(shop.spec!.selector).toEqual({ app: 'shop' })
    const left = await apps().listNamespacedDeployment({ namespace })
    expect(left.items.map(d => d.metadata!.name).sort()).toEqual(['shop', 'worker'])
  })
})

describe('off when unused', () => {
  it('a rolling stage asks nothing a strategy would; a canary with no changed template asks what rolling does', async () => {
    const proxy = await startFaultProxy()
    // KWOK nodes play the pods: only the requests matter here.
    const namespace = uniqueName('strategy-off')
    namespaces.push(namespace)
    await core().createNamespace({
      body: { metadata: { name: namespace, labels: { environment: 'production' } } }
    })
    const run = async (version: string, inputs: Record<string, string> = {}): Promise<SeenRequest[]> => {
      const from = proxy.seen.length
      const result = await runAction(
        {
          manifests: 'app.yaml',
          environment: 'production',
          namespace,
          kubeconfig: proxy.kubeconfig,
          ...inputs
        },
        { workspace: workspaceWith({ 'app.yaml': app(version, {}, 2) }) }
      )
      expect(failureLine(result)).toBe('')
      return proxy.seen.slice(from)
    }
    const strategyRequests = (seen: SeenRequest[]) =>
      seen.filter(r => /\/services(\?|$)|-canary|-preview/.test(r.path))
    // The proxy's paths carry no query. How many reads a wait makes depends on timing (events while
    // pods start), so the canary run is compared by which requests it makes, not how many.
    const shapes = (seen: SeenRequest[]) => [...new Set(seen.map(r => `${r.method} ${r.path}`))].sort()
    try {
      const first = await run('1.0.0')
      const update = await run('2.0.0')
      expect(strategyRequests(update)).toEqual([])

      const rolling = await run('2.0.0')
      const canary = await run('2.0.0', { strategy: 'canary' })
      expect(strategyRequests(canary)).toEqual([])
      const anyRolling = new Set(shapes([...first, ...update, ...rolling]))
      expect(shapes(canary).filter(shape => !anyRolling.has(shape))).toEqual([])
      // The same writes: none but the Lease's, as for rolling.
      const writes = (seen: SeenRequest[]) => shapes(seen.filter(r => r.method !== 'GET'))
      expect(writes(canary)).toEqual(writes(rolling))
    } finally {
      await proxy.close()
    }
  })
})

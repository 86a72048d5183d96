/**
 * The stage under faults between it and the API server (a proxy of our own,
 * __tests__/support/fault-proxy.ts): each fault must leave the verdict the
 * stage would have reached without it, or end as ClusterUnreachable, naming the
 * cause, when the server is truly gone. The summary and outputs are always written.
 */
import { apps, deleteNamespace, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { deploymentYaml, workspaceWith } from '../support/workspace.js'
import { startFaultProxy, type FaultProxy, type Rule } from '../support/fault-proxy.js'
import { realNodeNamespace, requireRealNode, shopImage } from '../support/real-node.js'

const namespaces: string[] = []
const proxies: FaultProxy[] = []
afterAll(async () => {
  await Promise.all(proxies.map(p => p.close()))
  await Promise.all(namespaces.map(deleteNamespace))
})

const config = `apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { LOG_LEVEL: info }
`

async function stageThrough(
  makeRule: (proxy: FaultProxy) => Rule,
  files: Record<string, string>,
  options: { namespace?: string; timeout?: string } = {}
): Promise<ActionRun & { proxy: FaultProxy; namespace: string }> {
  const proxy = await startFaultProxy()
  proxy.rule = makeRule(proxy)
  proxies.push(proxy)
  const namespace = options.namespace ?? uniqueName('fault')
  namespaces.push(namespace)
  const run = await runAction(
    {
      manifests: Object.keys(files).join(','),
      environment: 'dev',
      namespace,
      kubeconfig: proxy.kubeconfig,
      timeout: options.timeout ?? '90s'
    },
    { workspace: workspaceWith(files), env: {} }
  )
  return { ...run, proxy, namespace }
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''
const isApply = (r: { method: string; contentType?: string }) =>
  r.method === 'PATCH' && r.contentType === 'application/apply-patch+yaml'

it('a 6 s loss of the connection mid-wait on the real node still passes', async () => {
  await requireRealNode()
  const namespace = uniqueName('fault-real')
  await realNodeNamespace(namespace, 'dev')
  let cut = false
  const app = deploymentYaml('shop', {
    replicas: 2,
    image: shopImage('1.0.0'),
    env: '          env: [{ name: READY_AFTER, value: 8s }]\n',
    extraSpec: '          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }\n'
  })
  const run = await stageThrough(
    proxy => request => {
      if (request.watch && !cut) {
        cut = true
        setTimeout(() => proxy.cut(6000), 500)
      }
      return 'pass'
    },
    { 'app.yaml': app },
    { namespace }
  )
  expect(errorLine(run)).toBe('')
  expect(run.outputs.result).toBe('success')
  expect(run.stdout).toMatch(/Lost the connection to the API server \(/)
  expect(run.stdout).toMatch(/The API server answers again after \d/)
  expect(run.summary).toContain('shop')
})

it('429 with Retry-After and 503 answers during the dry run and apply are waited out', async () => {
  let applies = 0
  const run = await stageThrough(
    () => request => {
      if (isApply(request) && applies++ < 2) return { status: 429, retryAfter: 1 }
      if (request.method === 'GET' && request.path.endsWith('/configmaps') && !request.watch && applies < 3)
        return { status: 503 }
      return 'pass'
    },
    { 'config.yaml': config, 'app.yaml': deploymentYaml('web') }
  )
  expect(errorLine(run)).toBe('')
  expect(run.outputs.result).toBe('success')
  expect(run.proxy.seen.filter(isApply).length).toBeGreaterThan(2)
})

it('a connection reset during apply: the object is applied once, unchanged by the retry', async () => {
  let reset = false
  const run = await stageThrough(
    () => request => {
      if (isApply(request) && request.path.includes('/deployments/') && !reset) {
        reset = true
        return 'reset'
      }
      return 'pass'
    },
    { 'app.yaml': deploymentYaml('web') }
  )
  expect(errorLine(run)).toBe('')
  expect(reset).toBe(true)
  const deployment = await apps().readNamespacedDeployment({ name: 'web', namespace: run.namespace })
  // One generation: the repeated apply changed nothing.
  expect(deployment.metadata?.generation).toBe(1)
  expect(deployment.metadata?.managedFields?.map(f => f.manager)).toContain('kube-stage')
})

it('a watch answered with 410 Gone is re-listed and the stage passes', async () => {
  let gone = false
  const run = await stageThrough(
    () => request => {
      if (request.watch && request.path.endsWith('/deployments') && !gone) {
        gone = true
        return 'gone'
      }
      return 'pass'
    },
    // Not available for 2 s after its pods are ready: never Current at the wait's first list (KWOK's
    // pods can be ready by then on a busy machine), so the wait must watch.
    { 'app.yaml': deploymentYaml('web', { replicas: 2, extraSpec: '  minReadySeconds: 2\n' }) }
  )
  expect(gone).toBe(true)
  expect(errorLine(run)).toBe('')
  expect(run.outputs.result).toBe('success')
})

it('a stalled watch that sends nothing is re-opened and the stage passes', async () => {
  let stalled = false
  const run = await stageThrough(
    () => request => {
      if (request.watch && request.path.endsWith('/deployments') && !stalled) {
        stalled = true
        return 'stall'
      }
      return 'pass'
    },
    // minReadySeconds: not yet available when first listed, so only the re-opened watch can tell it is.
    {
      'app.yaml': deploymentYaml('web', { replicas: 2 }).replace(
        '  replicas: 2\n',
        '  replicas: 2\n  minReadySeconds: 5\n'
      )
    }
  )
  expect(stalled).toBe(true)
  expect(errorLine(run)).toBe('')
  expect(run.outputs.result).toBe('success')
  // The re-opened watch, after the silent one.
  expect(run.proxy.seen.filter(r => r.watch && r.path.endsWith('/deployments')).length).toBeGreaterThan(1)
})

it('an API server gone for good ends the stage as ClusterUnreachable, naming the cause and how long', async () => {
  let cut = false
  const run = await stageThrough(
    proxy => request => {
      if (request.watch && !cut) {
        cut = true
        setTimeout(() => proxy.cut(Infinity), 200)
      }
      return 'pass'
    },
    {
      'app.yaml': deploymentYaml('web', {
        labels: { 'kube-stage.test/behaviour': 'never-ready' }
      })
    },
    { timeout: '8s' }
  )
  expect(run.outputs['failure-reason']).toBe('ClusterUnreachable')
  expect(errorLine(run)).toMatch(/has not answered for \d+(\.\d)?s, until the stage deadline/)
  expect(run.summary).toContain('ClusterUnreachable')
})

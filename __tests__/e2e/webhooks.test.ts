/**
 * Admission webhooks, as production clusters run them (Kyverno, Gatekeeper, sidecar injectors):
 * the test cluster's own (test/cluster/webhook.sh), in namespaces labelled for them. A denial
 * is reported in preflight with the webhook's own message and nothing is written; a webhook
 * that does not support dry run is named, with what to do; a mutating webhook's sidecar and
 * defaulted label are neither drift in a plan nor a parity difference, and the rollout waits
 * for the pods with their sidecar on the real node.
 */
import { AdmissionregistrationV1Api } from '@kubernetes/client-node'
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
import { realNodeNamespace, requireRealNode, shopDeployment } from '../support/real-node.js'

const WEBHOOKS_LABEL = { 'kube-stage.test/webhooks': 'on' }
const SIDECAR = 'kube-stage-sidecar'

/** The webhooks, registered. Fails (never skips) with what to do when they are not. */
async function requireWebhooks(): Promise<void> {
  const api = testKubeConfig().makeApiClient(AdmissionregistrationV1Api)
  const missing = await Promise.all([
    api.readValidatingWebhookConfiguration({ name: 'kube-stage-test-validate' }).then(
      () => '',
      () => 'kube-stage-test-validate'
    ),
    api.readValidatingWebhookConfiguration({ name: 'kube-stage-test-no-dry-run' }).then(
      () => '',
      () => 'kube-stage-test-no-dry-run'
    ),
    api.readMutatingWebhookConfiguration({ name: 'kube-stage-test-mutate' }).then(
      () => '',
      () => 'kube-stage-test-mutate'
    )
  ])
  const absent = missing.filter(Boolean)
  if (absent.length > 0)
    throw new Error(
      `the test cluster's admission webhooks are not registered (${absent.join(', ')}): test/cluster/start.sh starts them (test/cluster/webhook.sh start <state-dir>)`
    )
}

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(async () => {
  await requireRealNode()
  await requireWebhooks()
})

async function namespace(prefix: string, environment = 'production'): Promise<string> {
  const name = uniqueName(prefix)
  namespaces.push(name)
  await realNodeNamespace(name, environment, WEBHOOKS_LABEL)
  return name
}

const config = (flag = 'on') => `apiVersion: v1
kind: ConfigMap
metadata: { name: shop-config }
data: { FEATURE_NEW_CHECKOUT: '${flag}' }
`
/** The shop Deployment with labels on the Deployment itself (what the webhooks select on). */
const shop = (labels: Record<string, string> = {}, version = '1.0.0') => {
  const deployment = shopDeployment({ version })
  const entries = Object.entries(labels)
  if (entries.length === 0) return deployment
  const map = entries.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')
  return deployment.replace('metadata: { name: shop }', `metadata: { name: shop, labels: { ${map} } }`)
}

function stage(
  ns: string,
  app: string,
  inputs: Record<string, string> = {},
  environment = 'production'
): Promise<ActionRun> {
  return runAction(
    { manifests: 'app.yaml', environment, namespace: ns, timeout: '90s', ...inputs },
    { workspace: workspaceWith({ 'app.yaml': app }), env: { KUBECONFIG: kubeconfigPath() } }
  )
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

it("a validating webhook's denial fails preflight with its own message, and nothing is written", async () => {
  const ns = await namespace('wh-deny')
  const refused = await stage(ns, `${config()}---\n${shop({ 'kube-stage.test/deny': 'unsigned-image' })}`)
  expect(refused.outputs['failure-reason']).toBe('PreflightFailed')
  expect(errorLine(refused)).toContain('nothing was applied')
  expect(refused.stdout).toContain(
    'Deployment/shop: admission webhook "deny.kube-stage.test" denied the request: unsigned-image'
  )
  expect(refused.summary).toContain('denied the request: unsigned-image')
  expect((await apps().listNamespacedDeployment({ namespace: ns })).items).toEqual([])
  expect(
    (await core().listNamespacedConfigMap({ namespace: ns })).items.map(c => c.metadata?.name)
  ).not.toContain('shop-config')

  // A webhook that judges pods only: the pod template's label is refused at the pod dry run.
  const podLevel = shopDeployment().replace(
    'metadata: { labels: { app: shop } }',
    "metadata: { labels: { app: shop, kube-stage.test/deny: 'no-root' } }"
  )
  const pods = await stage(ns, `${config()}---\n${podLevel}`)
  expect(pods.outputs['failure-reason']).toBe('AdmissionDenied')
  expect(errorLine(pods)).toContain(
    'Deployment/shop: admission webhook "deny.kube-stage.test" denied the request: no-root'
  )
  expect((await apps().listNamespacedDeployment({ namespace: ns })).items).toEqual([])
})

it('a webhook that does not support dry run is named, with what to do, and nothing is written', async () => {
  const ns = await namespace('wh-nodry')
  const run = await stage(ns, `${config()}---\n${shop({ 'kube-stage.test/side-effects': 'unknown' })}`)
  expect(run.outputs['failure-reason']).toBe('PreflightFailed')
  const message = errorLine(run)
  expect(message).toContain('admission webhook "no-dry-run.kube-stage.test" does not support dry run')
  expect(message).toContain('sideEffects')
  expect(message).toContain('None or NoneOnDryRun')
  expect(message).toContain('Deployment/shop')
  expect(message).toContain('nothing was applied')
  expect((await apps().listNamespacedDeployment({ namespace: ns })).items).toEqual([])
})

it("a mutating webhook's sidecar and defaulted label are neither drift nor a parity difference", async () => {
  const staging = await namespace('wh-mut-stg', 'staging')
  const production = await namespace('wh-mut-prd')
  const app = `${config()}---\n${shop()}`

  const deployed = await stage(staging, app, {}, 'staging')
  expect(errorLine(deployed)).toBe('')
  expect(deployed.outputs.result).toBe('success')
  // The webhook did act: the pods that became ready carry its sidecar, the Deployment its label.
  const deployment = await apps().readNamespacedDeployment({ name: 'shop', namespace: staging })
  expect(deployment.metadata?.labels?.['kube-stage.test/injected']).toBe('true')
  const pods = await core().listNamespacedPod({ namespace: staging, labelSelector: 'app=shop' })
  expect(pods.items.length).toBeGreaterThan(0)
  for (const pod of pods.items) {
    expect(pod.spec?.containers.map(c => c.name)).toEqual(['shop', SIDECAR])
    expect(pod.status?.containerStatuses?.every(c => c.ready)).toBe(true)
  }

  // Unchanged manifests: everything unchanged, the webhook's label included.
  const again = await stage(staging, app, { mode: 'plan' }, 'staging')
  expect(errorLine(again)).toBe('')
  expect(JSON.parse(again.outputs.plan)).toEqual([
    { kind: 'ConfigMap', name: 'shop-config', namespace: staging, action: 'unchanged' },
    { kind: 'Deployment', name: 'shop', namespace: staging, action: 'unchanged' }
  ])
  // A real change is the only change: the server's dry run keeps the webhook's label.
  const changed = await stage(staging, `${config()}---\n${shop({}, '1.1.0')}`, { mode: 'plan' }, 'staging')
  expect(errorLine(changed)).toBe('')
  const plan = JSON.parse(changed.outputs.plan) as {
    kind: string
    action: string
    fields?: { path: string }[]
  }[]
  const planned = plan.find(p => p.kind === 'Deployment')!
  expect(planned.action).toBe('changed')
  expect(planned.fields?.map(f => f.path)).toEqual(['spec.template.spec.containers[name=shop].image'])
  expect(changed.stdout).not.toContain('kube-stage.test/injected')
  expect(changed.stdout).not.toContain(SIDECAR)

  const promoted = await stage(production, app, { 'promote-from': deployed.outputs.release, parity: 'fail' })
  expect(errorLine(promoted)).toBe('')
  expect(promoted.outputs.result).toBe('success')
  // Parity names a difference as "<path> is <a> in staging but <b> in production": none here.
  expect(promoted.stdout).not.toMatch(/ in staging but /)
  expect(promoted.summary).not.toContain('kube-stage.test/injected')
  // The rollout waited for the new pods with their sidecar, both containers ready.
  const ready = await core().listNamespacedPod({ namespace: production, labelSelector: 'app=shop' })
  expect(ready.items.flatMap(p => p.status?.containerStatuses ?? []).map(c => [c.name, c.ready])).toEqual(
    expect.arrayContaining([
      ['shop', true],
      [SIDECAR, true]
    ])
  )
})

/**
 * A stage under exactly the Role docs/permissions.md documents (examples/rbac/stage-role.yaml),
 * bound to a ServiceAccount whose token is the stage's only credential, as a
 * production deployer gets it: deploy with a smoke check on the real node, then a
 * failing update that is rolled back. A Role missing one rule fails with Forbidden,
 * naming the rule to add.
 */
import { core, deleteNamespace, testKubeConfig, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import {
  bindClusterRole,
  deployerKubeconfig,
  documentedClusterExtras,
  documentedRole
} from '../support/rbac.js'
import { namespaceExists } from '../support/cluster.js'
import { workspaceWith } from '../support/workspace.js'
import { entryService, getJson, requireRealNode, shopImage } from '../support/real-node.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

function shop(version: string, env = '', logLevel = 'info'): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: shop-config }
data: { LOG_LEVEL: ${logLevel} }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: shop
          image: ${shopImage(version)}
          envFrom: [{ configMapRef: { name: shop-config } }]
          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }
          env: [${env}]
`
}

const smoke = `defaults: { timeout: 20s, interval: 500ms }
checks:
  - name: version
    path: /api/version
    expect: { json: [{ path: .version, exists: true }] }
`

function stage(
  namespace: string,
  kubeconfig: string,
  app: string,
  url: string,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  return runAction(
    {
      manifests: 'app.yaml',
      environment: 'production',
      namespace,
      kubeconfig,
      timeout: '60s',
      'smoke-url': url,
      'smoke-checks': 'smoke.yaml',
      ...inputs
    },
    { workspace: workspaceWith({ 'app.yaml': app, 'smoke.yaml': smoke }), env: {} }
  )
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

it('deploys, smoke tests and rolls back with only the documented Role', async () => {
  const namespace = uniqueName('least')
  namespaces.push(namespace)
  const kubeconfig = await deployerKubeconfig(namespace, documentedRole())
  const url = await entryService(namespace, 'shop')

  const good = await stage(namespace, kubeconfig, shop('1.0.0'), url)
  expect(errorLine(good)).toBe('')
  expect(good.outputs.result).toBe('success')
  // What the Role does not grant only sharpens verdicts: said once, and the stage goes on.
  expect(good.stdout.match(/Cannot read nodes \(forbidden\)/g)).toHaveLength(1)
  expect(good.outputs['failure-reason']).toBe('')
  expect(await getJson(`${url}/api/version`)).toEqual({ version: '1.0.0' })

  const broken = await stage(
    namespace,
    kubeconfig,
    shop('2.0.0', "{ name: EXIT_CODE, value: '1' }, { name: EXIT_MESSAGE, value: 'FATAL: no schema' }"),
    url
  )
  expect(broken.outputs['failure-reason']).toBe('CrashLoop')
  expect(broken.outputs['rolled-back']).toBe('true')
  // The log tail came through pods/log, which the Role grants.
  expect(broken.summary).toContain('FATAL: no schema')
  const deployment = await testKubeConfig()
    .makeApiClient((await import('@kubernetes/client-node')).AppsV1Api)
    .readNamespacedDeployment({ name: 'shop', namespace })
  expect(deployment.spec?.template.spec?.containers[0].image).toBe(shopImage('1.0.0'))
})

it('a Role missing the rule for Deployments fails with Forbidden, naming the rule to add', async () => {
  const namespace = uniqueName('least')
  namespaces.push(namespace)
  const role = documentedRole()
  role.rules = role.rules!.filter(rule => !rule.resources?.includes('deployments'))
  const kubeconfig = await deployerKubeconfig(namespace, role)

  const run = await stage(namespace, kubeconfig, shop('1.0.0'), 'http://127.0.0.1:1')
  expect(run.outputs['failure-reason']).toBe('Forbidden')
  const message = errorLine(run)
  expect(message).toContain(`system:serviceaccount:${namespace}:deployer`)
  expect(message).toMatch(/may not (list|get|patch) deployments \(API group apps\) in namespace /)
  expect(message).toContain('apiGroups: ["apps"]')
  // Nothing was written: the refusal came before any apply.
  const configMaps = await core().listNamespacedConfigMap({ namespace })
  expect(configMaps.items.map(c => c.metadata?.name)).not.toContain('shop-config')
})

it("a Role without the rule for the stage's Lease fails with Forbidden before any write, naming the rule", async () => {
  const namespace = uniqueName('least')
  namespaces.push(namespace)
  const role = documentedRole()
  role.rules = role.rules!.filter(rule => !rule.resources?.includes('leases'))
  const kubeconfig = await deployerKubeconfig(namespace, role)

  const run = await stage(namespace, kubeconfig, shop('1.0.0'), 'http://127.0.0.1:1')
  expect(run.outputs['failure-reason']).toBe('Forbidden')
  const message = errorLine(run)
  expect(message).toMatch(/may not get leases \(API group coordination\.k8s\.io\) in namespace /)
  expect(message).toContain("hold the stage's Lease")
  expect(message).toContain('apiGroups: ["coordination.k8s.io"]')
  const configMaps = await core().listNamespacedConfigMap({ namespace })
  expect(configMaps.items.map(c => c.metadata?.name)).not.toContain('shop-config')
})

it('a namespace the stage created goes again when a later check fails; a refused delete is said as refused', async () => {
  const home = uniqueName('least')
  namespaces.push(home)
  const kubeconfig = await deployerKubeconfig(home, documentedRole())
  const extras = documentedClusterExtras()
  const withoutDelete = {
    ...extras,
    rules: extras.rules!.map(rule =>
      rule.resources?.includes('namespaces')
        ? { ...rule, verbs: rule.verbs.filter(v => v !== 'delete') }
        : rule
    )
  }
  // The Role covers only its own namespace: in the new one the stage's Lease is refused, after it made the namespace.
  const run = async () => {
    const target = uniqueName('least-new')
    namespaces.push(target)
    const result = await stage(target, kubeconfig, shop('1.0.0'), 'http://127.0.0.1:1')
    return { target, result }
  }
  let unbind = await bindClusterRole(home, uniqueName('extras-no-delete'), withoutDelete)
  try {
    const { target, result } = await run()
    expect(result.outputs['failure-reason']).toBe('Forbidden')
    expect(result.stdout).toContain(
      `Namespace ${target}, created for the dry run that failed, could not be removed again: deleting it was refused (forbidden): grant delete on namespaces (examples/rbac/cluster-extras.yaml), or delete it yourself`
    )
    expect(result.durationMs).toBeLessThan(30_000)
  } finally {
    await unbind()
  }
  unbind = await bindClusterRole(home, uniqueName('extras'), extras)
  try {
    const { target, result } = await run()
    expect(result.outputs['failure-reason']).toBe('Forbidden')
    expect(result.stdout).toContain(`Deleted namespace ${target} again: the dry run failed`)
    expect(await namespaceExists(target)).toBe(false)
  } finally {
    await unbind()
  }
})

it('takes a canary and a blue-green release with only the documented Role, with prune and a ConfigMap change', async () => {
  const namespace = uniqueName('least-strategy')
  namespaces.push(namespace)
  const kubeconfig = await deployerKubeconfig(namespace, documentedRole())
  const url = await entryService(namespace, 'shop')
  const apps = testKubeConfig().makeApiClient((await import('@kubernetes/client-node')).AppsV1Api)
  const digest = async () =>
    (await apps.readNamespacedDeployment({ name: 'shop', namespace })).spec!.template.metadata!.annotations![
      'kube-stage.dev/config-digest'
    ]
  const inputs = { prune: 'true', 'soak-interval': '1s' }

  expect(errorLine(await stage(namespace, kubeconfig, shop('1.0.0'), url, inputs))).toBe('')
  const before = await digest()

  // A new image and a changed ConfigMap: the canary's pods start with the new configuration.
  const canary = await stage(namespace, kubeconfig, shop('1.1.0', '', 'debug'), url, {
    ...inputs,
    strategy: 'canary',
    'canary-steps': '50%'
  })
  expect(errorLine(canary)).toBe('')
  expect(JSON.parse(canary.outputs['release-json']).strategy).toMatchObject({
    name: 'canary',
    outcome: 'promoted'
  })
  expect(await digest()).not.toBe(before)
  expect(await getJson(`${url}/api/version`)).toEqual({ version: '1.1.0' })

  const blueGreen = await stage(namespace, kubeconfig, shop('1.4.0', '', 'debug'), url, {
    ...inputs,
    strategy: 'blue-green',
    'rollback-window': '3s'
  })
  expect(errorLine(blueGreen)).toBe('')
  expect(JSON.parse(blueGreen.outputs['release-json']).strategy).toMatchObject({
    name: 'blue-green',
    outcome: 'promoted'
  })
  expect(blueGreen.outputs.pruned).toBe('[]')
  expect(await getJson(`${url}/api/version`)).toEqual({ version: '1.4.0' })
  const left = await apps.listNamespacedDeployment({ namespace })
  expect(left.items.map(d => d.metadata!.name)).toEqual(['shop'])
  const entry = await core().readNamespacedService({ name: 'shop-entry', namespace })
  expect(entry.spec!.selector).toEqual({ app: 'shop' })
})

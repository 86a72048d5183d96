/**
 * A stage under exactly the Role the README documents (examples/rbac/stage-role.yaml),
 * bound to a ServiceAccount whose token is the stage's only credential, as a
 * production deployer gets it: deploy with a smoke check on the real node, then a
 * failing update that is rolled back. A Role missing one rule fails with Forbidden,
 * naming the rule to add.
 */
import { RbacAuthorizationV1Api, type V1Role } from '@kubernetes/client-node'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { core, deleteNamespace, testKubeConfig, uniqueName } from '../support/cluster.js'
import { REPO_ROOT, runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'
import { entryService, getJson, realNodeNamespace, requireRealNode, shopImage } from '../support/real-node.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

const documentedRole = () =>
  parse(readFileSync(path.join(REPO_ROOT, 'examples/rbac/stage-role.yaml'), 'utf8')) as V1Role

/**
 * A namespace made and labelled by the platform team, a ServiceAccount bound to
 * `role` there, and a kubeconfig holding only that account's token.
 */
async function deployerKubeconfig(namespace: string, role: V1Role): Promise<string> {
  await realNodeNamespace(namespace, 'production')
  const rbac = testKubeConfig().makeApiClient(RbacAuthorizationV1Api)
  await core().createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'deployer' } } })
  await rbac.createNamespacedRole({
    namespace,
    body: { ...role, metadata: { name: 'kube-stage', namespace } }
  })
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'kube-stage' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kube-stage' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace }]
    }
  })
  // What `kubectl create token deployer` asks the API server for.
  const token = await core().createNamespacedServiceAccountToken({
    name: 'deployer',
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } }
  })
  const cluster = testKubeConfig().getCurrentCluster()!
  const ca = cluster.caData ?? readFileSync(cluster.caFile!).toString('base64')
  return `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: '${cluster.server}', certificate-authority-data: ${ca} } }]
users: [{ name: deployer, user: { token: ${token.status?.token} } }]
contexts: [{ name: c, context: { cluster: c, user: deployer, namespace: ${namespace} } }]
current-context: c
`
}

function shop(version: string, env = ''): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: shop-config }
data: { LOG_LEVEL: info }
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

function stage(namespace: string, kubeconfig: string, app: string, url: string): Promise<ActionRun> {
  return runAction(
    {
      manifests: 'app.yaml',
      environment: 'production',
      namespace,
      kubeconfig,
      timeout: '60s',
      'smoke-url': url,
      'smoke-tests': 'smoke.yaml'
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

/**
 * Configuration is part of the release, on the real node: a config-only change
 * rolls the pods so the smoke checks see it; a failed release that changed the
 * image and the ConfigMap is rolled back in full and verified; a restored
 * version that fails its checks too is reported as such.
 */
import { deleteNamespace, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'
import { entryService, getJson, realNodeNamespace, requireRealNode, shopImage } from '../support/real-node.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

const app = (version: string, connected: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: shop-config }
data: { DB_CONNECTED: '${connected}' }
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
`

const checks = (path: string, expected: string) => `defaults: { timeout: 15s, interval: 500ms }
checks:
  - name: ${path}
    path: /api/${path}
    expect: { json: [{ path: .${path === 'db-status' ? 'connected' : 'version'}, equals: ${expected} }] }
`

async function setUp(): Promise<{ namespace: string; url: string }> {
  const namespace = uniqueName('config')
  namespaces.push(namespace)
  await realNodeNamespace(namespace, 'dev')
  return { namespace, url: await entryService(namespace, 'shop') }
}

function stage(namespace: string, url: string, manifests: string, smoke: string): Promise<ActionRun> {
  return runAction(
    {
      manifests: 'app.yaml',
      environment: 'dev',
      namespace,
      timeout: '60s',
      'smoke-url': url,
      'smoke-checks': 'smoke.yaml'
    },
    {
      workspace: workspaceWith({ 'app.yaml': manifests, 'smoke.yaml': smoke }),
      env: { KUBECONFIG: kubeconfigPath() }
    }
  )
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

it('a config-only change rolls the pods, and the smoke checks see the new value', async () => {
  const { namespace, url } = await setUp()
  const first = await stage(namespace, url, app('1.0.0', 'true'), checks('db-status', 'true'))
  expect(first.outputs.result).toBe('success')
  const changed = await stage(namespace, url, app('1.0.0', 'false'), checks('db-status', 'false'))
  expect(errorLine(changed)).toBe('')
  expect(changed.outputs.result).toBe('success')
  expect(changed.stdout).toContain('Deployment/shop: configured')
  expect(await getJson(`${url}/api/db-status`)).toEqual({ connected: false })
})

it('a failed release that changed the image and the ConfigMap is rolled back in full, and verified', async () => {
  const { namespace, url } = await setUp()
  const good = await stage(namespace, url, app('1.0.0', 'true'), checks('db-status', 'true'))
  expect(good.outputs.result).toBe('success')
  const bad = await stage(namespace, url, app('1.1.0', 'false'), checks('db-status', 'true'))
  expect(bad.outputs['failure-reason']).toBe('SmokeFailed')
  expect(bad.outputs['rolled-back']).toBe('true')
  expect(bad.summary).toContain('serving the previous version again, and its smoke checks pass')
  // The previous release in full: its image and its configuration.
  expect(await getJson(`${url}/api/version`)).toEqual({ version: '1.0.0' })
  expect(await getJson(`${url}/api/db-status`)).toEqual({ connected: true })
  // The previous content went to the API server only, never to what people read.
  expect(bad.outputs['release-json']).not.toContain('DB_CONNECTED":"true')
})

it('a rollback whose restored version fails its checks too is reported as such', async () => {
  const { namespace, url } = await setUp()
  const good = await stage(namespace, url, app('1.0.0', 'true'), checks('db-status', 'true'))
  expect(good.outputs.result).toBe('success')
  // A check that neither the new nor the previous version passes.
  const bad = await stage(namespace, url, app('1.1.0', 'true'), checks('version', '"9.9.9"'))
  expect(bad.outputs['failure-reason']).toBe('SmokeFailed')
  expect(bad.outputs['rolled-back']).toBe('false')
  expect(bad.summary).toContain('the restored version fails its smoke checks too')
  expect(bad.stdout).toMatch(
    /::warning::Rolled back .*but the restored version fails its smoke checks too: version/
  )
})

/**
 * Parity on the real node, where the kubelet reports image digests and
 * production pins staging's tag-only images to them: the pinning is the
 * stage's own doing and never a difference; a changed flag and a changed
 * container field are named with their path and both values, and a declared
 * field passes.
 */
import { deleteNamespace, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'
import { realNodeNamespace, requireRealNode, shopImage } from '../support/real-node.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

function manifests(options: { flag?: string; containerExtra?: string } = {}): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: shop-config }
data: { FEATURE_NEW_CHECKOUT: '${options.flag ?? 'on'}', LOG_LEVEL: info }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: shop }
spec:
  replicas: 1
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: shop
          image: ${shopImage('1.0.0')}
          envFrom: [{ configMapRef: { name: shop-config } }]
          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }
${options.containerExtra ?? ''}`
}

async function stage(
  environment: string,
  namespace: string,
  app: string,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  return runAction(
    { manifests: 'app.yaml', environment, namespace, timeout: '60s', ...inputs },
    { workspace: workspaceWith({ 'app.yaml': app }), env: { KUBECONFIG: kubeconfigPath() } }
  )
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

it('promotes tag-only images with parity: fail, and names the flag or field that differs', async () => {
  const staging = uniqueName('parity-stg')
  const production = uniqueName('parity-prd')
  namespaces.push(staging, production)
  await realNodeNamespace(staging, 'staging')
  await realNodeNamespace(production, 'production')

  const passed = await stage('staging', staging, manifests())
  expect(passed.outputs.result).toBe('success')
  const release = JSON.parse(passed.outputs['release-json']) as { images: Record<string, string> }
  // The kubelet reported the digest that ran: production gets exactly that.
  expect(release.images['Deployment/shop:shop']).toMatch(
    /^ghcr\.io\/example\/shop:1\.0\.0@sha256:[0-9a-f]{64}$/
  )

  const promote = { 'promote-from': passed.outputs.release, parity: 'fail' }
  const same = await stage('production', production, manifests(), promote)
  expect(errorLine(same)).toBe('')
  expect(same.outputs.result).toBe('success')
  expect(same.stdout).toMatch(/Deployment\/shop shop: image ghcr\.io\/example\/shop:1\.0\.0 → .*@sha256:/)

  const flag = await stage('production', production, manifests({ flag: 'off' }), promote)
  expect(flag.outputs['failure-reason']).toBe('ParityFailed')
  expect(errorLine(flag)).toContain(
    'ConfigMap/shop-config/FEATURE_NEW_CHECKOUT is on in staging but off in production'
  )
  expect(flag.summary).toContain('ConfigMap/shop-config/FEATURE_NEW_CHECKOUT')

  const workingDir = '          workingDir: /tmp\n'
  const field = await stage('production', production, manifests({ containerExtra: workingDir }), promote)
  expect(field.outputs['failure-reason']).toBe('ParityFailed')
  expect(errorLine(field)).toContain(
    'Deployment/shop: spec.template.spec.containers.*.workingDir is absent in staging but sha256:'
  )
  expect(errorLine(field)).toContain(
    'declare it with parity-expected: spec.template.spec.containers.*.workingDir'
  )

  const declared = await stage('production', production, manifests({ containerExtra: workingDir }), {
    ...promote,
    'parity-expected': 'replicas, resources, hosts, spec.template.spec.containers.*.workingDir'
  })
  expect(errorLine(declared)).toBe('')
  expect(declared.outputs.result).toBe('success')
})

/**
 * Declared parity differences, as a new user declares them: staging and
 * production apply the same manifests (replicas: 2 in both), and only the
 * Service's nodePort differs, as it must in one cluster. Production declares
 * `parity-expected: nodePorts` with `parity: fail`: identical releases pass,
 * whichever stage declared which field; a real difference is still refused.
 */
import { deleteNamespace, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

const app = (nodePort: number, grace = 30) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
      terminationGracePeriodSeconds: ${grace}
      containers:
        - name: shop
          image: ghcr.io/example/shop:1.0.0
          resources: { requests: { cpu: 10m } }
---
apiVersion: v1
kind: Service
metadata: { name: shop }
spec:
  type: NodePort
  selector: { app: shop }
  ports: [{ port: 80, targetPort: 8080, nodePort: ${nodePort} }]
`

// Free ports for this run: the range 30000-32767, away from what the other tests take.
const base = 31000 + Math.floor(Math.random() * 700)

function stage(
  environment: string,
  nodePort: number,
  inputs: Record<string, string>,
  grace = 30
): Promise<ActionRun> {
  const namespace = uniqueName(`declared-${environment.slice(0, 4)}`)
  namespaces.push(namespace)
  return runAction(
    { manifests: 'app.yaml', environment, namespace, timeout: '60s', ...inputs },
    { workspace: workspaceWith({ 'app.yaml': app(nodePort, grace) }), env: { KUBECONFIG: kubeconfigPath() } }
  )
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

it('passes identical releases when production declares one difference and staging the defaults', async () => {
  const staging = await stage('staging', base, {})
  expect(staging.outputs.result).toBe('success')
  const production = await stage('production', base + 1, {
    'promote-from': staging.outputs.release,
    parity: 'fail',
    'parity-expected': 'nodePorts'
  })
  expect(errorLine(production)).toBe('')
  expect(production.outputs.result).toBe('success')
  expect(production.summary).toContain('No configuration differences.')
})

it('leaves out the fields staging declared, even when production declares others', async () => {
  // Staging declares nodePorts; production only the defaults: the nodePort is still left out.
  const staging = await stage('staging', base + 2, { 'parity-expected': 'nodePorts' })
  const production = await stage('production', base + 3, {
    'promote-from': staging.outputs.release,
    parity: 'fail'
  })
  expect(errorLine(production)).toBe('')
  expect(production.outputs.result).toBe('success')
})

it('still refuses a field neither stage declared, naming it', async () => {
  const staging = await stage('staging', base + 4, {})
  const production = await stage(
    'production',
    base + 5,
    { 'promote-from': staging.outputs.release, parity: 'fail', 'parity-expected': 'nodePorts' },
    5
  )
  expect(production.outputs['failure-reason']).toBe('ParityFailed')
  expect(errorLine(production)).toContain(
    'spec.template.spec.terminationGracePeriodSeconds is 30 in staging but 5 in production'
  )
  expect(errorLine(production)).not.toContain('nodePort')
  expect(errorLine(production)).not.toContain('replicas')
})

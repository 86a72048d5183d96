/**
 * The foundation's end-to-end slice: the committed bundle, run as the runner
 * runs it, applies a Deployment and a Service to the real control plane and
 * waits until the Deployment is available. The cluster is read back through
 * client-node's typed APIs.
 */
import {
  apps,
  core,
  deleteNamespace,
  kubeconfigPath,
  kubeconfigText,
  uniqueName
} from '../support/cluster.js'
import { runAction } from '../support/action.js'
import { createServer, type AddressInfo } from 'node:net'

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

describe('dist/index.js on the real control plane', () => {
  const namespace = uniqueName('e2e-dev')
  afterAll(() => deleteNamespace(namespace))

  it('applies a Deployment and a Service, waits until available, and reports', async () => {
    const run = await runAction({
      manifests: '__tests__/fixtures/e2e/web.yaml',
      environment: 'dev',
      namespace,
      kubeconfig: kubeconfigText(),
      timeout: '90s'
    })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Connected to https:\/\/127\.0\.0\.1:\d+ \(Kubernetes v\d+\.\d+\.\d+/)

    const deployment = await apps().readNamespacedDeployment({ name: 'web', namespace })
    expect(deployment.status?.availableReplicas).toBe(2)
    expect(deployment.metadata?.annotations?.['kube-stage.dev/commit']).toBe(
      '0123456789abcdef0123456789abcdef01234567'
    )
    expect(
      deployment.metadata?.managedFields?.some(f => f.manager === 'kube-stage' && f.operation === 'Apply')
    ).toBe(true)
    const service = await core().readNamespacedService({ name: 'web', namespace })
    expect(service.spec?.ports?.[0].port).toBe(80)
    const ns = await core().readNamespace({ name: namespace })
    expect(ns.metadata?.labels).toMatchObject({
      environment: 'dev',
      'app.kubernetes.io/managed-by': 'kube-stage'
    })

    expect(run.outputs.result).toBe('success')
    expect(run.outputs['failure-reason']).toBe('')
    const resources = JSON.parse(run.outputs.resources) as {
      kind: string
      name: string
      action: string
      readiness: string
    }[]
    expect(resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'Deployment', name: 'web', action: 'created', readiness: 'Current' }),
        expect.objectContaining({ kind: 'Service', name: 'web', action: 'created' })
      ])
    )
    expect(run.summary).toContain('kube-stage passed')
    expect(run.summary).toContain(namespace)
    // The kubeconfig's credentials are masked, and never written to the summary or outputs.
    const keyData = /client-key-data: (\S+)/.exec(kubeconfigText())![1]
    const logged = run.stdout
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n')
    expect(run.stdout).toContain(`::add-mask::${keyData}`)
    expect(logged).not.toContain(keyData)
    expect(run.summary + JSON.stringify(run.outputs)).not.toContain(keyData)
  })

  it('reports unchanged objects on a second run with the same manifests', async () => {
    const run = await runAction(
      { manifests: '__tests__/fixtures/e2e/web.yaml', environment: 'dev', namespace, timeout: '60s' },
      { env: { KUBECONFIG: kubeconfigPath() } }
    )
    expect(run.code).toBe(0)
    const resources = JSON.parse(run.outputs.resources) as { name: string; kind: string; action: string }[]
    expect(resources.filter(r => r.kind !== 'Namespace').map(r => r.action)).toEqual([
      'unchanged',
      'unchanged'
    ])
  })
})

describe('dist/index.js with bad input', () => {
  it('exits 1 with one ::error:: line naming a missing required input', async () => {
    const run = await runAction({ environment: 'dev' })
    expect(run.code).toBe(1)
    const errors = run.stdout.split('\n').filter(l => l.startsWith('::error'))
    expect(errors).toEqual([
      '::error::Input required and not supplied: manifests (or kustomize, or helm-chart, to render them).'
    ])
    expect(run.outputs.result).toBe('failure')
    expect(run.outputs['failure-reason']).toBe('InvalidInput')
  })

  it('says which server it tried and why when the cluster is unreachable', async () => {
    const port = await closedPort()
    const kubeconfig = kubeconfigText().replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      `server: https://127.0.0.1:${port}`
    )
    const run = await runAction({
      manifests: '__tests__/fixtures/e2e/web.yaml',
      environment: 'dev',
      kubeconfig
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      new RegExp(
        `::error::Cannot reach the Kubernetes API at https://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`
      )
    )
    expect(run.outputs['failure-reason']).toBe('ClusterUnreachable')
    expect(run.summary).toContain('ClusterUnreachable')
  })
})

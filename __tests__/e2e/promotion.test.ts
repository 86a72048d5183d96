/**
 * The mission's shape, end to end: the sample app in examples/app staged
 * dev → staging → production with the bundle, each stage's release output
 * passed to the next as a workflow does. Production never sees what did not
 * pass in staging.
 */
import {
  apps,
  core,
  deleteNamespace,
  kubeconfigPath,
  uniqueName,
  withClusterTools
} from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../support/action.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

/** One namespace per environment, with the database secret an operator would have put there. */
async function prepare(environment: string): Promise<string> {
  const namespace = uniqueName(`chain-${environment}`)
  namespaces.push(namespace)
  await core().createNamespace({ body: { metadata: { name: namespace, labels: { environment } } } })
  await core().createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: `db-credentials-${environment}` },
      stringData: { password: `${environment}-password` }
    }
  })
  return namespace
}

async function stage(
  environment: string,
  namespace: string,
  inputs: Record<string, string> = {},
  workspace?: string
): Promise<ActionRun> {
  return runAction(
    {
      kustomize: `examples/app/${environment}`,
      environment,
      namespace,
      timeout: '60s',
      ...inputs
    },
    { workspace, env: withClusterTools({ KUBECONFIG: kubeconfigPath() }) }
  )
}

/** A copy of examples/app with some files changed, as a later commit would have them. */
function exampleWith(changes: Record<string, (text: string) => string>): string {
  const files: Record<string, string> = {}
  for (const file of [
    'base/kustomization.yaml',
    'base/deployment.yaml',
    'base/service.yaml',
    ...['dev', 'staging', 'production'].flatMap(env =>
      ['kustomization.yaml', 'config.yaml', 'deployment.yaml'].map(name => `${env}/${name}`)
    )
  ]) {
    const text = readFileSync(path.join(REPO_ROOT, 'examples/app', file), 'utf8')
    const changed = changes[file] ? changes[file](text) : text
    // A change that no longer matches the example would make its test pass for the wrong reason.
    if (changes[file] && changed === text)
      throw new Error(`the change to examples/app/${file} matched nothing`)
    files[`examples/app/${file}`] = changed
  }
  return workspaceWith(files)
}

function errorLine(run: ActionRun): string {
  return run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''
}

describe('dev → staging → production', () => {
  it('passes the release along and reports parity (digest pinning is unit-tested: KWOK reports no image digests)', async () => {
    const [dev, staging, production] = await Promise.all(['dev', 'staging', 'production'].map(prepare))
    const devRun = await stage('dev', dev)
    expect(errorLine(devRun)).toBe('')
    const devRelease = JSON.parse(devRun.outputs.release)
    expect(devRelease).toMatchObject({
      format: 1,
      environment: 'dev',
      result: 'success',
      commit: '0123456789abcdef0123456789abcdef01234567'
    })
    expect(devRelease.images).toEqual({ 'Deployment/shop:shop': 'ghcr.io/example/shop:1.4.0' })
    // Secret values never reach the release output.
    expect(devRun.outputs.release).not.toContain('dev-password')

    const stagingRun = await stage('staging', staging, { 'promote-from': devRun.outputs.release })
    expect(errorLine(stagingRun)).toBe('')
    expect(stagingRun.stdout).toContain('Promotion from dev: commit and images match')
    expect(stagingRun.summary).toContain('Parity with dev')

    const productionRun = await stage('production', production, {
      'promote-from': stagingRun.outputs.release,
      parity: 'fail'
    })
    expect(errorLine(productionRun)).toBe('')
    expect(productionRun.summary).toContain('No configuration differences.')
    const shop = await apps().readNamespacedDeployment({ name: 'shop', namespace: production })
    expect(shop.spec?.replicas).toBe(3)
    expect(shop.spec?.template.spec?.containers[0].image).toBe('ghcr.io/example/shop:1.4.0')
  })

  it('a failing staging blocks production', async () => {
    const [staging, production] = await Promise.all(['staging', 'production'].map(prepare))
    const broken = exampleWith({
      'staging/deployment.yaml': t =>
        t.replace(
          '  template:\n    spec:',
          '  template:\n    metadata:\n      labels: { kube-stage.test/behaviour: crash-loop }\n    spec:'
        )
    })
    const stagingRun = await stage('staging', staging, {}, broken)
    expect(stagingRun.outputs['failure-reason']).toBe('CrashLoop')
    expect(JSON.parse(stagingRun.outputs.release).result).toBe('failure')

    const productionRun = await stage('production', production, {
      'promote-from': stagingRun.outputs.release
    })
    expect(productionRun.outputs['failure-reason']).toBe('PromotionRefused')
    expect(errorLine(productionRun)).toContain('the staging stage did not pass')
    await expect(apps().readNamespacedDeployment({ name: 'shop', namespace: production })).rejects.toThrow()
  })

  it('refuses an image that changed between staging and production', async () => {
    const [staging, production] = await Promise.all(['staging', 'production'].map(prepare))
    const stagingRun = await stage('staging', staging)
    expect(stagingRun.code).toBe(0)
    const tampered = exampleWith({
      'production/kustomization.yaml': t => t.replace('newTag: 1.4.0', 'newTag: 1.4.1-hotfix')
    })
    const productionRun = await stage(
      'production',
      production,
      { 'promote-from': stagingRun.outputs.release },
      tampered
    )
    expect(productionRun.outputs['failure-reason']).toBe('PromotionRefused')
    expect(errorLine(productionRun)).toContain(
      'ghcr.io/example/shop:1.4.1-hotfix differs from ghcr.io/example/shop:1.4.0, which passed in staging'
    )
    await expect(apps().readNamespacedDeployment({ name: 'shop', namespace: production })).rejects.toThrow()
  })

  it('reports a feature flag on in staging and off in production, and fails on it when parity is fail', async () => {
    const [staging, production] = await Promise.all(['staging', 'production'].map(prepare))
    const stagingRun = await stage('staging', staging)
    const drifted = exampleWith({
      'production/config.yaml': t =>
        t.replace(/FEATURE_NEW_CHECKOUT: (['"])on\1/, "FEATURE_NEW_CHECKOUT: 'off'")
    })

    const warned = await stage(
      'production',
      production,
      { 'promote-from': stagingRun.outputs.release },
      drifted
    )
    expect(warned.code).toBe(0)
    expect(warned.stdout).toContain(
      '::warning::Parity with staging: ConfigMap/shop-config/FEATURE_NEW_CHECKOUT is on in staging but off in production'
    )
    expect(warned.summary).toContain('<code>ConfigMap/shop-config/FEATURE_NEW_CHECKOUT</code>')

    const failed = await stage(
      'production',
      production,
      { 'promote-from': stagingRun.outputs.release, parity: 'fail' },
      drifted
    )
    expect(failed.outputs['failure-reason']).toBe('ParityFailed')
    expect(errorLine(failed)).toContain('FEATURE_NEW_CHECKOUT is on in staging but off in production')
  })
})

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
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../support/action.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

/**
 * One namespace per environment. The database password comes from the overlay's ExternalSecret,
 * which reads the test cluster's store (test/cluster/operators.sh).
 */
async function prepare(environment: string): Promise<string> {
  const namespace = uniqueName(`chain-${environment}`)
  namespaces.push(namespace)
  await core().createNamespace({ body: { metadata: { name: namespace, labels: { environment } } } })
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
      ['kustomization.yaml', 'config.yaml', 'deployment.yaml', 'external-secret.yaml'].map(
        name => `${env}/${name}`
      )
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
    const devRelease = JSON.parse(devRun.outputs['release-json'])
    expect(devRelease).toMatchObject({
      format: 1,
      environment: 'dev',
      result: 'success',
      commit: '0123456789abcdef0123456789abcdef01234567'
    })
    expect(devRelease.images).toEqual({ 'Deployment/shop:shop': 'ghcr.io/example/shop:1.4.0' })
    // Secret values never reach the release output.
    expect(devRun.outputs['release-json']).not.toContain('dev-db-password')

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
    expect(JSON.parse(stagingRun.outputs['release-json']).result).toBe('failure')

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

describe('signed release records (release-key)', () => {
  const key = randomBytes(32).toString('hex')
  /** What a reader sees: the log without the add-mask commands the runner consumes, the summary, the outputs. */
  const shown = (run: ActionRun) =>
    [
      run.stdout
        .split('\n')
        .filter(l => !l.startsWith('::add-mask::'))
        .join('\n'),
      run.stderr,
      run.summary,
      JSON.stringify(run.outputs)
    ].join('\n')

  it('production promotes from the release staging signed, and refuses a forged or altered one, writing nothing', async () => {
    const [staging, production] = await Promise.all(['staging', 'production'].map(prepare))
    const stagingRun = await stage('staging', staging, { 'release-key': key })
    expect(errorLine(stagingRun)).toBe('')
    const signed = JSON.parse(stagingRun.outputs['release-json'])
    expect(signed.signature).toMatch(/^hmac-sha256:[0-9a-f]{64}$/)
    expect(stagingRun.stdout).toContain(`::add-mask::${key}`)
    expect(shown(stagingRun)).not.toContain(key)

    // Pinned to a digest that never ran anywhere: what a hand-written promote-from would do.
    const evil = `ghcr.io/example/shop:1.4.0@sha256:${'e'.repeat(64)}`
    const forged = JSON.stringify({
      format: 1,
      environment: 'staging',
      namespace: staging,
      commit: signed.commit,
      result: 'success',
      images: { 'Deployment/shop:shop': evil },
      manifestDigest: signed.manifestDigest,
      objectDigests: {},
      config: { configMaps: {}, env: {}, secrets: [] }
    })
    const altered = JSON.stringify({ ...signed, images: { 'Deployment/shop:shop': evil } })
    const promote = (promoteFrom: string, inputs: Record<string, string> = {}) =>
      stage('production', production, {
        'promote-from': promoteFrom,
        'require-promotion-from': 'staging',
        'release-key': key,
        ...inputs
      })
    const [forgedRun, alteredRun] = await Promise.all([promote(forged), promote(altered)])
    expect(forgedRun.outputs['failure-reason']).toBe('PromotionRefused')
    expect(errorLine(forgedRun)).toContain('promote-from is not signed, but release-key is set here')
    expect(alteredRun.outputs['failure-reason']).toBe('PromotionRefused')
    expect(errorLine(alteredRun)).toContain('the signature of promote-from does not match its content')
    for (const run of [forgedRun, alteredRun]) expect(shown(run)).not.toContain(key)
    await expect(apps().readNamespacedDeployment({ name: 'shop', namespace: production })).rejects.toThrow()
    await expect(
      core().readNamespacedConfigMap({ name: 'shop-config', namespace: production })
    ).rejects.toThrow()

    // Without a key, a signed record is still taken (as before), with a word that it was not verified.
    const unverified = await promote(stagingRun.outputs.release, { 'release-key': '', mode: 'plan' })
    expect(errorLine(unverified)).toBe('')
    expect(unverified.stdout).toContain(
      '::warning::promote-from is signed, but this stage has no release-key, so its signature was not verified'
    )

    const productionRun = await promote(stagingRun.outputs.release)
    expect(errorLine(productionRun)).toBe('')
    expect(productionRun.stdout).toContain(
      'Promotion from staging: commit and images match what passed there (record signature verified)'
    )
    expect(shown(productionRun)).not.toContain(key)
    expect(JSON.parse(productionRun.outputs['release-json']).signature).toMatch(/^hmac-sha256:[0-9a-f]{64}$/)
    const shop = await apps().readNamespacedDeployment({ name: 'shop', namespace: production })
    expect(shop.spec?.template.spec?.containers[0].image).toBe('ghcr.io/example/shop:1.4.0')
  })
})

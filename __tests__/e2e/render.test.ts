/**
 * Rendering what teams keep, on the real node: a stage from a Kustomize overlay
 * and a stage from a Helm chart each deploy, wait and pass their smoke checks;
 * a broken overlay, a broken values file, a refused hook and a missing tool each
 * fail before anything is written, with the tool's own message.
 */
import path from 'node:path'
import {
  apps,
  core,
  deleteNamespace,
  kubeconfigPath,
  namespaceExists,
  uniqueName,
  withClusterTools
} from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { entryService, getJson, realNodeNamespace, requireRealNode } from '../support/real-node.js'

const FIXTURES = '__tests__/fixtures/render'
const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

beforeAll(() => requireRealNode())

/** The runner's PATH with the cluster build's kubectl and helm first (as a hosted runner has them). */
const withTools = () => withClusterTools({ KUBECONFIG: kubeconfigPath() })

const VERSION_CHECK = (version: string) => `defaults: { timeout: 20s, interval: 500ms }
checks:
  - name: version
    path: /api/version
    expect: { json: [{ path: .version, equals: "${version}" }] }
`

async function realNamespace(prefix: string): Promise<{ namespace: string; url: string }> {
  const namespace = uniqueName(prefix)
  namespaces.push(namespace)
  await realNodeNamespace(namespace, 'staging')
  return { namespace, url: await entryService(namespace, 'shop') }
}

function stage(
  inputs: Record<string, string>,
  env: Record<string, string> = withTools()
): Promise<ActionRun> {
  return runAction({ environment: 'staging', timeout: '60s', ...inputs }, { env })
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

it('deploys a Kustomize overlay: rendered, applied, ready and smoke tested', async () => {
  const { namespace, url } = await realNamespace('render-kz')
  const run = await stage({
    namespace,
    kustomize: `${FIXTURES}/kustomize/overlays/staging`,
    'smoke-url': url,
    'smoke-checks': VERSION_CHECK('1.4.0')
  })
  expect(errorLine(run)).toBe('')
  expect(run.outputs.result).toBe('success')
  const resources = JSON.parse(run.outputs.resources) as { kind: string; name: string }[]
  expect(resources.map(r => `${r.kind}/${r.name}`).sort()).toEqual([
    expect.stringMatching(/^ConfigMap\/shop-config-[a-z0-9]{10}$/),
    'Deployment/shop',
    'Service/shop'
  ])
  // The overlay's image tag is what runs.
  expect(await getJson(`${url}/api/version`)).toEqual({ version: '1.4.0' })
})

it('deploys the example Helm chart with a values file and --set values', async () => {
  const { namespace, url } = await realNamespace('render-helm')
  const run = await stage({
    namespace,
    // The release is named after the chart directory: shop.
    'helm-chart': 'examples/helm/shop',
    'helm-values': 'examples/helm/shop/values-staging.yaml',
    'helm-set': 'replicas=1\nconfig.FEATURE_NEW_CHECKOUT=off',
    'smoke-url': url,
    'smoke-checks': VERSION_CHECK('1.4.0')
  })
  expect(errorLine(run)).toBe('')
  expect(run.outputs.result).toBe('success')
  expect(
    JSON.parse(run.outputs.resources)
      .map((r: { name: string }) => r.name)
      .sort()
  ).toEqual(['shop', 'shop', 'shop-config'])
  expect(await getJson(`${url}/api/version`)).toEqual({ version: '1.4.0' })
  const config = await core().readNamespacedConfigMap({ name: 'shop-config', namespace })
  expect(config.data).toMatchObject({ APP_ENV: namespace, FEATURE_NEW_CHECKOUT: 'off', LOG_LEVEL: 'info' })
  const shop = await apps().readNamespacedDeployment({ name: 'shop', namespace })
  expect(shop.spec?.replicas).toBe(1)
  expect(shop.spec?.template.spec?.containers[0].resources?.requests?.cpu).toBe('100m')
})

it('finds the flag on in the staging overlay and off in the production one', async () => {
  const { namespace, url } = await realNamespace('render-stg')
  const staging = await stage({
    namespace,
    kustomize: `${FIXTURES}/kustomize/overlays/staging`,
    'smoke-url': url,
    'smoke-checks': VERSION_CHECK('1.4.0')
  })
  expect(staging.outputs.result).toBe('success')
  const production = uniqueName('render-prod')
  namespaces.push(production)
  await realNodeNamespace(production, 'production')
  const run = await runAction(
    {
      environment: 'production',
      namespace: production,
      kustomize: `${FIXTURES}/kustomize/overlays/production`,
      'promote-from': staging.outputs.release,
      parity: 'fail'
    },
    { env: withTools() }
  )
  expect(run.outputs['failure-reason']).toBe('ParityFailed')
  // Kustomize's hash suffixes differ per overlay; the generator's name is what is compared.
  expect(errorLine(run)).toContain(
    'ConfigMap/shop-config/FEATURE_NEW_CHECKOUT is on in staging but off in production'
  )
  expect(errorLine(run)).toMatch(/^::error::1 configuration difference/)
})

describe('fails before any write', () => {
  async function refused(inputs: Record<string, string>, env?: Record<string, string>) {
    const namespace = uniqueName('render-bad')
    namespaces.push(namespace)
    const run = await stage({ namespace, ...inputs }, env)
    expect(run.code).not.toBe(0)
    expect(run.outputs['failure-reason']).toBeDefined()
    // The namespace was never even created: nothing was written.
    expect(await namespaceExists(namespace)).toBe(false)
    return run
  }

  it('a broken base under an overlay, with kustomize’s message naming the file', async () => {
    const run = await refused({ kustomize: `${FIXTURES}/kustomize/overlays/on-broken-base` })
    expect(run.outputs['failure-reason']).toBe('RenderFailed')
    expect(errorLine(run)).toContain(`kubectl kustomize ${FIXTURES}/kustomize/overlays/on-broken-base failed`)
    expect(errorLine(run)).toMatch(/MalformedYAMLError: yaml: line 5: .*deployment\.yaml/)
  })

  it('a broken patch in an overlay', async () => {
    const run = await refused({ kustomize: `${FIXTURES}/kustomize/overlays/broken-patch` })
    expect(run.outputs['failure-reason']).toBe('RenderFailed')
    expect(errorLine(run)).toContain('replicas.yaml')
  })

  it('a broken values file, with helm’s message naming it', async () => {
    const run = await refused({
      'helm-chart': `${FIXTURES}/chart`,
      'helm-values': `${FIXTURES}/chart/values-broken.yaml`
    })
    expect(run.outputs['failure-reason']).toBe('RenderFailed')
    expect(errorLine(run)).toContain(`helm template ${FIXTURES}/chart failed`)
    expect(errorLine(run)).toMatch(/failed to parse .*values-broken\.yaml/)
  })

  it('a template that fails, with the template file and line', async () => {
    const run = await refused({ 'helm-chart': `${FIXTURES}/chart`, 'helm-set': 'image.tag=' })
    expect(errorLine(run)).toContain('shop/templates/deployment.yaml:16')
    expect(errorLine(run)).toContain('image.tag is required')
  })

  it('a template failing on a --set value, without showing the value', async () => {
    const run = await refused({
      'helm-chart': `${FIXTURES}/chart`,
      'helm-set': 'failWith=hunter2-correct-horse'
    })
    expect(errorLine(run)).toContain('refusing value ***')
    expect(run.stdout + run.summary).not.toContain('hunter2-correct-horse')
  })

  it('a Helm hook the stage has no place for, at its template', async () => {
    const run = await refused({
      'helm-chart': `${FIXTURES}/chart`,
      'helm-set': 'withPodHook=true\nwithHook=true\nwithTest=true'
    })
    expect(run.outputs['failure-reason']).toBe('RenderFailed')
    expect(errorLine(run)).toContain(`file=${FIXTURES}/chart/templates/notify.yaml`)
    // Without helm-release, the release is named after the chart directory.
    expect(errorLine(run)).toContain('Pod/chart-notify is a Helm hook (post-install) of kind Pod')
    expect(errorLine(run)).toContain('Make it a Job')
    // The post-delete hook is left out (a warning, once rendering passes), not refused.
    expect(run.stdout).not.toContain('Job/chart-cleanup is a Helm hook')
    // The chart test (helm.sh/hook: test) was left out, not refused.
    expect(run.stdout).not.toContain('chart-test')
  })

  it('a missing tool, saying which and how to get it', async () => {
    const run = await refused(
      { 'helm-chart': `${FIXTURES}/chart` },
      { KUBECONFIG: kubeconfigPath(), PATH: path.dirname(process.execPath) }
    )
    expect(run.outputs['failure-reason']).toBe('RenderFailed')
    expect(errorLine(run)).toContain('needs helm on PATH')
    expect(errorLine(run)).toContain('azure/setup-helm')
  })
})

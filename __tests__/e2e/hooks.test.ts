/**
 * A Helm chart's post-install and post-upgrade hooks on the real node: they run
 * once the rollout is ready (the cluster's timestamps say the hook's pod started
 * after the app's pod was Ready) and before the smoke checks, in hook-weight order, with their delete
 * policies; a failing one fails the stage with its log and the previous version
 * is rolled back; a post-delete hook is left out with a warning.
 */
import { BatchV1Api } from '@kubernetes/client-node'
import {
  apps,
  core,
  deleteNamespace,
  kubeconfigPath,
  testKubeConfig,
  uniqueName,
  withClusterTools
} from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { entryService, getJson, realNodeNamespace, requireRealNode, shopImage } from '../support/real-node.js'

const CHART = '__tests__/fixtures/hooks/chart'
const batch = () => testKubeConfig().makeApiClient(BatchV1Api)
const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

async function realNamespace(): Promise<{ namespace: string; url: string }> {
  const namespace = uniqueName('hooks')
  namespaces.push(namespace)
  await realNodeNamespace(namespace, 'staging')
  return { namespace, url: await entryService(namespace, 'shop') }
}

const VERSION_CHECK = (version: string) => `defaults: { timeout: 20s, interval: 500ms }
checks:
  - name: version
    path: /api/version
    expect: { json: [{ path: .version, equals: "${version}" }] }
`

function stage(namespace: string, url: string, values: string[], version: string): Promise<ActionRun> {
  return runAction(
    {
      environment: 'staging',
      namespace,
      timeout: '90s',
      'helm-chart': CHART,
      'helm-values': values.map(v => `${CHART}/${v}`).join('\n'),
      'smoke-url': url,
      'smoke-checks': VERSION_CHECK(version)
    },
    { env: withClusterTools({ KUBECONFIG: kubeconfigPath() }) }
  )
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''
const seconds = (time: Date | string | undefined) => new Date(time ?? 0).getTime()
const jobExists = (namespace: string, name: string) =>
  batch()
    .readNamespacedJob({ name, namespace })
    .then(
      () => true,
      () => false
    )

describe('post-deploy hooks of a Helm chart, on the real node', () => {
  it('run after the rollout is ready and before the smoke checks, by weight, with their delete policies; a post-delete hook is left out with a warning', async () => {
    const { namespace, url } = await realNamespace()
    const run = await stage(namespace, url, ['values-order.yaml'], '1.0.0')
    expect(errorLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')

    // In the log: ready, then z-early (weight -5), then a-late (weight 10), then the smoke checks.
    const at = (text: string) => {
      const index = run.stdout.indexOf(text)
      expect(index).toBeGreaterThan(-1)
      return index
    }
    const ready = at('resource(s) ready in')
    const early = at('Job/z-early: succeeded after')
    const late = at('Job/a-late: succeeded after')
    const smoke = at('smoke version: passed')
    expect(ready).toBeLessThan(early)
    expect(early).toBeLessThan(late)
    expect(late).toBeLessThan(smoke)

    // The cluster's own timestamps: the hook's pod started once the app's pod was Ready.
    const [pod] = (await core().listNamespacedPod({ namespace, labelSelector: 'app=shop' })).items
    const podReady = pod.status?.conditions?.find(c => c.type === 'Ready')
    expect(podReady?.status).toBe('True')
    const zEarly = await batch().readNamespacedJob({ name: 'z-early', namespace })
    expect(zEarly.status?.succeeded).toBe(1)
    expect(seconds(zEarly.status?.startTime)).toBeGreaterThanOrEqual(seconds(podReady?.lastTransitionTime))

    // hook-succeeded: deleted once all hooks succeeded; the default (before-hook-creation) keeps it.
    expect(run.stdout).toContain('Job/a-late: deleted (hook-succeeded)')
    expect(await jobExists(namespace, 'a-late')).toBe(false)
    // The post-delete hook: not applied, and said why.
    expect(run.stdout).toMatch(/::warning::Job\/cleanup is a Helm post-delete hook: left out/)
    expect(await jobExists(namespace, 'cleanup')).toBe(false)
    expect(run.summary).toContain('### Post-deploy hooks')
    expect(run.summary).toMatch(/<code>Job\/z-early<\/code><\/td><td>✅ succeeded/)

    // Again: before-hook-creation deletes z-early and runs it anew; a-late is created again.
    const again = await stage(namespace, url, ['values-order.yaml'], '1.0.0')
    expect(errorLine(again)).toBe('')
    expect(again.outputs.result).toBe('success')
    const rerun = await batch().readNamespacedJob({ name: 'z-early', namespace })
    expect(rerun.metadata?.uid).not.toBe(zEarly.metadata?.uid)
    expect(rerun.status?.succeeded).toBe(1)
    const resources = JSON.parse(again.outputs.resources) as { kind: string; name: string; action: string }[]
    expect(resources.filter(r => r.kind === 'Job').map(r => `${r.name}: ${r.action}`)).toEqual([
      'z-early: replaced',
      'a-late: created'
    ])
  })

  it('a failing post-upgrade hook fails the stage with JobFailed and its log, is deleted (hook-failed), and the previous version is rolled back', async () => {
    const { namespace, url } = await realNamespace()
    const first = await stage(namespace, url, [], '1.0.0')
    expect(errorLine(first)).toBe('')
    expect(first.outputs.result).toBe('success')

    const run = await stage(namespace, url, ['values-failing.yaml'], '1.1.0')
    expect(run.outputs.result).toBe('failure')
    expect(run.outputs['failure-reason']).toBe('JobFailed')
    expect(errorLine(run)).toMatch(/Post-deploy hook Job\/verify failed/)
    expect(run.summary).toContain('post-upgrade check: cache warm-up refused')
    // Failed before the smoke checks ran against the new version.
    expect(run.stdout).not.toContain('Smoke checks (1)')
    expect(run.stdout).toContain('Job/verify: deleted (hook-failed)')
    expect(await jobExists(namespace, 'verify')).toBe(false)
    // The usual rollback: 1.0.0 serves again.
    expect(run.stdout).toContain('Rolling back')
    const after = await apps().readNamespacedDeployment({ name: 'shop', namespace })
    expect(after.spec?.template.spec?.containers[0].image).toBe(shopImage('1.0.0'))
    expect(await getJson(`${url}/api/version`)).toEqual({ version: '1.0.0' })
  })
})

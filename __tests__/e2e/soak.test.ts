/**
 * Soak on the real node: after the smoke checks pass, the stage keeps watching
 * the new revision. A build that crashes 20 s after it became ready fails a 45 s
 * soak and is rolled back, and the summary says when and why; a healthy build
 * passes it. The crash is the kubelet's: the container's shell exits 20 s after
 * starting the app.
 */
import { apps, deleteNamespace, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'
import {
  entryService,
  getJson,
  realNodeNamespace,
  requireRealNode,
  shopDeployment,
  shopImage
} from '../support/real-node.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

const smoke = `defaults: { timeout: 20s, interval: 500ms }
checks:
  - name: version
    path: /api/version
    expect: { json: [{ path: .version, exists: true }] }
`

async function stage(
  namespace: string,
  url: string,
  app: string,
  inputs: Record<string, string>
): Promise<ActionRun> {
  return runAction(
    {
      manifests: 'app.yaml',
      environment: 'staging',
      namespace,
      timeout: '90s',
      'smoke-url': url,
      'smoke-checks': 'smoke.yaml',
      ...inputs
    },
    {
      workspace: workspaceWith({ 'app.yaml': app, 'smoke.yaml': smoke }),
      env: { KUBECONFIG: kubeconfigPath() }
    }
  )
}

const failureLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

/** The app, run by a shell that exits 1 some seconds after starting it: a crash after becoming ready. */
const crashingAfter = (seconds: number) =>
  `          command: [sh, -c, 'shop & sleep ${seconds}; echo "FATAL: connection pool exhausted" >&2; exit 1']\n`

describe('soak on the real node', () => {
  it('a build that crashes 20 s after it became ready fails a 45 s soak and is rolled back', async () => {
    const namespace = uniqueName('soak')
    namespaces.push(namespace)
    await realNodeNamespace(namespace, 'staging')
    const url = await entryService(namespace, 'shop')
    const good = await stage(namespace, url, shopDeployment({ version: '1.0.0' }), {})
    expect(failureLine(good)).toBe('')

    const run = await stage(
      namespace,
      url,
      shopDeployment({ version: '1.1.0', container: crashingAfter(20) }),
      {
        soak: '45s',
        'soak-interval': '5s'
      }
    )
    expect(run.outputs['failure-reason']).toBe('PodRestarted')
    expect(failureLine(run)).toMatch(
      /Soak: container shop of pod shop-[a-z0-9-]+ (stopped|restarted) \(exit code 1, Error\), [\d.]+s into the soak \(the release had passed its smoke checks\)/
    )
    // It passed its smoke checks first, and the soak said what it was waiting for meanwhile.
    expect(run.stdout).toContain('smoke version: passed')
    expect(run.stdout).toMatch(/Soak: [\d.]+s of 45\.0s, 1 pod\(s\) steady, \d+ smoke round\(s\) passed/)
    expect(run.summary).toContain('### Soak')
    expect(run.summary).toMatch(
      /❌ Failed after [\d.]+s of 45\.0s: container shop of pod shop-[a-z0-9-]+ (stopped|restarted)/
    )
    expect(run.summary).toContain('FATAL: connection pool exhausted')
    expect(run.outputs['rolled-back']).toBe('true')
    const deployment = await apps().readNamespacedDeployment({ name: 'shop', namespace })
    expect(deployment.spec?.template.spec?.containers[0].image).toBe(shopImage('1.0.0'))
    // The previous version answers (once kube-proxy has dropped the crashed pod's endpoint).
    const until = Date.now() + 10_000
    let answer = await getJson(`${url}/api/version`)
    while (JSON.stringify(answer) !== '{"version":"1.0.0"}' && Date.now() < until)
      answer = await getJson(`${url}/api/version`)
    expect(answer).toEqual({ version: '1.0.0' })
  })

  it('a healthy build passes its soak, and the summary says what was watched', async () => {
    const namespace = uniqueName('soak')
    namespaces.push(namespace)
    await realNodeNamespace(namespace, 'staging')
    const url = await entryService(namespace, 'shop')
    const run = await stage(namespace, url, shopDeployment({ version: '1.0.0', replicas: 2 }), {
      soak: '12s',
      'soak-interval': '4s'
    })
    expect(failureLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')
    expect(run.stdout).toMatch(/Soak passed: 2 pod\(s\) steady for 1[\d.]+s, [2-3] smoke round\(s\) passed/)
    expect(run.summary).toMatch(
      /✅ 2 pod\(s\) of the new revision watched for 1[\d.]+s, [2-3] round\(s\) of smoke checks passed/
    )
  })
})

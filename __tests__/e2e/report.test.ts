/**
 * Reporting from the bundle: the job summary on success and failure, and the
 * GitHub deployment status, against a local GitHub REST stand-in on 127.0.0.1.
 */
import { deleteNamespace, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { runAction } from '../support/action.js'
import { startFakeGitHub } from '../support/github-api.js'
import { deploymentYaml, workspaceWith } from '../support/workspace.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'
const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

async function stageWithGitHub(files: Record<string, string>, inputs: Record<string, string>) {
  const namespace = uniqueName('report')
  namespaces.push(namespace)
  const github = await startFakeGitHub([
    {
      id: 7,
      environment: 'staging',
      sha: SHA,
      created_at: new Date().toISOString(),
      statuses: [{ state: 'queued', log_url: 'https://github.com/example/shop/actions/runs/4242/job/1' }]
    }
  ])
  try {
    const run = await runAction(
      {
        manifests: Object.keys(files).join(','),
        environment: 'staging',
        namespace,
        timeout: '60s',
        'github-token': 'ghs_secret_token_value',
        ...inputs
      },
      { workspace: workspaceWith(files), env: { KUBECONFIG: kubeconfigPath(), GITHUB_API_URL: github.url } }
    )
    return { run, github }
  } finally {
    await github.close()
  }
}

describe('GitHub deployment status from the bundle', () => {
  it("marks the job's own deployment in progress, then success with the environment URL and the run's log URL", async () => {
    const { run, github } = await stageWithGitHub(
      { 'app.yaml': deploymentYaml('web') },
      { 'environment-url': 'https://staging.shop.example' }
    )
    expect(run.code).toBe(0)
    expect(run.outputs['environment-url']).toBe('https://staging.shop.example')
    const posted = github.requests.filter(r => r.method === 'POST')
    expect(posted.map(r => [r.path, r.body?.state])).toEqual([
      ['/repos/example/shop/deployments/7/statuses', 'in_progress'],
      ['/repos/example/shop/deployments/7/statuses', 'success']
    ])
    expect(posted[1].body).toMatchObject({
      environment_url: 'https://staging.shop.example',
      log_url: 'https://github.com/example/shop/actions/runs/4242'
    })
    expect(github.requests.every(r => r.authorization === 'token ghs_secret_token_value')).toBe(true)
    expect(run.stdout).toContain('::add-mask::ghs_secret_token_value')
  })

  it('reports failure with the failure code, and writes the summary with the reason', async () => {
    const { run, github } = await stageWithGitHub(
      { 'app.yaml': deploymentYaml('web', { labels: { 'kube-stage.test/behaviour': 'crash-loop' } }) },
      {}
    )
    expect(run.code).toBe(1)
    const final = github.requests.filter(r => r.method === 'POST').pop()
    expect(final?.body).toMatchObject({ state: 'failure' })
    expect(String(final?.body?.description)).toMatch(/^CrashLoop: /)
    expect(run.summary).toContain('❌ kube-stage failed')
    expect(run.summary).toContain('<code>CrashLoop</code>')
    expect(run.summary).toMatch(/<details><summary>Last log lines of web-/)
    expect(run.summary).toContain('<td>Deployment</td>')
    expect(run.summary).not.toContain('ghs_secret_token_value')
  })

  it('creates no deployment and makes no request when github-deployment is off', async () => {
    const { run, github } = await stageWithGitHub(
      { 'app.yaml': deploymentYaml('web') },
      { 'github-deployment': 'off' }
    )
    expect(run.code).toBe(0)
    expect(github.requests).toEqual([])
    expect(run.stdout).not.toContain('is now called')
  })

  it('the old name of a renamed input (deployment) still works, with a warning naming the new one', async () => {
    const { run, github } = await stageWithGitHub(
      { 'app.yaml': deploymentYaml('web') },
      { deployment: 'off' }
    )
    expect(run.code).toBe(0)
    expect(github.requests).toEqual([])
    expect(run.stdout).toContain(
      '::warning::Input deployment is now called github-deployment: the old name still works, but rename it in your workflow.'
    )
  })
})

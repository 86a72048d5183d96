/**
 * Smoke checks through the bundle: a stage on the real control plane whose
 * service (the fixture app on 127.0.0.1) answers the reference checks, then an
 * update whose service does not: the stage fails with SmokeFailed, annotates
 * each failed check at its line, rolls the Deployment back, and never shows
 * the secret the checks use.
 */
import { type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { apps, deleteNamespace, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { REPO_ROOT, runAction, type ActionRun } from '../support/action.js'
import { startFixtureApp } from '../support/fixture-app.js'
import { deploymentYaml, workspaceWith } from '../support/workspace.js'

const fixtureApps: ChildProcess[] = []
const namespaces: string[] = []
afterAll(async () => {
  for (const app of fixtureApps) app.kill()
  await Promise.all(namespaces.map(deleteNamespace))
})

const fixtureApp = (env: Record<string, string>) => startFixtureApp(env, fixtureApps)

const TOKEN = 'smoke-token-9f8e7d6c5b4a'

const checks =
  readFileSync(path.join(REPO_ROOT, 'examples/app/smoke-checks.yaml'), 'utf8').replace(
    'timeout: 30s',
    'timeout: 3s'
  ) +
  `  - name: authenticated
    path: /healthz
    headers:
      Authorization: Bearer \${API_TOKEN}
  - name: token script
    run: echo "calling with $API_TOKEN"; test -n "$FAIL_SCRIPT" && exit 3 || exit 0
`

async function stage(
  namespace: string,
  image: string,
  smokeUrl: string,
  failScript = false
): Promise<ActionRun> {
  return runAction(
    {
      manifests: 'app.yaml',
      environment: 'staging',
      namespace,
      timeout: '60s',
      'smoke-url': smokeUrl,
      'smoke-checks': 'smoke.yaml',
      'smoke-secrets': 'API_TOKEN'
    },
    {
      workspace: workspaceWith({
        'app.yaml': deploymentYaml('shop', { replicas: 2, image }),
        'smoke.yaml': checks
      }),
      env: { KUBECONFIG: kubeconfigPath(), API_TOKEN: TOKEN, ...(failScript ? { FAIL_SCRIPT: '1' } : {}) }
    }
  )
}

/** Everything a user could read: the log without the runner's own mask commands, the outputs, the summary. */
function visible(run: ActionRun): string {
  const log = run.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  return `${log}\n${run.stderr}\n${JSON.stringify(run.outputs)}\n${run.summary}`
}

it('passes the reference checks, then fails an update on them, rolls back, and never shows the token', async () => {
  const healthy = await fixtureApp({ APP_VERSION: '1.4.0' })
  const broken = await fixtureApp({ APP_VERSION: '1.5.0', DB_CONNECTED: 'false' })
  const namespace = uniqueName('smoke')
  namespaces.push(namespace)

  const good = await stage(namespace, 'ghcr.io/example/shop:1.4.0', healthy)
  expect(good.outputs.result).toBe('success')
  expect(good.summary).toContain('database connected')
  expect(JSON.parse(good.outputs['release-json']).smoke).toEqual({ passed: true, checks: 6, failed: [] })
  expect(good.stdout).toContain(`::add-mask::${TOKEN}`)

  const bad = await stage(namespace, 'ghcr.io/example/shop:1.5.0', broken, true)
  expect(bad.code).toBe(1)
  expect(bad.outputs['failure-reason']).toBe('SmokeFailed')
  // Each failed check gets an annotation at its line of the checks file.
  const annotations = bad.stdout.split('\n').filter(line => line.startsWith('::error'))
  expect(annotations).toHaveLength(2)
  expect(annotations.join('\n')).toMatch(/::error file=smoke\.yaml,line=15.*database connected/)
  expect(annotations.join('\n')).toMatch(
    /::error .*file=smoke\.yaml,line=3[0-9].*token script.*exited with code 3/
  )
  expect(bad.summary).toContain('.connected: expected true, got false')
  // KWOK runs no container: the stand-in service keeps answering as the broken version, so the
  // restored version fails the checks run again after the rollback, and is not called rolled back.
  expect(bad.outputs['rolled-back']).toBe('false')
  expect(bad.summary).toContain('the restored version fails its smoke checks too')
  const shop = await apps().readNamespacedDeployment({ name: 'shop', namespace })
  expect(shop.spec?.template.spec?.containers[0].image).toBe('ghcr.io/example/shop:1.4.0')

  for (const run of [good, bad]) expect(visible(run)).not.toContain(TOKEN)
  expect(bad.summary).toContain('calling with ***')
})

it('runs jq assertions through the bundle: one passes, one fails, one that never ends is stopped in time', async () => {
  const app = await fixtureApp({ APP_VERSION: '1.4.0' })
  const namespace = uniqueName('smoke-jq')
  namespaces.push(namespace)
  const run = await runAction(
    {
      manifests: 'app.yaml',
      environment: 'staging',
      namespace,
      timeout: '60s',
      rollback: 'false',
      'smoke-url': app,
      'smoke-checks': 'smoke.yaml'
    },
    {
      workspace: workspaceWith({
        'app.yaml': deploymentYaml('shop', { image: 'ghcr.io/example/shop:1.4.0' }),
        'smoke.yaml': `checks:
  - name: db by jq
    path: /api/db-status
    expect:
      json:
        - jq: '.connected == true'
  - name: version by jq
    path: /api/version
    retry: false
    expect:
      json:
        - jq: '.version | startswith("2.")'
  - name: endless
    path: /api/version
    timeout: 3s
    expect:
      json:
        - jq: 'any(range(1e18); . < 0)'
`
      }),
      env: { KUBECONFIG: kubeconfigPath() }
    }
  )
  expect(run.outputs['failure-reason']).toBe('SmokeFailed')
  expect(JSON.parse(run.outputs['release-json']).smoke).toEqual({
    passed: false,
    checks: 3,
    failed: ['version by jq', 'endless']
  })
  expect(run.stdout).toContain(`jq '.version | startswith("2.")': expected true, got false`)
  expect(run.stdout).toMatch(
    /jq 'any\(range\(1e18\); \. < 0\)': ran past \d\.\ds, the time limit for a jq expression; its worker thread was stopped/
  )
  const endless = /smoke endless: FAILED after \d+ attempt\(s\) in (\d+\.\d)s/.exec(run.stdout)
  expect(Number(endless?.[1])).toBeLessThan(5)
})

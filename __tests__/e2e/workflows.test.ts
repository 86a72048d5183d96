/**
 * The workflows users copy (examples/workflows/), run as they are by a real workflow engine
 * (nektos/act, every step on this host) against the control plane and its real node: `needs:`,
 * job outputs carried to the next job, `environment:`, secrets and variables are act's, and
 * `uses: kube-stage/kube-stage@v0` reads action.yml and runs dist/index.js under Node 24 as the
 * runner would. Also the cloud-login shape: an earlier step writes a kubeconfig whose user is an
 * exec plugin and the stage, with no kubeconfig input, uses it. Each run's time is printed.
 */
import { readFileSync, writeFileSync, mkdtempSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { actBinary, removeActFiles, runAct, workflowRepository, type ActRun } from '../support/act.js'
import { apps, deleteNamespace, kubeconfigText, testKubeConfig, uniqueName } from '../support/cluster.js'
import { entryService, getJson, realNodeNamespace, requireRealNode } from '../support/real-node.js'
import { deployerKubeconfig, documentedRole } from '../support/rbac.js'

const ENVIRONMENTS = ['dev', 'staging', 'production'] as const
type Environment = (typeof ENVIRONMENTS)[number]

const namespaces: string[] = []
afterAll(async () => {
  removeActFiles()
  await Promise.all(namespaces.map(deleteNamespace))
})

beforeAll(async () => {
  await requireRealNode()
  // Built once per version and cached (cold: about 2 minutes); a failure to build fails every test
  // here, saying why.
  actBinary()
}, 600_000)

const RELEASE_KEY = randomBytes(32).toString('hex')

/**
 * The operator's part before any workflow runs: the entry Service. The database password comes from
 * the overlay's ExternalSecret, which reads the test cluster's store (test/cluster/operators.sh).
 */
async function prepare(namespace: string): Promise<string> {
  return entryService(namespace, 'shop')
}

/** Three namespaces made and labelled by the platform team, pinned to the real node. */
async function environments(): Promise<{
  vars: Record<string, string>
  namespace: Record<Environment, string>
}> {
  const vars: Record<string, string> = {}
  const namespace = {} as Record<Environment, string>
  for (const environment of ENVIRONMENTS) {
    const name = uniqueName(`wf-${environment}`)
    namespaces.push(name)
    namespace[environment] = name
    await realNodeNamespace(name, environment)
    vars[`${environment.toUpperCase()}_NAMESPACE`] = name
    vars[`${environment.toUpperCase()}_URL`] = await prepare(name)
  }
  return { vars, namespace }
}

/** One kubeconfig secret per environment (the same cluster here), and the release key. */
function deploySecrets(): Record<string, string> {
  const kubeconfig = kubeconfigText()
  return {
    DEV_KUBECONFIG: kubeconfig,
    STAGING_KUBECONFIG: kubeconfig,
    PRODUCTION_KUBECONFIG: kubeconfig,
    KUBE_STAGE_RELEASE_KEY: RELEASE_KEY
  }
}

function report(name: string, run: ActRun): void {
  console.log(`${name} under act: ${(run.durationMs / 1000).toFixed(1)}s (exit ${run.code})`)
}

/**
 * The exit code and each job's result, as expected; when they are not, act's log (its end) is the
 * failure message, so the cause is in the test output and not only a mismatched value.
 */
function expectJobs(
  run: ActRun,
  code: 'zero' | 'non-zero',
  results: Record<string, string | undefined>
): void {
  const actual = Object.fromEntries(Object.keys(results).map(job => [job, run.jobs[job]?.result]))
  const codeMatches = code === 'zero' ? run.code === 0 : run.code !== 0
  if (!codeMatches || JSON.stringify(actual) !== JSON.stringify(results)) {
    throw new Error(
      `act exited ${run.code} with jobs ${JSON.stringify(actual)}, expected ${code} and ${JSON.stringify(results)}; ` +
        `the end of its log:\n${run.text.slice(-20_000)}`
    )
  }
}

async function deploymentAnnotations(namespace: string): Promise<Record<string, string> | undefined> {
  try {
    const deployment = await apps().readNamespacedDeployment({ name: 'shop', namespace })
    return deployment.metadata?.annotations ?? {}
  } catch {
    return undefined
  }
}

const DEPLOY = 'examples/workflows/progressive-deploy.yml'

test('progressive-deploy.yml: dev → staging → production pass, production gets staging’s release through job outputs and serves it', async () => {
  const { vars, namespace } = await environments()
  const repository = workflowRepository(DEPLOY, ['examples/app'])

  const run = await runAct(repository.root, { secrets: deploySecrets(), vars })
  report('progressive-deploy.yml', run)

  expectJobs(run, 'zero', {
    'deploy-dev': 'succeeded',
    'deploy-staging': 'succeeded',
    'deploy-production': 'succeeded'
  })
  const [dev, staging, production] = ENVIRONMENTS.map(e => run.jobs[`deploy-${e}`])
  // Each job's release output exists and is what the next job's promote-from received: the next stage
  // verified the signed record of exactly the environment it requires.
  expect(dev.outputs.release).toBeTruthy()
  expect(staging.outputs.release).toBeTruthy()
  expect(staging.log.join('\n')).toMatch(/Promotion from dev: commit and images match .*signature verified/)
  expect(production.log.join('\n')).toMatch(
    /Promotion from staging: commit and images match .*signature verified/
  )
  expect(ENVIRONMENTS.map(e => run.jobs[`deploy-${e}`].outputs.result)).toEqual([
    'success',
    'success',
    'success'
  ])
  // The job summaries say what passed, and production compared itself with staging.
  expect(production.summaries.join('\n')).toContain('kube-stage passed')
  expect(production.summaries.join('\n')).toContain('Parity with staging')
  // The cluster: every environment runs the pushed commit, and production's address serves the release.
  for (const environment of ENVIRONMENTS) {
    expect((await deploymentAnnotations(namespace[environment]))?.['kube-stage.dev/commit']).toBe(
      repository.commit
    )
  }
  expect(await getJson(`${vars.PRODUCTION_URL}/api/version`)).toEqual({ version: '1.4.0' })
})

test('progressive-deploy.yml: a staging that crash-loops fails deploy-staging, and deploy-production never runs', async () => {
  const { vars, namespace } = await environments()
  // The pushed change breaks staging only: its process exits at start, as a wrong password would make it.
  const repository = workflowRepository(DEPLOY, ['examples/app'], root => {
    const file = path.join(root, 'examples/app/staging/deployment.yaml')
    const text = readFileSync(file, 'utf8')
    const broken = text.replace(
      '          env:\n',
      '          env:\n' +
        "            - { name: EXIT_MESSAGE, value: 'FATAL: password authentication failed for user shop' }\n" +
        "            - { name: EXIT_CODE, value: '1' }\n"
    )
    expect(broken).not.toBe(text)
    writeFileSync(file, broken)
  })

  const run = await runAct(repository.root, { secrets: deploySecrets(), vars })
  report('progressive-deploy.yml (broken staging)', run)

  // A job whose needs failed never starts, so act reports no result for it.
  expectJobs(run, 'non-zero', {
    'deploy-dev': 'succeeded',
    'deploy-staging': 'failed',
    'deploy-production': undefined
  })
  expect(run.jobs['deploy-staging'].outputs.result).toBe('failure')
  expect(run.jobs['deploy-staging'].log.join('\n')).toContain('password authentication failed')
  // Production never started: no step of its job ran and nothing was written to its namespace.
  expect(
    run.jobs['deploy-production']?.log.some(line => line.includes('kube-stage/kube-stage@v0')) ?? false
  ).toBe(false)
  expect(await deploymentAnnotations(namespace.production)).toBeUndefined()
})

test('an exec-plugin login under act: an earlier step writes KUBECONFIG, the stage has no kubeconfig input and deploys with the plugin’s token', async () => {
  // The platform team's part: the namespace, and a ServiceAccount bound to the documented Role only.
  const namespace = uniqueName('wf-exec')
  namespaces.push(namespace)
  await deployerKubeconfig(namespace, documentedRole(), 'dev')
  const url = await prepare(namespace)
  const cluster = testKubeConfig().getCurrentCluster()!
  const pluginLog = path.join(mkdtempSync(path.join(tmpdir(), 'kube-stage-plugin-')), 'calls')
  const repository = workflowRepository('__tests__/fixtures/workflows/exec-plugin-login.yml', [
    'examples/app',
    '__tests__/fixtures/exec-plugin'
  ])

  const run = await runAct(repository.root, {
    // The "cloud identity" the login step leaves: here a kubeconfig allowed to ask for tokens.
    secrets: { CLOUD_CREDENTIALS: kubeconfigText(), KUBE_STAGE_RELEASE_KEY: RELEASE_KEY },
    vars: {
      CLUSTER_SERVER: cluster.server,
      CLUSTER_CA_DATA: cluster.caData ?? readFileSync(cluster.caFile!).toString('base64'),
      DEV_NAMESPACE: namespace,
      DEV_URL: url
    },
    env: { EXEC_PLUGIN_LOG: pluginLog }
  })
  report('exec-plugin-login.yml', run)

  expectJobs(run, 'zero', { 'deploy-dev': 'succeeded' })
  expect(run.jobs['deploy-dev'].outputs.result).toBe('success')
  // The plugin was asked for the ServiceAccount's token: the only credential in the KUBECONFIG the stage used.
  expect(existsSync(pluginLog) ? readFileSync(pluginLog, 'utf8') : '').toContain(
    `token for system:serviceaccount:${namespace}:deployer`
  )
  expect((await deploymentAnnotations(namespace))?.['kube-stage.dev/commit']).toBe(repository.commit)
  expect(await getJson(`${url}/api/version`)).toEqual({ version: '1.4.0' })
})

test('plan-pull-request.yml: the three plans pass in a chain, say what each environment would create, and write nothing', async () => {
  const { vars, namespace } = await environments()
  // act 0.2.89's workflow schema does not know `environment.deployment` (GitHub's switch that makes a
  // plan job no deployment), and refuses the whole file: only those lines are taken out.
  const repository = workflowRepository(
    'examples/workflows/plan-pull-request.yml',
    ['examples/app'],
    root => {
      const file = path.join(root, '.github/workflows/plan-pull-request.yml')
      const text = readFileSync(file, 'utf8')
      const forAct = text.replace(/\n {6}deployment: false\n/g, '\n')
      expect(text.split('\n').length - forAct.split('\n').length).toBe(3)
      writeFileSync(file, forAct)
    }
  )
  const kubeconfig = kubeconfigText()

  const run = await runAct(repository.root, {
    event: 'pull_request',
    payload: { pull_request: { number: 7, base: { ref: 'main' }, head: { ref: 'new-checkout' } } },
    secrets: {
      DEV_PLAN_KUBECONFIG: kubeconfig,
      STAGING_PLAN_KUBECONFIG: kubeconfig,
      PRODUCTION_PLAN_KUBECONFIG: kubeconfig,
      KUBE_STAGE_RELEASE_KEY: RELEASE_KEY
    },
    vars
  })
  report('plan-pull-request.yml', run)

  expectJobs(run, 'zero', {
    'plan-dev': 'succeeded',
    'plan-staging': 'succeeded',
    'plan-production': 'succeeded'
  })
  // The production plan was checked against staging's plan record, passed through job outputs.
  expect(run.jobs['plan-production'].log.join('\n')).toMatch(/Promotion from staging: .*signature verified/)
  expect(run.jobs['plan-production'].outputs.plan).toContain('"action":"created"')
  // Nothing was written anywhere.
  for (const environment of ENVIRONMENTS) {
    expect(await deploymentAnnotations(namespace[environment])).toBeUndefined()
  }
})

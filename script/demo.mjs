// The demo: a real local control plane, the sample app (examples/app) and one
// fixture app per environment on 127.0.0.1 standing in for each environment's
// service. Runs dist/index.js three times (dev → staging → production) the way
// the workflow in .github/workflows/progressive-deploy.yml does, passing each
// release to the next stage, then shows two promotions being refused. Stops
// everything it started. Run with `npm run demo`.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { clusterBinaries, startCluster, stopCluster } from './cluster.mjs'

const root = path.resolve(import.meta.dirname, '..')
const color = process.stdout.isTTY ? (code, text) => `\x1b[${code}m${text}\x1b[0m` : (_, text) => text
const bold = t => color('1', t)
const green = t => color('32', t)
const red = t => color('31', t)
const yellow = t => color('33', t)
const dim = t => color('2', t)

const started = []
function cleanup() {
  for (const child of started) child.kill('SIGTERM')
  try {
    stopCluster()
  } catch {
    // stop.sh reports its own problems; the demo is ending anyway
  }
}
process.on('SIGINT', () => {
  cleanup()
  process.exit(130)
})

function startApp(environment, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'test/fixture-app/server.mjs')], {
      env: { ...process.env, PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'inherit']
    })
    started.push(child)
    child.on('error', reject)
    child.stdout.on('data', chunk => {
      const match = /listening (\d+)/.exec(String(chunk))
      if (match) resolve(`http://127.0.0.1:${match[1]}`)
    })
  })
}

function readOutputs(file) {
  const text = readFileSync(file, 'utf8')
  const outputs = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (!heredoc) continue
    const value = []
    while (++i < lines.length && lines[i] !== heredoc[2]) value.push(lines[i])
    outputs[heredoc[1]] = value.join('\n')
  }
  return outputs
}

/** Runs one stage as the runner would, and prints what a person wants to see of it. */
function stage(title, environment, namespace, inputs, workspace = root) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-stage-demo-'))
  const outputFile = path.join(dir, 'output')
  writeFileSync(outputFile, '')
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KUBECONFIG: kubeconfig,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md'),
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'example/shop',
    GITHUB_RUN_ID: '1',
    GITHUB_SHA: '5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e',
    INPUT_ENVIRONMENT: environment,
    INPUT_NAMESPACE: namespace,
    INPUT_MANIFESTS: `examples/app/base, examples/app/${environment}`,
    INPUT_TIMEOUT: '60s'
  }
  writeFileSync(env.GITHUB_STEP_SUMMARY, '')
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  console.log(`\n${bold(`▶ ${title}`)}`)
  const begin = Date.now()
  let stdout = ''
  try {
    stdout = execFileSync(process.execPath, [path.join(root, 'dist/index.js')], { env, encoding: 'utf8' })
  } catch (error) {
    stdout = error.stdout
  }
  for (const line of stdout.split('\n')) {
    if (!line || line.startsWith('::add-mask::') || line.startsWith('::endgroup::')) continue
    if (line.startsWith('::group::')) console.log(dim(`  ${line.slice(9)}`))
    else if (line.startsWith('::error')) console.log(red(`  ✖ ${line.slice(line.indexOf('::', 2) + 2)}`))
    else if (line.startsWith('::warning')) console.log(yellow(`  ⚠ ${line.slice(line.indexOf('::', 2) + 2)}`))
    else console.log(dim(`    ${line}`))
  }
  const outputs = readOutputs(outputFile)
  const seconds = ((Date.now() - begin) / 1000).toFixed(1)
  if (outputs.result === 'success') console.log(green(`  ✔ ${environment} passed in ${seconds}s`))
  else console.log(red(`  ✖ ${environment} failed in ${seconds}s: ${outputs['failure-reason']}`))
  return outputs
}

console.log(bold('kube-stage demo: dev → staging → production on a local control plane'))
console.log(dim('Starting the control plane (built from source and cached on first use)...'))
const kubeconfig = startCluster()

let failed = false
try {
  const bin = clusterBinaries()
  const k = (...args) =>
    execFileSync(path.join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { stdio: 'ignore' })
  const environments = ['dev', 'staging', 'production']
  const urls = {}
  for (const environment of environments) {
    const namespace = `shop-${environment}`
    k('create', 'namespace', namespace)
    k('label', 'namespace', namespace, `environment=${environment}`)
    // Secrets are the operator's, not the repository's: they exist before the stage runs.
    k(
      'create',
      'secret',
      'generic',
      `db-credentials-${environment}`,
      '-n',
      namespace,
      `--from-literal=password=${environment}-not-a-real-password`
    )
    urls[environment] = await startApp(environment, {
      APP_VERSION: '1.4.0',
      FEATURE_FLAGS: 'new-checkout=on'
    })
    console.log(dim(`${environment}: namespace shop-${environment}, service ${urls[environment]}`))
  }
  const smoke = environment => ({
    'smoke-url': urls[environment],
    'smoke-tests': 'examples/app/smoke-checks.yaml',
    'environment-url': urls[environment]
  })

  const dev = stage('deploy-dev', 'dev', 'shop-dev', smoke('dev'))
  const staging = stage('deploy-staging (needs: deploy-dev)', 'staging', 'shop-staging', {
    ...smoke('staging'),
    'promote-from': dev.release
  })
  const production = stage(
    'deploy-production (needs: deploy-staging, environment: production)',
    'production',
    'shop-production',
    {
      ...smoke('production'),
      'promote-from': staging.release,
      parity: 'fail'
    }
  )
  failed = [dev, staging, production].some(o => o.result !== 'success')

  console.log(bold('\nNow two promotions that must be refused:'))
  const tampered = stage(
    'production with an image that did not pass staging',
    'production',
    'shop-production',
    {
      ...smoke('production'),
      'promote-from': staging.release,
      images: 'ghcr.io/example/shop:1.4.1-untested'
    }
  )
  const brokenWorkspace = mkdtempSync(path.join(tmpdir(), 'kube-stage-demo-ws-'))
  execFileSync('cp', ['-r', path.join(root, 'examples'), brokenWorkspace])
  const deployment = path.join(brokenWorkspace, 'examples/app/staging/deployment.yaml')
  const text = readFileSync(deployment, 'utf8')
  writeFileSync(
    deployment,
    text.replace(
      'labels: { app: shop }\n    spec:',
      'labels: { app: shop, kube-stage.test/behaviour: crash-loop }\n    spec:'
    )
  )
  const brokenStaging = stage(
    'staging with a build that crash-loops',
    'staging',
    'shop-staging',
    { ...smoke('staging'), 'promote-from': dev.release },
    brokenWorkspace
  )
  const blocked = stage('production after the broken staging', 'production', 'shop-production', {
    ...smoke('production'),
    'promote-from': brokenStaging.release
  })
  const refusedAsExpected =
    tampered.result === 'failure' && brokenStaging.result === 'failure' && blocked.result === 'failure'
  failed = failed || !refusedAsExpected
  console.log(
    bold(
      `\n${failed ? red('✖ demo did not go as expected') : green('✔ demo complete')}: production serves ${production.result === 'success' ? 'the release that passed dev and staging' : 'nothing new'}; the untested image and the broken staging never reached it.`
    )
  )
} finally {
  cleanup()
}
process.exit(failed ? 1 : 0)

// The demo: a real local control plane with a real node, and the sample app
// (examples/app) deployed to real pods in dev, staging and production. Runs
// dist/index.js once per environment the way .github/workflows/progressive-deploy.yml
// does, passing each release to the next stage; the smoke checks hit each
// environment's Service through a NodePort on 127.0.0.1. Production already runs yesterday's
// release, and takes today's as a canary in two steps. Then it shows two
// promotions being refused, one of them after a staging that really crash-loops
// and is rolled back, and asks the restored staging what it serves. Where a real
// node cannot run (not Linux, not root), KWOK nodes play the pods and one fixture
// app per environment on 127.0.0.1 stands in for each service. Stops everything
// it started. Run with `npm run demo`.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { clusterBinaries, fixtureAppBinary, startCluster, stopCluster } from './cluster.mjs'

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

/** Without a real node: the fixture app on 127.0.0.1 stands in for an environment's service. */
function startApp(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(fixtureAppBinary(), [], {
      env: { ...process.env, PORT: '0', BIND: '127.0.0.1', ...env },
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
    // kubectl (for kubectl kustomize) from the cluster build, as a hosted runner has it on PATH.
    PATH: `${tools}${path.delimiter}${process.env.PATH}`,
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
    INPUT_KUSTOMIZE: `examples/app/${environment}`,
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
    if (line.startsWith('::group::'))
      console.log(dim(`  ${line.slice(9).replace(/%0A/g, ' ').replace(/%0D/g, '').replace(/%25/g, '%')}`))
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
console.log(
  dim('Starting the control plane and its real node (built from source and cached on first use)...')
)
const kubeconfig = startCluster({ realNode: 'optional' })
const tools = clusterBinaries()
const realNode = existsSync(path.join(path.dirname(kubeconfig), 'real-node'))
console.log(
  realNode
    ? dim(
        'Pods run on a real node (containerd, kubelet, kube-proxy); images were built here from test/fixture-app.'
      )
    : yellow(
        'No real node here (see the reason above): KWOK plays the pods, fixture apps on 127.0.0.1 play the services.'
      )
)

/** What the deployed service answers now, as a person would ask it with curl. */
async function ask(url) {
  const answers = []
  for (const endpoint of ['/api/version', '/api/db-status']) {
    try {
      const response = await fetch(url + endpoint, { signal: AbortSignal.timeout(3000) })
      answers.push(`${endpoint} → ${await response.text()}`)
    } catch (error) {
      answers.push(`${endpoint} → ${error.cause?.code ?? error.message}`)
    }
  }
  return answers.join(', ')
}

let failed = false
try {
  const bin = tools
  const k = (...args) =>
    execFileSync(path.join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' })
  const environments = ['dev', 'staging', 'production']
  const urls = {}
  for (const environment of environments) {
    const namespace = `shop-${environment}`
    // The platform team's part, before any stage runs: the namespace, labelled for its environment.
    k('create', 'namespace', namespace)
    k('label', 'namespace', namespace, `environment=${environment}`)
    // Secret values are not the repository's: each overlay's ExternalSecret names where its database
    // password lives (ClusterSecretStore shop-secrets, which test/cluster/operators.sh made with
    // External Secrets' fake provider), and the stage waits for the operator to make the Secret.
    if (realNode) {
      // The test cluster sends pods to its KWOK nodes unless a namespace asks for the real one.
      k(
        'annotate',
        'namespace',
        namespace,
        'scheduler.alpha.kubernetes.io/node-selector=type=real',
        'scheduler.alpha.kubernetes.io/defaultTolerations=[{"key":"kube-stage.test/real-node","operator":"Exists"}]'
      )
      // The environment's entry point (an ingress or load balancer elsewhere): a NodePort on 127.0.0.1.
      k('create', 'service', 'nodeport', 'shop-entry', '-n', namespace, '--tcp=80:8080')
      k('set', 'selector', 'service', 'shop-entry', '-n', namespace, 'app=shop')
      const nodePort = k(
        'get',
        'service',
        'shop-entry',
        '-n',
        namespace,
        '-o',
        'jsonpath={.spec.ports[0].nodePort}'
      )
      urls[environment] = `http://127.0.0.1:${nodePort}`
    } else {
      urls[environment] = await startApp({ APP_VERSION: '1.4.0', FEATURE_FLAGS: 'new-checkout=on' })
    }
    console.log(dim(`${environment}: namespace shop-${environment}, service ${urls[environment]}`))
  }
  const smoke = environment => ({
    'smoke-url': urls[environment],
    'smoke-checks': 'examples/app/smoke-checks.yaml',
    'environment-url': urls[environment]
  })

  // Staging and production are isolated from other environments, as the example workflow does; on
  // the real node the network enforces it (kube-router) and each stage verifies that it does. Without
  // the real node no pod runs, so there is nothing to verify it with.
  const isolation = realNode ? { isolate: 'true' } : { isolate: 'true', 'isolation-check': 'off' }

  // Production already serves yesterday's release (1.1.0), so today's can go out as a canary.
  const yesterday = stage("production, yesterday's release", 'production', 'shop-production', {
    ...smoke('production'),
    ...isolation,
    images: 'ghcr.io/example/shop:1.1.0'
  })
  failed = yesterday.result !== 'success'

  const dev = stage('deploy-dev', 'dev', 'shop-dev', smoke('dev'))
  const staging = stage('deploy-staging (needs: deploy-dev)', 'staging', 'shop-staging', {
    ...smoke('staging'),
    ...isolation,
    'promote-from': dev.release
  })
  const production = stage(
    'deploy-production (needs: deploy-staging, environment: production)',
    'production',
    'shop-production',
    {
      ...smoke('production'),
      ...isolation,
      'promote-from': staging.release,
      parity: 'fail',
      // Production takes the new release a step at a time: a canary beside yesterday's pods, judged
      // by the smoke checks and a short soak of its own pods at each step, before the Deployment moves.
      strategy: 'canary',
      'canary-steps': '10%, 50%',
      soak: '5s',
      'soak-interval': '1s'
    }
  )
  failed = failed || [dev, staging, production].some(o => o.result !== 'success')
  if (realNode) console.log(`  production answers: ${await ask(urls.production)}`)

  console.log(bold('\nNow two promotions that must be refused:'))
  const tampered = stage(
    'production with an image that did not pass staging',
    'production',
    'shop-production',
    {
      ...smoke('production'),
      ...isolation,
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
    realNode
      ? // A configuration mistake that only shows when the process starts: it exits at once.
        text.replace(
          '          env:\n',
          '          env:\n' +
            "            - { name: STARTUP_LOG, value: 'connecting to db-staging:5432 as shop' }\n" +
            '            - { name: EXIT_MESSAGE, value: \'FATAL: password authentication failed for user "shop"\' }\n' +
            "            - { name: EXIT_CODE, value: '1' }\n"
        )
      : text.replace(
          '  template:\n    spec:',
          '  template:\n    metadata:\n      labels: { kube-stage.test/behaviour: crash-loop }\n    spec:'
        )
  )
  const brokenStaging = stage(
    'staging with a build that crash-loops',
    'staging',
    'shop-staging',
    { ...smoke('staging'), ...isolation, 'promote-from': dev.release },
    brokenWorkspace
  )
  let restored = true
  if (realNode) {
    const answer = await ask(urls.staging)
    restored = brokenStaging['rolled-back'] === 'true' && answer.includes('"version":"1.4.0"')
    console.log(`  ${restored ? green('↺') : red('✖')} staging after the rollback answers: ${answer}`)
  }
  const blocked = stage('production after the broken staging', 'production', 'shop-production', {
    ...smoke('production'),
    'promote-from': brokenStaging.release
  })
  const refusedAsExpected =
    tampered.result === 'failure' &&
    brokenStaging.result === 'failure' &&
    blocked.result === 'failure' &&
    restored
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

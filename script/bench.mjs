// Benchmarks at a runner's distance from its cluster, each against a baseline measured in
// the same run. Every tool reaches the API server through script/latency-proxy.mjs, which
// adds a round trip (BENCH_RTT_MS, default 30 ms, as from a GitHub runner to a managed
// cluster); the same figures are then taken again at 0 ms (no proxy).
//
//   start-up:   `node dist/index.js` (until it has parsed its inputs) vs `node -e ''`
//   config set: BENCH_OBJECTS (200) ConfigMaps, Secrets and Services into a new namespace,
//               then the same again unchanged: kube-stage's bundle vs `kubectl apply --server-side`,
//               and vs the floor (script/bench-floor.mjs: a bare process sending one dry-run
//               wave and one apply wave, all at once), so kube-stage's overhead is a number
//   pod set:    10 Deployments x 2 replicas of the shop image on the real node, with a
//               readiness probe: kube-stage (apply and wait) vs `kubectl apply --server-side`
//               then `kubectl rollout status` for each Deployment, one after another (as the
//               reference pipeline and Azure/k8s-deploy do); and the cluster's own readiness
//               time, from the API server's timestamps (1 s resolution) and from a watch kept
//               on loopback by this script (ms), so each tool's overhead is a number; and the
//               floor (script/bench-floor.mjs with `wait`: both waves, then a watch until every
//               Deployment is available)
//   memory:     peak RSS of a 500-object stage (BENCH_RSS_OBJECTS), and of kubectl doing the same
//
// Prints medians and ratios; asserts nothing. Needs a cluster with a real node: uses
// KUBE_STAGE_TEST_KUBECONFIG, or starts the local one (and stops it afterwards).
// Rounds: BENCH_ROUNDS (config set, start-up, memory; default 5), BENCH_POD_ROUNDS (pod set;
// default 3). BENCH_SKIP_PODS=1 leaves the pod set out. Run with `npm run bench`.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import { setTimeout } from 'node:timers'
import { parse, stringify } from 'yaml'
import { KubeConfig, Watch } from '@kubernetes/client-node'
import { clusterBinaries, startCluster, stopCluster } from './cluster.mjs'

const root = path.resolve(import.meta.dirname, '..')
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const podRounds = Number(process.env.BENCH_POD_ROUNDS ?? 3)
const count = Number(process.env.BENCH_OBJECTS ?? 200)
const rssObjects = Number(process.env.BENCH_RSS_OBJECTS ?? 500)
const rtt = Number(process.env.BENCH_RTT_MS ?? 30)
const rtts = [...new Set([rtt, 0])]
const skipPods = process.env.BENCH_SKIP_PODS === '1'
const DEPLOYMENTS = 10
const REPLICAS = 2

let kubeconfig = process.env.KUBE_STAGE_TEST_KUBECONFIG
let startedCluster = false
if (!kubeconfig) {
  kubeconfig = startCluster()
  startedCluster = true
}
const binDir = clusterBinaries()
const kubectl = process.env.KUBECTL ?? path.join(binDir, 'kubectl')
const node = process.execPath
const scratch = mkdtempSync(path.join(os.tmpdir(), 'kube-stage-bench-'))
const progress = message => process.stderr.write(`[bench] ${message}\n`)
// A copy of the bundle: a rebuild of dist/ during the run (npm run bundle starts with rm -rf) cannot touch it.
if (!existsSync(path.join(root, 'dist/index.js')))
  throw new Error('no dist/index.js: run `npm run bundle` first')
cpSync(path.join(root, 'dist'), path.join(scratch, 'dist'), { recursive: true })
const bundle = path.join(scratch, 'dist/index.js')

// ---------------------------------------------------------------------------------------
// Processes and figures

/** Runs a command to its end; resolves to its wall time, status and output. Never rejects. */
function run(command, args, { env = {}, input } = {}) {
  return new Promise(resolve => {
    const started = performance.now()
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => (stdout += chunk))
    child.stderr.on('data', chunk => (stderr += chunk))
    if (input !== undefined) child.stdin.end(input)
    child.on('error', error => resolve({ ms: 0, status: -1, stdout, stderr: String(error) }))
    child.on('close', status =>
      resolve({ ms: performance.now() - started, status, stdout, stderr, startedAt: started })
    )
  })
}
async function mustRun(what, command, args, options) {
  const result = await run(command, args, options)
  if (result.status !== 0)
    throw new Error(`${what} failed (${result.status}):\n${(result.stderr + result.stdout).slice(-3000)}`)
  return result
}

const sorted = values => [...values].sort((a, b) => a - b)
const median = values => {
  const s = sorted(values)
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const range = values =>
  values.length > 1 ? `  [${sorted(values)[0].toFixed(0)}..${sorted(values).at(-1).toFixed(0)}]` : ''
const fmt = ms => (Number.isNaN(ms) ? '     n/a' : `${ms.toFixed(0).padStart(6)} ms`)
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a')
const figures = new Map()
/** Records one measurement under a key such as "30/config/kubectl/new". */
const record = (key, value) => {
  if (!figures.has(key)) figures.set(key, [])
  if (Number.isFinite(value)) figures.get(key).push(value)
}
const fig = key => median(figures.get(key) ?? [])
const all = key => figures.get(key) ?? []

// ---------------------------------------------------------------------------------------
// The cluster, the proxy, and the namespaces this run creates

const k = (...args) =>
  mustRun(`kubectl ${args.slice(0, 3).join(' ')}`, kubectl, ['--kubeconfig', kubeconfig, ...args])
const created = new Set()

async function createNamespace(name, { realNode = false } = {}) {
  const annotations = realNode
    ? {
        'scheduler.alpha.kubernetes.io/node-selector': 'type=real',
        'scheduler.alpha.kubernetes.io/defaultTolerations': JSON.stringify([
          { key: 'kube-stage.test/real-node', operator: 'Exists', effect: 'NoSchedule' }
        ])
      }
    : {}
  const manifest = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { environment: 'bench' }, annotations }
  }
  created.add(name)
  await mustRun('creating a namespace', kubectl, ['--kubeconfig', kubeconfig, 'create', '-f', '-'], {
    input: JSON.stringify(manifest)
  })
}
/**
 * Waits until it is gone: the namespace controller's deletion of a few hundred objects (or of
 * pods still using the node) would otherwise load the API server during the next measurement.
 */
async function deleteNamespace(name) {
  await run(kubectl, [
    '--kubeconfig',
    kubeconfig,
    'delete',
    'namespace',
    name,
    '--wait=true',
    '--timeout=180s'
  ])
  created.delete(name)
}
function deleteCreatedNow() {
  for (const name of created) {
    try {
      execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'delete', 'namespace', name, '--wait=false'], {
        stdio: 'ignore'
      })
    } catch {
      // already gone
    }
  }
  created.clear()
}
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    progress(`${signal}: deleting the namespaces this run created`)
    deleteCreatedNow()
    process.exit(130)
  })

/** Starts the latency proxy as a process of its own (its timers never wait behind this one's work). */
async function startProxy(target, rttMs) {
  const child = spawn(node, [path.join(root, 'script/latency-proxy.mjs'), target, String(rttMs)], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', code => reject(new Error(`the latency proxy exited (${code})`)))
  })
  return { port: Number(line), stop: () => child.kill('SIGTERM') }
}

/** A kubeconfig like the given one whose current cluster's server is the proxy's port. */
function proxiedKubeconfig(port, file) {
  const config = parse(readFileSync(kubeconfig, 'utf8'))
  const context = config.contexts.find(c => c.name === config['current-context'])?.context
  const cluster = config.clusters.find(c => c.name === context?.cluster)?.cluster
  if (!cluster) throw new Error(`${kubeconfig}: no current cluster`)
  const original = new URL(cluster.server)
  // The same CA and client certificate work through the proxy: it never touches TLS. Only
  // the host name changes; a server certificate without 127.0.0.1 is checked by its name.
  if (original.hostname !== '127.0.0.1' && !cluster['tls-server-name'])
    cluster['tls-server-name'] = original.hostname
  cluster.server = `https://127.0.0.1:${port}`
  writeFileSync(file, stringify(config), { mode: 0o600 })
  return file
}
const targetOf = () => {
  const config = parse(readFileSync(kubeconfig, 'utf8'))
  const context = config.contexts.find(c => c.name === config['current-context'])?.context
  return config.clusters.find(c => c.name === context?.cluster)?.cluster.server
}

// ---------------------------------------------------------------------------------------
// The manifest sets

function workspaceWith(name, yaml) {
  const dir = path.join(scratch, name)
  mkdirSync(path.join(dir, 'k8s'), { recursive: true })
  writeFileSync(path.join(dir, 'k8s/objects.yaml'), yaml)
  return dir
}
/** ConfigMaps, Secrets and Services: ready once applied, so nothing waits. */
function configSet(n) {
  const docs = []
  for (let i = 0; i < n; i++) {
    if (i % 4 === 0)
      docs.push(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-${i}\nstringData:\n  token: t${i}\n`)
    else if (i % 4 === 1)
      docs.push(
        `apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${i}\nspec:\n  selector: { app: a${i} }\n  ports: [{ port: 80, targetPort: 8080 }]\n`
      )
    else
      docs.push(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-${i}\ndata:\n  key: value-${i}\n  other: "${i * 7}"\n`
      )
  }
  return docs.join('---\n')
}
/** The shop app (as __tests__/e2e/migrations.test.ts deploys it), ten times, two replicas each. */
function podSet() {
  const docs = []
  for (let i = 0; i < DEPLOYMENTS; i++) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: { name: shop-${i} }
spec:
  replicas: ${REPLICAS}
  selector: { matchLabels: { app: shop-${i} } }
  template:
    metadata: { labels: { app: shop-${i} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: shop
          image: ghcr.io/example/shop:1.0.0
          ports: [{ containerPort: 8080 }]
          readinessProbe:
            httpGet: { path: /healthz, port: 8080 }
            periodSeconds: 1
`)
  }
  return docs.join('---\n')
}
const configWorkspace = workspaceWith('config', configSet(count))
const podWorkspace = workspaceWith('pods', podSet())
const rssWorkspace = workspaceWith('rss', configSet(rssObjects))

/** The bundle as a runner starts it: INPUT_ variables, output and summary files. */
function stageEnv(workspace, namespace, kubeconfigFile, timeout = '60s') {
  const out = path.join(scratch, `out-${namespace}`)
  // A runner creates both files empty for every step.
  writeFileSync(`${out}.output`, '')
  writeFileSync(`${out}.summary`, '')
  return {
    KUBECONFIG: kubeconfigFile,
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: `${out}.output`,
    GITHUB_STEP_SUMMARY: `${out}.summary`,
    GITHUB_RUN_ID: String(process.pid),
    INPUT_MANIFESTS: 'k8s',
    INPUT_ENVIRONMENT: 'bench',
    INPUT_NAMESPACE: namespace,
    INPUT_TIMEOUT: timeout
  }
}
/** The action logs "dry run Xms, apply Yms": its apply path without process start-up and waiting. */
function applyPath(stdout) {
  const match = /dry run ([\d.]+)(ms|s), apply ([\d.]+)(ms|s)/.exec(stdout)
  if (!match) return NaN
  const toMs = (v, unit) => Number(v) * (unit === 's' ? 1000 : 1)
  return toMs(match[1], match[2]) + toMs(match[3], match[4])
}
/** kubectl as on a fresh runner: an empty discovery cache for each job. */
function kubectlJob() {
  const cache = mkdtempSync(path.join(scratch, 'kubectl-cache-'))
  return (config, ...args) => run(kubectl, ['--kubeconfig', config, '--cache-dir', cache, ...args])
}

// ---------------------------------------------------------------------------------------
// The cluster's own readiness time for the pod set

/**
 * Watches the namespace's Deployments and pods on loopback (never through the proxy) and
 * notes, in this process's clock, when each Deployment was first seen and when each pod was
 * first seen Ready. Resolves to stop(), which returns those times.
 */
async function watchReadiness(namespace) {
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfig)
  const watch = new Watch(kc)
  const deployments = new Map()
  const podReady = new Map()
  const onDeployment = (type, object) => {
    if (!deployments.has(object.metadata.name)) deployments.set(object.metadata.name, performance.now())
  }
  const onPod = (type, object) => {
    const ready = object.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True')
    if (ready && !podReady.has(object.metadata.name))
      podReady.set(object.metadata.name, { at: performance.now(), app: object.metadata.labels?.app })
  }
  const controllers = await Promise.all([
    watch.watch(`/apis/apps/v1/namespaces/${namespace}/deployments`, {}, onDeployment, () => {}),
    watch.watch(`/api/v1/namespaces/${namespace}/pods`, {}, onPod, () => {})
  ])
  return () => {
    for (const controller of controllers) controller.abort()
    return { deployments, podReady }
  }
}

/**
 * From the API server's timestamps (whole seconds): per Deployment, its creationTimestamp to
 * the last Ready lastTransitionTime of its pods; and for the set, the first creation to the
 * last Ready. Readiness seen by the watch (ms) is summarised the same way.
 */
async function clusterReadiness(namespace, observed) {
  const { stdout } = await k('get', 'deployments,pods', '-n', namespace, '-o', 'json')
  const items = JSON.parse(stdout).items
  const created = new Map()
  const lastReady = new Map()
  for (const item of items) {
    if (item.kind === 'Deployment')
      created.set(item.metadata.name, Date.parse(item.metadata.creationTimestamp))
    else {
      const app = item.metadata.labels?.app
      const ready = item.status?.conditions?.find(c => c.type === 'Ready' && c.status === 'True')
      if (!ready) return undefined
      const at = Date.parse(ready.lastTransitionTime)
      lastReady.set(app, Math.max(lastReady.get(app) ?? 0, at))
    }
  }
  const perDeployment = [...created].map(([name, at]) => lastReady.get(name) - at)
  const stamps = {
    slowest: Math.max(...perDeployment),
    median: median(perDeployment),
    set: Math.max(...lastReady.values()) - Math.min(...created.values())
  }
  const seenReady = new Map()
  for (const { at, app } of observed.podReady.values())
    seenReady.set(app, Math.max(seenReady.get(app) ?? 0, at))
  const watched = {
    firstCreated: Math.min(...observed.deployments.values()),
    lastReady: Math.max(...seenReady.values()),
    complete: seenReady.size === DEPLOYMENTS && observed.podReady.size >= DEPLOYMENTS * REPLICAS
  }
  watched.set = watched.lastReady - watched.firstCreated
  return { stamps, watched }
}

// ---------------------------------------------------------------------------------------
// The benchmarks

async function startUp() {
  for (let round = 0; round < Math.max(rounds * 2, 6); round++) {
    record('startup/node', (await run(node, ['-e', ''])).ms)
    record('startup/bundle', (await run(node, [bundle], { env: { INPUT_MANIFESTS: '' } })).ms)
  }
}

const TOOLS = ['kubectl', 'floor', 'stage']
const TOOL_NAMES = { kubectl: 'kubectl', floor: 'the floor', stage: 'kube-stage' }
/** Which tool goes first turns round by round, so none always meets a warmer API server. */
const rotated = round => [...TOOLS.slice(round % TOOLS.length), ...TOOLS.slice(0, round % TOOLS.length)]

async function configRound(rttMs, config, round) {
  const tag = `${process.pid}-${rttMs}-${round}`
  const tools = {
    kubectl: async () => {
      const ns = `bench-kubectl-${tag}`
      await createNamespace(ns)
      for (const phase of ['new', 'unchanged']) {
        const result = await kubectlApply(kubectlJob(), config, ns, path.join(configWorkspace, 'k8s'))
        record(`${rttMs}/config/kubectl/${phase}`, result.ms)
      }
      return ns
    },
    floor: async () => {
      const ns = `bench-floor-${tag}`
      await createNamespace(ns)
      for (const phase of ['new', 'unchanged'])
        record(`${rttMs}/config/floor/${phase}`, (await runFloor(config, ns, configWorkspace, phase)).ms)
      return ns
    },
    stage: async () => {
      const ns = `bench-stage-${tag}`
      await createNamespace(ns)
      for (const phase of ['new', 'unchanged']) {
        const result = await run(node, [bundle], { env: stageEnv(configWorkspace, ns, config) })
        if (result.status !== 0)
          throw new Error(`kube-stage (${result.status}): ${(result.stdout + result.stderr).slice(-3000)}`)
        record(`${rttMs}/config/stage/${phase}`, result.ms)
        record(`${rttMs}/config/path/${phase}`, applyPath(result.stdout))
      }
      return ns
    }
  }
  for (const tool of rotated(round)) await deleteNamespace(await tools[tool]())
}

/** script/bench-floor.mjs on a workspace's set; throws when it fails. */
async function runFloor(config, ns, workspace, phase, wait = false) {
  const result = await run(node, [
    path.join(root, 'script/bench-floor.mjs'),
    config,
    ns,
    path.join(workspace, 'k8s/objects.yaml'),
    phase,
    ...(wait ? ['wait'] : [])
  ])
  if (result.status !== 0) throw new Error(`bench-floor (${result.status}): ${result.stderr.slice(-3000)}`)
  return result
}

/** `kubectl apply --server-side` of a directory, as the reference pipeline runs it; throws when it fails. */
async function kubectlApply(kubectlRun, config, ns, dir) {
  const result = await kubectlRun(config, 'apply', '--server-side', '-n', ns, '-f', dir)
  if (result.status !== 0) throw new Error(`kubectl apply: ${result.stderr}`)
  return result
}

async function podRound(rttMs, config, round) {
  const tag = `${process.pid}-${rttMs}-${round}`
  const tools = {
    kubectl: async ns => {
      const kubectlRun = kubectlJob()
      const started = performance.now()
      await kubectlApply(kubectlRun, config, ns, path.join(podWorkspace, 'k8s'))
      for (let i = 0; i < DEPLOYMENTS; i++) {
        const status = await kubectlRun(
          config,
          'rollout',
          'status',
          '-n',
          ns,
          `deployment/shop-${i}`,
          '--timeout=180s'
        )
        if (status.status !== 0) throw new Error(`kubectl rollout status: ${status.stderr}`)
      }
      return { started, ms: performance.now() - started }
    },
    floor: async ns => {
      const result = await runFloor(config, ns, podWorkspace, 'new', true)
      return { started: result.startedAt, ms: result.ms }
    },
    stage: async ns => {
      const result = await run(node, [bundle], { env: stageEnv(podWorkspace, ns, config, '180s') })
      if (result.status !== 0)
        throw new Error(`kube-stage (${result.status}): ${(result.stdout + result.stderr).slice(-3000)}`)
      return { started: result.startedAt, ms: result.ms }
    }
  }
  for (const tool of rotated(round)) {
    const ns = `bench-pods-${tool}-${tag}`
    await createNamespace(ns, { realNode: true })
    const stop = await watchReadiness(ns)
    const { started, ms } = await tools[tool](ns)
    const ended = started + ms
    // The last Ready may reach this watch a moment after the tool saw it.
    await new Promise(resolve => setTimeout(resolve, 300))
    const readiness = await clusterReadiness(ns, stop())
    record(`${rttMs}/pods/${tool}`, ms)
    if (readiness) {
      const { stamps, watched } = readiness
      record(`${rttMs}/pods/${tool}/stamps-set`, stamps.set)
      record(`${rttMs}/pods/${tool}/stamps-slowest`, stamps.slowest)
      record(`${rttMs}/pods/${tool}/stamps-median`, stamps.median)
      record(`${rttMs}/pods/${tool}/over-stamps`, ms - stamps.set)
      if (watched.complete) {
        record(`${rttMs}/pods/${tool}/watched-set`, watched.set)
        record(`${rttMs}/pods/${tool}/over-watched`, ms - watched.set)
        record(`${rttMs}/pods/${tool}/front`, watched.firstCreated - started)
        record(`${rttMs}/pods/${tool}/tail`, ended - watched.lastReady)
      }
    }
    // Pods of a namespace being deleted still use the node: let them go before the next set.
    await deleteNamespace(ns)
  }
}

/** Peak RSS (kB) of a command: /usr/bin/time's %M, or for node a preload reading ru_maxrss at exit. */
async function peakRss(command, args, env) {
  const file = path.join(scratch, `rss-${process.hrtime.bigint()}`)
  let result
  if (existsSync('/usr/bin/time')) {
    result = await run('/usr/bin/time', ['-f', '%M', '-o', file, command, ...args], { env })
  } else if (command === node) {
    const preload = `import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(${JSON.stringify(file)}, String(process.resourceUsage().maxRSS)))`
    result = await run(node, ['--import', `data:text/javascript,${encodeURIComponent(preload)}`, ...args], {
      env
    })
  } else return { kb: NaN, result: { status: 0 } }
  const kb = existsSync(file) ? Number(readFileSync(file, 'utf8').trim().split('\n').pop()) : NaN
  return { kb, result }
}

async function memory(round) {
  const ns = `bench-rss-${process.pid}-${round}`
  await createNamespace(ns)
  const stage = await peakRss(node, [bundle], stageEnv(rssWorkspace, ns, kubeconfig))
  if (stage.result.status !== 0)
    throw new Error(
      `kube-stage (${rssObjects} objects): ${(stage.result.stdout + stage.result.stderr).slice(-3000)}`
    )
  record('rss/stage', stage.kb / 1024)
  await deleteNamespace(ns)
  const kns = `bench-rss-kubectl-${process.pid}-${round}`
  await createNamespace(kns)
  const cache = mkdtempSync(path.join(scratch, 'kubectl-cache-'))
  const kube = await peakRss(kubectl, [
    '--kubeconfig',
    kubeconfig,
    '--cache-dir',
    cache,
    'apply',
    '--server-side',
    '-n',
    kns,
    '-f',
    path.join(rssWorkspace, 'k8s')
  ])
  record('rss/kubectl', kube.kb / 1024)
  await deleteNamespace(kns)
  record('rss/node', (await peakRss(node, ['-e', ''])).kb / 1024)
}

// ---------------------------------------------------------------------------------------

const startedAt = new Date()
const load = [os.loadavg()[0]]
let serverVersion = '?'
let kubectlVersion = '?'
try {
  const versions = JSON.parse((await k('version', '-o', 'json')).stdout)
  serverVersion = versions.serverVersion?.gitVersion
  kubectlVersion = versions.clientVersion?.gitVersion
  if (!skipPods) {
    const nodes = JSON.parse((await k('get', 'nodes', '-l', 'type=real', '-o', 'json')).stdout).items
    const ready = nodes.some(n => n.status.conditions.some(c => c.type === 'Ready' && c.status === 'True'))
    if (!ready)
      throw new Error(
        'no Ready node labelled type=real: the pod set needs the real node (BENCH_SKIP_PODS=1 leaves it out)'
      )
  }

  progress('start-up')
  await startUp()
  for (const rttMs of rtts) {
    let proxy
    let config = kubeconfig
    if (rttMs > 0) {
      proxy = await startProxy(targetOf(), rttMs)
      config = proxiedKubeconfig(proxy.port, path.join(scratch, `kubeconfig-${rttMs}`))
    }
    try {
      for (let round = 0; round < rounds; round++) {
        progress(`RTT ${rttMs} ms: config set, round ${round + 1}/${rounds}`)
        await configRound(rttMs, config, round)
      }
      for (let round = 0; !skipPods && round < podRounds; round++) {
        progress(`RTT ${rttMs} ms: pod set, round ${round + 1}/${podRounds}`)
        await podRound(rttMs, config, round)
      }
    } finally {
      proxy?.stop()
    }
  }
  for (let round = 0; round < Math.min(rounds, 3); round++) {
    progress(`peak RSS, round ${round + 1}`)
    await memory(round)
  }
} finally {
  deleteCreatedNow()
  rmSync(scratch, { recursive: true, force: true })
  if (startedCluster) stopCluster()
}
load.push(os.loadavg()[0])

// ---------------------------------------------------------------------------------------
// The report

const cpus = os.cpus()
const line = (label, ms, note = '') => console.log(`  ${label.padEnd(50)}${fmt(ms)}   ${note}`)
console.log(`\nkube-stage benchmarks, ${startedAt.toISOString()}`)
console.log(
  `machine: ${cpus.length} cores, ${cpus[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `Node ${process.version}, ${os.type()} ${os.release()}; load average ${load.map(l => l.toFixed(2)).join(' -> ')}`
)
console.log(`cluster: kube-apiserver ${serverVersion} (${targetOf()}), kubectl ${kubectlVersion}`)
console.log(
  `medians of ${rounds} rounds (config set, start-up: ${Math.max(rounds * 2, 6)}) and ${skipPods ? 'no' : podRounds} pod-set rounds; [min..max]`
)
console.log(`RTT: through script/latency-proxy.mjs at ${rtt} ms round trip, and at 0 ms (no proxy)`)
console.log(`kubectl: an empty discovery cache per job, as on a fresh runner\n`)

console.log('start-up')
line(`node -e ''`, fig('startup/node'), '(baseline)' + range(all('startup/node')))
line(
  'node dist/index.js (until inputs are parsed)',
  fig('startup/bundle'),
  `${ratio(fig('startup/bundle'), fig('startup/node'))} baseline, +${(fig('startup/bundle') - fig('startup/node')).toFixed(0)} ms${range(all('startup/bundle'))}`
)

for (const rttMs of rtts) {
  const p = `${rttMs}/config`
  for (const phase of ['new', 'unchanged']) {
    console.log(
      `\nRTT ${rttMs} ms: ${count} ConfigMaps, Secrets, Services ${phase === 'new' ? 'into a new namespace' : 'again, unchanged'}`
    )
    line(
      'kubectl apply --server-side',
      fig(`${p}/kubectl/${phase}`),
      '(baseline)' + range(all(`${p}/kubectl/${phase}`))
    )
    line(
      'kube-stage, whole process',
      fig(`${p}/stage/${phase}`),
      `${ratio(fig(`${p}/stage/${phase}`), fig(`${p}/kubectl/${phase}`))} kubectl${range(all(`${p}/stage/${phase}`))}`
    )
    line('  of which its dry run + apply', fig(`${p}/path/${phase}`), '(from its log)')
    line(
      `floor: bare process, discovery, ${phase === 'new' ? 'dry-run wave, apply wave' : 'one list per kind'}`,
      fig(`${p}/floor/${phase}`),
      `(script/bench-floor.mjs)${range(all(`${p}/floor/${phase}`))}`
    )
    line(
      "  kube-stage's overhead over the floor",
      fig(`${p}/stage/${phase}`) - fig(`${p}/floor/${phase}`),
      `${ratio(fig(`${p}/stage/${phase}`), fig(`${p}/floor/${phase}`))} floor`
    )
  }
  if (skipPods) continue
  const q = `${rttMs}/pods`
  console.log(
    `\nRTT ${rttMs} ms: ${DEPLOYMENTS} Deployments x ${REPLICAS} real pods (readiness probe every 1 s), applied and waited for`
  )
  line(
    'kubectl apply --server-side + rollout status',
    fig(`${q}/kubectl`),
    '(baseline, one rollout status per Deployment)' + range(all(`${q}/kubectl`))
  )
  line(
    'floor: bare process, dry-run wave, apply wave, watch',
    fig(`${q}/floor`),
    `(script/bench-floor.mjs)${range(all(`${q}/floor`))}`
  )
  line(
    'kube-stage, whole process',
    fig(`${q}/stage`),
    `${ratio(fig(`${q}/stage`), fig(`${q}/kubectl`))} kubectl, ${ratio(fig(`${q}/stage`), fig(`${q}/floor`))} floor${range(all(`${q}/stage`))}`
  )
  console.log("  the cluster's own readiness time, first Deployment created -> last pod Ready:")
  for (const tool of TOOLS) {
    const name = TOOL_NAMES[tool]
    line(
      `  in ${name}'s runs, API timestamps (1 s res.)`,
      fig(`${q}/${tool}/stamps-set`),
      `slowest Deployment ${fmt(fig(`${q}/${tool}/stamps-slowest`)).trim()}, median ${fmt(fig(`${q}/${tool}/stamps-median`)).trim()}`
    )
    line(`  in ${name}'s runs, seen by a watch (ms)`, fig(`${q}/${tool}/watched-set`))
  }
  console.log("  overhead over the cluster's own readiness time (whole process minus the above):")
  for (const tool of TOOLS) {
    const name = TOOL_NAMES[tool]
    line(
      `  ${name}, over the watch's time`,
      fig(`${q}/${tool}/over-watched`),
      `before the first Deployment exists ${fmt(fig(`${q}/${tool}/front`)).trim()}, after the last pod is Ready ${fmt(fig(`${q}/${tool}/tail`)).trim()}`
    )
    line(
      `  ${name}, over the API timestamps' time`,
      fig(`${q}/${tool}/over-stamps`),
      '(+-1 s: whole seconds)'
    )
  }
}

console.log(
  `\npeak RSS, ${rssObjects} ConfigMaps, Secrets, Services into a new namespace (RTT 0 ms; ${existsSync('/usr/bin/time') ? '/usr/bin/time %M' : 'ru_maxrss'})`
)
const mb = v => `${Number.isNaN(v) ? '   n/a' : v.toFixed(0).padStart(6)} MB`
console.log(`  ${"node -e ''".padEnd(50)}${mb(fig('rss/node'))}`)
console.log(
  `  ${'kube-stage, whole process'.padEnd(50)}${mb(fig('rss/stage'))}   max ${mb(Math.max(...all('rss/stage'))).trim()}`
)
console.log(`  ${'kubectl apply --server-side'.padEnd(50)}${mb(fig('rss/kubectl'))}`)

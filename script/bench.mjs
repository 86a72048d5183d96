// Benchmarks, each against a baseline measured in the same run:
//   start-up:  `node dist/index.js` (until it has parsed its inputs) vs `node -e ''`
//   apply:     200 objects into a fresh namespace, then the same 200 again (unchanged),
//              kube-stage's bundle vs `kubectl apply --server-side -f` on the same cluster.
// Prints medians and ratios; asserts nothing. Uses KUBE_STAGE_TEST_KUBECONFIG, or starts
// the local control plane (and stops it afterwards). Run with `npm run bench`.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { clusterBinaries, startCluster, stopCluster } from './cluster.mjs'

const root = path.resolve(import.meta.dirname, '..')
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const count = Number(process.env.BENCH_OBJECTS ?? 200)

let kubeconfig = process.env.KUBE_STAGE_TEST_KUBECONFIG
let startedCluster = false
if (!kubeconfig) {
  kubeconfig = startCluster()
  startedCluster = true
}
const binDir = clusterBinaries()
const kubectl = process.env.KUBECTL ?? path.join(binDir, 'kubectl')

function time(command, args, env = {}) {
  const started = process.hrtime.bigint()
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env } })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  return { ms, result }
}
const median = values => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const fmt = ms => `${ms.toFixed(0).padStart(6)} ms`

// The manifest set: ConfigMaps, Secrets and Services (ready once applied, so nothing waits).
const workspace = mkdtempSync(path.join(tmpdir(), 'kube-stage-bench-'))
mkdirSync(path.join(workspace, 'k8s'))
const docs = []
for (let i = 0; i < count; i++) {
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
writeFileSync(path.join(workspace, 'k8s/objects.yaml'), docs.join('---\n'))
const node = process.execPath
const env = {
  KUBECONFIG: kubeconfig,
  GITHUB_WORKSPACE: workspace,
  INPUT_MANIFESTS: 'k8s',
  INPUT_ENVIRONMENT: 'bench',
  INPUT_TIMEOUT: '60s'
}

function createNamespace(name) {
  execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'create', 'namespace', name], { stdio: 'ignore' })
  execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'label', 'namespace', name, 'environment=bench'], {
    stdio: 'ignore'
  })
}

const figures = {
  startNode: [],
  startBundle: [],
  kubectlCreate: [],
  kubectlAgain: [],
  stageCreate: [],
  stageAgain: [],
  pathCreate: [],
  pathAgain: []
}
/** The action logs "dry run Xms, apply Yms": its apply path without process start-up and waiting. */
function applyPath(stdout) {
  const match = /dry run ([\d.]+)(ms|s), apply ([\d.]+)(ms|s)/.exec(stdout)
  if (!match) throw new Error(`no timing line in the action's log:\n${stdout.slice(-2000)}`)
  const toMs = (v, unit) => Number(v) * (unit === 's' ? 1000 : 1)
  return toMs(match[1], match[2]) + toMs(match[3], match[4])
}

for (let round = 0; round < rounds; round++) {
  figures.startNode.push(time(node, ['-e', '']).ms)
  figures.startBundle.push(time(node, [path.join(root, 'dist/index.js')], { INPUT_MANIFESTS: '' }).ms)

  const kNs = `bench-kubectl-${process.pid}-${round}`
  createNamespace(kNs)
  for (const key of ['kubectlCreate', 'kubectlAgain']) {
    const { ms, result } = time(kubectl, [
      '--kubeconfig',
      kubeconfig,
      'apply',
      '--server-side',
      '-n',
      kNs,
      '-f',
      path.join(workspace, 'k8s')
    ])
    if (result.status !== 0) throw new Error(result.stderr)
    figures[key].push(ms)
  }

  const sNs = `bench-stage-${process.pid}-${round}`
  createNamespace(sNs)
  for (const [wall, inner] of [
    ['stageCreate', 'pathCreate'],
    ['stageAgain', 'pathAgain']
  ]) {
    const { ms, result } = time(node, [path.join(root, 'dist/index.js')], { ...env, INPUT_NAMESPACE: sNs })
    if (result.status !== 0) throw new Error(result.stdout)
    figures[wall].push(ms)
    figures[inner].push(applyPath(result.stdout))
  }
  for (const ns of [kNs, sNs])
    execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'delete', 'namespace', ns, '--wait=false'], {
      stdio: 'ignore'
    })
}

const m = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, median(v)]))
console.log(
  `\nkube-stage benchmarks: median of ${rounds} rounds, ${count} objects, ${new Date().toISOString()}\n`
)
console.log('start-up')
console.log(`  node -e ''                         ${fmt(m.startNode)}   (baseline)`)
console.log(
  `  node dist/index.js (inputs parsed) ${fmt(m.startBundle)}   ${(m.startBundle / m.startNode).toFixed(2)}x baseline`
)
console.log(`\napply ${count} objects into a new namespace`)
console.log(`  kubectl apply --server-side        ${fmt(m.kubectlCreate)}   (baseline)`)
console.log(
  `  kube-stage apply path              ${fmt(m.pathCreate)}   ${(m.pathCreate / m.kubectlCreate).toFixed(2)}x kubectl  (dry run of all + apply; no process start-up)`
)
console.log(
  `  kube-stage whole process           ${fmt(m.stageCreate)}   ${(m.stageCreate / m.kubectlCreate).toFixed(2)}x kubectl  (start-up, checks, dry run, apply, wait, report)`
)
console.log(`\napply the same ${count} objects again (nothing changed)`)
console.log(`  kubectl apply --server-side        ${fmt(m.kubectlAgain)}   (baseline)`)
console.log(
  `  kube-stage apply path              ${fmt(m.pathAgain)}   ${(m.pathAgain / m.kubectlAgain).toFixed(2)}x kubectl`
)
console.log(
  `  kube-stage whole process           ${fmt(m.stageAgain)}   ${(m.stageAgain / m.kubectlAgain).toFixed(2)}x kubectl`
)

if (startedCluster) stopCluster()

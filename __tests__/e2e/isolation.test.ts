/**
 * Isolation on a network that enforces it (kube-router on the real node,
 * test/cluster/network.sh): production isolated by the stage still serves
 * through its NodePort and to a namespace without an environment (an ingress
 * controller's), refuses a dev pod, and says it verified this; with the
 * enforcing component stopped the stage warns (or fails, with
 * isolation-check: fail); a failed first stage leaves no policy behind.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { NetworkingV1Api } from '@kubernetes/client-node'
import { REPO_ROOT, runAction, type ActionRun } from '../support/action.js'
import { core, deleteNamespace, kubeconfigPath, testKubeConfig, uniqueName } from '../support/cluster.js'
import {
  entryService,
  getJson,
  REAL_NODE_ANNOTATIONS,
  realNodeNamespace,
  requireRealNode,
  shopDeployment
} from '../support/real-node.js'
import { workspaceWith } from '../support/workspace.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

const CLUSTER_DIR = process.env.KUBE_STAGE_CLUSTER_DIR ?? path.join(REPO_ROOT, '.cluster')
const NETWORK = path.join(REPO_ROOT, 'test/cluster/network.sh')

async function namespaceFor(prefix: string, environment?: string): Promise<string> {
  const name = uniqueName(prefix)
  namespaces.push(name)
  if (environment) await realNodeNamespace(name, environment)
  // Like an ingress controller's namespace: no environment label.
  else await core().createNamespace({ body: { metadata: { name, annotations: REAL_NODE_ANNOTATIONS } } })
  return name
}

/** Whether a pod in `namespace` gets an HTTP answer from `ip`:`port` (a one-shot busybox nc). */
async function connects(namespace: string, ip: string, port: number): Promise<boolean> {
  const name = uniqueName('connect')
  await core().createNamespacedPod({
    namespace,
    body: {
      metadata: { name },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'connect',
            image: 'busybox:1.37',
            command: [
              'sh',
              '-c',
              'printf "GET /healthz HTTP/1.0\\r\\n\\r\\n" | nc -w 3 "$IP" "$PORT" | { read -r s; case "$s" in "HTTP/"*) ;; *) exit 1 ;; esac; }'
            ],
            env: [
              { name: 'IP', value: ip },
              { name: 'PORT', value: String(port) }
            ]
          }
        ]
      }
    }
  })
  const until = Date.now() + 60_000
  while (Date.now() < until) {
    const pod = await core().readNamespacedPod({ name, namespace })
    if (pod.status?.phase === 'Succeeded') return true
    if (pod.status?.phase === 'Failed') return false
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  throw new Error(`pod ${namespace}/${name} did not finish in 60 s`)
}

async function podIp(namespace: string): Promise<string> {
  const pods = await core().listNamespacedPod({ namespace, labelSelector: 'app=shop' })
  const ip = pods.items.find(p => p.status?.podIP && p.metadata?.deletionTimestamp === undefined)?.status
    ?.podIP
  if (!ip) throw new Error(`no shop pod with an address in ${namespace}`)
  return ip
}

function isolatedStage(
  namespace: string,
  url: string,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  return runAction(
    {
      manifests: 'app.yaml',
      environment: 'production',
      namespace,
      isolate: 'true',
      timeout: '90s',
      'smoke-url': url,
      'smoke-checks':
        'defaults: { timeout: 20s, interval: 500ms }\nchecks:\n  - { name: health, path: /healthz }\n',
      ...inputs
    },
    { workspace: workspaceWith({ 'app.yaml': shopDeployment() }), env: { KUBECONFIG: kubeconfigPath() } }
  )
}

const policies = (namespace: string) =>
  testKubeConfig()
    .makeApiClient(NetworkingV1Api)
    .listNamespacedNetworkPolicy({ namespace })
    .then(list => list.items.map(p => p.metadata?.name))

describe('on an enforcing network', () => {
  it('production stays reachable through its NodePort and from an unlabelled namespace, never from dev', async () => {
    const production = await namespaceFor('iso-prod', 'production')
    const dev = await namespaceFor('iso-dev', 'dev')
    const ingress = await namespaceFor('iso-ingress')
    const url = await entryService(production, 'shop')
    const run = await isolatedStage(production, url)
    expect(run.stdout.split('\n').find(l => l.startsWith('::error')) ?? '').toBe('')
    expect(run.outputs.result).toBe('success')
    // The smoke checks passed through the NodePort with the policy in place.
    expect(run.stdout).toContain('smoke health: passed')
    expect(run.stdout).toContain('Isolation verified')
    expect(run.summary).toContain('✅ verified: the network enforces NetworkPolicy')
    expect(run.stdout).not.toContain('::warning::Isolation')
    // The probe cleaned up after itself: its pods and policy are gone (or going).
    expect(await policies(production)).toEqual(['kube-stage-isolate-environment'])
    const probes = await core().listNamespacedPod({
      namespace: production,
      labelSelector: 'kube-stage.dev/isolation-probe'
    })
    expect(probes.items.filter(p => !p.metadata?.deletionTimestamp)).toEqual([])

    const target = await podIp(production)
    expect(await connects(dev, target, 8080)).toBe(false)
    expect(await connects(ingress, target, 8080)).toBe(true)
    expect(await getJson(`${url}/healthz`)).toBeDefined()
  })

  it('a failed first stage with isolation on leaves no policy behind', async () => {
    const production = await namespaceFor('iso-fail', 'production')
    const url = await entryService(production, 'shop')
    const run = await runAction(
      {
        manifests: 'app.yaml',
        environment: 'production',
        namespace: production,
        isolate: 'true',
        timeout: '60s',
        'smoke-url': url
      },
      {
        workspace: workspaceWith({ 'app.yaml': shopDeployment({ version: '9.9.9-missing' }) }),
        env: { KUBECONFIG: kubeconfigPath() }
      }
    )
    expect(run.outputs.result).toBe('failure')
    expect(run.outputs['failure-reason']).toBe('ImagePull')
    expect(run.stdout).toContain('Rollback: removed NetworkPolicy/kube-stage-isolate-environment')
    expect(run.summary).toContain('Removed, as this stage had created it')
    expect(await policies(production)).toEqual([])
  })
})

describe('with the enforcing component stopped', () => {
  beforeAll(() => {
    if (!existsSync(path.join(CLUSTER_DIR, 'network-bin')))
      throw new Error(
        `these tests stop and restart the local cluster's NetworkPolicy enforcement (${NETWORK}); ${CLUSTER_DIR} has none running`
      )
    execFileSync(NETWORK, ['stop', CLUSTER_DIR], { stdio: 'ignore' })
  })
  afterAll(() => {
    execFileSync(NETWORK, ['start', CLUSTER_DIR, 'real-node', '10.96.0.0/16'], { stdio: 'ignore' })
  })

  it('warns that isolation is not in effect', async () => {
    const production = await namespaceFor('iso-open', 'production')
    const run = await isolatedStage(production, await entryService(production, 'shop'))
    expect(run.outputs.result).toBe('success')
    expect(run.stdout).toMatch(
      /::warning::Isolation is not in effect in iso-open-\w+: the cluster's network does not enforce NetworkPolicy/
    )
    expect(run.summary).toContain('⚠️ not in effect')
  })

  it('fails with isolation-check: fail, and rolls the policy it created back', async () => {
    const production = await namespaceFor('iso-strict', 'production')
    const run = await isolatedStage(production, await entryService(production, 'shop'), {
      'isolation-check': 'fail'
    })
    expect(run.outputs['failure-reason']).toBe('IsolationNotEnforced')
    expect(await policies(production)).toEqual([])
  })
})

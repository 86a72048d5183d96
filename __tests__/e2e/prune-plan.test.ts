/**
 * Plan and prune against the real control plane and node. Prune: a renamed
 * ConfigMap and a Service taken out are deleted once the stage passed; a
 * Deployment taken out is kept when the new stage failed and deleted (pods
 * and all) once one passed; what is not labelled as a member is never touched;
 * kubectl sees the set as kube-stage's and refuses to change it, and
 * kube-stage refuses a set kubectl made. Plan: nothing is written (the cluster
 * read back), the diff names the changed fields, Secret values never shown; a
 * plan chain shows parity on a pull request, and an apply refuses a plan's
 * release. All of it under the documented Role too.
 */
import { AdmissionregistrationV1Api } from '@kubernetes/client-node'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import {
  apps,
  clusterToolsDir,
  core,
  deleteNamespace,
  kubeconfigPath,
  namespaceExists,
  testKubeConfig,
  uniqueName
} from '../support/cluster.js'
import { REPO_ROOT, runAction, type ActionRun } from '../support/action.js'
import { deployerKubeconfig, documentedRole } from '../support/rbac.js'
import { workspaceWith } from '../support/workspace.js'
import { entryService, realNodeNamespace, requireRealNode, shopImage } from '../support/real-node.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

const VERSION = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version
const PART_OF = 'applyset.kubernetes.io/part-of'
const GROUP_KINDS = 'applyset.kubernetes.io/contains-group-kinds'

/** KEP-3659's id of a Secret parent, computed here from the spec, not by the code under test. */
const setId = (name: string, namespace: string) =>
  `applyset-${createHash('sha256').update(`${name}.${namespace}.Secret.`).digest('base64url')}-v1`

const configMap = (name: string, data: Record<string, string> = { LOG_LEVEL: 'info' }) => `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name} }
data: ${JSON.stringify(data)}
`

const deployment = (name: string, version: string, options: { configMap?: string; replicas?: number } = {}) =>
  `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${options.replicas ?? 1}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: ${name}
          image: ${shopImage(version)}
          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }
${options.configMap ? `          envFrom: [{ configMapRef: { name: ${options.configMap} } }]\n` : ''}`

const service = (name: string, app: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec: { selector: { app: ${app} }, ports: [{ port: 80, targetPort: 8080 }] }
`

const serviceAccount = (name: string) => `apiVersion: v1
kind: ServiceAccount
metadata: { name: ${name} }
`

const manifests = (...documents: string[]) => documents.join('---\n')

const versionCheck = (version: string, timeout = '15s') => `defaults: { timeout: ${timeout}, interval: 500ms }
checks:
  - name: version
    path: /api/version
    expect: { json: [{ path: .version, equals: '${version}' }] }
`

async function realNamespace(prefix: string): Promise<{ namespace: string; url: string }> {
  const namespace = uniqueName(prefix)
  namespaces.push(namespace)
  await realNodeNamespace(namespace, 'dev')
  return { namespace, url: await entryService(namespace, 'shop') }
}

function stage(
  namespace: string,
  app: string,
  inputs: Record<string, string> = {},
  options: { smoke?: string; env?: Record<string, string> } = {}
): Promise<ActionRun> {
  return runAction(
    {
      manifests: 'app.yaml',
      environment: 'dev',
      namespace,
      timeout: '60s',
      prune: 'true',
      ...(options.smoke ? { 'smoke-checks': 'smoke.yaml' } : {}),
      ...inputs
    },
    {
      workspace: workspaceWith({
        'app.yaml': app,
        ...(options.smoke ? { 'smoke.yaml': options.smoke } : {})
      }),
      env: options.env ?? { KUBECONFIG: kubeconfigPath() }
    }
  )
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''
const names = (list: { items: { metadata?: { name?: string } }[] }) => list.items.map(i => i.metadata?.name)
const configMapNames = async (namespace: string) => names(await core().listNamespacedConfigMap({ namespace }))
const parentOf = (namespace: string, environment = 'dev') =>
  core().readNamespacedSecret({ name: `kube-stage-${environment}`, namespace })

async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read()
    return false
  } catch (error) {
    if ((error as { code?: number }).code === 404) return true
    throw error
  }
}

function kubectl(args: string[], namespace: string, file?: string) {
  return spawnSync(
    path.join(clusterToolsDir(), 'kubectl'),
    [...args, '-n', namespace, ...(file ? ['-f', file] : [])],
    {
      env: { ...process.env, KUBECONFIG: kubeconfigPath(), KUBECTL_APPLYSET: 'true' },
      encoding: 'utf8'
    }
  )
}

describe('prune', () => {
  it('a renamed ConfigMap and a Service taken out are pruned once the stage passed; what is not a member is untouched', async () => {
    const { namespace, url } = await realNamespace('prune-cm')
    // Not members of the stage's set: a ConfigMap made by hand, one of another set, and the
    // entry Service (a Service like the one taken out, but unlabelled).
    await core().createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'hand-made' }, data: { a: '1' } }
    })
    await core().createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'other-set', labels: { [PART_OF]: setId('kube-stage-staging', namespace) } } }
    })
    const smoke = { smoke: versionCheck('1.0.0') }
    const urlInput = { 'smoke-url': url }

    const first = await stage(
      namespace,
      manifests(
        configMap('shop-config-v1'),
        deployment('shop', '1.0.0', { configMap: 'shop-config-v1' }),
        service('shop-internal', 'shop')
      ),
      urlInput,
      smoke
    )
    expect(errorLine(first)).toBe('')
    expect(first.outputs.pruned).toBe('[]')
    const parent = await parentOf(namespace)
    expect(parent.metadata?.labels).toEqual({
      'applyset.kubernetes.io/id': setId('kube-stage-dev', namespace)
    })
    expect(parent.metadata?.annotations).toEqual({
      'applyset.kubernetes.io/tooling': `kube-stage/v${VERSION}`,
      [GROUP_KINDS]: 'ConfigMap,Deployment.apps,Service'
    })
    const member = await core().readNamespacedConfigMap({ name: 'shop-config-v1', namespace })
    expect(member.metadata?.labels?.[PART_OF]).toBe(setId('kube-stage-dev', namespace))

    const renamed = await stage(
      namespace,
      manifests(configMap('shop-config-v2'), deployment('shop', '1.0.0', { configMap: 'shop-config-v2' })),
      urlInput,
      smoke
    )
    expect(errorLine(renamed)).toBe('')
    expect(renamed.outputs.result).toBe('success')
    // Services and ConfigMaps are one tier (neither depends on the other): pruned together.
    expect((JSON.parse(renamed.outputs.pruned) as string[]).sort()).toEqual([
      'ConfigMap/shop-config-v1',
      'Service/shop-internal'
    ])
    expect((await configMapNames(namespace)).sort()).toEqual(
      ['hand-made', 'kube-root-ca.crt', 'other-set', 'shop-config-v2'].sort()
    )
    expect(names(await core().listNamespacedService({ namespace }))).toEqual(['shop-entry'])
    // After the stage passed: the smoke checks came first.
    const smokePassed = renamed.stdout.indexOf('smoke version: passed')
    expect(smokePassed).toBeGreaterThan(0)
    expect(renamed.stdout.indexOf('ConfigMap/shop-config-v1: pruned')).toBeGreaterThan(smokePassed)
    expect(renamed.summary).toContain('### Pruned')
    expect(JSON.parse(renamed.outputs.plan)).toContainEqual({
      kind: 'ConfigMap',
      name: 'shop-config-v1',
      namespace,
      action: 'pruned'
    })
    // Narrowed to what is left.
    expect((await parentOf(namespace)).metadata?.annotations?.[GROUP_KINDS]).toBe('ConfigMap,Deployment.apps')
  })

  it('a Deployment taken out is kept when the new stage fails, and deleted with its pods once one passes', async () => {
    const { namespace, url } = await realNamespace('prune-deploy')
    const urlInput = { 'smoke-url': url }
    const first = await stage(
      namespace,
      manifests(
        configMap('shop-config'),
        deployment('shop', '1.0.0', { configMap: 'shop-config' }),
        deployment('worker', '1.0.0')
      ),
      urlInput,
      { smoke: versionCheck('1.0.0') }
    )
    expect(errorLine(first)).toBe('')
    const worker = await apps().readNamespacedDeployment({ name: 'worker', namespace })

    // worker taken out, a ServiceAccount added, and the checks fail (no version is 9.9.9: an answer
    // from a pod on its way out cannot pass them).
    const failed = await stage(
      namespace,
      manifests(
        configMap('shop-config'),
        deployment('shop', '1.1.0', { configMap: 'shop-config' }),
        serviceAccount('shop-runner')
      ),
      urlInput,
      { smoke: versionCheck('9.9.9', '4s') }
    )
    expect(failed.outputs['failure-reason']).toBe('SmokeFailed')
    expect(failed.outputs.pruned).toBe('[]')
    expect(failed.stdout).not.toMatch(/: pruned$/m)
    const kept = await apps().readNamespacedDeployment({ name: 'worker', namespace })
    expect(kept.metadata?.uid).toBe(worker.metadata?.uid)
    expect(kept.metadata?.deletionTimestamp).toBeUndefined()
    // The parent was widened before applying, and a failed stage does not narrow it.
    expect((await parentOf(namespace)).metadata?.annotations?.[GROUP_KINDS]).toBe(
      'ConfigMap,Deployment.apps,ServiceAccount'
    )

    const passed = await stage(
      namespace,
      manifests(configMap('shop-config'), deployment('shop', '1.1.0', { configMap: 'shop-config' })),
      urlInput,
      { smoke: versionCheck('1.1.0') }
    )
    expect(errorLine(passed)).toBe('')
    // The ServiceAccount the failed stage created is a member too; workloads go first.
    expect(JSON.parse(passed.outputs.pruned)).toEqual(['Deployment/worker', 'ServiceAccount/shop-runner'])
    expect(passed.stdout).toContain('Waiting for Deployment/worker to be deleted')
    expect(await gone(() => apps().readNamespacedDeployment({ name: 'worker', namespace }))).toBe(true)
    // Foreground deletion, waited on: its pods are gone too, and shop still runs.
    expect((await core().listNamespacedPod({ namespace, labelSelector: 'app=worker' })).items).toEqual([])
    expect((await apps().readNamespacedDeployment({ name: 'shop', namespace })).status?.readyReplicas).toBe(1)
    expect((await parentOf(namespace)).metadata?.annotations?.[GROUP_KINDS]).toBe('ConfigMap,Deployment.apps')
  })
})

/**
 * A ValidatingAdmissionPolicy that refuses to delete ConfigMaps in one namespace, as a
 * platform team's policy would; returns how to remove it. Resolves once the API server enforces it.
 */
async function refuseConfigMapDeletes(namespace: string): Promise<() => Promise<void>> {
  const admission = testKubeConfig().makeApiClient(AdmissionregistrationV1Api)
  const name = `${namespace}-keep-configmaps`
  await admission.createValidatingAdmissionPolicy({
    body: {
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['DELETE'], resources: ['configmaps'] }
          ]
        },
        validations: [{ expression: 'false', message: 'ConfigMaps here are kept', reason: 'Invalid' }]
      }
    }
  })
  await admission.createValidatingAdmissionPolicyBinding({
    body: {
      metadata: { name },
      spec: {
        policyName: name,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } }
      }
    }
  })
  const refused = () =>
    core()
      .deleteNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace, dryRun: 'All' })
      .then(
        () => false,
        () => true
      )
  const until = async (want: boolean) => {
    for (let i = 0; i < 100 && (await refused()) !== want; i++) await new Promise(r => setTimeout(r, 200))
    expect(await refused()).toBe(want)
  }
  await until(true)
  return async () => {
    await admission.deleteValidatingAdmissionPolicyBinding({ name })
    await admission.deleteValidatingAdmissionPolicy({ name })
    await until(false)
  }
}

describe('prune that fails', () => {
  it('fails the stage that passed as PruneFailed, keeps the release and the kind, and the next run prunes', async () => {
    const namespace = uniqueName('prune-refused')
    namespaces.push(namespace)
    expect(errorLine(await stage(namespace, configMap('cfg-v1')))).toBe('')
    const allow = await refuseConfigMapDeletes(namespace)
    try {
      const refused = await stage(namespace, configMap('cfg-v2'))
      expect(refused.outputs['failure-reason']).toBe('PruneFailed')
      expect(errorLine(refused)).toContain('could not delete ConfigMap/cfg-v1')
      expect(errorLine(refused)).toContain('ConfigMaps here are kept')
      expect(refused.outputs['rolled-back']).toBe('false')
      expect((await configMapNames(namespace)).sort()).toEqual(['cfg-v1', 'cfg-v2', 'kube-root-ca.crt'])
      expect((await parentOf(namespace)).metadata?.annotations?.[GROUP_KINDS]).toBe('ConfigMap')
    } finally {
      await allow()
    }
    const retried = await stage(namespace, configMap('cfg-v2'))
    expect(errorLine(retried)).toBe('')
    expect(JSON.parse(retried.outputs.pruned)).toEqual(['ConfigMap/cfg-v1'])
  })
})

describe('kubectl and kube-stage keep to their own sets', () => {
  it("kubectl sees the set as kube-stage's and refuses to change it, yet reads the kinds it records", async () => {
    // No pods on the real node needed: the stage makes the namespace, its pods go to KWOK nodes.
    const namespace = uniqueName('prune-kubectl')
    namespaces.push(namespace)
    const run = await stage(
      namespace,
      manifests(configMap('shop-config'), deployment('shop', '1.0.0', { configMap: 'shop-config' }))
    )
    expect(errorLine(run)).toBe('')
    const before = await parentOf(namespace)
    const file = path.join(workspaceWith({}), 'kubectl.yaml')
    writeFileSync(file, configMap('from-kubectl'))

    const refused = kubectl(
      ['apply', '--server-side', '--prune', '--applyset=kube-stage-dev'],
      namespace,
      file
    )
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toContain('is managed by tooling "kube-stage" instead of "kubectl"')
    const after = await parentOf(namespace)
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion)
    expect(await configMapNames(namespace)).not.toContain('from-kubectl')
    expect(await configMapNames(namespace)).toContain('shop-config')

    // The same kinds on a set kubectl owns: kubectl finds a mapping for each, or it would fail.
    const recorded = before.metadata!.annotations![GROUP_KINDS]
    expect(recorded).toBe('ConfigMap,Deployment.apps')
    await core().createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: 'kubectls',
          labels: { 'applyset.kubernetes.io/id': setId('kubectls', namespace) },
          annotations: { 'applyset.kubernetes.io/tooling': 'kubectl/v1.34.4', [GROUP_KINDS]: recorded }
        }
      }
    })
    const read = kubectl(
      ['apply', '--server-side', '--prune', '--applyset=kubectls', '--dry-run=server'],
      namespace,
      file
    )
    expect(read.stderr).not.toContain('could not find mapping')
    expect(read.status).toBe(0)
    expect(read.stdout).toContain('configmap/from-kubectl serverside-applied (server dry run)')
  })

  it("kube-stage refuses a set kubectl made under its parent's name, and writes nothing", async () => {
    const namespace = uniqueName('prune-foreign')
    namespaces.push(namespace)
    await core().createNamespace({ body: { metadata: { name: namespace, labels: { environment: 'dev' } } } })
    const file = path.join(workspaceWith({}), 'kubectl.yaml')
    writeFileSync(file, configMap('kubectl-member'))
    const made = kubectl(['apply', '--server-side', '--prune', '--applyset=kube-stage-dev'], namespace, file)
    expect(made.stderr).toBe('')
    expect(made.status).toBe(0)
    const before = await parentOf(namespace)
    expect(before.metadata?.annotations?.['applyset.kubernetes.io/tooling']).toMatch(/^kubectl\//)

    const run = await stage(namespace, configMap('shop-config'))
    expect(run.outputs['failure-reason']).toBe('ApplySetConflict')
    expect(errorLine(run)).toContain('is the ApplySet of another tool ("kubectl/')
    expect((await configMapNames(namespace)).sort()).toEqual(['kube-root-ca.crt', 'kubectl-member'])
    expect((await parentOf(namespace)).metadata?.resourceVersion).toBe(before.metadata?.resourceVersion)
  })
})

/** Every object of the kinds a stage writes, with its resource version: what "nothing written" is checked against. */
async function snapshot(namespace: string): Promise<Record<string, string | undefined>> {
  const lists = await Promise.all([
    core().listNamespacedConfigMap({ namespace }),
    core().listNamespacedSecret({ namespace }),
    core().listNamespacedService({ namespace }),
    core().listNamespacedServiceAccount({ namespace }),
    apps().listNamespacedDeployment({ namespace }),
    apps().listNamespacedReplicaSet({ namespace })
  ])
  const ns = await core().readNamespace({ name: namespace })
  return Object.fromEntries([
    [`Namespace/${namespace}`, ns.metadata?.resourceVersion],
    ...lists.flatMap((list, i) =>
      (list.items as { metadata?: { name?: string; resourceVersion?: string } }[]).map(item => [
        `${i}/${item.metadata?.name}`,
        item.metadata?.resourceVersion
      ])
    )
  ])
}

describe('plan', () => {
  const secret = (password: string) => `apiVersion: v1
kind: Secret
metadata: { name: shop-db }
stringData: { password: ${password} }
`

  it('writes nothing, and names the fields that would change, Secret values masked', async () => {
    const { namespace, url } = await realNamespace('plan')
    const deployed = await stage(
      namespace,
      manifests(
        configMap('shop-config', { FLAG: 'on' }),
        secret('old-pass-4711'),
        configMap('legacy'),
        deployment('shop', '1.0.0', { configMap: 'shop-config' })
      ),
      { 'smoke-url': url },
      { smoke: versionCheck('1.0.0') }
    )
    expect(errorLine(deployed)).toBe('')
    const before = await snapshot(namespace)

    const planned = await stage(
      namespace,
      manifests(
        configMap('shop-config', { FLAG: 'off' }),
        secret('new-pass-0815'),
        configMap('shop-extra'),
        deployment('shop', '1.1.0', { configMap: 'shop-config', replicas: 2 })
      ),
      { mode: 'plan' }
    )
    expect(errorLine(planned)).toBe('')
    expect(planned.outputs.result).toBe('success')
    expect(planned.outputs.pruned).toBe('[]')
    // Nothing written: every object as it was, nothing new, nothing deleted, no rollout.
    expect(await snapshot(namespace)).toEqual(before)

    const plan = JSON.parse(planned.outputs.plan) as { kind: string; name: string; action: string }[]
    const entry = (kind: string, name: string) => plan.find(e => e.kind === kind && e.name === name)
    expect(entry('ConfigMap', 'shop-config')).toEqual({
      kind: 'ConfigMap',
      name: 'shop-config',
      namespace,
      action: 'changed',
      fields: [{ path: 'data.FLAG', before: 'on', after: 'off' }]
    })
    expect(entry('Secret', 'shop-db')).toEqual({
      kind: 'Secret',
      name: 'shop-db',
      namespace,
      action: 'changed',
      fields: [{ path: 'data.password', before: '***', after: '***' }]
    })
    // The image and the replicas; not the config digest or provenance annotations that follow them.
    expect(entry('Deployment', 'shop')).toEqual({
      kind: 'Deployment',
      name: 'shop',
      namespace,
      action: 'changed',
      fields: [
        { path: 'spec.replicas', before: 1, after: 2 },
        {
          path: 'spec.template.spec.containers[name=shop].image',
          before: shopImage('1.0.0'),
          after: shopImage('1.1.0')
        }
      ]
    })
    expect(entry('ConfigMap', 'shop-extra')).toEqual({
      kind: 'ConfigMap',
      name: 'shop-extra',
      namespace,
      action: 'created'
    })
    expect(entry('ConfigMap', 'legacy')).toEqual({
      kind: 'ConfigMap',
      name: 'legacy',
      namespace,
      action: 'pruned'
    })

    expect(planned.summary).toContain('## 📋 kube-stage plan')
    expect(planned.summary).toContain(
      '1 to create, 3 to change, 0 unchanged, 1 to prune. Nothing was written.'
    )
    expect(planned.summary).toContain(
      '<code>data.FLAG</code>: <code>&quot;on&quot;</code> → <code>&quot;off&quot;</code>'
    )
    expect(planned.stdout).toContain('ConfigMap/legacy: would be pruned')
    const b64 = (text: string) => Buffer.from(text).toString('base64')
    for (const text of [planned.stdout, planned.summary, planned.outputs.plan])
      for (const value of ['old-pass-4711', 'new-pass-0815', b64('old-pass-4711'), b64('new-pass-0815')])
        expect(text).not.toContain(value)
  })

  it('writes nothing where the namespace does not exist yet, not even the namespace', async () => {
    const namespace = uniqueName('plan-new')
    namespaces.push(namespace)
    const planned = await stage(namespace, manifests(configMap('shop-config'), deployment('shop', '1.0.0')), {
      mode: 'plan'
    })
    expect(errorLine(planned)).toBe('')
    expect(JSON.parse(planned.outputs.plan)).toEqual([
      { kind: 'Namespace', name: namespace, action: 'created' },
      { kind: 'ConfigMap', name: 'shop-config', namespace, action: 'created' },
      { kind: 'Deployment', name: 'shop', namespace, action: 'created' }
    ])
    expect(planned.summary).toContain('does not exist yet, and a plan creates nothing')
    expect(await namespaceExists(namespace)).toBe(false)
  })

  it('fails when planning fails: a dry run the server refuses', async () => {
    const namespace = uniqueName('plan-bad')
    namespaces.push(namespace)
    await core().createNamespace({ body: { metadata: { name: namespace, labels: { environment: 'dev' } } } })
    const planned = await stage(
      namespace,
      deployment('shop', '1.0.0').replace('replicas: 1', 'replicas: -1'),
      {
        mode: 'plan'
      }
    )
    expect(planned.outputs['failure-reason']).toBe('PreflightFailed')
    expect(planned.summary).toContain('## ❌ kube-stage plan failed')
    expect(await apps().listNamespacedDeployment({ namespace })).toMatchObject({ items: [] })
  })

  it('a plan chain shows parity on a pull request; an apply refuses a plan’s release', async () => {
    const [staging, production] = [uniqueName('plan-stg'), uniqueName('plan-prd')]
    namespaces.push(staging, production)
    const app = (flag: string) =>
      manifests(configMap('shop-config', { FLAG: flag }), deployment('shop', '1.0.0'))
    const stagingPlan = await stage(staging, app('on'), { mode: 'plan', environment: 'staging' })
    expect(errorLine(stagingPlan)).toBe('')
    expect(JSON.parse(stagingPlan.outputs['release-json'])).toMatchObject({
      environment: 'staging',
      planned: true
    })

    const productionPlan = await stage(production, app('off'), {
      mode: 'plan',
      environment: 'production',
      'promote-from': stagingPlan.outputs.release,
      'require-promotion-from': 'staging'
    })
    expect(errorLine(productionPlan)).toBe('')
    expect(productionPlan.outputs.result).toBe('success')
    expect(productionPlan.summary).toContain('<h3>Parity with staging</h3>')
    expect(productionPlan.stdout).toMatch(/::warning::Parity with staging: .*FLAG.*on.*off/)

    const applied = await stage(production, app('on'), {
      environment: 'production',
      'promote-from': stagingPlan.outputs.release
    })
    expect(applied.outputs['failure-reason']).toBe('PromotionRefused')
    expect(errorLine(applied)).toContain('is from a plan (mode: plan), which deployed nothing')
    expect(await namespaceExists(production)).toBe(false)
  })
})

describe('under the documented Role', () => {
  it('plans, prunes, and without delete fails Forbidden after passing, the release kept', async () => {
    const namespace = uniqueName('prune-role')
    namespaces.push(namespace)
    const kubeconfig = await deployerKubeconfig(namespace, documentedRole(), 'dev')
    const env = { env: {} }
    const first = await stage(namespace, configMap('cfg-v1'), { kubeconfig }, env)
    expect(errorLine(first)).toBe('')

    const planned = await stage(namespace, configMap('cfg-v2'), { kubeconfig, mode: 'plan' }, env)
    expect(errorLine(planned)).toBe('')
    expect(JSON.parse(planned.outputs.plan)).toEqual([
      { kind: 'ConfigMap', name: 'cfg-v2', namespace, action: 'created' },
      { kind: 'ConfigMap', name: 'cfg-v1', namespace, action: 'pruned' }
    ])

    const renamed = await stage(namespace, configMap('cfg-v2'), { kubeconfig }, env)
    expect(errorLine(renamed)).toBe('')
    expect(JSON.parse(renamed.outputs.pruned)).toEqual(['ConfigMap/cfg-v1'])

    // The same Role without delete on ConfigMaps.
    const role = documentedRole()
    for (const rule of role.rules!)
      if (rule.resources?.includes('configmaps')) rule.verbs = rule.verbs.filter(v => v !== 'delete')
    const trimmed = uniqueName('prune-role')
    namespaces.push(trimmed)
    const limited = await deployerKubeconfig(trimmed, role, 'dev')
    expect(errorLine(await stage(trimmed, configMap('cfg-v1'), { kubeconfig: limited }, env))).toBe('')
    const refused = await stage(trimmed, configMap('cfg-v2'), { kubeconfig: limited }, env)
    expect(refused.outputs['failure-reason']).toBe('Forbidden')
    expect(errorLine(refused)).toMatch(/may not delete configmaps in namespace .*ConfigMap\/cfg-v1/)
    expect(refused.outputs['rolled-back']).toBe('false')
    expect((await configMapNames(trimmed)).sort()).toEqual(['cfg-v1', 'cfg-v2', 'kube-root-ca.crt'])
  })
})

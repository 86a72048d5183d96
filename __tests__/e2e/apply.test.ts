/**
 * Apply, end to end: the bundle against the real control plane, one namespace
 * per test. Every refusal must name the problem and leave the cluster as it was.
 */
import {
  apps,
  core,
  deleteNamespace,
  kubeconfigPath,
  namespaceExists,
  patchAsOtherManager,
  uniqueName,
  testKubeConfig
} from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { deploymentYaml, workspaceWith } from '../support/workspace.js'
import { NetworkingV1Api, RbacAuthorizationV1Api, CustomObjectsApi } from '@kubernetes/client-node'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

function stage(inputs: Record<string, string>, workspace: string): Promise<ActionRun> {
  return runAction({ timeout: '60s', ...inputs }, { workspace, env: { KUBECONFIG: kubeconfigPath() } })
}

function newNamespace(prefix: string): string {
  const name = uniqueName(prefix)
  namespaces.push(name)
  return name
}

async function createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await core().createNamespace({ body: { metadata: { name, labels } } })
}

const configMap = (name: string, data = 'value: "1"') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
  ${data}
`

function errors(run: ActionRun): string[] {
  return run.stdout.split('\n').filter(l => l.startsWith('::error'))
}

async function configMapNames(namespace: string): Promise<string[]> {
  const list = await core().listNamespacedConfigMap({ namespace })
  return list.items.map(i => i.metadata!.name!).filter(n => n !== 'kube-root-ca.crt')
}

describe('loading and applying a manifest set', () => {
  it('applies directories, globs, multi-document YAML, Lists and JSON, with provenance, and reports each change', async () => {
    const namespace = newNamespace('apply-set')
    const workspace = workspaceWith({
      'k8s/base/config.yaml': `${configMap('one')}---\n---\n${configMap('two')}`,
      'k8s/base/nested/list.yaml': `apiVersion: v1\nkind: List\nitems:\n  - ${configMap('three').replace(/\n/g, '\n    ')}`,
      'k8s/extra/four.json': JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'four' },
        data: { a: 'b' }
      }),
      'k8s/app.yaml': deploymentYaml('web', { replicas: 2 }),
      'k8s/README.md': 'not a manifest'
    })
    const first = await stage(
      { manifests: 'k8s/base\nk8s/extra/*.json, k8s/app.yaml', environment: 'dev', namespace },
      workspace
    )
    expect(errors(first)).toEqual([])
    expect(first.code).toBe(0)
    expect((await configMapNames(namespace)).sort()).toEqual(['four', 'one', 'three', 'two'])
    const web = await apps().readNamespacedDeployment({ name: 'web', namespace })
    expect(web.metadata?.annotations).toMatchObject({
      'kube-stage.dev/commit': '0123456789abcdef0123456789abcdef01234567',
      'kube-stage.dev/run-url': 'https://github.com/example/shop/actions/runs/4242',
      'kube-stage.dev/workflow': 'progressive-deploy',
      'kube-stage.dev/actor': 'octocat'
    })
    expect(web.metadata?.labels).toMatchObject({ environment: 'dev' })
    // Pod templates are left alone: annotating them would restart every pod on every run.
    expect(web.spec?.template.metadata?.annotations ?? {}).not.toHaveProperty('kube-stage.dev/commit')
    const actions = (run: ActionRun) =>
      Object.fromEntries(
        (JSON.parse(run.outputs.resources) as { kind: string; name: string; action: string }[]).map(r => [
          `${r.kind}/${r.name}`,
          r.action
        ])
      )
    expect(actions(first)).toMatchObject({
      'ConfigMap/one': 'created',
      'Deployment/web': 'created',
      [`Namespace/${namespace}`]: 'created'
    })
    // Tier order in the log: config before the workload.
    expect(first.stdout.indexOf('ConfigMap/one: created')).toBeLessThan(
      first.stdout.indexOf('Deployment/web: created')
    )

    const changed = workspaceWith({
      'k8s/one.yaml': configMap('one'),
      'k8s/two.yaml': configMap('two', 'value: "2"')
    })
    const second = await stage({ manifests: 'k8s', environment: 'dev', namespace }, changed)
    expect(second.code).toBe(0)
    expect(actions(second)).toMatchObject({ 'ConfigMap/one': 'unchanged', 'ConfigMap/two': 'configured' })
    expect((await core().readNamespacedConfigMap({ name: 'two', namespace })).data).toEqual({ value: '2' })
  })

  it('overrides images by repository and reports overrides that matched nothing', async () => {
    const namespace = newNamespace('apply-images')
    const workspace = workspaceWith({
      'app.yaml': deploymentYaml('api', { image: 'ghcr.io/example/api:1.0.0' })
    })
    const run = await stage(
      {
        manifests: 'app.yaml',
        environment: 'dev',
        namespace,
        images: 'ghcr.io/example/api:2.0.0\nnginx=nginx:1.27'
      },
      workspace
    )
    expect(run.code).toBe(0)
    const api = await apps().readNamespacedDeployment({ name: 'api', namespace })
    expect(api.spec?.template.spec?.containers[0].image).toBe('ghcr.io/example/api:2.0.0')
    expect(run.stdout).toContain(
      '::warning::Image override "nginx=nginx:1.27" matched no container in the manifests.'
    )
  })

  it('isolates the namespace to its environment when asked', async () => {
    const namespace = newNamespace('apply-isolate')
    // Its pods would land on KWOK nodes here, where nothing runs: the probe is tested on the real
    // node (isolation.test.ts).
    const run = await stage(
      { manifests: 'c.yaml', environment: 'staging', namespace, isolate: 'true', 'isolation-check': 'off' },
      workspaceWith({ 'c.yaml': configMap('c') })
    )
    expect(run.code).toBe(0)
    const policy = await testKubeConfig()
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: 'kube-stage-isolate-environment', namespace })
    expect(policy.spec?.ingress?.[0]._from?.map(f => f.namespaceSelector?.matchExpressions)).toEqual([
      [{ key: 'environment', operator: 'In', values: ['stage', 'staging', 'stg'] }],
      [{ key: 'environment', operator: 'DoesNotExist' }]
    ])

    // Turned off again: the policy goes, so the namespace is no longer isolated.
    const open = await stage(
      { manifests: 'c.yaml', environment: 'staging', namespace },
      workspaceWith({ 'c.yaml': configMap('c') })
    )
    expect(open.stdout).toContain(`Removed the isolation NetworkPolicy from ${namespace}: isolate is off`)
    const policies = await testKubeConfig()
      .makeApiClient(NetworkingV1Api)
      .listNamespacedNetworkPolicy({ namespace })
    expect(policies.items).toEqual([])
  })

  it('applies a CRD, waits until it is Established, then its custom resources, when cluster scope is allowed', async () => {
    const namespace = newNamespace('apply-crd')
    const group = `${namespace}.example.com`
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.${group}
spec:
  group: ${group}
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, properties: { size: { type: integer } } }
`
    // A cluster-scoped kind too: its scope comes from its CRD in the same set, not a namespace guess.
    const gadgetCrd = crd
      .replace(`widgets.${group}`, `gadgets.${group}`)
      .replace('scope: Namespaced', 'scope: Cluster')
      .replace(
        '{ plural: widgets, singular: widget, kind: Widget }',
        '{ plural: gadgets, singular: gadget, kind: Gadget }'
      )
    const widget = `apiVersion: ${group}/v1\nkind: Widget\nmetadata:\n  name: small\nspec:\n  size: 1\n---\napiVersion: ${group}/v1\nkind: Gadget\nmetadata:\n  name: ${namespace}-gadget\n`
    const workspace = workspaceWith({ 'widget.yaml': widget, 'crd.yaml': `${crd}---\n${gadgetCrd}` })
    const refused = await stage(
      { manifests: 'widget.yaml, crd.yaml', environment: 'dev', namespace },
      workspace
    )
    expect(refused.code).toBe(1)
    expect(refused.outputs['failure-reason']).toBe('ScopeViolation')
    expect(refused.stdout).toContain(
      `CustomResourceDefinition/widgets.${group} is cluster-scoped: set allow-cluster-scoped: true`
    )
    expect(refused.stdout).toContain(`Gadget/${namespace}-gadget is cluster-scoped`)

    const run = await stage(
      { manifests: 'widget.yaml, crd.yaml', environment: 'dev', namespace, 'allow-cluster-scoped': 'true' },
      workspace
    )
    expect(errors(run)).toEqual([])
    const created = await testKubeConfig()
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ group, version: 'v1', namespace, plural: 'widgets', name: 'small' })
    expect((created as { spec: { size: number } }).spec.size).toBe(1)
    await testKubeConfig()
      .makeApiClient(CustomObjectsApi)
      .getClusterCustomObject({ group, version: 'v1', plural: 'gadgets', name: `${namespace}-gadget` })
    // The same set again changes nothing, custom resources included.
    const again = await stage(
      { manifests: 'widget.yaml, crd.yaml', environment: 'dev', namespace, 'allow-cluster-scoped': 'true' },
      workspace
    )
    const actions = JSON.parse(again.outputs.resources) as { kind: string; action: string }[]
    expect(actions.filter(r => ['Widget', 'Gadget'].includes(r.kind)).map(r => r.action)).toEqual([
      'unchanged',
      'unchanged'
    ])
    const extensions = testKubeConfig().makeApiClient(
      (await import('@kubernetes/client-node')).ApiextensionsV1Api
    )
    await extensions.deleteCustomResourceDefinition({ name: `widgets.${group}` })
    await extensions.deleteCustomResourceDefinition({ name: `gadgets.${group}` })
  })
})

describe('refusals leave the cluster untouched and name the problem', () => {
  it('malformed YAML: file and line, nothing applied, no namespace created', async () => {
    const namespace = newNamespace('bad-yaml')
    const workspace = workspaceWith({
      'k8s/a-good.yaml': configMap('good'),
      'k8s/b-bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  key: [unclosed\n'
    })
    const run = await stage({ manifests: 'k8s', environment: 'dev', namespace }, workspace)
    expect(run.code).toBe(1)
    expect(run.outputs['failure-reason']).toBe('InvalidManifest')
    const [annotation] = errors(run)
    expect(annotation).toMatch(/^::error file=k8s\/b-bad\.yaml,line=\d+/)
    expect(annotation).toContain('k8s/b-bad.yaml:')
    expect(await namespaceExists(namespace)).toBe(false)
  })

  it('an unknown kind (CRD not installed)', async () => {
    const namespace = newNamespace('bad-kind')
    await createNamespace(namespace)
    const workspace = workspaceWith({
      'k.yaml': `${configMap('ok')}---\napiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n`
    })
    const run = await stage({ manifests: 'k.yaml', environment: 'dev', namespace }, workspace)
    expect(run.code).toBe(1)
    expect(run.outputs['failure-reason']).toBe('PreflightFailed')
    expect(run.stdout).toContain(
      'Gadget/g: the cluster has no kind Gadget in example.com/v1 (is the CustomResourceDefinition gadgets.example.com installed?)'
    )
    expect(await configMapNames(namespace)).toEqual([])
  })

  it('a Kustomize directory given to manifests is named as one, with the input to use, before anything is applied', async () => {
    const namespace = newNamespace('kustomize-dir')
    await createNamespace(namespace)
    const workspace = workspaceWith({
      'deploy/base/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [config.yaml]\n',
      'deploy/base/config.yaml': configMap('ok')
    })
    const run = await stage({ manifests: 'deploy/base', environment: 'dev', namespace }, workspace)
    expect(run.outputs['failure-reason']).toBe('InvalidInput')
    expect(run.stdout).toContain(
      'Manifest entry "deploy/base" is a Kustomize directory (deploy/base/kustomization.yaml): its files are kustomize\'s inputs, not manifests to apply as they are. Give it to the kustomize input instead (kustomize: deploy/base).'
    )
    expect(await configMapNames(namespace)).toEqual([])
  })

  it("an operator's kind whose operator is not installed, naming its CRD and the operator", async () => {
    const namespace = newNamespace('no-operator')
    await createNamespace(namespace)
    const workspace = workspaceWith({
      'k.yaml': `${configMap('ok')}---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: shop }
spec:
  scaleTargetRef: { name: shop }
  triggers: [{ type: cpu, metadata: { value: '60' } }]
`
    })
    // The test cluster runs External Secrets, sealed-secrets and cert-manager (test/cluster/operators.sh), not KEDA.
    const run = await stage({ manifests: 'k.yaml', environment: 'dev', namespace }, workspace)
    expect(run.outputs['failure-reason']).toBe('PreflightFailed')
    expect(run.stdout).toContain(
      'ScaledObject/shop: the cluster has no kind ScaledObject in keda.sh/v1alpha1: its CustomResourceDefinition scaledobjects.keda.sh is not installed, which KEDA installs'
    )
    expect(await configMapNames(namespace)).toEqual([])
  })

  it('an invalid field: the dry run rejects it and the valid objects beside it are not applied either', async () => {
    const namespace = newNamespace('bad-field')
    const workspace = workspaceWith({
      'k.yaml': `${configMap('fine')}---\n${deploymentYaml('broken', { extraSpec: '          ports:\n            - containerPort: 99999\n' })}`
    })
    const run = await stage({ manifests: 'k.yaml', environment: 'dev', namespace }, workspace)
    expect(run.code).toBe(1)
    expect(run.outputs['failure-reason']).toBe('PreflightFailed')
    expect(run.stdout).toMatch(/Deployment\/broken: .*containerPort/)
    expect(run.summary).toContain('PreflightFailed')
    // The stage had to create the namespace to dry-run into it, and waited until it was gone again.
    expect(run.stdout).toContain(`Deleted namespace ${namespace} again: the dry run failed`)
    expect(await namespaceExists(namespace)).toBe(false)
  })

  it('an object naming another namespace', async () => {
    const namespace = newNamespace('bad-ns')
    const workspace = workspaceWith({
      'k.yaml': configMap('elsewhere').replace('name: elsewhere', 'name: elsewhere\n  namespace: kube-system')
    })
    const run = await stage({ manifests: 'k.yaml', environment: 'dev', namespace }, workspace)
    expect(run.code).toBe(1)
    expect(run.outputs['failure-reason']).toBe('ScopeViolation')
    expect(run.stdout).toContain(
      `ConfigMap/elsewhere names namespace kube-system, not the stage's ${namespace}`
    )
    expect(await namespaceExists(namespace)).toBe(false)
  })

  it('another namespace when allowed, but never one labelled for another environment', async () => {
    const namespace = newNamespace('multi')
    const shared = newNamespace('multi-shared')
    const prod = newNamespace('multi-prod')
    await createNamespace(shared, { environment: 'staging' })
    await createNamespace(prod, { environment: 'production' })
    const into = (target: string) =>
      workspaceWith({
        'k.yaml': `${configMap('here')}---\n${configMap('there').replace('name: there', `name: there\n  namespace: ${target}`)}`
      })
    const allowed = await stage(
      { manifests: 'k.yaml', environment: 'staging', namespace, 'allow-other-namespaces': 'true' },
      into(shared)
    )
    expect(allowed.outputs.result).toBe('success')
    expect(await configMapNames(shared)).toEqual(['there'])

    const guarded = await stage(
      { manifests: 'k.yaml', environment: 'staging', namespace, 'allow-other-namespaces': 'true' },
      into(prod)
    )
    expect(guarded.outputs['failure-reason']).toBe('NamespaceGuard')
    expect(guarded.stdout).toContain(`Namespace ${prod} belongs to environment "production"`)
    expect(await configMapNames(prod)).toEqual([])
  })

  it('a namespace labelled for another environment', async () => {
    const namespace = newNamespace('guarded')
    await createNamespace(namespace, { environment: 'production' })
    const run = await stage(
      { manifests: 'k.yaml', environment: 'staging', namespace },
      workspaceWith({ 'k.yaml': configMap('c') })
    )
    expect(run.code).toBe(1)
    expect(run.outputs['failure-reason']).toBe('NamespaceGuard')
    expect(errors(run)[0]).toContain(`Namespace ${namespace} belongs to environment "production"`)
    expect(await configMapNames(namespace)).toEqual([])
    expect((await core().readNamespace({ name: namespace })).metadata?.labels?.environment).toBe('production')
  })

  it('a missing secret', async () => {
    const namespace = newNamespace('missing-secret')
    await createNamespace(namespace)
    const env =
      '          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef: { name: db-credentials, key: password }\n'
    const run = await stage(
      { manifests: 'k.yaml', environment: 'production', namespace },
      workspaceWith({ 'k.yaml': `${configMap('c')}---\n${deploymentYaml('api', { env })}` })
    )
    expect(run.code).toBe(1)
    expect(run.outputs['failure-reason']).toBe('MissingReference')
    expect(run.stdout).toContain(
      'Deployment/api needs Secret db-credentials, which is neither in the manifests nor in the namespace'
    )
    expect(await configMapNames(namespace)).toEqual([])
  })

  it('a dev-named secret in a production stage, even when it exists', async () => {
    const namespace = newNamespace('dev-secret')
    await createNamespace(namespace)
    await core().createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'db-credentials-dev' }, stringData: { password: 'x' } }
    })
    const env = '          envFrom:\n            - secretRef: { name: db-credentials-dev }\n'
    const run = await stage(
      { manifests: 'k.yaml', environment: 'production', namespace },
      workspaceWith({ 'k.yaml': deploymentYaml('api', { env }) })
    )
    expect(run.code).toBe(1)
    expect(run.outputs['failure-reason']).toBe('CrossEnvironmentReference')
    expect(run.stdout).toContain(
      'Deployment/api uses Secret db-credentials-dev, which is named for environment dev, in stage production'
    )
    await expect(apps().readNamespacedDeployment({ name: 'api', namespace })).rejects.toThrow()
  })

  it('environment names of your own (environment-names): a canary-named secret in production', async () => {
    const namespace = newNamespace('canary-secret')
    const env = '          envFrom:\n            - secretRef: { name: db-credentials-canary }\n'
    const files = {
      'k.yaml': `${deploymentYaml('api', { env })}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials-canary\nstringData:\n  password: x\n`
    }
    // Not a known environment name by default: the secret is only this stage's own.
    const plain = await stage(
      { manifests: 'k.yaml', environment: 'production', namespace },
      workspaceWith(files)
    )
    expect(plain.outputs.result).toBe('success')
    const named = await stage(
      {
        manifests: 'k.yaml',
        environment: 'production',
        namespace: newNamespace('canary-secret'),
        'environment-names': 'dev, staging, canary, production'
      },
      workspaceWith(files)
    )
    expect(named.outputs['failure-reason']).toBe('CrossEnvironmentReference')
    expect(named.stdout).toContain('db-credentials-canary, which is named for environment canary')
  })

  it('a field owned by another manager: the conflict lists field and manager; force-conflicts takes it over', async () => {
    const namespace = newNamespace('conflict')
    const workspace = workspaceWith({ 'app.yaml': deploymentYaml('web', { replicas: 1 }) })
    expect((await stage({ manifests: 'app.yaml', environment: 'dev', namespace }, workspace)).code).toBe(0)
    await patchAsOtherManager(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace },
        spec: { replicas: 3 }
      },
      'kubectl-edit'
    )

    const changed = workspaceWith({ 'app.yaml': deploymentYaml('web', { replicas: 2 }) })
    const refused = await stage({ manifests: 'app.yaml', environment: 'dev', namespace }, changed)
    expect(refused.code).toBe(1)
    expect(refused.outputs['failure-reason']).toBe('ApplyConflict')
    expect(refused.stdout).toContain(
      'Deployment/web: .spec.replicas is owned by field manager "kubectl-edit"'
    )
    expect(refused.stdout).toContain('force-conflicts: true')
    expect((await apps().readNamespacedDeployment({ name: 'web', namespace })).spec?.replicas).toBe(3)

    const forced = await stage(
      { manifests: 'app.yaml', environment: 'dev', namespace, 'force-conflicts': 'true' },
      changed
    )
    expect(forced.code).toBe(0)
    expect((await apps().readNamespacedDeployment({ name: 'web', namespace })).spec?.replicas).toBe(2)
  })

  it('a cluster-scoped object without allow-cluster-scoped', async () => {
    const namespace = newNamespace('cluster-scoped')
    const role =
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: kube-stage-test-reader\nrules: []\n'
    const run = await stage(
      { manifests: 'r.yaml', environment: 'dev', namespace },
      workspaceWith({ 'r.yaml': role })
    )
    expect(run.code).toBe(1)
    expect(run.outputs['failure-reason']).toBe('ScopeViolation')
    await expect(
      testKubeConfig()
        .makeApiClient(RbacAuthorizationV1Api)
        .readClusterRole({ name: 'kube-stage-test-reader' })
    ).rejects.toThrow()
  })
})

/**
 * Locked-down environments on the real cluster: a namespace enforcing
 * PodSecurity "restricted" refuses the seed app's pods at preflight with
 * nothing written, and takes the same app with a compliant securityContext
 * (on the real node); a PodSecurity "would violate" warning is shown at its
 * line, and is a failure with warnings-as-errors; pods over quota fail the rollout at once.
 * A namespace the stage would create, refused by a ValidatingAdmissionPolicy, leaves nothing.
 */
import { AdmissionregistrationV1Api } from '@kubernetes/client-node'
import {
  apps,
  core,
  deleteNamespace,
  kubeconfigPath,
  testKubeConfig,
  uniqueName
} from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'
import { realNodeNamespace, requireRealNode, shopImage } from '../support/real-node.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

async function namespace(labels: Record<string, string> = {}): Promise<string> {
  const name = uniqueName('locked')
  namespaces.push(name)
  await realNodeNamespace(name, 'production', labels)
  return name
}

const shop = (securityContext = '', replicas = 1, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: { name: shop }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
${securityContext}      containers:
        - name: shop
          image: ${shopImage('1.0.0')}
          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }
${extra}`

const restricted = `      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: RuntimeDefault } }
`
const restrictedContainer = `          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
`

function stage(
  ns: string,
  files: Record<string, string>,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  return runAction(
    {
      manifests: Object.keys(files).join(','),
      environment: 'production',
      namespace: ns,
      timeout: '60s',
      ...inputs
    },
    { workspace: workspaceWith(files), env: { KUBECONFIG: kubeconfigPath() } }
  )
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

it('a restricted namespace refuses the seed app before anything is written, and takes a compliant one', async () => {
  const ns = await namespace({ 'pod-security.kubernetes.io/enforce': 'restricted' })
  const refused = await stage(ns, { 'app.yaml': shop() })
  expect(refused.outputs['failure-reason']).toBe('AdmissionDenied')
  expect(errorLine(refused)).toContain('Deployment/shop: violates PodSecurity "restricted:latest"')
  // Read back: nothing was written.
  const deployments = await apps().listNamespacedDeployment({ namespace: ns })
  expect(deployments.items).toEqual([])

  const compliant = await stage(ns, { 'app.yaml': shop(restricted, 1, restrictedContainer) })
  expect(errorLine(compliant)).toBe('')
  expect(compliant.outputs.result).toBe('success')
})

it('an admission warning is shown at its line, and fails before any write with warnings-as-errors', async () => {
  // PodSecurity in warn mode: the API server says "would violate" and admits the pods.
  const warn = { 'pod-security.kubernetes.io/warn': 'restricted' }
  const ns = await namespace(warn)
  const warned = await stage(ns, { 'app.yaml': shop() })
  expect(warned.outputs.result).toBe('success')
  const warning = warned.stdout
    .split('\n')
    .find(l => l.startsWith('::warning') && l.includes('would violate'))
  expect(warning).toMatch(
    /^::warning file=app\.yaml,line=1::Deployment\/shop: the API server warns: .*would violate PodSecurity/
  )
  expect(warned.summary).toContain('would violate PodSecurity')

  const other = await namespace(warn)
  const strict = await stage(other, { 'app.yaml': shop() }, { 'warnings-as-errors': 'true' })
  expect(strict.outputs['failure-reason']).toBe('PreflightWarning')
  expect(errorLine(strict)).toContain('would violate PodSecurity')
  expect((await apps().listNamespacedDeployment({ namespace: other })).items).toEqual([])
})

it('pods over quota fail the rollout at once with the quota message', async () => {
  const ns = await namespace()
  await core().createNamespacedResourceQuota({
    namespace: ns,
    body: { metadata: { name: 'pods' }, spec: { hard: { 'count/pods': '1' } } }
  })
  // One pod fits (the preflight's dry run of one pod passes); the second is refused.
  const run = await stage(ns, { 'app.yaml': shop('', 2) })
  expect(run.outputs['failure-reason']).toBe('AdmissionDenied')
  expect(errorLine(run)).toContain('exceeded quota: pods')
  expect(run.durationMs).toBeLessThan(45_000)
})

it('a namespace the stage would create, refused by a ValidatingAdmissionPolicy: nothing applied, no namespace', async () => {
  const admissionApi = testKubeConfig().makeApiClient(AdmissionregistrationV1Api)
  const policy = uniqueName('no-refused-namespaces')
  await admissionApi.createValidatingAdmissionPolicy({
    body: {
      metadata: { name: policy },
      spec: {
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['namespaces'] }
          ]
        },
        validations: [
          {
            expression: "!object.metadata.name.startsWith('refused-ns-')",
            message: 'namespaces named refused-ns-* are made by the platform team'
          }
        ]
      }
    }
  })
  await admissionApi.createValidatingAdmissionPolicyBinding({
    body: { metadata: { name: policy }, spec: { policyName: policy, validationActions: ['Deny'] } }
  })
  try {
    // The policy is in force once the API server's own dry run of such a namespace is refused.
    const probe = { metadata: { name: `refused-ns-probe-${policy.slice(-6)}` } }
    for (let tries = 0; ; tries++) {
      const refused = await core()
        .createNamespace({ body: probe, dryRun: 'All' })
        .then(
          () => false,
          () => true
        )
      if (refused) break
      if (tries > 100) throw new Error('the ValidatingAdmissionPolicy never came into force')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const name = uniqueName('refused-ns')
    namespaces.push(name)
    const run = await stage(name, { 'app.yaml': shop() })
    expect(run.outputs['failure-reason']).toBe('ApplyFailed')
    const message = errorLine(run)
    expect(message).toContain('nothing was applied')
    expect(message).not.toContain('earlier tiers')
    expect(run.stdout).toContain('namespaces named refused-ns-* are made by the platform team')
    await expect(core().readNamespace({ name })).rejects.toMatchObject({ code: 404 })
  } finally {
    await admissionApi.deleteValidatingAdmissionPolicyBinding({ name: policy })
    await admissionApi.deleteValidatingAdmissionPolicy({ name: policy })
  }
})

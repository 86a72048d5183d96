/**
 * Pods a StatefulSet, a DaemonSet or a Job cannot create (here: over a
 * ResourceQuota, as an admission policy would refuse them) show only in their
 * controller's FailedCreate events. The stage reads them and fails at once with
 * the quota's message, as it does for a Deployment, instead of waiting for its
 * deadline. One pod fits, so the preflight's dry run of a pod passes and the
 * refusal comes from the rollout itself. KWOK nodes: no container needs to run.
 */
import { core, deleteNamespace, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { runAction } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

const podTemplate = (app: string) => `    metadata: { labels: { app: ${app} } }
    spec:
      containers:
        - { name: app, image: ghcr.io/example/shop:1.0.0 }`

const workloads: Record<string, string> = {
  StatefulSet: `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  replicas: 2
  podManagementPolicy: Parallel
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
${podTemplate('db')}
`,
  // Two KWOK nodes take one pod each.
  DaemonSet: `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent }
spec:
  selector: { matchLabels: { app: agent } }
  template:
${podTemplate('agent')}
`,
  Job: `apiVersion: batch/v1
kind: Job
metadata: { name: backfill }
spec:
  parallelism: 2
  completions: 2
  template:
${podTemplate('backfill').replace('    spec:\n', '    spec:\n      restartPolicy: Never\n')}
`
}

it.each(Object.keys(workloads))(
  'a %s whose pods are over quota fails at once with the quota message',
  async kind => {
    const namespace = uniqueName(`quota-${kind.toLowerCase()}`)
    namespaces.push(namespace)
    await core().createNamespace({
      body: { metadata: { name: namespace, labels: { environment: 'staging' } } }
    })
    await core().createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'pods' }, spec: { hard: { 'count/pods': '1' } } }
    })
    const run = await runAction(
      { manifests: 'app.yaml', environment: 'staging', namespace, timeout: '90s' },
      { workspace: workspaceWith({ 'app.yaml': workloads[kind] }), env: { KUBECONFIG: kubeconfigPath() } }
    )
    // Not Timeout: the controller's event said why, and nothing would change it.
    expect(run.outputs['failure-reason']).toBe('AdmissionDenied')
    const error = run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''
    expect(error).toContain(`${kind}/`)
    expect(error).toContain('exceeded quota: pods')
  }
)

/**
 * A deployer as a platform team sets one up: a namespace made and labelled for
 * its environment, a ServiceAccount bound there to a Role, and a kubeconfig
 * holding only that account's token. The Role is the one docs/permissions.md shows
 * (examples/rbac/stage-role.yaml) unless a test trims it.
 */
import { RbacAuthorizationV1Api, type V1ClusterRole, type V1Role } from '@kubernetes/client-node'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { REPO_ROOT } from './action.js'
import { core, testKubeConfig } from './cluster.js'
import { realNodeNamespace } from './real-node.js'

export const documentedRole = () =>
  parse(readFileSync(path.join(REPO_ROOT, 'examples/rbac/stage-role.yaml'), 'utf8')) as V1Role

export const documentedClusterExtras = () =>
  parse(readFileSync(path.join(REPO_ROOT, 'examples/rbac/cluster-extras.yaml'), 'utf8')) as V1ClusterRole

/** Binds a ClusterRole (made under `name`) to the deployer of `namespace`; returns a function undoing both. */
export async function bindClusterRole(
  namespace: string,
  name: string,
  role: V1ClusterRole
): Promise<() => Promise<void>> {
  const rbac = testKubeConfig().makeApiClient(RbacAuthorizationV1Api)
  await rbac.createClusterRole({ body: { ...role, metadata: { name } } })
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace }]
    }
  })
  return async () => {
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined)
    await rbac.deleteClusterRole({ name }).catch(() => undefined)
  }
}

/**
 * A namespace made and labelled by the platform team, a ServiceAccount bound to
 * `role` there, and a kubeconfig holding only that account's token.
 */
export async function deployerKubeconfig(
  namespace: string,
  role: V1Role,
  environment = 'production'
): Promise<string> {
  await realNodeNamespace(namespace, environment)
  const rbac = testKubeConfig().makeApiClient(RbacAuthorizationV1Api)
  await core().createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'deployer' } } })
  await rbac.createNamespacedRole({
    namespace,
    body: { ...role, metadata: { name: 'kube-stage', namespace } }
  })
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'kube-stage' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kube-stage' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace }]
    }
  })
  // What `kubectl create token deployer` asks the API server for.
  const token = await core().createNamespacedServiceAccountToken({
    name: 'deployer',
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } }
  })
  const cluster = testKubeConfig().getCurrentCluster()!
  const ca = cluster.caData ?? readFileSync(cluster.caFile!).toString('base64')
  return `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: '${cluster.server}', certificate-authority-data: ${ca} } }]
users: [{ name: deployer, user: { token: ${token.status?.token} } }]
contexts: [{ name: c, context: { cluster: c, user: deployer, namespace: ${namespace} } }]
current-context: c
`
}

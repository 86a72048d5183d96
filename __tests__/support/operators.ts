/**
 * The operators test/cluster/operators.sh runs on the test cluster (External Secrets Operator
 * and cert-manager), and the cluster-wide objects it leaves for the tests.
 */
import { CustomObjectsApi } from '@kubernetes/client-node'
import { testKubeConfig } from './cluster.js'

/** ClusterSecretStore with ESO's fake provider: ExternalSecrets read the keys below from it. */
export const FAKE_SECRET_STORE = 'shop-secrets'
/** Keys operators.sh puts in the fake store, one per environment of the examples. */
export const FAKE_STORE_KEYS = {
  dev: 'dev/db-password',
  staging: 'staging/db-password',
  production: 'production/db-password'
} as const
/** Self-signed ClusterIssuer: a Certificate referring to it gets a kubernetes.io/tls Secret. */
export const SELF_SIGNED_ISSUER = 'selfsigned'

/**
 * ESO re-reads a store only when it syncs an ExternalSecret: after any change of its
 * annotations (this one is the documented way) or once its refreshInterval has passed.
 */
export const FORCE_SYNC_ANNOTATION = 'force-sync'

const store = {
  group: 'external-secrets.io',
  version: 'v1',
  plural: 'clustersecretstores',
  name: FAKE_SECRET_STORE
}

interface FakeEntry {
  key: string
  value?: string
  version?: string
}

/**
 * Sets (or adds) one key of the fake store. The store is shared by every test file, so use a key
 * of your own (e.g. `<namespace>/token`) unless you mean to change the examples' values. A
 * replace with the read resourceVersion, retried on conflict, so concurrent callers do not undo
 * each other's keys. ExternalSecrets already synced see the value at their next sync only.
 */
export async function setFakeSecret(key: string, value: string): Promise<void> {
  const api = testKubeConfig().makeApiClient(CustomObjectsApi)
  for (let attempt = 1; ; attempt++) {
    const current = (await api.getClusterCustomObject(store)) as {
      spec: { provider: { fake: { data?: FakeEntry[] } } }
    }
    const data = current.spec.provider.fake.data ?? []
    const index = data.findIndex(entry => entry.key === key && entry.version === undefined)
    if (index >= 0) data[index] = { ...data[index], value }
    else data.push({ key, value })
    current.spec.provider.fake.data = data
    try {
      await api.replaceClusterCustomObject({ ...store, body: current })
      return
    } catch (error) {
      if ((error as { code?: number }).code !== 409 || attempt >= 5) throw error
    }
  }
}

/**
 * The operators the test cluster runs (test/cluster/operators.sh) really work, and the objects
 * __tests__/support/operators.ts names behave as the stage's tests rely on: an ExternalSecret
 * from the fake store gets its Secret and follows a changed value after a forced sync, a missing
 * key is reported, and a Certificate from the self-signed issuer gets a TLS Secret.
 */
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node'
import { deleteNamespace, testKubeConfig, uniqueName } from '../support/cluster.js'
import {
  FAKE_SECRET_STORE,
  FAKE_STORE_KEYS,
  FORCE_SYNC_ANNOTATION,
  SELF_SIGNED_ISSUER,
  setFakeSecret
} from '../support/operators.js'

const core = () => testKubeConfig().makeApiClient(CoreV1Api)
const custom = () => testKubeConfig().makeApiClient(CustomObjectsApi)
const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

async function namespace(): Promise<string> {
  const name = uniqueName('operators')
  namespaces.push(name)
  await core().createNamespace({ body: { metadata: { name } } })
  return name
}

async function eventually<T>(read: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

interface Condition {
  type: string
  status: string
  reason?: string
  message?: string
}
type Status = { status?: { conditions?: Condition[]; refreshTime?: string } }
const ready = (object: Status) => object.status?.conditions?.find(c => c.type === 'Ready')

const externalSecrets = { group: 'external-secrets.io', version: 'v1', plural: 'externalsecrets' }

function externalSecret(name: string, key: string) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: FAKE_SECRET_STORE },
      target: { name },
      data: [{ secretKey: 'password', remoteRef: { key } }]
    }
  }
}

const secretValue = async (ns: string, name: string) => {
  const secret = await core().readNamespacedSecret({ name, namespace: ns })
  return Buffer.from(secret.data?.password ?? '', 'base64').toString()
}

describe('the test cluster operators', () => {
  it('an ExternalSecret from the fake store gets its Secret, and a forced sync brings a changed value', async () => {
    const ns = await namespace()
    const key = `${ns}/db-password`
    await setFakeSecret(key, 'first')
    await custom().createNamespacedCustomObject({
      ...externalSecrets,
      namespace: ns,
      body: externalSecret('db', key)
    })
    expect(await eventually(async () => (await secretValue(ns, 'db')) || undefined, 'the Secret')).toBe(
      'first'
    )
    const synced = (await custom().getNamespacedCustomObject({
      ...externalSecrets,
      namespace: ns,
      name: 'db'
    })) as Status
    expect(ready(synced)).toMatchObject({ status: 'True', reason: 'SecretSynced' })

    await setFakeSecret(key, 'second')
    await custom().patchNamespacedCustomObject({
      ...externalSecrets,
      namespace: ns,
      name: 'db',
      body: [
        { op: 'add', path: '/metadata/annotations', value: { [FORCE_SYNC_ANNOTATION]: String(Date.now()) } }
      ]
    })
    expect(
      await eventually(
        async () => ((await secretValue(ns, 'db')) === 'second' ? 'second' : undefined),
        'the new value'
      )
    ).toBe('second')
    const resynced = (await custom().getNamespacedCustomObject({
      ...externalSecrets,
      namespace: ns,
      name: 'db'
    })) as Status
    expect(Date.parse(resynced.status!.refreshTime!)).toBeGreaterThanOrEqual(
      Date.parse(synced.status!.refreshTime!)
    )
  })

  it('a key the store lacks leaves the ExternalSecret not Ready, and an event names the key', async () => {
    const ns = await namespace()
    await custom().createNamespacedCustomObject({
      ...externalSecrets,
      namespace: ns,
      body: externalSecret('missing', `${ns}/absent`)
    })
    const condition = await eventually(async () => {
      const object = (await custom().getNamespacedCustomObject({
        ...externalSecrets,
        namespace: ns,
        name: 'missing'
      })) as Status
      return ready(object)
    }, 'a Ready condition')
    expect(condition).toMatchObject({ status: 'False', reason: 'SecretSyncedError' })
    const event = await eventually(async () => {
      const events = await core().listNamespacedEvent({ namespace: ns })
      return events.items.find(e => e.involvedObject.name === 'missing' && e.reason === 'UpdateFailed')
    }, 'the UpdateFailed event')
    expect(event.message).toContain(`${ns}/absent`)
  })

  it('the examples keys are in the fake store', async () => {
    const store = (await custom().getClusterCustomObject({
      group: 'external-secrets.io',
      version: 'v1',
      plural: 'clustersecretstores',
      name: FAKE_SECRET_STORE
    })) as Status & { spec: { provider: { fake: { data: { key: string }[] } } } }
    expect(ready(store)).toMatchObject({ status: 'True' })
    const keys = store.spec.provider.fake.data.map(entry => entry.key)
    expect(keys).toEqual(expect.arrayContaining(Object.values(FAKE_STORE_KEYS)))
  })

  it('a Certificate from the self-signed issuer gets a kubernetes.io/tls Secret', async () => {
    const ns = await namespace()
    await custom().createNamespacedCustomObject({
      group: 'cert-manager.io',
      version: 'v1',
      plural: 'certificates',
      namespace: ns,
      body: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'web' },
        spec: {
          secretName: 'web-tls',
          dnsNames: ['web.example.test'],
          issuerRef: { kind: 'ClusterIssuer', name: SELF_SIGNED_ISSUER }
        }
      }
    })
    const secret = await eventually(
      () => core().readNamespacedSecret({ name: 'web-tls', namespace: ns }),
      'web-tls'
    )
    expect(secret.type).toBe('kubernetes.io/tls')
    expect(Buffer.from(secret.data!['tls.crt'], 'base64').toString()).toContain('BEGIN CERTIFICATE')
  })
})

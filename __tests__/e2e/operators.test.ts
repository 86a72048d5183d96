/**
 * Secrets that operators make, with the real operators the test cluster runs
 * (test/cluster/operators.sh, sealed-secrets.sh): External Secrets Operator with
 * its fake provider, the sealed-secrets controller on the real node with
 * kubeseal, and cert-manager with a self-signed issuer. A first deploy whose
 * Secret comes from a producer passes; a producer that cannot produce fails
 * fast with its controller's reason, before any workload; a value rotated in the
 * store rolls the pods; and production refuses a dev remote key, and a value
 * staging used, before any workload is written.
 * Over 400 lines: every case shares the store, stage and namespace helpers above, and
 * the operators' cases are one story (first deploy, failure, rotation, rollback, refusals).
 */
import { CustomObjectsApi } from '@kubernetes/client-node'
import {
  apps,
  core,
  deleteNamespace,
  kubeconfigPath,
  testKubeConfig,
  uniqueName
} from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { deploymentYaml, workspaceWith } from '../support/workspace.js'
import {
  entryService,
  getJson,
  realNodeNamespace,
  requireRealNode,
  shopDeployment
} from '../support/real-node.js'
import { sealSecret } from '../support/sealed-secrets.js'
import { deployerKubeconfig, documentedRole } from '../support/rbac.js'
import { startFaultProxy } from '../support/fault-proxy.js'

const custom = () => testKubeConfig().makeApiClient(CustomObjectsApi)
const ESO = { group: 'external-secrets.io', version: 'v1' }

const namespaces: string[] = []
const stores: string[] = []
afterAll(async () => {
  await Promise.all(namespaces.map(deleteNamespace))
  await Promise.all(
    stores.map(name =>
      custom()
        .deleteClusterCustomObject({ ...ESO, plural: 'clustersecretstores', name })
        .catch(() => undefined)
    )
  )
})

beforeAll(async () => {
  await requireRealNode()
})

/** Far below the stage's timeout: a producer's failure is reported when its controller says it. */
const FAIL_FAST_MS = 30_000
const RELEASE_KEY = 'operators-test-release-key-0123456789abcdef'

/** A ClusterSecretStore of ESO's fake provider: the "vault" of these tests, one per test. */
async function fakeStore(data: Record<string, string>): Promise<string> {
  const name = uniqueName('store')
  stores.push(name)
  await custom().createClusterCustomObject({
    ...ESO,
    plural: 'clustersecretstores',
    body: {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name },
      spec: { provider: { fake: { data: Object.entries(data).map(([key, value]) => ({ key, value })) } } }
    }
  })
  return name
}

/** A value rotated in the store, as a secrets team would do it. */
async function setStoreData(name: string, data: Record<string, string>): Promise<void> {
  const store = (await custom().getClusterCustomObject({ ...ESO, plural: 'clustersecretstores', name })) as {
    spec: { provider: { fake: { data: unknown } } }
  }
  store.spec.provider.fake.data = Object.entries(data).map(([key, value]) => ({ key, value }))
  await custom().replaceClusterCustomObject({ ...ESO, plural: 'clustersecretstores', name, body: store })
}

function externalSecret(store: string, target: string, keys: Record<string, string>): string {
  const data = Object.entries(keys)
    .map(
      ([secretKey, key]) =>
        `\n    - secretKey: ${secretKey}\n      remoteRef: { key: ${JSON.stringify(key)} }`
    )
    .join('')
  return `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: { name: ${target} }
spec:
  refreshInterval: 1h
  secretStoreRef: { kind: ClusterSecretStore, name: ${store} }
  target: { name: ${target} }
  data:${data}
`
}

const envFrom = (secret: string) => `          envFrom:\n            - secretRef: { name: ${secret} }\n`

async function stage(
  namespace: string,
  environment: string,
  files: Record<string, string>,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  return runAction(
    {
      manifests: Object.keys(files).join(','),
      environment,
      namespace,
      timeout: '90s',
      ...inputs
    },
    { workspace: workspaceWith(files), env: { KUBECONFIG: kubeconfigPath() } }
  )
}

const failureLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

async function deploymentsIn(namespace: string): Promise<string[]> {
  return (await apps().listNamespacedDeployment({ namespace })).items.map(d => d.metadata!.name!)
}

async function namespaceFor(environment: string, realNode = true): Promise<string> {
  const namespace = uniqueName(`ops-${environment.slice(0, 4)}`)
  namespaces.push(namespace)
  if (realNode) await realNodeNamespace(namespace, environment)
  else await core().createNamespace({ body: { metadata: { name: namespace, labels: { environment } } } })
  return namespace
}

describe('a first deploy whose Secret a producer makes', () => {
  it('an ExternalSecret: passes, and a value rotated in the store rolls the pods', async () => {
    const store = await fakeStore({ 'dev/db-connected': 'true' })
    const namespace = await namespaceFor('dev')
    const url = await entryService(namespace, 'shop')
    const files = {
      'secret.yaml': externalSecret(store, 'db-credentials-dev', { DB_CONNECTED: 'dev/db-connected' }),
      'app.yaml': shopDeployment({ container: envFrom('db-credentials-dev') })
    }
    const first = await stage(namespace, 'dev', files)
    expect(failureLine(first)).toBe('')
    expect(first.outputs.result).toBe('success')
    expect(first.stdout).toContain(
      'ExternalSecret/db-credentials-dev (Secret db-credentials-dev): synced from its store'
    )
    expect(await getJson(`${url}/api/db-status`)).toEqual({ connected: true })
    const before = await apps().readNamespacedDeployment({ name: 'shop', namespace })

    await setStoreData(store, { 'dev/db-connected': 'false' })
    const second = await stage(namespace, 'dev', files)
    expect(failureLine(second)).toBe('')
    expect(second.stdout).toContain('Deployment/shop: configured')
    const after = await apps().readNamespacedDeployment({ name: 'shop', namespace })
    expect(after.metadata?.generation).toBeGreaterThan(before.metadata!.generation!)
    // The new pods run the rotated value (the old ones leave the Service's endpoints a moment later).
    const until = Date.now() + 10_000
    let status = await getJson(`${url}/api/db-status`)
    while (JSON.stringify(status) !== '{"connected":false}' && Date.now() < until)
      status = await getJson(`${url}/api/db-status`)
    expect(status).toEqual({ connected: false })
    // The value itself is nowhere in what the stage says.
    expect(second.stdout + second.summary + JSON.stringify(second.outputs)).not.toMatch(
      /db-connected.{0,5}false/
    )
  })

  it('a SealedSecret (kubeseal) and a cert-manager Certificate: passes, the pods using both', async () => {
    const namespace = await namespaceFor('dev')
    const sealed = await sealSecret({ namespace, name: 'api-token', data: { API_TOKEN: 'sealed-value-123' } })
    const files = {
      'sealed.yaml': sealed,
      'certificate.yaml': `apiVersion: cert-manager.io/v1
kind: Issuer
metadata: { name: selfsigned }
spec: { selfSigned: {} }
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: { name: shop-tls }
spec:
  secretName: shop-tls
  dnsNames: [shop.example.test]
  issuerRef: { kind: Issuer, name: selfsigned }
`,
      'app.yaml': shopDeployment({
        container: `${envFrom('api-token')}          volumeMounts: [{ name: tls, mountPath: /tls }]\n`,
        podSpec: '      volumes: [{ name: tls, secret: { secretName: shop-tls } }]\n'
      })
    }
    const run = await stage(namespace, 'dev', files)
    expect(failureLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')
    expect(run.stdout).toContain('SealedSecret/api-token (Secret api-token): unsealed')
    expect(run.stdout).toContain('Certificate/shop-tls (Secret shop-tls): issued')
    const tls = await core().readNamespacedSecret({ name: 'shop-tls', namespace })
    expect(tls.type).toBe('kubernetes.io/tls')
    expect(run.stdout).not.toContain('sealed-value-123')
  })
})

describe('rollback', () => {
  it('a failing update that changed an ExternalSecret gives it its previous spec back, and the old value returns', async () => {
    const store = await fakeStore({ 'dev/db-connected': 'true', 'dev/db-connected-v2': 'false' })
    const namespace = await namespaceFor('dev')
    const url = await entryService(namespace, 'shop')
    const good = await stage(namespace, 'dev', {
      'secret.yaml': externalSecret(store, 'db-credentials-dev', { DB_CONNECTED: 'dev/db-connected' }),
      'app.yaml': shopDeployment({ container: envFrom('db-credentials-dev') })
    })
    expect(failureLine(good)).toBe('')

    const broken = await stage(namespace, 'dev', {
      'secret.yaml': externalSecret(store, 'db-credentials-dev', { DB_CONNECTED: 'dev/db-connected-v2' }),
      'app.yaml': shopDeployment({
        container: envFrom('db-credentials-dev'),
        env: { EXIT_CODE: '1', EXIT_MESSAGE: 'FATAL: cannot reach the database' }
      })
    })
    expect(broken.outputs['failure-reason']).toBe('CrashLoop')
    expect(broken.outputs['rolled-back']).toBe('true')
    expect(broken.stdout).toContain('ExternalSecret/db-credentials-dev')
    const restored = (await custom().getNamespacedCustomObject({
      ...ESO,
      plural: 'externalsecrets',
      namespace,
      name: 'db-credentials-dev'
    })) as { spec: { data: { remoteRef: { key: string } }[] } }
    expect(restored.spec.data[0].remoteRef.key).toBe('dev/db-connected')
    // Its controller makes the old Secret again, and the restored pods answer with it.
    const until = Date.now() + 15_000
    let value = ''
    while (value !== 'true' && Date.now() < until) {
      const secret = await core().readNamespacedSecret({ name: 'db-credentials-dev', namespace })
      value = Buffer.from(secret.data?.DB_CONNECTED ?? '', 'base64').toString()
      if (value !== 'true') await new Promise(resolve => setTimeout(resolve, 300))
    }
    expect(value).toBe('true')
    expect(await getJson(`${url}/api/db-status`)).toEqual({ connected: true })
  })
})

describe('a producer that cannot produce fails fast with its controller reason, no workload written', () => {
  const cases: [string, (namespace: string) => Promise<Record<string, string>>, RegExp][] = [
    [
      'an ExternalSecret whose remote key is missing',
      async () => ({
        'secret.yaml': externalSecret(await fakeStore({ 'dev/other': 'x' }), 'db-credentials-dev', {
          DB_CONNECTED: 'dev/db-connected'
        })
      }),
      /ExternalSecret\/db-credentials-dev \(Secret db-credentials-dev\) was not made: the External Secrets controller cannot sync it: SecretSyncedError: could not get secret data from provider \(error processing spec\.data\[0\] \(key: dev\/db-connected\), err: Secret does not exist\)/
    ],
    [
      'a SealedSecret sealed for another namespace',
      async () => ({
        'sealed.yaml': (
          await sealSecret({
            namespace: 'somewhere-else',
            name: 'db-credentials-dev',
            data: { DB_CONNECTED: 'true' }
          })
        ).replace(/\n *namespace: somewhere-else/g, '')
      }),
      /SealedSecret\/db-credentials-dev \(Secret db-credentials-dev\) was not made: the sealed-secrets controller cannot unseal it: .*no key could decrypt secret/
    ],
    [
      'a Certificate whose issuer does not exist',
      async () => ({
        'certificate.yaml': `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: { name: db-credentials-dev }
spec:
  secretName: db-credentials-dev
  dnsNames: [db.example.test]
  issuerRef: { kind: ClusterIssuer, name: no-such-issuer }
`
      }),
      /Certificate\/db-credentials-dev \(Secret db-credentials-dev\) was not made: its ClusterIssuer no-such-issuer does not exist/
    ]
  ]
  it.each(cases)('%s', async (_, producer, reason) => {
    const namespace = await namespaceFor('dev', false)
    const files = {
      ...(await producer(namespace)),
      'app.yaml': deploymentYaml('shop', { env: envFrom('db-credentials-dev') })
    }
    const run = await stage(namespace, 'dev', files)
    expect(run.outputs['failure-reason']).toBe('SecretNotProduced')
    expect(failureLine(run)).toMatch(reason)
    expect(failureLine(run)).toContain('no workload was applied')
    expect(run.durationMs).toBeLessThan(FAIL_FAST_MS)
    expect(await deploymentsIn(namespace)).toEqual([])
  })
})

describe('a dev secret in production', () => {
  it('an ExternalSecret reading a dev remote key is refused with nothing written', async () => {
    const store = await fakeStore({ 'dev/db-password': 'x' })
    const namespace = await namespaceFor('production', false)
    const run = await stage(namespace, 'production', {
      'secret.yaml': externalSecret(store, 'db-credentials-production', { DB_PASSWORD: 'dev/db-password' }),
      'app.yaml': deploymentYaml('shop', { env: envFrom('db-credentials-production') })
    })
    expect(run.outputs['failure-reason']).toBe('CrossEnvironmentReference')
    expect(failureLine(run)).toContain(
      'ExternalSecret/db-credentials-production reads "dev/db-password" (spec.data[0].remoteRef.key), which is named for environment dev, in stage production'
    )
    expect(await deploymentsIn(namespace)).toEqual([])
    const written = (await custom().listNamespacedCustomObject({
      ...ESO,
      plural: 'externalsecrets',
      namespace
    })) as { items: unknown[] }
    expect(written.items).toEqual([])
  })

  it('a value staging used, behind another key and name, is refused in production before any workload', async () => {
    const same = 'the-staging-password-copied'
    const store = await fakeStore({ 'staging/db-password': same, 'production/db-password': same })
    const files = (environment: string) => ({
      'secret.yaml': externalSecret(store, `db-credentials-${environment}`, {
        DB_PASSWORD: `${environment}/db-password`
      }),
      'app.yaml': deploymentYaml('shop', { env: envFrom(`db-credentials-${environment}`) })
    })
    const staging = await namespaceFor('staging', false)
    const upstream = await stage(staging, 'staging', files('staging'), { 'release-key': RELEASE_KEY })
    expect(failureLine(upstream)).toBe('')
    expect(upstream.outputs['release-json']).toContain('"secretDigests"')
    expect(upstream.outputs['release-json']).not.toContain(same)

    const production = await namespaceFor('production', false)
    const run = await stage(production, 'production', files('production'), {
      'release-key': RELEASE_KEY,
      'promote-from': upstream.outputs.release
    })
    expect(run.outputs['failure-reason']).toBe('SecretReused')
    expect(failureLine(run)).toContain(
      'Secret/db-credentials-production key DB_PASSWORD in production has the same value as Secret/db-credentials-staging key DB_PASSWORD in staging'
    )
    expect(await deploymentsIn(production)).toEqual([])
    expect(run.stdout + run.summary).not.toContain(same)

    // With its own value, the same release passes.
    await setStoreData(store, {
      'staging/db-password': same,
      'production/db-password': 'production-own-value'
    })
    const fixed = await stage(production, 'production', files('production'), {
      'release-key': RELEASE_KEY,
      'promote-from': upstream.outputs.release
    })
    expect(failureLine(fixed)).toBe('')
    expect(fixed.stdout).toContain('Secret values: 1 compared with staging by keyed digest, none the same')
  })
})

describe('with only the Role docs/permissions.md documents', () => {
  it('an ExternalSecret and a Certificate of a ClusterIssuer it may not read: the first deploy passes', async () => {
    const store = await fakeStore({ 'production/db-password': 'least-privilege-value' })
    const namespace = uniqueName('ops-least')
    namespaces.push(namespace)
    const kubeconfig = await deployerKubeconfig(namespace, documentedRole(), 'production')
    const run = await runAction(
      {
        manifests: 'secret.yaml,certificate.yaml,app.yaml',
        environment: 'production',
        namespace,
        kubeconfig,
        timeout: '60s'
      },
      {
        workspace: workspaceWith({
          'secret.yaml': externalSecret(store, 'db-credentials-production', {
            DB_PASSWORD: 'production/db-password'
          }),
          'certificate.yaml': `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: { name: shop-tls }
spec:
  secretName: shop-tls
  dnsNames: [shop.example.test]
  issuerRef: { kind: ClusterIssuer, name: selfsigned }
`,
          'app.yaml': shopDeployment({
            container: `${envFrom('db-credentials-production')}          volumeMounts: [{ name: tls, mountPath: /tls }]\n`,
            podSpec: '      volumes: [{ name: tls, secret: { secretName: shop-tls } }]\n'
          })
        }),
        env: {}
      }
    )
    expect(failureLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')
    expect(run.stdout).toContain('Certificate/shop-tls (Secret shop-tls): issued')
  })
})

describe('off when unused', () => {
  it('a stage with no producer and no release-key reads no Secret and asks no operator; with one it does', async () => {
    const proxy = await startFaultProxy()
    const namespace = await namespaceFor('dev', false)
    await core().createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'db-credentials-dev' }, stringData: { DB_PASSWORD: 'kept-by-hand' } }
    })
    const run = (files: Record<string, string>) =>
      runAction(
        {
          manifests: Object.keys(files).join(','),
          environment: 'dev',
          namespace,
          kubeconfig: proxy.kubeconfig
        },
        { workspace: workspaceWith(files) }
      )
    const operatorRequests = () =>
      proxy.seen.filter(r =>
        /\/secrets\/[^/?]+|externalsecrets|issuers|sealedsecrets|certificates/.test(r.path)
      )
    try {
      const plain = await run({ 'app.yaml': deploymentYaml('shop', { env: envFrom('db-credentials-dev') }) })
      expect(failureLine(plain)).toBe('')
      expect(operatorRequests()).toEqual([])

      const store = await fakeStore({ 'dev/token': 'x' })
      const produced = await run({
        'token.yaml': externalSecret(store, 'api-token', { TOKEN: 'dev/token' }),
        'app.yaml': deploymentYaml('shop', {
          env: envFrom('db-credentials-dev') + '            - secretRef: { name: api-token }\n'
        })
      })
      expect(failureLine(produced)).toBe('')
      expect(operatorRequests().map(r => `${r.method} ${r.path.split('?')[0]}`)).toEqual(
        expect.arrayContaining([
          `PATCH /apis/external-secrets.io/v1/namespaces/${namespace}/externalsecrets/api-token`,
          `GET /api/v1/namespaces/${namespace}/secrets/api-token`
        ])
      )
    } finally {
      await proxy.close()
    }
  })
})

/**
 * The test cluster's Sealed Secrets controller (test/cluster/sealed-secrets.sh) and the sealing
 * helper the stage tests use: what kubeseal seals is unsealed into its Secret, and what the
 * controller cannot decrypt is reported in the SealedSecret's status, the signal a stage's wait
 * reads. Checks the controller's own behaviour, not kube-stage's: if these fail, a stage test
 * with SealedSecrets cannot say anything true.
 */
import { CustomObjectsApi } from '@kubernetes/client-node'
import { parse } from 'yaml'
import { core, deleteNamespace, testKubeConfig, uniqueName } from '../support/cluster.js'
import { sealSecret } from '../support/sealed-secrets.js'

interface SealedSecretObject {
  metadata: { name: string; namespace: string; generation?: number }
  status?: {
    observedGeneration?: number
    conditions?: { type: string; status: string; reason?: string; message?: string }[]
  }
}

const objects = () => testKubeConfig().makeApiClient(CustomObjectsApi)
const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

async function namespace(): Promise<string> {
  const name = uniqueName('sealed')
  namespaces.push(name)
  await core().createNamespace({ body: { metadata: { name } } })
  return name
}

/** Creates the SealedSecret of `yaml` in `namespace` (whatever namespace it was sealed for). */
async function create(yaml: string, namespace: string): Promise<string> {
  const body = parse(yaml) as SealedSecretObject
  body.metadata.namespace = namespace
  await objects().createNamespacedCustomObject({
    group: 'bitnami.com',
    version: 'v1alpha1',
    namespace,
    plural: 'sealedsecrets',
    body
  })
  return body.metadata.name
}

/** The SealedSecret once the controller has observed its current generation. */
async function observed(namespace: string, name: string): Promise<SealedSecretObject> {
  const until = Date.now() + 20_000
  for (;;) {
    const object = (await objects().getNamespacedCustomObject({
      group: 'bitnami.com',
      version: 'v1alpha1',
      namespace,
      plural: 'sealedsecrets',
      name
    })) as SealedSecretObject
    if (object.status?.observedGeneration === object.metadata.generation) return object
    if (Date.now() > until)
      throw new Error(
        `the controller never observed ${namespace}/${name} (status ${JSON.stringify(object.status)}): ` +
          'is it running? test/cluster/sealed-secrets.sh start <state-dir>'
      )
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

it('unseals what sealSecret seals into its Secret and reports it Synced', async () => {
  const ns = await namespace()
  const name = await create(
    await sealSecret({ namespace: ns, name: 'db', data: { password: 'hunter2' } }),
    ns
  )

  const sealed = await observed(ns, name)
  expect(sealed.status?.conditions).toEqual([expect.objectContaining({ type: 'Synced', status: 'True' })])
  const secret = await core().readNamespacedSecret({ namespace: ns, name: 'db' })
  expect(Buffer.from(secret.data!.password, 'base64').toString()).toBe('hunter2')
  expect(secret.metadata?.ownerReferences).toEqual([
    expect.objectContaining({ kind: 'SealedSecret', name: 'db', controller: true })
  ])
})

it('reports a SealedSecret sealed for another namespace as not Synced, and makes no Secret', async () => {
  const [sealedFor, appliedIn] = [await namespace(), await namespace()]
  const yaml = await sealSecret({ namespace: sealedFor, name: 'db', data: { password: 'hunter2' } })
  const name = await create(yaml, appliedIn)

  const sealed = await observed(appliedIn, name)
  expect(sealed.status?.conditions).toEqual([
    expect.objectContaining({
      type: 'Synced',
      status: 'False',
      message: 'no key could decrypt secret (password)'
    })
  ])
  await expect(core().readNamespacedSecret({ namespace: appliedIn, name: 'db' })).rejects.toThrow()
})

it('seals cluster-wide when asked: the same SealedSecret unseals in any namespace', async () => {
  const [sealedFor, appliedIn] = [await namespace(), await namespace()]
  const yaml = await sealSecret({
    namespace: sealedFor,
    name: 'db',
    data: { token: 't0k3n' },
    scope: 'cluster-wide'
  })
  const name = await create(yaml, appliedIn)

  expect((await observed(appliedIn, name)).status?.conditions?.[0]).toMatchObject({
    type: 'Synced',
    status: 'True'
  })
  const secret = await core().readNamespacedSecret({ namespace: appliedIn, name: 'db' })
  expect(Buffer.from(secret.data!.token, 'base64').toString()).toBe('t0k3n')
})

/**
 * The Lease's first look may come from a read asked earlier, alongside plan's own reads
 * (LeaseOptions.firstRead). Against the real API server: a read that is out of date by
 * the time the lease is taken must never let two runs hold it (the write is made at the
 * version read, so the server answers 409), and a read that failed is made again.
 */
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node'
import { createClient, type KubeClient } from '../../src/kube/client.js'
import { acquireLease, readLease, type LeaseOptions } from '../../src/kube/lease.js'
import { microTime, type LeaseObject } from '../../src/kube/lease-rules.js'
import { deleteNamespace, kubeconfigText, testKubeConfig, uniqueName } from '../support/cluster.js'

const coordination = () => testKubeConfig().makeApiClient(CoordinationV1Api)
const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

const OTHER = 'https://github.com/example/shop/actions/runs/4001/attempts/1'
const NAME = 'kube-stage-staging'

async function setUp(): Promise<{ client: KubeClient; namespace: string; options: LeaseOptions }> {
  const namespace = uniqueName('lease')
  namespaces.push(namespace)
  await testKubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: namespace } } })
  const client = await createClient({ kubeconfig: kubeconfigText() })
  const options: LeaseOptions = {
    namespace,
    name: NAME,
    identity: 'https://github.com/example/shop/actions/runs/4002/attempts/1',
    durationSeconds: 600,
    waitMs: 1_500,
    log: () => undefined,
    warn: () => undefined
  }
  return { client, namespace, options }
}

/** Another run takes the lease, as its own stage would. */
async function heldByOther(namespace: string, resourceVersion?: string): Promise<void> {
  const spec = { holderIdentity: OTHER, leaseDurationSeconds: 600, renewTime: microTime(Date.now()) as never }
  if (resourceVersion === undefined)
    await coordination().createNamespacedLease({ namespace, body: { metadata: { name: NAME }, spec } })
  else
    await coordination().replaceNamespacedLease({
      name: NAME,
      namespace,
      body: { metadata: { name: NAME, resourceVersion }, spec }
    })
}

const holderNow = async (namespace: string) =>
  (await coordination().readNamespacedLease({ name: NAME, namespace })).spec?.holderIdentity

describe('the Lease taken from an earlier read', () => {
  it('a read that saw no lease, before another run created it, ends in waiting for that run', async () => {
    const { client, namespace, options } = await setUp()
    const firstRead = readLease(client, options)
    expect(await firstRead).toBeUndefined()
    await heldByOther(namespace)
    await expect(acquireLease(client, { ...options, firstRead })).rejects.toMatchObject({ code: 'StageBusy' })
    expect(await holderNow(namespace)).toBe(OTHER)
  })

  it('a read that saw the lease released, before another run took it, ends in waiting for that run', async () => {
    const { client, namespace, options } = await setUp()
    const released = await acquireLease(client, options)
    await released.release()
    const firstRead = readLease(client, options)
    const seen = (await firstRead) as LeaseObject
    expect(seen.spec?.holderIdentity ?? null).toBeNull()
    await heldByOther(namespace, seen.metadata!.resourceVersion)
    await expect(
      acquireLease(client, { ...options, identity: `${options.identity}-second`, firstRead })
    ).rejects.toMatchObject({ code: 'StageBusy' })
    expect(await holderNow(namespace)).toBe(OTHER)
  })

  it('a read that failed is made again, and the free lease is taken', async () => {
    const { client, namespace, options } = await setUp()
    const firstRead = Promise.reject(new Error('the connection dropped'))
    const held = await acquireLease(client, { ...options, firstRead })
    expect(await holderNow(namespace)).toBe(options.identity)
    await held.release()
    expect((await holderNow(namespace)) ?? null).toBeNull()
  })
})

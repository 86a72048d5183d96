/**
 * The digests in the release record come from the pods the stage rolled out,
 * never from another pod of the namespace. On the real node the Deployment's
 * pod runs the fixture image and the kubelet reports its digest; the other
 * pods here are bound to a KWOK node and labelled so that no KWOK stage
 * touches them (kube-stage.test/behaviour, see test/cluster/kwok-lib.sh): the
 * test writes their status itself, so the API server reports for
 * ghcr.io/example/shop:1.1.0 the digest of another image, as a node serving a
 * stale copy of a mutable tag would. The real node cannot be made to report
 * that: it has exactly one image under each tag.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node'
import { core, deleteNamespace, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { deploymentYaml, workspaceWith } from '../support/workspace.js'
import { realNodeNamespace, requireRealNode, shopDeployment, shopImage } from '../support/real-node.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

/** A label value no KWOK stage selects: the pod's status is only what the test writes. */
const STATUS_BY_TEST = { 'kube-stage.test/behaviour': 'status-by-test' }

/**
 * The digest of each image the real node has, by tag, as its kubelet reports
 * them (node status): the fixture images of test/cluster/images.sh.
 */
function nodeDigests(node: V1Node): Map<string, string> {
  const digests = new Map<string, string>()
  for (const { names = [] } of node.status?.images ?? []) {
    const digest = names.find(n => n.includes('@sha256:'))?.split('@')[1]
    for (const name of names) if (digest && !name.includes('@')) digests.set(name, digest)
  }
  return digests
}

async function kwokNode(): Promise<string> {
  const nodes = await core().listNode({ labelSelector: 'type=kwok' })
  const name = nodes.items[0]?.metadata?.name
  if (!name) throw new Error('no KWOK node (type=kwok): test/cluster/start.sh makes them')
  return name
}

/** Writes a Running, Ready status whose one container `name` runs `image` as `imageID`. */
async function reportRunning(pod: V1Pod, name: string, image: string, imageID: string): Promise<V1Pod> {
  const now = new Date()
  const ready = (type: string) => ({ type, status: 'True', lastTransitionTime: now })
  const body: V1Pod = {
    ...pod,
    status: {
      phase: 'Running',
      startTime: now,
      podIP: '10.244.200.7',
      conditions: [ready('PodScheduled'), ready('Initialized'), ready('ContainersReady'), ready('Ready')],
      containerStatuses: [
        {
          name,
          image,
          imageID,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } }
        }
      ]
    }
  }
  const { name: podName, namespace } = pod.metadata as { name: string; namespace: string }
  return core().replaceNamespacedPodStatus({ name: podName, namespace, body })
}

function errorLine(run: ActionRun): string {
  return run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''
}

const releaseOf = (run: ActionRun) =>
  JSON.parse(run.outputs['release-json']) as { images: Record<string, string> }

describe('the digests a release records', () => {
  const tag = shopImage('1.1.0')
  let digests: Map<string, string>
  beforeAll(async () => {
    digests = nodeDigests(await requireRealNode())
  })

  it("are the rolled-out pods' own: a pod in the namespace reporting another digest for the same tag changes nothing", async () => {
    const own = digests.get(tag)!
    const stale = digests.get(shopImage('1.0.0'))!
    expect(own).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(stale).not.toBe(own)

    const namespace = uniqueName('digests')
    namespaces.push(namespace)
    await realNodeNamespace(namespace, 'staging')
    const stage = () =>
      runAction(
        { manifests: 'app.yaml', environment: 'staging', namespace, timeout: '90s' },
        {
          workspace: workspaceWith({ 'app.yaml': shopDeployment({ version: '1.1.0' }) }),
          env: { KUBECONFIG: kubeconfigPath() }
        }
      )

    const first = await stage()
    expect(errorLine(first)).toBe('')
    expect(releaseOf(first).images['Deployment/shop:shop']).toBe(`${tag}@${own}`)

    // A debug pod someone made in staging: same repository:tag, another digest, as the API server reports it.
    // Named to sort after the Deployment's pod, so the wait lists it last (the old code let the last pod win).
    const created = await core().createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'zz-debug', labels: STATUS_BY_TEST },
        spec: { nodeName: await kwokNode(), containers: [{ name: 'shop', image: tag }] }
      }
    })
    const stray = await reportRunning(created, 'shop', tag, `ghcr.io/example/shop@${stale}`)
    expect(stray.status?.containerStatuses?.[0]).toMatchObject({
      image: tag,
      imageID: `ghcr.io/example/shop@${stale}`
    })

    const second = await stage()
    expect(errorLine(second)).toBe('')
    expect(second.outputs.result).toBe('success')
    expect(releaseOf(second).images['Deployment/shop:shop']).toBe(`${tag}@${own}`)
    expect(second.outputs['release-json']).not.toContain(stale)
    // The stray pod was there and reported what it was made to report the whole time.
    const after = await core().readNamespacedPod({ name: 'zz-debug', namespace })
    expect(after.status?.containerStatuses?.[0].imageID).toBe(`ghcr.io/example/shop@${stale}`)
  })

  it('fail the stage when its own pods run one tag with different digests, naming each pod and digest', async () => {
    const [first, second] = [digests.get(tag)!, digests.get(shopImage('1.0.0'))!]
    const namespace = uniqueName('digests')
    namespaces.push(namespace)
    // Both replicas on KWOK nodes (the namespace is not pinned to the real node), their status written here.
    const running = runAction(
      { manifests: 'app.yaml', environment: 'dev', namespace, timeout: '60s' },
      {
        workspace: workspaceWith({
          'app.yaml': deploymentYaml('twin', { replicas: 2, image: tag, labels: STATUS_BY_TEST })
        }),
        env: { KUBECONFIG: kubeconfigPath() }
      }
    )
    const until = Date.now() + 30_000
    let pods: V1Pod[] = []
    while (pods.length < 2 && Date.now() < until) {
      await new Promise(resolve => setTimeout(resolve, 250))
      const list = await core().listNamespacedPod({ namespace, labelSelector: 'app=twin' })
      pods = list.items.filter(p => p.spec?.nodeName)
    }
    expect(pods).toHaveLength(2)
    pods.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!))
    await reportRunning(pods[0], 'app', tag, `ghcr.io/example/shop@${first}`)
    await reportRunning(pods[1], 'app', tag, `ghcr.io/example/shop@${second}`)

    const run = await running
    expect(run.outputs['failure-reason']).toBe('DigestConflict')
    const error = errorLine(run)
    expect(error).toContain(`${pods[0].metadata!.name} (container app) runs ${first}`)
    expect(error).toContain(`${pods[1].metadata!.name} (container app) runs ${second}`)
    // No digest is recorded for an image whose digest is in doubt.
    expect(releaseOf(run).images['Deployment/twin:app']).toBe(tag)
  })
})

import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node'
import type { KubeObject } from '../../src/manifests/types.js'
import { objectKey } from '../../src/manifests/objects.js'
import type { WatchedObject } from '../../src/kube/watch.js'
import { KubeApiError } from '../../src/kube/errors.js'
import {
  autoscalerEvent,
  deadlineFailure,
  describeCause,
  NO_MEMORY,
  waitStep,
  watchPlan,
  type WaitFacts,
  type WaitMemory,
  type WaitSettings,
  type WaitTarget
} from '../../src/kube/wait-step.js'
import { crashLooping, deployment, NAMESPACE, pod, podOf, replicaSetOf } from '../fixtures/status/builders.js'

const START = 1_700_000_000_000
const GRACE = 30_000
const settings: WaitSettings = {
  waitForLoadBalancer: false,
  unschedulableGraceMs: GRACE,
  waitForFirstConsumerClasses: []
}

const asObject = (o: unknown) => o as KubeObject
const watched = (o: unknown) => o as WatchedObject
const target = (object: unknown, name = 'deployments', namespaced = true): WaitTarget => ({
  object: asObject(object),
  resource: { name, kind: asObject(object).kind, namespaced, verbs: ['get', 'list', 'watch'] }
})
const keyOf = (o: unknown) => objectKey(asObject(o))

function facts(
  seen: { latest?: unknown[]; pods?: V1Pod[]; replicaSets?: V1ReplicaSet[] } & Partial<
    Omit<WaitFacts, 'latest' | 'pods' | 'replicaSets'>
  > = {}
): WaitFacts {
  const { latest = [], pods = [], replicaSets = [], ...rest } = seen
  return {
    now: START,
    startedAt: START,
    deleted: new Set(),
    autoscalerEvents: new Map(),
    ...rest,
    latest: new Map(latest.map(o => [keyOf(o), asObject(o)])),
    pods: pods.map(watched),
    replicaSets: replicaSets.map(watched)
  }
}

// A Deployment rolling out revision 2: one new pod wanted, three old ones serving.
const web: V1Deployment = deployment({
  generation: 2,
  revision: '2',
  replicas: 3,
  updatedReplicas: 1,
  statusReplicas: 4,
  availableReplicas: 3
})
const oldRs = replicaSetOf(web, '5f6d8c7b9', '1', 3)
const newRs = replicaSetOf(web, '7d9c6b5f4', '2', 1)
const oldPods = ['a1b2c', 'd3e4f', 'g5h6i'].map(s => podOf(oldRs, s))
const unschedulable = () =>
  podOf(newRs, 'x2k8p', {
    scheduled: { reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }
  })
const config = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'shop-config', namespace: NAMESPACE }
}

describe('waitStep: one verdict for everything seen so far', () => {
  it('is Current when every target is, with the time each became ready and one line per watched target', () => {
    const done = deployment({})
    const rs = replicaSetOf(done, '7d9c6b5f4', '1', 3)
    const targets = [target(config, 'configmaps'), target(done)]
    const step = waitStep(
      targets,
      settings,
      facts({
        now: START + 4200,
        latest: [done],
        replicaSets: [rs],
        pods: ['a', 'b', 'c'].map(s => podOf(rs, s))
      }),
      NO_MEMORY
    )
    expect(step.verdict).toBe('Current')
    expect(step.failed).toBeUndefined()
    expect(step.results.map(r => [r.object.kind, r.readiness.state, r.readyAfterMs])).toEqual([
      ['ConfigMap', 'Current', 4200],
      ['Deployment', 'Current', 4200]
    ])
    expect(step.results[0].readiness).toEqual({ state: 'Current', message: 'applied' })
    // A ConfigMap is ready once applied: nothing to say about it.
    expect(step.messages).toEqual([expect.stringMatching(/^Deployment\/web: ready: /)])
  })

  it('keeps waiting while a rollout is under way, and logs a line only when the state or message changes', () => {
    const targets = [target(web)]
    const seen = facts({
      latest: [web],
      replicaSets: [oldRs, newRs],
      pods: [...oldPods, podOf(newRs, 'x2k8p', { ready: false })]
    })
    const first = waitStep(targets, settings, seen, NO_MEMORY)
    expect(first.verdict).toBe('InProgress')
    expect(first.results[0].readyAfterMs).toBeUndefined()
    expect(first.messages).toHaveLength(1)
    expect(first.messages[0]).toMatch(/^Deployment\/web: waiting: /)

    const again = waitStep(targets, settings, { ...seen, now: START + 1000 }, first.memory)
    expect(again.verdict).toBe('InProgress')
    expect(again.messages).toEqual([])

    const crashing = podOf(newRs, 'x2k8p', { containers: [crashLooping()] })
    const changed = waitStep(
      targets,
      settings,
      { ...seen, now: START + 2000, pods: [...oldPods, crashing].map(watched) },
      again.memory
    )
    expect(changed.verdict).toBe('Failed')
    expect(changed.messages).toEqual([expect.stringMatching(/^Deployment\/web: FAILED: /)])
  })

  it('remembers when a target first became ready, and does not move it later', () => {
    const api = deployment({ name: 'api' })
    const apiRs = replicaSetOf(api, '6c5d4b3a2', '1', 3)
    const targets = [target(api), target(web)]
    const seen = facts({
      latest: [api, web],
      replicaSets: [apiRs, oldRs, newRs],
      pods: [...['a', 'b', 'c'].map(s => podOf(apiRs, s)), ...oldPods]
    })
    const first = waitStep(targets, settings, { ...seen, now: START + 2000 }, NO_MEMORY)
    expect(first.verdict).toBe('InProgress')
    expect(first.results.map(r => r.readyAfterMs)).toEqual([2000, undefined])
    const later = waitStep(targets, settings, { ...seen, now: START + 9000 }, first.memory)
    expect(later.results.map(r => r.readyAfterMs)).toEqual([2000, undefined])
  })

  it('fails with the first failed target and its rule’s failure, asking for the log tail of a crash loop', () => {
    const crashing = podOf(newRs, 'x2k8p', { containers: [crashLooping('web', 4, 137, 'OOMKilled')] })
    const step = waitStep(
      [target(config, 'configmaps'), target(web)],
      settings,
      facts({ latest: [web], replicaSets: [oldRs, newRs], pods: [...oldPods, crashing] }),
      NO_MEMORY
    )
    expect(step.verdict).toBe('Failed')
    expect(step.failed?.object.metadata.name).toBe('web')
    expect(step.failed?.failure).toMatchObject({
      code: 'CrashLoop',
      pod: 'web-7d9c6b5f4-x2k8p',
      container: 'web',
      exitCode: 137,
      wantsLogs: true
    })
    expect(step.messages).toEqual([
      'Deployment/web: FAILED: pod web-7d9c6b5f4-x2k8p: container web is crash-looping (4 restarts, last exit code 137, OOMKilled)'
    ])
  })

  it('judges a workload only by pods of its own namespace', () => {
    const elsewhere = podOf(newRs, 'x2k8p', { containers: [crashLooping()] })
    elsewhere.metadata!.namespace = 'shop-production'
    const step = waitStep(
      [target(web)],
      settings,
      facts({ latest: [web], replicaSets: [oldRs, newRs], pods: [...oldPods, elsewhere] }),
      NO_MEMORY
    )
    expect(step.verdict).toBe('InProgress')
  })

  it('fails a target deleted before it was ever ready', () => {
    const step = waitStep(
      [target(web)],
      settings,
      facts({ latest: [web], deleted: new Set([keyOf(web)]), replicaSets: [oldRs, newRs], pods: oldPods }),
      NO_MEMORY
    )
    expect(step.verdict).toBe('Failed')
    expect(step.failed?.failure).toEqual({
      code: 'ResourceFailed',
      reason: 'it was deleted while the stage waited for it to become ready'
    })
  })

  it('judges the applied object until a watch reports the live one', () => {
    // As applied: a new generation the controller has not observed yet.
    const applied = deployment({ generation: 3, observedGeneration: 2 })
    const live = deployment({})
    const rs = replicaSetOf(live, '7d9c6b5f4', '1', 3)
    const pods = ['a', 'b', 'c'].map(s => podOf(rs, s))
    const before = waitStep([target(applied)], settings, facts({ replicaSets: [rs], pods }), NO_MEMORY)
    expect(before.verdict).toBe('InProgress')
    expect(before.results[0].object).toBe(applied)
    const after = waitStep(
      [target(applied)],
      settings,
      facts({ latest: [live], replicaSets: [rs], pods }),
      NO_MEMORY
    )
    expect(after.verdict).toBe('Current')
    expect(after.results[0].object).toBe(live)
  })
})

describe('waitStep: a watch that ended for good', () => {
  const forbidden = new KubeApiError(
    403,
    'Forbidden',
    'pods is forbidden: User "system:serviceaccount:shop-staging:deployer" cannot watch resource "pods" in API group "" in the namespace "shop-staging"'
  )

  it('fails as Forbidden, with the rule to add, even when everything looked ready', () => {
    const done = deployment({})
    const rs = replicaSetOf(done, '7d9c6b5f4', '1', 3)
    const step = waitStep(
      [target(done)],
      settings,
      facts({
        latest: [done],
        replicaSets: [rs],
        pods: ['a', 'b', 'c'].map(s => podOf(rs, s)),
        watchError: forbidden
      }),
      NO_MEMORY
    )
    expect(step.verdict).toBe('Failed')
    expect(step.failed?.failure.code).toBe('Forbidden')
    expect(step.failed?.failure.reason).toContain('which the stage needs to watch what it waits for')
    expect(step.failed?.failure.reason).toContain('verbs: ["watch"]')
  })

  it('names a failed target rather than the watch when both are known', () => {
    const crashing = podOf(newRs, 'x2k8p', { containers: [crashLooping()] })
    const step = waitStep(
      [target(web)],
      settings,
      facts({
        latest: [web],
        replicaSets: [oldRs, newRs],
        pods: [...oldPods, crashing],
        watchError: forbidden
      }),
      NO_MEMORY
    )
    expect(step.failed?.failure.code).toBe('CrashLoop')
  })

  it('says what another error was', () => {
    const step = waitStep(
      [target(web)],
      settings,
      facts({ latest: [web], watchError: new Error('the server could not find the requested resource') }),
      NO_MEMORY
    )
    expect(step.failed?.failure).toEqual({
      code: 'ResourceFailed',
      reason: 'watch failed: the server could not find the requested resource'
    })
  })
})

describe('waitStep: an Unschedulable pod', () => {
  const seen = (extra: Parameters<typeof facts>[0] = {}) =>
    facts({
      latest: [web],
      replicaSets: [oldRs, newRs],
      pods: [...oldPods, unschedulable()],
      nodes: [{ name: 'n1', allocatable: { cpu: '4', memory: '8Gi' } }],
      ...extra
    })

  it('waits through the grace period from when the stage first saw it, then fails', () => {
    const first = waitStep([target(web)], settings, seen({ now: START + 5000 }), NO_MEMORY)
    expect(first.verdict).toBe('InProgress')
    expect(first.results[0].readiness.message).toContain('waiting for room')
    expect(first.memory.unschedulableSince.get('web-7d9c6b5f4-x2k8p')).toBe(START + 5000)

    const within = waitStep([target(web)], settings, seen({ now: START + 5000 + GRACE - 1 }), first.memory)
    expect(within.verdict).toBe('InProgress')
    // The first sighting is kept, not moved to each step.
    expect(within.memory.unschedulableSince.get('web-7d9c6b5f4-x2k8p')).toBe(START + 5000)

    const after = waitStep([target(web)], settings, seen({ now: START + 5000 + GRACE + 1000 }), within.memory)
    expect(after.verdict).toBe('Failed')
    expect(after.failed?.failure.code).toBe('Unschedulable')
    expect(after.failed?.failure.reason).toContain('0/3 nodes are available: 3 Insufficient cpu.')
    expect(after.failed?.failure.reason).toContain('stayed unschedulable for 31.0s')
  })

  it('fails at once when the cluster autoscaler says it will not add a node', () => {
    const step = waitStep(
      [target(web)],
      settings,
      seen({
        autoscalerEvents: new Map([
          ['web-7d9c6b5f4-x2k8p', { reason: 'NotTriggerScaleUp', message: "pod didn't trigger scale-up" }]
        ])
      }),
      NO_MEMORY
    )
    expect(step.verdict).toBe('Failed')
    expect(step.failed?.failure.reason).toContain("will not add a node for it (pod didn't trigger scale-up)")
  })

  it('fails at once when it asks more than any node has', () => {
    // The builders' pods request nothing, which any node can hold: that one waits.
    const small = waitStep(
      [target(web)],
      settings,
      seen({ nodes: [{ name: 'n1', allocatable: { cpu: '500m' } }] }),
      NO_MEMORY
    )
    expect(small.verdict).toBe('InProgress')
    const big = unschedulable()
    big.spec!.containers[0].resources = { requests: { cpu: '2' } }
    const doomed = waitStep(
      [target(web)],
      settings,
      seen({ pods: [...oldPods, big], nodes: [{ name: 'n1', allocatable: { cpu: '500m' } }] }),
      NO_MEMORY
    )
    expect(doomed.verdict).toBe('Failed')
    expect(doomed.failed?.failure.reason).toContain('more than any node can offer')
  })

  it('keeps waiting past the grace period while an autoscaler adds a node', () => {
    const memory: WaitMemory = { ...NO_MEMORY, unschedulableSince: new Map([['web-7d9c6b5f4-x2k8p', START]]) }
    const step = waitStep(
      [target(web)],
      settings,
      seen({
        now: START + 10 * GRACE,
        autoscalerEvents: new Map([
          ['web-7d9c6b5f4-x2k8p', { reason: 'TriggeredScaleUp', message: 'group-a 1->2' }]
        ])
      }),
      memory
    )
    expect(step.verdict).toBe('InProgress')
    expect(step.results[0].readiness.message).toContain('an autoscaler is adding a node')
  })

  it('waits for terminating pods of its own namespace only', () => {
    const memory: WaitMemory = { ...NO_MEMORY, unschedulableSince: new Map([['web-7d9c6b5f4-x2k8p', START]]) }
    const withLeaving = (namespace: string) => {
      const leaving = pod('old-batch-1', { deleting: true })
      leaving.metadata!.namespace = namespace
      const pods = [...oldPods, unschedulable(), leaving]
      return waitStep([target(web)], settings, seen({ now: START + 2 * GRACE, pods }), memory)
    }
    const here = withLeaving(NAMESPACE)
    expect(here.verdict).toBe('InProgress')
    expect(here.results[0].readiness.message).toContain('1 pod(s) of the namespace to finish terminating')
    expect(withLeaving('batch').verdict).toBe('Failed')
  })

  it('does not change the memory it was given', () => {
    const memory: WaitMemory = { readyAt: new Map(), unschedulableSince: new Map(), said: new Map() }
    waitStep([target(web)], settings, seen(), memory)
    expect(memory.unschedulableSince.size).toBe(0)
    expect(memory.said.size).toBe(0)
  })
})

describe('waitStep: Services', () => {
  const lb = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'shop', namespace: NAMESPACE },
    spec: { type: 'LoadBalancer' },
    status: { loadBalancer: {} }
  }

  it('counts a LoadBalancer without an address as ready unless wait-for-load-balancer is set', () => {
    const off = waitStep([target(lb, 'services')], settings, facts({ latest: [lb] }), NO_MEMORY)
    expect(off.verdict).toBe('Current')
    expect(off.results[0].readiness).toEqual({ state: 'Current', message: 'applied' })
    expect(off.messages).toEqual([])
    const on = waitStep(
      [target(lb, 'services')],
      { ...settings, waitForLoadBalancer: true },
      facts({ latest: [lb] }),
      NO_MEMORY
    )
    expect(on.verdict).toBe('InProgress')
    expect(on.messages).toHaveLength(1)
  })

  it('watches only LoadBalancer Services, even with wait-for-load-balancer set', () => {
    const clusterIp = {
      ...lb,
      metadata: { name: 'internal', namespace: NAMESPACE },
      spec: { type: 'ClusterIP' }
    }
    const bare = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bare', namespace: NAMESPACE } }
    const plan = watchPlan(
      [target(clusterIp, 'services'), target(bare, 'services'), target(lb, 'services')],
      true
    )
    expect(plan.watched.map(t => t.object.metadata.name)).toEqual(['shop'])
  })
})

describe('watchPlan', () => {
  it('watches each collection once, and pods only where a pod owner is', () => {
    const api = { ...deployment({ name: 'api' }) }
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' }
    }
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'db' }
    }
    const plan = watchPlan(
      [
        target(config, 'configmaps'),
        target(web),
        target(api),
        target(crd, 'customresourcedefinitions', false),
        target(claim, 'persistentvolumeclaims')
      ],
      false
    )
    expect(plan.watched.map(t => t.object.metadata.name)).toEqual([
      'web',
      'api',
      'widgets.example.com',
      'data'
    ])
    expect(plan.collections.map(c => c.path)).toEqual([
      `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      '/api/v1/namespaces/db/persistentvolumeclaims'
    ])
    expect(plan.podNamespaces).toEqual([NAMESPACE])
  })

  it('watches pods in every namespace for a pod owner without one', () => {
    const anywhere = { ...web, metadata: { ...web.metadata, namespace: undefined } }
    expect(watchPlan([target(anywhere)], false).podNamespaces).toEqual([''])
  })
})

describe('autoscalerEvent', () => {
  it('keeps what autoscalers say about pods, and nothing else', () => {
    const event = (kind: string, reason: string) => ({
      involvedObject: { kind, name: 'web-1' },
      reason,
      message: 'pod triggered scale-up',
      source: { component: 'cluster-autoscaler' }
    })
    expect(autoscalerEvent(event('Pod', 'TriggeredScaleUp'))).toEqual({
      pod: 'web-1',
      reason: 'TriggeredScaleUp',
      message: 'pod triggered scale-up'
    })
    expect(autoscalerEvent(event('Pod', 'NotTriggerScaleUp'))?.reason).toBe('NotTriggerScaleUp')
    expect(autoscalerEvent(event('Pod', 'Scheduled'))).toBeUndefined()
    expect(autoscalerEvent(event('Node', 'TriggeredScaleUp'))).toBeUndefined()
  })

  it("believes scale-up events only from an autoscaler's reporting component", () => {
    const about = { involvedObject: { kind: 'Pod', name: 'web-1' }, reason: 'TriggeredScaleUp' }
    // A workload with events/create in the namespace writes the same reason as itself.
    expect(autoscalerEvent({ ...about, source: { component: 'web' } })).toBeUndefined()
    expect(autoscalerEvent(about)).toBeUndefined()
    expect(autoscalerEvent({ ...about, reportingComponent: 'my-operator' })).toBeUndefined()
    expect(
      autoscalerEvent({ ...about, reason: 'Nominated', source: { component: 'karpenter' } })?.reason
    ).toBe('Nominated')
    expect(autoscalerEvent({ ...about, source: {}, reportingComponent: 'cluster-autoscaler' })?.pod).toBe(
      'web-1'
    )
  })
})

describe('describeCause', () => {
  it('says something even for a rejection without a reason', () => {
    expect(describeCause(undefined)).toBe('undefined')
    expect(describeCause('socket hang up')).toBe('socket hang up')
  })
})

describe('deadlineFailure', () => {
  it('is a plain timeout while the API server answered', () => {
    expect(deadlineFailure(undefined, START, 'https://10.0.0.1:6443')).toBeUndefined()
  })

  it('is ClusterUnreachable, with how long and why, when it had stopped answering', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' })
    const lost = { since: START, error: new Error('fetch failed', { cause }) }
    expect(deadlineFailure(lost, START + 95_000, 'https://10.0.0.1:6443')).toEqual({
      code: 'ClusterUnreachable',
      reason:
        'the API server at https://10.0.0.1:6443 has not answered for 1m35s, until the stage deadline (connect ECONNREFUSED 10.0.0.1:6443)'
    })
    // A cause whose message does not name its code gets it added.
    const closed = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })
    expect(
      deadlineFailure(
        { since: START, error: new Error('terminated', { cause: closed }) },
        START + 40_000,
        'https://k'
      )?.reason
    ).toBe(
      'the API server at https://k has not answered for 40.0s, until the stage deadline (other side closed (UND_ERR_SOCKET))'
    )
  })
})

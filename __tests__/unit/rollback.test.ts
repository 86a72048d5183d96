import { rollbackPatch, rollbackTargets } from '../../src/kube/rollback.js'
import type { PlannedObject } from '../../src/kube/apply.js'
import type { KubeObject } from '../../src/manifests/types.js'

const resource = { name: 'deployments', kind: 'Deployment', namespaced: true, verbs: [] }
const deployment = (image: string, annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { environment: 'prod' }, annotations },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } }
  }
})

function planned(
  action: PlannedObject['action'],
  live: KubeObject | undefined,
  preview: KubeObject,
  kind = 'Deployment'
): PlannedObject {
  return {
    object: { ...preview, kind },
    resource,
    live: live && { ...live, kind },
    preview: { ...preview, kind },
    action
  }
}

describe('rollbackTargets', () => {
  it('picks workloads this stage configured with a new pod template, nothing else', () => {
    const changed = planned('configured', deployment('web:1'), deployment('web:2'))
    const scaledOnly = planned('configured', deployment('web:1'), {
      ...deployment('web:1'),
      spec: { ...(deployment('web:1').spec as object), replicas: 5 }
    })
    const created = planned('created', undefined, deployment('web:2'))
    const config = planned('configured', deployment('web:1'), deployment('web:2'), 'ConfigMap')
    expect(rollbackTargets([changed, scaledOnly, created, config])).toEqual([changed])
  })
})

describe('rollbackPatch', () => {
  it('restores the whole previous spec with labels and annotations, leaving controller annotations alone', () => {
    const live = deployment('web:1', {
      'kube-stage.dev/commit': 'abc',
      'deployment.kubernetes.io/revision': '3'
    })
    expect(rollbackPatch(live, 'kube-stage')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        labels: { environment: 'prod' },
        annotations: { 'kube-stage.dev/commit': 'abc' }
      },
      spec: { ...(live.spec as object), replicas: undefined }
    })
  })

  it('restores the replica count only when this stage set it, not what an autoscaler owns', () => {
    const owned = (manager: string): KubeObject => ({
      ...deployment('web:1'),
      metadata: {
        ...deployment('web:1').metadata,
        managedFields: [{ manager, operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }]
      }
    })
    expect((rollbackPatch(owned('kube-stage'), 'kube-stage').spec as { replicas?: number }).replicas).toBe(2)
    expect(rollbackPatch(owned('hpa-controller'), 'kube-stage').spec).not.toHaveProperty('replicas')
  })
})

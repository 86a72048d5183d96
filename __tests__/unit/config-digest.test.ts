import { CONFIG_DIGEST_ANNOTATION, stampConfigDigests } from '../../src/manifests/config-digest.js'
import { configRollbackTargets, previousConfig } from '../../src/kube/rollback.js'
import type { KubeObject } from '../../src/manifests/types.js'
import type { PlannedObject } from '../../src/kube/apply.js'

const config = (value: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'shop-config' },
  data: { DB_CONNECTED: value },
  ...extra
})
const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop' },
  spec: {
    template: {
      metadata: { labels: { app: 'shop' } },
      spec: {
        containers: [{ name: 'shop', image: 'shop:1', envFrom: [{ configMapRef: { name: 'shop-config' } }] }]
      }
    }
  }
}
const digestOf = (objects: KubeObject[]) =>
  (
    stampConfigDigests(objects)[1].spec as {
      template: { metadata?: { annotations?: Record<string, string> } }
    }
  ).template.metadata?.annotations?.[CONFIG_DIGEST_ANNOTATION]

describe('configuration digests on pod templates', () => {
  it('changes when the consumed configuration changes, so the pods roll', () => {
    const before = digestOf([config('true'), deployment])
    expect(before).toMatch(/^[0-9a-f]{16}$/)
    expect(digestOf([config('false'), deployment])).not.toBe(before)
    expect(digestOf([config('true'), deployment])).toBe(before)
  })

  it('leaves alone templates that consume nothing of this stage, and immutable objects', () => {
    const other = { ...deployment, spec: { template: { spec: { containers: [{ name: 'x', image: 'x' }] } } } }
    expect(digestOf([config('true'), other])).toBeUndefined()
    expect(digestOf([config('true', { immutable: true }), deployment])).toBeUndefined()
  })

  it('keeps the template labels and does not touch the input', () => {
    const objects = [config('true'), deployment]
    const [, stamped] = stampConfigDigests(objects)
    expect((stamped.spec as { template: { metadata: { labels: object } } }).template.metadata.labels).toEqual(
      { app: 'shop' }
    )
    expect(
      (deployment.spec as { template: { metadata: { annotations?: object } } }).template.metadata.annotations
    ).toBeUndefined()
  })
})

describe('restoring configuration on rollback', () => {
  it('targets ConfigMaps and Secrets the stage changed, and applies their previous content only', () => {
    const live = {
      ...config('true'),
      metadata: { name: 'shop-config', namespace: 'prod', managedFields: [{}] }
    }
    const plan = [
      { object: config('false'), action: 'configured', live },
      { object: { ...config('x'), metadata: { name: 'new' } }, action: 'created' }
    ] as unknown as PlannedObject[]
    expect(configRollbackTargets(plan).map(p => p.object.metadata.name)).toEqual(['shop-config'])
    expect(previousConfig(live)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'shop-config', namespace: 'prod' },
      data: { DB_CONNECTED: 'true' }
    })
  })
})

// Canary and blue-green as data: a wrong count or label here sends real traffic to an unproven version.
import {
  canaryDeployment,
  canaryReplicas,
  COPY_OF_ANNOTATION,
  parseCanarySteps,
  podShare,
  PREVIEW_LABEL,
  previewDeployment,
  previewService,
  selectorPatch,
  selects,
  servicesOf,
  SWITCHED_FROM_ANNOTATION,
  switchedFrom,
  switchableServices,
  TRACK_LABEL
} from '../../../src/strategy/plan.js'
import type { KubeObject } from '../../../src/manifests/types.js'

function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'shop',
      namespace: 'shop-staging',
      labels: { 'app.kubernetes.io/part-of': 'store' },
      annotations: { 'deployment.kubernetes.io/revision': '4' }
    },
    spec: {
      replicas: 4,
      revisionHistoryLimit: 3,
      selector: {
        matchLabels: { app: 'shop' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }]
      },
      template: {
        metadata: {
          labels: { app: 'shop', tier: 'web', version: 'v2' },
          annotations: { 'prometheus.io/scrape': 'true' }
        },
        spec: { containers: [{ name: 'shop', image: 'ghcr.io/acme/shop:2' }] }
      }
    }
  }
}

function service(name: string, selector?: Record<string, string>, ports: object[] = []): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'shop-staging' },
    spec: { ...(selector ? { selector } : {}), ports }
  }
}

type Spec = {
  replicas: number
  revisionHistoryLimit?: number
  selector: { matchLabels: Record<string, string>; matchExpressions?: unknown[] }
  template: {
    metadata: { labels: Record<string, string>; annotations?: Record<string, string> }
    spec: unknown
  }
}
const specOf = (object: KubeObject) => object.spec as Spec

describe('parseCanarySteps', () => {
  it.each([
    ['10%, 50%', [10, 50]],
    ['10,50', [10, 50]],
    ['5% 25% 75%', [5, 25, 75]],
    [' 1%,\n 99% ', [1, 99]],
    ['33', [33]]
  ])('reads %j as %j', (text, steps) => {
    expect(parseCanarySteps(text)).toEqual(steps)
  })

  it.each([
    ['', 'it names no step'],
    [' , ', 'it names no step'],
    ['0%', '"0%" is not a share from 1% to 99%'],
    ['100%', '"100%" is not a share from 1% to 99%'],
    ['abc', '"abc" is not a share from 1% to 99%'],
    ['10%, 12.5%', '"12.5%" is not a share from 1% to 99%'],
    ['10%, -5%', '"-5%" is not a share from 1% to 99%'],
    ['50%, 10%', 'the steps must rise (50% then 10%)'],
    ['10%, 25%, 25%', 'the steps must rise (25% then 25%)']
  ])('refuses %j: %s', (text, message) => {
    expect(parseCanarySteps(text)).toBe(message)
  })
})

describe('canaryReplicas', () => {
  it.each([
    [10, 10, 1],
    [10, 50, 10],
    [10, 25, 3],
    [1, 10, 1],
    [3, 50, 3],
    [0, 10, 1],
    [4, 20, 1],
    [9, 10, 1],
    [1, 99, 99],
    [7, 30, 3]
  ])('%i stable pods at %i%%: %i canary pod(s)', (stable, weight, canary) => {
    expect(canaryReplicas(stable, weight)).toBe(canary)
  })

  it("never gives the canary more than the step's share, unless the minimum of one pod forces it, and gives it as many pods as fit", () => {
    const wrong: string[] = []
    for (let stable = 0; stable <= 60; stable++)
      for (let weight = 1; weight <= 99; weight++) {
        const canary = canaryReplicas(stable, weight)
        const where = `${stable} stable pods at ${weight}%: ${canary}`
        if (!Number.isInteger(canary) || canary < 1) wrong.push(`${where}, not a whole number of pods`)
        else if (canary > 1 && podShare(canary, stable) > weight / 100 + 1e-12)
          wrong.push(`${where}, too many`)
        // One pod more would go over the step's share: rounded down, not further.
        else if (podShare(canary + 1, stable) <= weight / 100) wrong.push(`${where}, too few`)
      }
    expect(wrong).toEqual([])
  })
})

describe('podShare', () => {
  it("is the canary's share of all the pods, and 0 when there are none", () => {
    expect(podShare(1, 10)).toBeCloseTo(1 / 11, 10)
    expect(podShare(10, 10)).toBe(0.5)
    expect(podShare(3, 0)).toBe(1)
    expect(podShare(0, 5)).toBe(0)
    expect(podShare(0, 0)).toBe(0)
  })
})

describe('canaryDeployment', () => {
  it('is <name>-canary with the track label in its selector and pod labels, every other label kept', () => {
    const canary = canaryDeployment(deployment(), 2)
    expect(canary.apiVersion).toBe('apps/v1')
    expect(canary.kind).toBe('Deployment')
    expect(canary.metadata).toEqual({
      name: 'shop-canary',
      namespace: 'shop-staging',
      labels: { 'app.kubernetes.io/part-of': 'store' },
      annotations: { [COPY_OF_ANNOTATION]: 'shop' }
    })
    const spec = specOf(canary)
    expect(spec.replicas).toBe(2)
    expect(spec.selector).toEqual({
      matchLabels: { app: 'shop', [TRACK_LABEL]: 'canary' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }]
    })
    expect(spec.template.metadata).toEqual({
      labels: { app: 'shop', tier: 'web', version: 'v2', [TRACK_LABEL]: 'canary' },
      annotations: { 'prometheus.io/scrape': 'true' }
    })
    expect(spec.template.spec).toEqual(specOf(deployment()).template.spec)
    expect(spec.revisionHistoryLimit).toBe(3)
  })

  it('leaves the Deployment it copies as it was', () => {
    const original = deployment()
    canaryDeployment(original, 7)
    expect(original).toEqual(deployment())
  })

  it('is still selected by the Services that select the stable pods', () => {
    const canary = canaryDeployment(deployment(), 1)
    const shop = service('shop', { app: 'shop' })
    expect(servicesOf(canary, [shop])).toEqual([shop])
  })

  it('copes with a Deployment without labels or selector', () => {
    const bare: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bare' } }
    const canary = canaryDeployment(bare, 1)
    expect(canary.metadata.labels).toEqual({})
    expect(specOf(canary).selector.matchLabels).toEqual({ [TRACK_LABEL]: 'canary' })
    expect(specOf(canary).template.metadata.labels).toEqual({ [TRACK_LABEL]: 'canary' })
  })
})

describe('selects and servicesOf', () => {
  it('selects pods that carry every label of the selector', () => {
    expect(selects({ app: 'shop' }, { app: 'shop', tier: 'web' })).toBe(true)
    expect(selects({ app: 'shop', tier: 'web' }, { app: 'shop', tier: 'web' })).toBe(true)
    expect(selects({ app: 'shop', tier: 'db' }, { app: 'shop', tier: 'web' })).toBe(false)
    expect(selects({ app: 'shop' }, { tier: 'web' })).toBe(false)
  })

  it('selects nothing with an empty or missing selector (such a Service has its own Endpoints)', () => {
    expect(selects({}, { app: 'shop' })).toBe(false)
    expect(selects(undefined, { app: 'shop' })).toBe(false)
  })

  it("finds the Services whose selector picks the Deployment's pods, in their order", () => {
    const shop = service('shop', { app: 'shop' })
    const web = service('web', { tier: 'web', app: 'shop' })
    const other = service('other', { app: 'cart' })
    const headless = service('external')
    const narrower = service('v1-only', { app: 'shop', version: 'v1' })
    expect(servicesOf(deployment(), [shop, other, headless, web, narrower])).toEqual([shop, web])
    expect(servicesOf(deployment(), [])).toEqual([])
  })
})

describe('previewDeployment', () => {
  it('drops the labels the Services select by, and selects by the preview label only', () => {
    const services = [service('shop', { app: 'shop' }), service('web', { tier: 'web' })]
    const preview = previewDeployment(deployment(), services, 4)
    expect(preview.metadata).toEqual({
      name: 'shop-preview',
      namespace: 'shop-staging',
      labels: { 'app.kubernetes.io/part-of': 'store' },
      annotations: { [COPY_OF_ANNOTATION]: 'shop' }
    })
    const spec = specOf(preview)
    expect(spec.replicas).toBe(4)
    expect(spec.selector).toEqual({ matchLabels: { [PREVIEW_LABEL]: 'shop' } })
    expect(spec.template.metadata).toEqual({
      labels: { version: 'v2', [PREVIEW_LABEL]: 'shop' },
      annotations: { 'prometheus.io/scrape': 'true' }
    })
    expect(spec.template.spec).toEqual(specOf(deployment()).template.spec)
  })

  it('is selected by none of the Services of the stable version', () => {
    const services = [service('shop', { app: 'shop' }), service('web', { tier: 'web', version: 'v2' })]
    const preview = previewDeployment(deployment(), services, 2)
    expect(servicesOf(preview, services)).toEqual([])
    expect(specOf(preview).template.metadata.labels).toEqual({ [PREVIEW_LABEL]: 'shop' })
  })

  it('leaves the Deployment it copies as it was', () => {
    const original = deployment()
    previewDeployment(original, [service('shop', { app: 'shop' })], 3)
    expect(original).toEqual(deployment())
  })
})

describe('previewService', () => {
  it('is a ClusterIP <name>-preview selecting the preview, with the ports of the Service but no nodePort', () => {
    const stable = {
      ...service('shop', { app: 'shop' }, [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30080 },
        { port: 9090, targetPort: 9090, appProtocol: 'h2c', nodePort: 30090 },
        { port: 8443 }
      ])
    }
    ;(stable.spec as Record<string, unknown>).type = 'NodePort'
    const preview = previewService(deployment(), stable)
    expect(preview).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'shop-preview',
        namespace: 'shop-staging',
        labels: { 'app.kubernetes.io/part-of': 'store' },
        annotations: { [COPY_OF_ANNOTATION]: 'shop' }
      },
      spec: {
        type: 'ClusterIP',
        selector: { [PREVIEW_LABEL]: 'shop' },
        ports: [
          { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
          { port: 9090, targetPort: 9090, appProtocol: 'h2c' },
          { port: 8443 }
        ]
      }
    })
  })

  it('selects the pods of the preview Deployment', () => {
    const services = [service('shop', { app: 'shop' })]
    const preview = previewDeployment(deployment(), services, 1)
    expect(servicesOf(preview, [previewService(deployment(), services[0])])).toHaveLength(1)
  })
})

describe('selectorPatch', () => {
  const noted = (from: Record<string, string>) => ({
    annotations: { [SWITCHED_FROM_ANNOTATION]: JSON.stringify(from) }
  })
  const forgotten = { annotations: { [SWITCHED_FROM_ANNOTATION]: null } }

  it('removes the keys the new selector lacks (null in a merge patch), sets the new ones, and remembers the old', () => {
    expect(selectorPatch({ app: 'shop' }, { [PREVIEW_LABEL]: 'shop' }, true)).toEqual({
      metadata: noted({ app: 'shop' }),
      spec: { selector: { app: null, [PREVIEW_LABEL]: 'shop' } }
    })
  })

  it('keeps a key both have, with the new value, and removes nothing from an empty selector', () => {
    expect(selectorPatch({ app: 'shop', tier: 'web' }, { app: 'shop', version: 'v2' }, true)).toEqual({
      metadata: noted({ app: 'shop', tier: 'web' }),
      spec: { selector: { tier: null, app: 'shop', version: 'v2' } }
    })
    expect(selectorPatch({}, { app: 'shop' }, false)).toEqual({
      metadata: forgotten,
      spec: { selector: { app: 'shop' } }
    })
  })

  it('switches back from the preview to the selector the Service had, and forgets it', () => {
    expect(selectorPatch({ [PREVIEW_LABEL]: 'shop' }, { app: 'shop', tier: 'web' }, false)).toEqual({
      metadata: forgotten,
      spec: { selector: { [PREVIEW_LABEL]: null, app: 'shop', tier: 'web' } }
    })
  })

  it('removes label keys named like Object.prototype members too', () => {
    expect(
      selectorPatch({ constructor: 'shop', toString: 'x' }, { [PREVIEW_LABEL]: 'shop' }, false).spec
    ).toEqual({
      selector: { constructor: null, toString: null, [PREVIEW_LABEL]: 'shop' }
    })
  })
})

describe('switchedFrom', () => {
  const service = (annotations?: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'shop', annotations },
    spec: { selector: { [PREVIEW_LABEL]: 'shop' } }
  })

  it('reads the selector a switched Service had', () => {
    expect(switchedFrom(service({ [SWITCHED_FROM_ANNOTATION]: '{"app":"shop"}' }))).toEqual({ app: 'shop' })
  })

  it.each([
    ['no annotation', undefined],
    ['not JSON', { [SWITCHED_FROM_ANNOTATION]: '{app' }],
    ['a list', { [SWITCHED_FROM_ANNOTATION]: '["app"]' }],
    ['an empty selector', { [SWITCHED_FROM_ANNOTATION]: '{}' }],
    ['a value that is not a string', { [SWITCHED_FROM_ANNOTATION]: '{"app":1}' }]
  ])('is undefined for %s', (_, annotations) => {
    expect(switchedFrom(service(annotations))).toBeUndefined()
  })
})

describe('switchableServices', () => {
  const workload = (
    kind: string,
    name: string,
    labels: Record<string, string>,
    annotations?: Record<string, string>
  ): KubeObject => ({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, annotations },
    spec: { template: { metadata: { labels } } }
  })
  const service = (name: string, selector: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector }
  })
  const shop = workload('Deployment', 'shop', { app: 'shop', tier: 'web' })

  it('gives the Services that select only its pods', () => {
    const services = [service('shop', { app: 'shop' }), service('db', { app: 'db' })]
    expect(switchableServices(shop, services, [shop, workload('StatefulSet', 'db', { app: 'db' })])).toEqual({
      services: [services[0]]
    })
  })

  it('refuses when no Service selects its pods', () => {
    expect(switchableServices(shop, [service('db', { app: 'db' })], [shop])).toEqual({
      reason: 'no Service selects its pods, so there is nothing to switch'
    })
  })

  it("refuses a Service that also selects another workload's pods: the switch would cut them off", () => {
    const admin = workload('Deployment', 'admin', { app: 'admin', tier: 'web' })
    expect(
      switchableServices(
        shop,
        [service('shop', { app: 'shop' }), service('web', { tier: 'web' })],
        [shop, admin]
      )
    ).toEqual({
      reason: 'Service/web also selects the pods of Deployment/admin, which a switch would cut off'
    })
  })

  it('does not count a copy an interrupted stage left (this stage replaces it) as another workload', () => {
    const canary = workload(
      'Deployment',
      'shop-canary',
      { app: 'shop', tier: 'web', [TRACK_LABEL]: 'canary' },
      {
        [COPY_OF_ANNOTATION]: 'shop'
      }
    )
    const services = [service('shop', { app: 'shop' })]
    expect(switchableServices(shop, services, [shop, canary])).toEqual({ services })
  })
})

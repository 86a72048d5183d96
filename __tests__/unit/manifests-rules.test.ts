import { parseImageReference, formatImageReference } from '../../src/manifests/image.js'
import { applyImageOverrides, parseImageOverrides } from '../../src/manifests/images.js'
import { transformManifests } from '../../src/manifests/transform.js'
import { appliedAfterPreDeploy, isCustomResource, orderForApply } from '../../src/manifests/order.js'
import { checkReferences, findReferences } from '../../src/manifests/references.js'
import { foreignEnvironmentIn, normalizeEnvironmentTokens } from '../../src/environments.js'
import type { KubeObject } from '../../src/manifests/types.js'

const deployment = (image: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        initContainers: [{ name: 'init', image: 'busybox:1.36' }],
        containers: [{ name: 'web', image }],
        ...extra
      }
    }
  }
})

describe('parseImageReference', () => {
  it.each([
    ['nginx', { registry: 'docker.io', path: 'nginx', repository: 'docker.io/library/nginx' }],
    ['nginx:1.27', { tag: '1.27', repository: 'docker.io/library/nginx' }],
    ['docker.io/library/nginx:1.27', { registry: 'docker.io', repository: 'docker.io/library/nginx' }],
    ['index.docker.io/nginx', { registry: 'index.docker.io', repository: 'docker.io/library/nginx' }],
    ['localhost:5000/team/app:dev', { registry: 'localhost:5000', path: 'team/app', tag: 'dev' }],
    [
      `ghcr.io/o/app:1.0@sha256:${'a'.repeat(64)}`,
      { registry: 'ghcr.io', tag: '1.0', digest: `sha256:${'a'.repeat(64)}` }
    ],
    ['org/app', { registry: 'docker.io', repository: 'docker.io/org/app' }]
  ])('%s', (reference, expected) => {
    expect(parseImageReference(reference)).toMatchObject(expected)
  })

  it.each(['', 'Nginx', 'app:bad tag', 'app@sha256:abc', 'reg.io//app', 'app:-dash'])(
    'refuses %j',
    reference => {
      expect(() => parseImageReference(reference)).toThrow(/is not a valid image reference/)
    }
  )

  it('formats back', () => {
    expect(formatImageReference(parseImageReference('ghcr.io/o/app:1'))).toBe('ghcr.io/o/app:1')
    expect(formatImageReference(parseImageReference('nginx:1'))).toBe('nginx:1')
  })
})

describe('image overrides', () => {
  it('replaces by repository in containers and init containers, and reports unmatched ones', () => {
    const overrides = parseImageOverrides('ghcr.io/o/web:2.0.0, busybox=busybox:1.37\nredis:7')
    const result = applyImageOverrides([deployment('ghcr.io/o/web:1.0.0')], overrides)
    const spec = (
      result.objects[0].spec as {
        template: { spec: { containers: { image: string }[]; initContainers: { image: string }[] } }
      }
    ).template.spec
    expect(spec.containers[0].image).toBe('ghcr.io/o/web:2.0.0')
    expect(spec.initContainers[0].image).toBe('busybox:1.37')
    expect(result.changes.map(c => c.container)).toEqual(['init', 'web'])
    expect(result.unmatched).toEqual(['redis:7'])
  })

  it('refuses an entry without tag or digest, naming it', () => {
    expect(() => parseImageOverrides('ghcr.io/o/web')).toThrow(
      'Input images: entry "ghcr.io/o/web" is invalid'
    )
  })
})

describe('transformManifests', () => {
  const options = {
    namespace: 'shop',
    allowOtherNamespaces: false,
    allowClusterScoped: false,
    isClusterScoped: () => undefined,
    labels: { environment: 'dev' },
    annotations: { 'kube-stage.dev/commit': 'abc' }
  }

  it('sets the namespace and adds labels and annotations on the object, not the pod template', () => {
    const [object] = transformManifests([deployment('x:1')], options)
    expect(object.metadata).toMatchObject({
      namespace: 'shop',
      labels: { environment: 'dev' },
      annotations: { 'kube-stage.dev/commit': 'abc' }
    })
    expect((object.spec as { template: { metadata: unknown } }).template.metadata).toEqual({
      labels: { app: 'web' }
    })
  })

  it('lists every object that reaches outside the namespace', () => {
    const other = { ...deployment('x:1'), metadata: { name: 'a', namespace: 'kube-system' } }
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } }
    expect(() => transformManifests([other, role], options)).toThrow(
      '2 object(s) reach outside namespace shop'
    )
    expect(
      transformManifests([role], { ...options, allowClusterScoped: true })[0].metadata.namespace
    ).toBeUndefined()
  })
})

describe('orderForApply', () => {
  it('puts what others depend on first, keeping input order within a tier', () => {
    const objects = [
      'Deployment',
      'Ingress',
      'Service',
      'ConfigMap',
      'Namespace',
      'Secret',
      'ServiceAccount',
      'CustomResourceDefinition',
      'Widget'
    ].map(kind => ({ kind }))
    expect(orderForApply(objects).map(tier => tier.map(o => o.kind))).toEqual([
      ['Namespace'],
      ['CustomResourceDefinition'],
      ['ServiceAccount'],
      ['Service', 'ConfigMap', 'Secret'],
      ['Deployment'],
      ['Ingress', 'Widget']
    ])
  })

  it('applies custom resources after the pre-deploy Jobs, with the workloads, except those that make Secrets', () => {
    const kinds = [
      ['example.com/v1', 'Widget'],
      ['monitoring.coreos.com/v1', 'ServiceMonitor'],
      ['cluster.x-k8s.io/v1beta1', 'Cluster'],
      ['apps/v1', 'Deployment'],
      ['batch/v1', 'CronJob'],
      ['external-secrets.io/v1beta1', 'ExternalSecret'],
      ['bitnami.com/v1alpha1', 'SealedSecret'],
      ['networking.k8s.io/v1', 'Ingress'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'],
      ['v1', 'ConfigMap'],
      ['apiextensions.k8s.io/v1', 'CustomResourceDefinition']
    ].map(([apiVersion, kind]) => ({ apiVersion, kind }))
    expect(kinds.filter(isCustomResource).map(o => o.kind)).toEqual([
      'Widget',
      'ServiceMonitor',
      'Cluster',
      'ExternalSecret',
      'SealedSecret'
    ])
    expect(kinds.filter(appliedAfterPreDeploy).map(o => o.kind)).toEqual([
      'Widget',
      'ServiceMonitor',
      'Cluster',
      'Deployment',
      'CronJob'
    ])
  })
})

describe('references', () => {
  const pod = deployment('x:1', {
    imagePullSecrets: [{ name: 'registry' }],
    volumes: [
      { name: 'v', secret: { secretName: 'tls' } },
      { name: 'p', projected: { sources: [{ configMap: { name: 'ca' } }] } },
      { name: 'o', configMap: { name: 'maybe', optional: true } }
    ]
  })
  ;(
    pod.spec as { template: { spec: { containers: Record<string, unknown>[] } } }
  ).template.spec.containers[0].envFrom = [{ secretRef: { name: 'db-credentials-dev' } }]

  it('finds every Secret and ConfigMap a pod spec uses', () => {
    expect(
      findReferences([pod])
        .map(r => `${r.kind}/${r.name}${r.optional ? '?' : ''}`)
        .sort()
    ).toEqual([
      'ConfigMap/ca',
      'ConfigMap/maybe?',
      'Secret/db-credentials-dev',
      'Secret/registry',
      'Secret/tls'
    ])
  })

  it('reports missing ones (not optional ones) and ones named for another environment', () => {
    const problems = checkReferences([pod], findReferences([pod]), {
      inManifests: new Set(['Secret/tls']),
      inCluster: new Set(['Secret/registry', 'Secret/db-credentials-dev']),
      environment: 'production',
      environmentNames: ['dev', 'staging', 'production']
    })
    expect(problems.map(p => `${p.code}: ${p.message}`)).toEqual([
      'MissingReference: Deployment/web needs ConfigMap ca, which is neither in the manifests nor in the namespace (spec.template.spec.volumes[1].projected.sources[0].configMap)',
      'CrossEnvironmentReference: Deployment/web uses Secret db-credentials-dev, which is named for environment dev, in stage production (spec.template.spec.containers[0].envFrom[0].secretRef)'
    ])
  })
})

describe('environment names', () => {
  it('matches whole tokens of other environments, with aliases', () => {
    expect(foreignEnvironmentIn('db-credentials-dev', 'production', ['dev', 'production'])).toBe('dev')
    expect(foreignEnvironmentIn('db_development.v2', 'prod', ['dev'])).toBe('development')
    expect(foreignEnvironmentIn('db-credentials-prod', 'production', ['dev', 'prod'])).toBeUndefined()
    expect(foreignEnvironmentIn('devices', 'production', ['dev'])).toBeUndefined()
    // Names of several tokens, and regional environments.
    expect(foreignEnvironmentIn('db-pre-prod', 'production', ['pre-prod', 'prod'])).toBe('pre-prod')
    expect(foreignEnvironmentIn('db-pre-prod', 'pre-prod', ['pre-prod', 'prod'])).toBeUndefined()
    expect(foreignEnvironmentIn('db-prod', 'pre-prod', ['pre-prod', 'prod'])).toBe('prod')
    expect(foreignEnvironmentIn('db-prod-eu', 'prod-eu', ['dev', 'prod'])).toBeUndefined()
    expect(foreignEnvironmentIn('db-production', 'prod-eu', ['dev', 'prod'])).toBeUndefined()
    expect(foreignEnvironmentIn('db-dev', 'prod-eu', ['dev', 'prod'])).toBe('dev')
    // The longest name at a place wins, whether it is the stage's own or another's.
    expect(foreignEnvironmentIn('db-prod-us', 'prod-eu', ['prod', 'prod-eu', 'prod-us'])).toBe('prod-us')
    expect(normalizeEnvironmentTokens('db-prod and db-prod-eu', 'prod-eu', ['prod'])).toBe(
      'db-{env} and db-{env}'
    )
    expect(normalizeEnvironmentTokens('db-credentials-staging https://stage.example.com', 'staging')).toBe(
      'db-credentials-{env} https://{env}.example.com'
    )
  })
})

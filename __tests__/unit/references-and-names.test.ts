// Every way a pod names a Secret or ConfigMap is collected, and every way it goes wrong is reported.
import { checkReferences, findReferences, referenceError } from '../../src/manifests/references.js'
import {
  aliasesOf,
  foreignEnvironmentIn,
  nameTokens,
  normalizeEnvironmentTokens
} from '../../src/environments.js'
import type { KubeObject } from '../../src/manifests/types.js'

const ENVIRONMENTS = ['dev', 'staging', 'production']

const shop: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop' },
  spec: {
    template: {
      spec: {
        imagePullSecrets: [{ name: 'registry' }],
        volumes: [
          { name: 'tls', secret: { secretName: 'tls', optional: true } },
          { name: 'conf', configMap: { name: 'conf' } },
          {
            name: 'all',
            projected: {
              sources: [{ secret: { name: 'p-secret' } }, { configMap: { name: 'p-config', optional: true } }]
            }
          }
        ],
        initContainers: [{ name: 'init', envFrom: [{ secretRef: { name: 'init-env' } }] }],
        containers: [
          {
            name: 'shop',
            env: [
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
              { name: 'FLAG', valueFrom: { configMapKeyRef: { name: 'flags', key: 'f', optional: true } } },
              { name: 'PLAIN', value: 'x' }
            ],
            envFrom: [{ configMapRef: { name: 'settings' } }]
          }
        ]
      }
    }
  }
}

describe('findReferences', () => {
  it('collects every Secret and ConfigMap a pod template uses, with its field', () => {
    expect(findReferences([shop]).map(r => [r.kind, r.name, r.optional, r.field])).toEqual([
      ['Secret', 'registry', false, 'spec.template.spec.imagePullSecrets[0]'],
      ['Secret', 'tls', true, 'spec.template.spec.volumes[0].secret'],
      ['ConfigMap', 'conf', false, 'spec.template.spec.volumes[1].configMap'],
      ['Secret', 'p-secret', false, 'spec.template.spec.volumes[2].projected.sources[0].secret'],
      ['ConfigMap', 'p-config', true, 'spec.template.spec.volumes[2].projected.sources[1].configMap'],
      ['Secret', 'init-env', false, 'spec.template.spec.initContainers[0].envFrom[0].secretRef'],
      ['Secret', 'db', false, 'spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef'],
      ['ConfigMap', 'flags', true, 'spec.template.spec.containers[0].env[1].valueFrom.configMapKeyRef'],
      ['ConfigMap', 'settings', false, 'spec.template.spec.containers[0].envFrom[0].configMapRef']
    ])
    expect(new Set(findReferences([shop]).map(r => r.usedBy))).toEqual(new Set(['Deployment/shop']))
  })

  it('reads a pod spec that leaves out any of the lists', () => {
    const bare: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bare' },
      spec: {
        volumes: [{ name: 'empty', projected: {} }],
        containers: [{ name: 'a' }, { name: 'b', env: [{ name: 'X', value: 'x' }], envFrom: [] }]
      }
    }
    expect(findReferences([bare])).toEqual([])
  })

  it('finds nothing in objects without a pod template', () => {
    expect(
      findReferences([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: {} }])
    ).toEqual([])
  })
})

describe('checkReferences', () => {
  const check = (
    objects: KubeObject[],
    inManifests: string[] = [],
    inCluster: string[] = [],
    environment = 'production'
  ) =>
    checkReferences(objects, findReferences(objects), {
      inManifests: new Set(inManifests),
      inCluster: new Set(inCluster),
      environment,
      environmentNames: ENVIRONMENTS
    })

  it('reports each required reference found nowhere, once, and not the optional ones', () => {
    const problems = check(
      [shop],
      ['Secret/registry', 'ConfigMap/conf'],
      ['Secret/p-secret', 'Secret/init-env']
    )
    expect(problems).toEqual([
      {
        code: 'MissingReference',
        message:
          'Deployment/shop needs Secret db, which is neither in the manifests nor in the namespace (spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef)'
      },
      {
        code: 'MissingReference',
        message:
          'Deployment/shop needs ConfigMap settings, which is neither in the manifests nor in the namespace (spec.template.spec.containers[0].envFrom[0].configMapRef)'
      }
    ])
  })

  it('reports a reference named for another environment even when it exists', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'c', envFrom: [{ secretRef: { name: 'db-dev' } }, { secretRef: { name: 'db-dev' } }] }
        ]
      }
    }
    expect(check([pod], [], ['Secret/db-dev'])).toEqual([
      {
        code: 'CrossEnvironmentReference',
        message:
          'Pod/p uses Secret db-dev, which is named for environment dev, in stage production (spec.containers[0].envFrom[0].secretRef)'
      }
    ])
    expect(check([pod], [], ['Secret/db-dev'], 'dev')).toEqual([])
  })

  it('reports a Secret or ConfigMap in the set that is named for another environment', () => {
    const objects: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api-key-staging' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings-dev' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings-production' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop-staging' } }
    ]
    expect(check(objects)).toEqual([
      {
        code: 'CrossEnvironmentReference',
        message: 'Secret/api-key-staging is named for environment staging but is part of stage production'
      },
      {
        code: 'CrossEnvironmentReference',
        message: 'ConfigMap/settings-dev is named for environment dev but is part of stage production'
      }
    ])
  })

  it('reports a missing reference once per object however often the object uses it', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'c',
            env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
            envFrom: [{ secretRef: { name: 'db' } }]
          }
        ]
      }
    }
    expect(check([pod])).toEqual([
      {
        code: 'MissingReference',
        message:
          'Pod/p needs Secret db, which is neither in the manifests nor in the namespace (spec.containers[0].env[0].valueFrom.secretKeyRef)'
      }
    ])
  })

  it('puts a foreign name first in the error, whatever the order found', () => {
    const error = referenceError([
      { code: 'MissingReference', message: 'missing one' },
      { code: 'CrossEnvironmentReference', message: 'foreign one' }
    ])
    expect(error.code).toBe('CrossEnvironmentReference')
    expect(error.message).toBe('2 Secret/ConfigMap reference problem(s); nothing was applied. foreign one.')
    expect(error.details).toEqual(['foreign one', 'missing one'])
    expect(referenceError([{ code: 'MissingReference', message: 'm' }]).code).toBe('MissingReference')
  })

  it('keeps problems of one kind in the order found, foreign names first', () => {
    const error = referenceError([
      { code: 'CrossEnvironmentReference', message: 'foreign one' },
      { code: 'MissingReference', message: 'missing one' },
      { code: 'CrossEnvironmentReference', message: 'foreign two' },
      { code: 'MissingReference', message: 'missing two' }
    ])
    expect(error.message).toBe('4 Secret/ConfigMap reference problem(s); nothing was applied. foreign one.')
    expect(error.details).toEqual(['foreign one', 'foreign two', 'missing one', 'missing two'])
  })
})

describe('environment names', () => {
  it('knows the usual aliases, and a name without any is its own', () => {
    expect(aliasesOf('Production')).toEqual(new Set(['prod', 'production', 'prd']))
    expect(aliasesOf('stg')).toEqual(new Set(['stage', 'staging', 'stg']))
    expect(aliasesOf('canary')).toEqual(new Set(['canary']))
  })

  it('splits names into whole tokens', () => {
    expect(nameTokens('DB-credentials_dev.v2')).toEqual(['db', 'credentials', 'dev', 'v2'])
    expect(nameTokens('--a')).toEqual(['a'])
  })

  it.each([
    ['db-credentials-dev', 'production', 'dev'],
    ['db-credentials-development', 'production', 'development'],
    ['db-credentials-prod', 'production', undefined],
    ['devices', 'production', undefined],
    ['db-stg', 'prod', 'stg'],
    ['db-prod', 'prod-eu', undefined],
    ['db-prod-us', 'prod-eu', 'prod-us'],
    ['db-pre-prod', 'prod', 'pre-prod']
  ])('%s in %s is named for %s', (name, environment, foreign) => {
    expect(foreignEnvironmentIn(name, environment, [...ENVIRONMENTS, 'prod-eu', 'prod-us', 'pre-prod'])).toBe(
      foreign
    )
  })

  it('replaces only whole own-environment names with {env}', () => {
    expect(normalizeEnvironmentTokens('db-credentials-staging', 'staging', ENVIRONMENTS)).toBe(
      'db-credentials-{env}'
    )
    expect(normalizeEnvironmentTokens('STG_URL=https://stg.example.com', 'staging')).toBe(
      '{env}_URL=https://{env}.example.com'
    )
    expect(normalizeEnvironmentTokens('prodigy', 'prod')).toBe('prodigy')
    expect(normalizeEnvironmentTokens('db-prod-eu', 'prod-eu', ['prod', 'prod-eu'])).toBe('db-{env}')
    expect(normalizeEnvironmentTokens('db-prod', 'prod-eu', ['prod', 'prod-eu'])).toBe('db-{env}')
  })
})

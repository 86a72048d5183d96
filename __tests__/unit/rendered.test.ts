// Reading back what kustomize and helm print: each object says which file it was written in.
import {
  helmHooks,
  lineIn,
  readHelmOutput,
  readKustomizeOutput,
  refusedHooks,
  isPreDeployHook
} from '../../src/manifests/rendered.js'
import type { KubeObject, LoadedManifest } from '../../src/manifests/types.js'
import { withGeneratorNames } from '../../src/manifests/generated-names.js'
import { combineManifests } from '../../src/manifests/problems.js'
import { configFingerprint, objectDigests } from '../../src/promote/release.js'

const KUSTOMIZE = `apiVersion: v1
kind: ConfigMap
metadata:
  annotations:
    config.kubernetes.io/origin: |
      configuredIn: kustomization.yaml
      configuredBy:
        apiVersion: builtin
        kind: ConfigMapGenerator
  name: stg-gen-588tk542k9
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    config.kubernetes.io/origin: |
      path: ../../base/deployment.yaml
    team: shop
  name: stg-shop
---
apiVersion: v1
kind: Service
metadata:
  annotations:
    config.kubernetes.io/origin: |
      repo: https://github.com/acme/shared
      path: service.yaml
  name: shop
---
apiVersion: v1
kind: Secret
metadata:
  name: plain
`

describe('kustomize output', () => {
  // Read in each test, not once for the block: mutation testing sees which test reached what.
  const read = () => readKustomizeOutput(KUSTOMIZE, 'kubectl kustomize overlays/staging', 'overlays/staging')

  it('points each object at the file its origin names, relative to the workspace', () => {
    const { manifests, problems } = read()
    expect(problems).toEqual([])
    expect(manifests.map(m => m.source.file)).toEqual([
      'overlays/staging/kustomization.yaml',
      'base/deployment.yaml',
      // A remote resource is not in the workspace; no origin is no file.
      'kubectl kustomize overlays/staging',
      'kubectl kustomize overlays/staging'
    ])
    expect(manifests[3].source.line).toBe(30)
  })

  it('removes the origin annotation, and only it', () => {
    const { manifests } = read()
    expect(manifests[0].object.metadata.annotations).toBeUndefined()
    expect(manifests[1].object.metadata.annotations).toEqual({ team: 'shop' })
  })

  it('reports a document it cannot read at its line in the output', () => {
    const broken = readKustomizeOutput('apiVersion: v1\nkind: ConfigMap\n', 'kustomize build x', 'x')
    expect(broken.problems).toEqual([
      { location: { file: 'kustomize build x', line: 1 }, message: 'ConfigMap: missing metadata' }
    ])
  })
})

describe('helm sources', () => {
  it('maps only # Source: comments at the start of a line, to the document after them', () => {
    const text =
      '---\n# Source: shop/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    note: "x # Source: shop/templates/b.yaml"\n---\n# Source: shop/templates/c.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n'
    const { manifests } = readHelmOutput(text, 'helm template c', 'chart')
    expect(manifests.map(m => m.source.file)).toEqual(['chart/templates/a.yaml', 'chart/templates/c.yaml'])
  })

  it('reads each hook of a list once, ignoring empty entries', () => {
    expect(
      helmHooks({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', annotations: { 'helm.sh/hook': 'post-install,,' } }
      })
    ).toEqual(['post-install'])
  })
})

describe('lineIn', () => {
  const written: LoadedManifest[] = [
    {
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop' } },
      source: { file: 'f', line: 1 }
    },
    {
      object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop' } },
      source: { file: 'f', line: 9 }
    }
  ]
  it('prefers the exact name to one it merely contains', () => {
    const both: LoadedManifest[] = [
      {
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop' } },
        source: { file: 'f', line: 1 }
      },
      {
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-extra' } },
        source: { file: 'f', line: 8 }
      }
    ]
    expect(lineIn(both, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-extra' } })).toBe(8)
  })

  it('finds an object by kind and name, or by the name an overlay prefixed', () => {
    expect(lineIn(written, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop' } })).toBe(9)
    expect(
      lineIn(written, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'stg-shop-v2' } })
    ).toBe(9)
    expect(lineIn(written, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop' } })).toBeUndefined()
    expect(
      lineIn(written, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } })
    ).toBeUndefined()
  })
})

const HELM = `---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop
---
# Source: shop/charts/db/templates/statefulset.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: shop-db
---
# Source: shop/templates/migrate.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: shop-migrate
  annotations:
    "helm.sh/hook": pre-install, Pre-Upgrade
`

describe('helm output', () => {
  const read = () => readHelmOutput(HELM, 'helm template deploy/chart', 'deploy/chart')

  it('points each object at its template under the chart directory', () => {
    const { manifests, problems } = read()
    expect(problems).toEqual([])
    expect(manifests.map(m => m.source)).toEqual([
      { file: 'deploy/chart/templates/service.yaml', line: 1 },
      { file: 'deploy/chart/charts/db/templates/statefulset.yaml', line: 1 },
      { file: 'deploy/chart/templates/migrate.yaml', line: 1 }
    ])
  })

  it('names the template a document it cannot read came from', () => {
    const broken = readHelmOutput(
      '---\n# Source: shop/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# Source: shop/templates/b.yaml\nkind: [\n',
      'helm template c',
      'c'
    )
    expect(broken.manifests).toHaveLength(1)
    expect(broken.problems).toHaveLength(1)
    expect(broken.problems[0].message).toMatch(/\(rendered from c\/templates\/b\.yaml\)$/)
  })

  it('runs pre-install and pre-upgrade hook Jobs as pre-deploy Jobs, and refuses the hooks it has no equivalent for, naming them', () => {
    const { manifests } = read()
    expect(helmHooks(manifests[2].object)).toEqual(['pre-install', 'pre-upgrade'])
    expect(helmHooks(manifests[0].object)).toEqual([])
    expect(isPreDeployHook(manifests[2].object)).toBe(true)
    expect(refusedHooks(manifests)).toEqual([])
    const job = manifests[2]
    const hook = (kind: string, hooks: string) => ({
      ...job,
      object: { ...job.object, kind, metadata: { name: 'm', annotations: { 'helm.sh/hook': hooks } } }
    })
    expect(isPreDeployHook(hook('Pod', 'pre-install').object)).toBe(false)
    expect(refusedHooks([hook('Pod', 'pre-install')])).toHaveLength(1)
    // Post-install Jobs run after the rollout now (hooks.ts); a post-install Pod and an unknown hook are refused.
    expect(refusedHooks([hook('Job', 'post-install')])).toEqual([])
    expect(refusedHooks([hook('Pod', 'post-install')])).toEqual([
      {
        location: { file: 'deploy/chart/templates/migrate.yaml', line: 1 },
        message:
          'Pod/m is a Helm hook (post-install) of kind Pod: kube-stage runs post-install and post-upgrade hooks as Jobs (a Pod cannot be run again once its spec changes). Make it a Job with restartPolicy: Never.'
      }
    ])
    expect(refusedHooks([hook('Job', 'post-renew')])[0].message).toContain(
      'Job/m is a Helm hook (post-renew): kube-stage runs pre-install and pre-upgrade Jobs before the workloads'
    )
    expect(refusedHooks([hook('Job', 'post-install, pre-upgrade')])).toEqual([])
  })
})

describe('names kustomize generated', () => {
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-config-44bkt5d6f8' }, data: { A: 'on' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain-config' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop' },
      spec: {
        template: {
          spec: {
            containers: [{ name: 'shop', envFrom: [{ configMapRef: { name: 'shop-config-44bkt5d6f8' } }] }]
          }
        }
      }
    }
  ]

  it('reads a generated ConfigMap by its generator name, wherever it is used', () => {
    const named = withGeneratorNames(objects)
    expect(named[0].metadata.name).toBe('shop-config')
    expect(named[1]).toEqual(objects[1])
    expect(JSON.stringify(named[2])).toContain('"configMapRef":{"name":"shop-config"}')
    // The objects themselves are untouched: they are applied under their generated names.
    expect(objects[0].metadata.name).toBe('shop-config-44bkt5d6f8')
  })

  it('renames generated Secrets too, and nothing of other kinds', () => {
    const named = withGeneratorNames([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-88h7k2m4bt' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc-44bkt5d6f8' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { ref: 'svc-44bkt5d6f8' } }
    ])
    expect(named.map(o => o.metadata.name)).toEqual(['db', 'svc-44bkt5d6f8', 'c'])
    expect(named[2].data).toEqual({ ref: 'svc-44bkt5d6f8' })
  })

  it('leaves names that only look alike (a vowel, another length) alone', () => {
    const lookalike: KubeObject[] = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-production' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-44bkt5d6f' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc-44bkt5d6f8' } }
    ]
    expect(withGeneratorNames(lookalike)).toBe(lookalike)
  })

  it('makes two overlays of one generator comparable in the release record', () => {
    const production = structuredClone(objects)
    production[0].metadata.name = 'shop-config-dftmbfm4gm'
    ;(production[0].data as Record<string, string>).A = 'off'
    const spec = (
      production[2].spec as {
        template: { spec: { containers: { envFrom: { configMapRef: { name: string } }[] }[] } }
      }
    ).template.spec
    spec.containers[0].envFrom[0].configMapRef.name = 'shop-config-dftmbfm4gm'
    const options = { environment: 'production', salt: 'x' }
    expect(configFingerprint(production, options).configMaps).toEqual({
      'shop-config': { A: 'off' },
      'plain-config': {}
    })
    expect(objectDigests(production, [], 'production')['Deployment/shop']).toBe(
      objectDigests(objects, [], 'staging')['Deployment/shop']
    )
  })
})

describe('plain and rendered manifests together', () => {
  const config = (file: string): LoadedManifest => ({
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-config' } },
    source: { file, line: 3 }
  })

  it('refuses an object defined in both, naming where', () => {
    expect(() => combineManifests([config('deploy/extra.yaml')], [config('base/config.yaml')])).toThrow(
      'base/config.yaml:3: ConfigMap/shop-config is defined twice (first at deploy/extra.yaml:3)'
    )
  })

  it('refuses nothing at all', () => {
    expect(() => combineManifests([], [])).toThrow('The manifests and renders contain no object.')
  })

  it('keeps both sets in order', () => {
    const other = { ...config('b.yaml'), object: { ...config('b.yaml').object, kind: 'Secret' } }
    expect(combineManifests([config('a.yaml')], [other]).map(m => m.source.file)).toEqual([
      'a.yaml',
      'b.yaml'
    ])
  })
})

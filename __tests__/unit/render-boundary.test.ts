import { checkRenderEnvNames, renderEnvironment } from '../../src/manifests/render-env.js'
import { helmFileValues, helmSetValues } from '../../src/manifests/render.js'
import { readKustomizeOutput } from '../../src/manifests/rendered.js'

describe("the renderers' environment", () => {
  const env = {
    PATH: '/usr/bin',
    HOME: '/home/runner',
    INPUT_KUBECONFIG: 'apiVersion: v1',
    'INPUT_GITHUB-TOKEN': 'ghs_x',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
    AWS_SECRET_ACCESS_KEY: 'cloud',
    HELM_REGISTRY_CONFIG: '/etc/helm/registry.json'
  }

  it('is PATH, a fresh HOME and temp directory, and only what render-env names', () => {
    expect(
      renderEnvironment(env, ['HELM_REGISTRY_CONFIG', 'NOT_SET'], { home: '/tmp/h', tmp: '/tmp/t' })
    ).toEqual({
      PATH: '/usr/bin',
      HOME: '/tmp/h',
      TMPDIR: '/tmp/t',
      TMP: '/tmp/t',
      TEMP: '/tmp/t',
      HELM_REGISTRY_CONFIG: '/etc/helm/registry.json'
    })
  })

  it('never lets a named variable move HOME', () => {
    expect(renderEnvironment(env, ['HOME'], { home: '/tmp/h', tmp: '/tmp/t' }).HOME).toBe('/tmp/h')
  })

  it("refuses names that hold the action's inputs or the runner's credentials", () => {
    for (const name of ['INPUT_KUBECONFIG', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'GITHUB_TOKEN', 'RUNNER_TEMP'])
      expect(() => checkRenderEnvNames([name])).toThrow(`Input render-env names ${name}`)
    expect(() => checkRenderEnvNames(['A B'])).toThrow('"A B" is not one')
    expect(checkRenderEnvNames(['HELM_REGISTRY_CONFIG'])).toEqual(['HELM_REGISTRY_CONFIG'])
  })
})

describe('helm values, redacted like credentials', () => {
  it('takes every value of a --set line: whole, each pair, each list item', () => {
    expect(
      helmSetValues(['db.password=s3cr3t-pass,user=admin', 'hosts={alpha.example,beta.example}'])
    ).toEqual(
      expect.arrayContaining([
        's3cr3t-pass,user=admin',
        's3cr3t-pass',
        'admin',
        'alpha.example',
        'beta.example'
      ])
    )
  })

  it("takes a values file's strings of 8 characters or more, at any depth", () => {
    const values = helmFileValues(
      'image: { tag: "1.0" }\ndb:\n  apiKey: planted-api-key\nlist: [another-long-one, 3]\n'
    )
    expect(values).toEqual(['planted-api-key', 'another-long-one'])
    expect(helmFileValues(': not yaml : [')).toEqual([])
  })
})

describe("Kustomize's origin annotation", () => {
  it('names no file when it climbs out of the workspace', () => {
    const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  annotations:
    config.kubernetes.io/origin: |
      path: ../../../../proc/self/environ
`
    const { manifests } = readKustomizeOutput(text, 'kustomize build overlay', 'overlay')
    expect(manifests[0].source.file).toBe('kustomize build overlay')
  })
})

import { compareParity } from '../../../src/promote/parity.js'
import { underField, type ReleaseRecord } from '../../../src/promote/release.js'
import { readStageConfig } from '../../../src/inputs.js'

describe('declared per-environment fields', () => {
  it('cover the leaves under them, with * for one segment', () => {
    expect(underField('spec.ports.*.nodePort', ['spec.ports.*.nodePort'])).toBe(true)
    expect(
      underField('spec.template.spec.containers.*.resources.limits.cpu', [
        'spec.template.spec.containers.*.resources'
      ])
    ).toBe(true)
    expect(underField('spec.replicas', ['spec.ports.*.nodePort'])).toBe(false)
    expect(underField('spec', ['spec.replicas'])).toBe(false)
  })

  it('are left out on both sides, whichever stage declared them', () => {
    const upstream = {
      environment: 'staging',
      config: { configMaps: {}, env: {}, secrets: [] },
      objectDigests: { 'Service/shop': 'aaa' },
      objectFields: { 'Service/shop': { 'spec.ports.*.nodePort': '31240', 'spec.type': 'NodePort' } },
      perEnvironmentFields: ['spec.replicas']
    } as unknown as ReleaseRecord
    const here = {
      'Service/shop': { 'spec.ports.*.nodePort': '31241', 'spec.type': 'NodePort', 'spec.replicas': '2' }
    }
    const compare = (ignoredFields: string[]) =>
      compareParity(
        upstream,
        { configMaps: {}, env: {}, secrets: [] },
        { 'Service/shop': 'bbb' },
        {
          environment: 'production',
          environmentNames: [],
          expected: [],
          ignoredFields
        },
        here
      )
    expect(compare(['spec.ports.*.nodePort', 'spec.replicas'])).toEqual([])
    expect(compare(['spec.replicas']).map(d => d.path)).toEqual(['object/Service/shop/spec.ports.*.nodePort'])
  })

  it('add to the defaults rather than replace them', () => {
    const read = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''
    const config = readStageConfig(
      read({ manifests: 'a.yaml', environment: 'prod', 'parity-expected': 'nodePorts' }),
      {
        GITHUB_WORKSPACE: '/tmp'
      }
    )
    expect(config.parityExpected).toEqual(['replicas', 'resources', 'hosts', 'nodePorts'])
  })
})

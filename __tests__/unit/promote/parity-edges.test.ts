// compareParity on hand-made records: each kind of difference, both ways, and the globs that declare them.
import { compareParity, isExpected } from '../../../src/promote/parity.js'
import type { ConfigFingerprint, ReleaseRecord } from '../../../src/promote/release.js'

const NAMES = ['dev', 'staging', 'production']
const options = { environment: 'production', environmentNames: NAMES, expected: [] as string[] }

function upstream(config: ConfigFingerprint, extra: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return {
    environment: 'staging',
    result: 'success',
    images: {},
    objectDigests: {},
    config,
    ...extra
  } as unknown as ReleaseRecord
}
// A stage's own name in a value compares equal to the other stage's.
const config = (changes: Partial<ConfigFingerprint> = {}, environment = 'production'): ConfigFingerprint => ({
  configMaps: { 'shop-config': { FLAG: 'on', APP_ENV: environment } },
  env: { 'Deployment/shop:shop': { LOG_LEVEL: 'info' } },
  secrets: [],
  ...changes
})

describe('configuration parity', () => {
  it('names compare equal across environments; the same configuration has no difference', () => {
    expect(compareParity(upstream(config({}, 'staging')), config(), {}, options)).toEqual([])
  })

  it('a key set upstream but missing here is reported, with its upstream value', () => {
    const here = config({ configMaps: { 'shop-config': { APP_ENV: 'production' } } })
    expect(compareParity(upstream(config({}, 'staging')), here, {}, options)).toEqual([
      {
        path: 'ConfigMap/shop-config/FLAG',
        kind: 'only-upstream',
        upstream: 'on',
        expected: false,
        declareWith: 'ConfigMap/shop-config/FLAG',
        message: 'ConfigMap/shop-config/FLAG is set in staging (on) but missing in production'
      }
    ])
  })

  it('a key set only here is reported, with its value', () => {
    const here = config({ env: { 'Deployment/shop:shop': { LOG_LEVEL: 'info', DEBUG: '1' } } })
    expect(compareParity(upstream(config({}, 'staging')), here, {}, options)).toEqual([
      expect.objectContaining({
        path: 'env/Deployment/shop:shop/DEBUG',
        kind: 'only-here',
        here: '1',
        message: 'env/Deployment/shop:shop/DEBUG is set in production (1) but not in staging'
      })
    ])
  })

  it('a referenced Secret missing here, or only here, is a difference', () => {
    expect(
      compareParity(upstream(config({ secrets: ['db-staging'] }, 'staging')), config(), {}, options).map(
        d => [d.path, d.kind]
      )
    ).toEqual([['Secret/db-{env}', 'only-upstream']])
    expect(
      compareParity(upstream(config({}, 'staging')), config({ secrets: ['db-production'] }), {}, options).map(
        d => [d.path, d.kind]
      )
    ).toEqual([['Secret/db-{env}', 'only-here']])
  })

  it('a Secret named for another environment is never expected', () => {
    const differences = compareParity(
      upstream(config({ secrets: ['db-dev'] }, 'staging')),
      config({ secrets: ['db-dev'] }),
      {},
      {
        ...options,
        expected: ['*', 'Secret/*']
      }
    )
    expect(differences).toEqual([
      {
        path: 'Secret/db-dev',
        kind: 'foreign-environment',
        here: 'db-dev',
        expected: false,
        message: 'production uses Secret db-dev, which is named for environment dev'
      }
    ])
  })
})

describe('object parity', () => {
  const record = upstream(config({}, 'staging'), {
    objectDigests: { 'Deployment/shop': 'd1', 'Service/shop': 's1' },
    objectFields: { 'Deployment/shop': { 'spec.minReadySeconds': '10', 'spec.paused': 'false' } }
  } as Partial<ReleaseRecord>)

  it('an object with the same digest, or unknown upstream, is no difference', () => {
    expect(compareParity(record, config(), { 'Deployment/shop': 'd1', 'Job/new': 'j1' }, options)).toEqual([])
  })

  it('a changed object without field values upstream is reported as a whole', () => {
    expect(compareParity(record, config(), { 'Service/shop': 's2' }, options)).toEqual([
      {
        path: 'object/Service/shop',
        kind: 'object-changed',
        upstream: 's1',
        here: 's2',
        object: 'Service/shop',
        expected: false,
        declareWith: undefined,
        message:
          'Service/shop differs from staging beyond the declared per-environment fields (the staging record does not say which field)'
      }
    ])
  })

  it('a changed object with field values names each changed field, sorted, absent ones included', () => {
    const differences = compareParity(record, config(), { 'Deployment/shop': 'd2' }, options, {
      'Deployment/shop': { 'spec.minReadySeconds': '30', 'spec.replicas': '3', 'spec.paused': 'false' }
    })
    expect(differences.map(d => [d.path, d.upstream, d.here, d.declareWith])).toEqual([
      ['object/Deployment/shop/spec.minReadySeconds', '10', '30', 'spec.minReadySeconds'],
      ['object/Deployment/shop/spec.replicas', 'absent', '3', 'spec.replicas']
    ])
  })
})

describe('declared differences', () => {
  it('* matches one path segment, not several, and nothing else is a wildcard', () => {
    expect(isExpected('env/Deployment/shop:shop/DEBUG', ['env/*/DEBUG'])).toBe(false)
    expect(isExpected('env/Deployment/shop:shop/DEBUG', ['env/*/*/DEBUG'])).toBe(true)
    expect(isExpected('ConfigMap/shop-config/FLAG', ['ConfigMap/shop-config/*'])).toBe(true)
    expect(isExpected('ConfigMap/shop-config/FLAG', ['ConfigMap/*'])).toBe(false)
    expect(isExpected('ConfigMap/shopXconfig/FLAG', ['ConfigMap/shop.config/FLAG'])).toBe(false)
    expect(isExpected('ConfigMap/shop-config/FLAG', ['ConfigMap/shop-config/FLA'])).toBe(false)
    expect(isExpected('ConfigMap/shop-config/FLAG', ['onfigMap/shop-config/FLAG'])).toBe(false)
    expect(isExpected('ConfigMap/shop-config/FLAG', [])).toBe(false)
  })

  it('marks only the differences it declares as expected', () => {
    const here = config({
      configMaps: { 'shop-config': { FLAG: 'off', APP_ENV: 'production' } },
      env: { 'Deployment/shop:shop': { LOG_LEVEL: 'warn' } }
    })
    const differences = compareParity(
      upstream(config({}, 'staging')),
      here,
      {},
      {
        ...options,
        expected: ['ConfigMap/shop-config/FLAG']
      }
    )
    expect(differences.map(d => [d.path, d.expected])).toEqual([
      ['ConfigMap/shop-config/FLAG', true],
      ['env/Deployment/shop:shop/LOG_LEVEL', false]
    ])
  })
})

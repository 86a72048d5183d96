import {
  buildRelease,
  configFingerprint,
  fingerprintValue,
  objectFields,
  fitRelease,
  RELEASE_MAX_BYTES,
  releaseSizeWarning,
  splitExpected,
  summariseLike
} from '../../../src/promote/release.js'
import { checkPromotion, missingPromotionError, parseRelease } from '../../../src/promote/guard.js'
import { compareParity } from '../../../src/promote/parity.js'
import type { KubeObject } from '../../../src/manifests/types.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

function app(
  environment: string,
  options: {
    flag?: string
    secret?: string
    image?: string
    extraEnv?: Record<string, string>
    replicas?: number
  } = {}
): KubeObject[] {
  const env = Object.entries({ LOG_LEVEL: 'info', ...options.extraEnv }).map(([name, value]) => ({
    name,
    value
  }))
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'shop-config', namespace: environment },
      data: { APP_ENV: environment, FEATURE_NEW_CHECKOUT: options.flag ?? 'on' }
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop', namespace: environment },
      spec: {
        replicas: options.replicas ?? 1,
        template: {
          spec: {
            containers: [
              {
                name: 'shop',
                image: options.image ?? 'ghcr.io/example/shop:1.4.0',
                env: [
                  ...env,
                  {
                    name: 'DB_PASSWORD',
                    valueFrom: {
                      secretKeyRef: {
                        name: options.secret ?? `db-credentials-${environment}`,
                        key: 'password'
                      }
                    }
                  }
                ]
              }
            ]
          }
        }
      }
    }
  ]
}

function release(
  environment: string,
  objects: KubeObject[],
  overrides: Partial<Parameters<typeof buildRelease>[0]> = {}
) {
  return buildRelease({
    environment,
    namespace: environment,
    commit: 'c0ffee',
    result: 'success',
    objects,
    images: { 'Deployment/shop:shop': `ghcr.io/example/shop:1.4.0@${DIGEST}` },
    perEnvironmentFields: splitExpected(['replicas', 'resources', 'hosts']).fields,
    ...overrides
  })
}

describe('release record', () => {
  it('fingerprints config without secret values and round-trips through JSON', () => {
    const record = release('staging', app('staging'))
    expect(record.config.secrets).toEqual(['db-credentials-staging'])
    expect(record.config.env['Deployment/shop:shop'].DB_PASSWORD).toBe(
      '<Secret db-credentials-staging key password>'
    )
    expect(record.config.configMaps['shop-config']).toEqual({
      APP_ENV: '{env}',
      FEATURE_NEW_CHECKOUT: 'on'
    })
    expect(parseRelease(JSON.stringify(record))).toEqual(record)
    expect(JSON.stringify(record).length).toBeLessThan(4000)
  })

  it('keeps the manifest digest when only declared per-environment fields differ', () => {
    const a = release('staging', app('staging', { replicas: 2 }))
    const b = release('staging', app('staging', { replicas: 5 }))
    expect(a.objectDigests['Deployment/shop']).toBe(b.objectDigests['Deployment/shop'])
    const c = release('staging', app('staging', { image: 'ghcr.io/example/shop:1.5.0' }))
    expect(c.objectDigests['Deployment/shop']).not.toBe(a.objectDigests['Deployment/shop'])
  })

  it("carries a strategy's steps as given, and no strategy field without one", () => {
    const strategy = {
      name: 'blue-green' as const,
      outcome: 'switched back' as const,
      steps: [
        { name: 'preview', share: 0, durationMs: 20_000, passed: true },
        { name: 'switched', share: 1, durationMs: 5_000, passed: false, analysis: { errors: 0.2 } }
      ]
    }
    const record = release('staging', app('staging'), { strategy })
    expect(record.strategy).toEqual(strategy)
    expect(parseRelease(JSON.stringify(record)).strategy).toEqual(strategy)
    expect('strategy' in release('staging', app('staging'))).toBe(false)
  })

  it('refuses input that is not a release', () => {
    expect(() => parseRelease('nope')).toThrow(/promote-from is not JSON/)
    expect(() => parseRelease('{"format": 1}')).toThrow(/not a kube-stage release record/)
  })
})

describe('promotion guard', () => {
  const upstream = release('staging', app('staging'))

  it('pins tag-only images to the digest that passed upstream', () => {
    const check = checkPromotion(upstream, {
      commit: 'c0ffee',
      images: { 'Deployment/shop:shop': 'ghcr.io/example/shop:1.4.0' }
    })
    expect(check.problems).toEqual([])
    expect(check.pins).toEqual([expect.objectContaining({ image: `ghcr.io/example/shop:1.4.0@${DIGEST}` })])
  })

  it('refuses a failed upstream, another commit, another image, another digest, an unproven workload', () => {
    expect(
      checkPromotion({ ...upstream, result: 'failure' }, { commit: 'c0ffee', images: {} }).problems
    ).toEqual(['the staging stage did not pass (result: failure)'])
    expect(checkPromotion(upstream, { commit: 'beef', images: {} }).problems[0]).toContain(
      'staging deployed commit c0ffee'
    )
    expect(
      checkPromotion(upstream, { images: { 'Deployment/shop:shop': 'ghcr.io/example/other:1.4.0' } })
        .problems[0]
    ).toContain('is not the staging image')
    expect(
      checkPromotion(upstream, {
        images: { 'Deployment/shop:shop': `ghcr.io/example/shop@sha256:${'b'.repeat(64)}` }
      }).problems[0]
    ).toContain('not the digest that passed in staging')
    // A new tag is a new build: it is refused, not pinned to the digest the old tag had.
    expect(
      checkPromotion(upstream, { images: { 'Deployment/shop:shop': 'ghcr.io/example/shop:1.4.1-hotfix' } })
    ).toEqual({
      problems: [
        `Deployment/shop:shop image ghcr.io/example/shop:1.4.1-hotfix differs from ghcr.io/example/shop:1.4.0@${DIGEST}, which passed in staging`
      ],
      pins: []
    })
    expect(
      checkPromotion(upstream, { images: { 'Deployment/admin:admin': 'ghcr.io/example/admin:1' } })
        .problems[0]
    ).toBe('Deployment/admin:admin did not run in staging')
  })

  it('requires the same reference when upstream reported no digest', () => {
    const noDigest = { ...upstream, images: { 'Deployment/shop:shop': 'ghcr.io/example/shop:1.4.0' } }
    expect(
      checkPromotion(noDigest, { images: { 'Deployment/shop:shop': 'ghcr.io/example/shop:1.4.0' } }).problems
    ).toEqual([])
    expect(
      checkPromotion(noDigest, { images: { 'Deployment/shop:shop': 'ghcr.io/example/shop:1.4.1' } })
        .problems[0]
    ).toContain('differs from ghcr.io/example/shop:1.4.0')
  })
})

describe('parity', () => {
  const upstream = release('staging', app('staging'))
  const options = {
    environment: 'production',
    environmentNames: ['dev', 'staging', 'production'],
    expected: [] as string[]
  }
  const here = (objects: KubeObject[]) =>
    [
      configFingerprint(objects, { environment: 'production', salt: 'c0ffee' }),
      release('production', objects).objectDigests
    ] as const

  it('finds nothing when only environment names and declared fields differ', () => {
    expect(compareParity(upstream, ...here(app('production', { replicas: 10 })), options)).toEqual([])
  })

  it('reports a feature flag on in staging and off in production', () => {
    const differences = compareParity(upstream, ...here(app('production', { flag: 'off' })), options)
    expect(differences).toEqual([
      expect.objectContaining({
        path: 'ConfigMap/shop-config/FEATURE_NEW_CHECKOUT',
        kind: 'changed',
        expected: false,
        message: 'ConfigMap/shop-config/FEATURE_NEW_CHECKOUT is on in staging but off in production'
      })
    ])
  })

  it('reports an env var present in one stage only, and honours declared expectations', () => {
    const differences = compareParity(
      upstream,
      ...here(app('production', { extraEnv: { DEBUG: 'true' } })),
      options
    )
    expect(differences.map(d => [d.path, d.kind])).toEqual([['env/Deployment/shop:shop/DEBUG', 'only-here']])
    expect(
      compareParity(upstream, ...here(app('production', { extraEnv: { DEBUG: 'true' } })), {
        ...options,
        expected: ['env/*/*/DEBUG']
      })[0].expected
    ).toBe(true)
  })

  it('names the field of an object that differs, with both values and the entry that declares it', () => {
    const changed = app('production', { image: 'ghcr.io/example/shop:1.4.0' }).map(o =>
      o.kind === 'Deployment' ? { ...o, spec: { ...(o.spec as object), minReadySeconds: 30 } } : o
    )
    const [config, digests] = here(changed)
    const fields = objectFields(changed, splitExpected(['replicas', 'resources', 'hosts']).fields, {
      environment: 'production',
      salt: 'c0ffee'
    })
    const differences = compareParity(upstream, config, digests, options, fields)
    expect(differences).toEqual([
      expect.objectContaining({
        path: 'object/Deployment/shop/spec.minReadySeconds',
        kind: 'field-changed',
        object: 'Deployment/shop',
        declareWith: 'spec.minReadySeconds',
        message:
          'Deployment/shop: spec.minReadySeconds is absent in staging but 30 in production (declare it with parity-expected: spec.minReadySeconds)'
      })
    ])
  })

  it('never counts a digest the stage pinned itself as a difference', () => {
    const pinned = app('production', { image: `ghcr.io/example/shop:1.4.0@${DIGEST}` })
    expect(compareParity(upstream, ...here(pinned), options)).toEqual([])
  })

  it('reports a Secret named for another environment', () => {
    const differences = compareParity(
      upstream,
      ...here(app('production', { secret: 'db-credentials-staging' })),
      options
    )
    expect(differences.find(d => d.kind === 'foreign-environment')?.message).toBe(
      'production uses Secret db-credentials-staging, which is named for environment staging'
    )
  })
})

describe('release size', () => {
  const bulky = (environment: string, value: string) =>
    app(environment).map(o =>
      o.kind === 'ConfigMap'
        ? {
            ...o,
            data: Object.fromEntries(
              Array.from({ length: 3000 }, (_, i) => [`KEY_${i}`, `${value}-${i}-xxxxxxxxxx`])
            )
          }
        : o
    )

  it('stays whole when small, and says nothing', () => {
    const record = release('staging', app('staging'))
    expect(fitRelease(record)).toEqual(record)
    expect(releaseSizeWarning(record, JSON.stringify(record))).toBeUndefined()
  })

  it('summarises configuration values to stay under the cap, and says what it left out', () => {
    const fitted = fitRelease(release('staging', bulky('staging', 'a')))
    const json = JSON.stringify(fitted)
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(RELEASE_MAX_BYTES)
    expect(fitted.omitted).toContain('configuration values')
    expect(Object.keys(fitted.config.configMaps['shop-config'])).toEqual(['*'])
    expect(releaseSizeWarning(fitted, json)).toMatch(/configuration values are summarised as digests/)
  })

  it('still tells a difference in a summarised ConfigMap, comparing like with like', () => {
    const upstream = fitRelease(release('staging', bulky('staging', 'a')))
    const options = { environment: 'production', environmentNames: ['staging', 'production'], expected: [] }
    const fingerprint = (value: string) =>
      summariseLike(
        configFingerprint(bulky('production', value), { environment: 'production', salt: 'c0ffee' }),
        upstream.omitted
      )
    expect(compareParity(upstream, fingerprint('a'), {}, options)).toEqual([])
    expect(compareParity(upstream, fingerprint('b'), {}, options).map(d => d.path)).toEqual([
      'ConfigMap/shop-config/*'
    ])
  })
})

describe('values in the release record', () => {
  const options = { environment: 'staging', salt: 'c0ffee' }

  it.each(['on', 'off', 'true', '42', '0.5', 'info', 'eu-west'])('keeps the flag-like %s readable', value => {
    expect(fingerprintValue('FEATURE', value, options)).toBe(value)
  })

  it('writes its own environment name as {env}', () => {
    expect(fingerprintValue('APP_ENV', 'staging', options)).toBe('{env}')
  })

  it.each([
    ['DB_PASSWORD', 'hunter'],
    ['API_TOKEN', 'abc'],
    ['DATABASE_URL', 'postgres://u:p@db/shop'],
    ['GREETING', 'a longer sentence with spaces'],
    ['CODE', 'Xk29!q']
  ])('keeps %s=%s as a digest only', (name, value) => {
    const kept = fingerprintValue(name, value, options)
    expect(kept).toMatch(/^sha256:[0-9a-f]{16}$/)
    expect(kept).not.toContain(value)
  })

  it('digests equal values equally, so parity still compares them', () => {
    expect(fingerprintValue('URL', 'https://staging.example.com', options)).toBe(
      fingerprintValue('URL', 'https://production.example.com', { environment: 'production', salt: 'c0ffee' })
    )
    expect(fingerprintValue('URL', 'https://a', options)).not.toBe(
      fingerprintValue('URL', 'https://b', options)
    )
  })

  it('never carries a container env value that could be a password', () => {
    const record = release('staging', app('staging', { extraEnv: { SMTP_PASSWORD: 'pa55-w0rd-canary' } }))
    expect(JSON.stringify(record)).not.toContain('pa55-w0rd-canary')
  })
})

describe('promotion guard, more', () => {
  const upstream = release('staging', app('staging'))
  const images = { 'Deployment/shop:shop': 'ghcr.io/example/shop:1.4.0' }

  it('refuses a record without a commit', () => {
    expect(
      checkPromotion({ ...upstream, commit: undefined }, { commit: 'c0ffee', images }).problems
    ).toContain('the staging record names no commit, so it cannot prove this commit passed there')
  })

  it('refuses a record from this same environment, aliases included', () => {
    expect(
      checkPromotion(release('stage', app('stage')), { commit: 'c0ffee', images, environment: 'staging' })
        .problems[0]
    ).toMatch(/this same environment \(stage\)/)
  })

  it('refuses a record from another environment than the required one', () => {
    const problems = checkPromotion(release('dev', app('dev')), {
      commit: 'c0ffee',
      images,
      environment: 'production',
      requiredFrom: 'staging'
    }).problems
    expect(problems[0]).toBe('the record is from dev, but require-promotion-from says staging')
  })

  it('explains an empty promote-from where one is required', () => {
    const error = missingPromotionError('staging')
    expect(error.code).toBe('PromotionRefused')
    expect(error.message).toMatch(/contains a masked value .*Skip output 'release'.* or exceeds 1 MB/)
  })

  it.each([
    ['images of the wrong type', { images: ['x'] }],
    ['a result that is neither', { result: 'maybe' }],
    ['a commit that is not text', { commit: 42 }],
    ['config values that are not text', { config: { configMaps: { a: { b: 1 } }, env: {}, secrets: [] } }]
  ])('reads %s as "not a release record", not as a bug', (_, change) => {
    expect(() => parseRelease(JSON.stringify({ ...upstream, ...change }))).toThrow(
      /not a kube-stage release record/
    )
  })
})

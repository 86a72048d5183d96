// The promotion guard compares images exactly as a registry would: a wrong verdict here deploys an unproven image.
import {
  checkPromotion,
  missingPromotionError,
  parseRelease,
  promotionError
} from '../../../src/promote/guard.js'
import { imageIdentity } from '../../../src/manifests/image.js'
import type { ReleaseRecord } from '../../../src/promote/release.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const OTHER = `sha256:${'b'.repeat(64)}`
const KEY = 'Deployment/shop:shop'

function upstream(image: string): ReleaseRecord {
  return {
    format: 1,
    environment: 'staging',
    namespace: 'shop-staging',
    commit: 'c0ffee',
    result: 'success',
    images: { [KEY]: image },
    objectDigests: {},
    config: { configMaps: {}, env: {}, secrets: [] }
  } as unknown as ReleaseRecord
}
const check = (passed: string, mine: string) =>
  checkPromotion(upstream(passed), { commit: 'c0ffee', images: { [KEY]: mine } })

describe('images in the promotion guard', () => {
  it('accepts an image pinned to exactly the upstream digest, and pins nothing more', () => {
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, `ghcr.io/acme/shop:1.4.0@${DIGEST}`)).toEqual({
      problems: [],
      pins: []
    })
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, `ghcr.io/acme/shop@${DIGEST}`)).toEqual({
      problems: [],
      pins: []
    })
  })

  it('pins a tag-only image once, to the upstream digest', () => {
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, 'ghcr.io/acme/shop:1.4.0')).toEqual({
      problems: [],
      pins: [
        {
          repository: 'ghcr.io/acme/shop',
          image: `ghcr.io/acme/shop:1.4.0@${DIGEST}`,
          entry: `ghcr.io/acme/shop:1.4.0@${DIGEST}`
        }
      ]
    })
  })

  it('refuses another digest of the same repository', () => {
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, `ghcr.io/acme/shop:1.4.0@${OTHER}`).problems).toEqual([
      `${KEY} image ghcr.io/acme/shop:1.4.0@${OTHER} is not the digest that passed in staging (${DIGEST})`
    ])
  })

  it('never takes one registry for another, or Docker Hub for ghcr.io', () => {
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, 'docker.io/acme/shop:1.4.0').problems).toEqual([
      `${KEY} image docker.io/acme/shop:1.4.0 is not the staging image ghcr.io/acme/shop:1.4.0@${DIGEST}`
    ])
    expect(check('acme/shop:1.4.0', 'docker.io/acme/shop:1.4.0').problems).toEqual([
      `${KEY} image docker.io/acme/shop:1.4.0 differs from acme/shop:1.4.0, which passed in staging`
    ])
  })

  it('an untagged reference is the latest tag', () => {
    expect(check(`ghcr.io/acme/shop:latest@${DIGEST}`, 'ghcr.io/acme/shop').problems).toEqual([])
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, 'ghcr.io/acme/shop').problems).toHaveLength(1)
  })
})

describe('imageIdentity', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx', 'latest'],
    ['docker.io/nginx:1', 'docker.io/library/nginx', '1'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx', '1'],
    ['acme/shop:2', 'docker.io/acme/shop', '2'],
    ['ghcr.io/acme/shop:2', 'ghcr.io/acme/shop', '2'],
    ['localhost:5000/shop', 'localhost:5000/shop', 'latest']
  ])('%s is %s:%s', (reference, repository, tag) => {
    expect(imageIdentity(reference)).toEqual({ repository, tag, digest: undefined })
  })
})

describe('reading a release record', () => {
  const valid = {
    format: 1,
    environment: 'staging',
    commit: 'c0ffee',
    result: 'success',
    images: { [KEY]: 'ghcr.io/acme/shop:1' },
    objectDigests: { 'Deployment/shop': 'd' },
    config: { configMaps: { c: { A: 'on' } }, env: { [KEY]: { X: '1' } }, secrets: [] }
  }

  it('accepts a record as a stage writes it, with or without optional parts', () => {
    expect(parseRelease(JSON.stringify(valid)).environment).toBe('staging')
    const { commit, objectDigests, ...minimal } = valid
    void commit
    void objectDigests
    expect(parseRelease(JSON.stringify(minimal)).environment).toBe('staging')
  })

  it('accepts the steps of a canary or blue-green strategy', () => {
    const strategy = {
      name: 'canary',
      outcome: 'promoted',
      steps: [
        { name: 'canary 10%', share: 0.091, durationMs: 30_000, passed: true, analysis: { errors: 0 } },
        { name: 'canary 50%', share: 0.5, durationMs: 30_000, passed: true }
      ]
    }
    expect(parseRelease(JSON.stringify({ ...valid, strategy })).strategy).toEqual(strategy)
    const noSteps = { name: 'blue-green', steps: [] }
    expect(parseRelease(JSON.stringify({ ...valid, strategy: noSteps })).strategy).toEqual(noSteps)
  })

  it('says how to pass it when it is not JSON', () => {
    expect(() => parseRelease('{')).toThrow(
      /^Input promote-from is not JSON \(.+\): pass the previous stage's release output/
    )
  })

  it.each([
    ['an array', []],
    ['another format', { ...valid, format: 2 }],
    ['no environment', { ...valid, environment: 1 }],
    ['a commit that is not text', { ...valid, commit: 1 }],
    ['another result', { ...valid, result: 'skipped' }],
    ['images that are not text', { ...valid, images: { a: 1 } }],
    ['images as a list', { ...valid, images: ['a'] }],
    ['digests that are not text', { ...valid, objectDigests: { a: {} } }],
    ['no config', { ...valid, config: null }],
    [
      'config maps that are not maps of text',
      { ...valid, config: { ...valid.config, configMaps: { c: { A: 1 } } } }
    ],
    ['env that is not a map of maps', { ...valid, config: { ...valid.config, env: { a: 'b' } } }],
    ['secrets that are not a list', { ...valid, config: { ...valid.config, secrets: {} } }],
    ['a strategy that is not a map', { ...valid, strategy: [] }],
    ['a strategy without a name', { ...valid, strategy: { steps: [] } }],
    ['strategy steps that are not a list', { ...valid, strategy: { name: 'canary', steps: {} } }],
    ['a strategy step that is not a map', { ...valid, strategy: { name: 'canary', steps: ['canary 10%'] } }],
    [
      'a strategy step whose share is not a number',
      { ...valid, strategy: { name: 'canary', steps: [{ name: 'canary 10%', share: '10%' }] } }
    ]
  ])('refuses a record with %s', (_, record) => {
    expect(() => parseRelease(JSON.stringify(record))).toThrow(
      "Input promote-from is not a kube-stage release record (format 1): pass the previous stage's release output unchanged."
    )
    expect(() => parseRelease(JSON.stringify(record))).toThrow(
      expect.objectContaining({ code: 'InvalidInput' }) as Error
    )
  })
})

describe('what a refused promotion says', () => {
  it('names the first problem and counts the rest', () => {
    const error = promotionError({ environment: 'staging' } as ReleaseRecord, ['one', 'two', 'three'])
    expect(error.code).toBe('PromotionRefused')
    expect(error.message).toBe('Promotion from staging refused; nothing was applied: one (and 2 more).')
    expect(error.details).toEqual(['one', 'two', 'three'])
    expect(promotionError({ environment: 'dev' } as ReleaseRecord, ['only']).message).toBe(
      'Promotion from dev refused; nothing was applied: only.'
    )
  })

  it('explains an empty promote-from where one is required', () => {
    const error = missingPromotionError('staging')
    expect(error.code).toBe('PromotionRefused')
    expect(error.message).toContain(
      'require-promotion-from says this stage deploys only what passed in staging'
    )
    expect(error.message).toContain('${{ needs.<staging job>.outputs.release }}')
  })

  it('refuses a record from another environment than required, or from this one, by alias too', () => {
    const record = { ...upstream(`ghcr.io/acme/shop:1@${DIGEST}`), environment: 'stg' }
    expect(checkPromotion(record, { images: {}, requiredFrom: 'staging' }).problems).toEqual([])
    expect(checkPromotion(record, { images: {}, requiredFrom: 'dev' }).problems).toEqual([
      'the record is from stg, but require-promotion-from says dev'
    ])
    expect(checkPromotion(record, { images: {}, environment: 'staging' }).problems[0]).toMatch(
      /^the record is from this same environment \(stg\)/
    )
    expect(
      checkPromotion({ ...record, commit: undefined } as ReleaseRecord, { images: {} }).problems
    ).toEqual(['the stg record names no commit, so it cannot prove this commit passed there'])
    expect(checkPromotion(record, { commit: 'beefbeefbeefbeef', images: {} }).problems).toEqual([
      'stg deployed commit c0ffee, this run is commit beefbeefbeef'
    ])
  })
})

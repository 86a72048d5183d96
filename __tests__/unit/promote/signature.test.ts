import { createHmac } from 'node:crypto'
import { StageError } from '../../../src/errors.js'
import { parseRelease } from '../../../src/promote/guard.js'
import { RELEASE_FORMAT, type ReleaseRecord } from '../../../src/promote/release.js'
import { releaseSignature, signRelease, verifyRelease } from '../../../src/promote/signature.js'
import { readStageConfig } from '../../../src/inputs.js'
import { inputCredentials } from '../../../src/secrets.js'

const KEY = 'k'.repeat(32) + '-staging-and-production'
const OTHER_KEY = 'o'.repeat(64)

const record: ReleaseRecord = {
  format: RELEASE_FORMAT,
  environment: 'staging',
  namespace: 'staging',
  commit: '0123456789abcdef0123456789abcdef01234567',
  result: 'success',
  images: { 'Deployment/shop:shop': `ghcr.io/example/shop:1.4.0@sha256:${'a'.repeat(64)}` },
  manifestDigest: 'f'.repeat(64),
  objectDigests: { 'Deployment/shop': '0123456789abcdef' },
  config: { configMaps: { 'shop-config': { FEATURE_X: 'on' } }, env: {}, secrets: ['db-credentials'] },
  preDeploy: { 'Job/migrate': { durationMs: 48_000 } }
}

/** The record as the next job receives it: through JSON, as text. */
const wire = (value: unknown) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>

function refusal(text: string, key?: string): StageError {
  try {
    parseRelease(text, key)
  } catch (error) {
    return error as StageError
  }
  throw new Error('expected promote-from to be refused')
}

describe('release signature', () => {
  it('signs the canonical JSON without the signature field, and verifies what it signed after a JSON round trip', () => {
    const signed = signRelease(record, KEY)
    const { signature, ...rest } = signed
    expect(rest).toEqual(record)
    // Documented as HMAC-SHA256 over sorted-key JSON: anyone holding the key can check it with their own tools.
    const sorted = `{"commit":"${record.commit}","config":{"configMaps":{"shop-config":{"FEATURE_X":"on"}},"env":{},"secrets":["db-credentials"]},"environment":"staging","format":1,"images":{"Deployment/shop:shop":"${record.images['Deployment/shop:shop']}"},"manifestDigest":"${record.manifestDigest}","namespace":"staging","objectDigests":{"Deployment/shop":"0123456789abcdef"},"preDeploy":{"Job/migrate":{"durationMs":48000}},"result":"success"}`
    expect(signature).toBe(`hmac-sha256:${createHmac('sha256', KEY).update(sorted).digest('hex')}`)
    expect(verifyRelease(wire(signed), KEY)).toBeUndefined()
  })

  it('does not depend on the order of keys, at any depth', () => {
    const signed = wire(signRelease(record, KEY))
    const reordered = Object.fromEntries(
      Object.entries(signed)
        .reverse()
        .map(([k, v]) =>
          k === 'config'
            ? [k, { secrets: record.config.secrets, env: {}, configMaps: record.config.configMaps }]
            : [k, v]
        )
    )
    expect(Object.keys(reordered)).not.toEqual(Object.keys(signed))
    expect(verifyRelease(reordered, KEY)).toBeUndefined()
    expect(releaseSignature(reordered, KEY)).toBe(signed.signature)
  })

  it('refuses a record with any field altered and the signature kept', () => {
    const signed = wire(signRelease(record, KEY))
    const evil = `ghcr.io/example/shop:1.4.0@sha256:${'e'.repeat(64)}`
    const alterations: Record<string, unknown>[] = [
      { ...signed, images: { 'Deployment/shop:shop': evil } },
      { ...signed, result: 'failure' },
      { ...signed, commit: 'fedcba9876543210fedcba9876543210fedcba98' },
      { ...signed, config: { ...record.config, secrets: [] } },
      { ...signed, planned: true },
      // A field taken out is a change too.
      Object.fromEntries(Object.entries(signed).filter(([k]) => k !== 'preDeploy'))
    ]
    for (const altered of alterations) expect(verifyRelease(altered, KEY)).toBe('mismatch')
  })

  it('refuses an unsigned record, and a signature made with another key', () => {
    expect(verifyRelease(wire(record), KEY)).toBe('unsigned')
    expect(verifyRelease({ ...wire(record), signature: '' }, KEY)).toBe('unsigned')
    expect(verifyRelease('not a record', KEY)).toBe('unsigned')
    expect(verifyRelease(wire(signRelease(record, OTHER_KEY)), KEY)).toBe('mismatch')
    // Not even the right shape: refused as not matching, without a length error from timingSafeEqual.
    expect(verifyRelease({ ...wire(record), signature: 'hmac-sha256:abc' }, KEY)).toBe('mismatch')
    expect(verifyRelease({ ...wire(record), signature: 42 }, KEY)).toBe('mismatch')
  })

  it('re-signing replaces the old signature instead of signing it', () => {
    const once = signRelease(record, OTHER_KEY)
    expect(signRelease(once, KEY)).toEqual(signRelease(record, KEY))
  })
})

describe('promote-from with release-key', () => {
  it('is believed when signed with the same key', () => {
    const parsed = parseRelease(JSON.stringify(signRelease(record, KEY)), KEY)
    expect(parsed.images).toEqual(record.images)
  })

  it('is refused as PromotionRefused, saying unsigned or does not match, before its content is read', () => {
    const unsigned = refusal(JSON.stringify(record), KEY)
    expect(unsigned.code).toBe('PromotionRefused')
    expect(unsigned.message).toContain('promote-from is not signed, but release-key is set here')

    const altered = wire(signRelease(record, KEY))
    altered.images = { 'Deployment/shop:shop': `ghcr.io/example/shop:1.4.0@sha256:${'e'.repeat(64)}` }
    const mismatch = refusal(JSON.stringify(altered), KEY)
    expect(mismatch.code).toBe('PromotionRefused')
    expect(mismatch.message).toContain('the signature of promote-from does not match its content')

    // Not a release record at all, and unsigned: the signature is what is said, not the shape.
    expect(refusal('{"format":1}', KEY).code).toBe('PromotionRefused')
  })

  it('is read as written without a key, signed or not', () => {
    expect(parseRelease(JSON.stringify(record)).environment).toBe('staging')
    expect(parseRelease(JSON.stringify(signRelease(record, KEY))).signature).toMatch(/^hmac-sha256:/)
    expect(refusal(JSON.stringify({ ...record, signature: 42 })).code).toBe('InvalidInput')
  })
})

describe('release-key input', () => {
  const read = (key: string) => (name: string) =>
    ({ manifests: 'k8s', environment: 'dev', 'release-key': key })[name] ?? ''

  it('refuses a key shorter than 32 characters without quoting it, and says how to make one', () => {
    const short = 'hunter2-is-not-a-key'
    let error: StageError | undefined
    try {
      readStageConfig(read(short), {})
    } catch (caught) {
      error = caught as StageError
    }
    expect(error?.code).toBe('InvalidInput')
    expect(error?.message).toContain('openssl rand -hex 32')
    expect(error?.message).not.toContain(short)
  })

  it('takes a long enough key, and none when empty', () => {
    expect(readStageConfig(read(KEY), {}).releaseKey).toBe(KEY)
    expect(readStageConfig(read(''), {}).releaseKey).toBeUndefined()
  })

  it('counts the key among the credentials masked and redacted from the start', () => {
    expect(inputCredentials(readStageConfig(read(KEY), {}), {})).toContain(KEY)
  })
})

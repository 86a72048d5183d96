/**
 * The promotion guard: before anything is written, a stage that names the
 * previous stage's release refuses to deploy what was not proven there. Pure.
 */
import { StageError } from '../errors.js'
import { imageIdentity } from '../manifests/image.js'
import type { ImageOverride } from '../manifests/images.js'
import { RELEASE_FORMAT, type ReleaseRecord } from './release.js'
import { verifyRelease, type SignatureProblem } from './signature.js'
import { aliasesOf } from '../environments.js'
import { decodeRelease } from './transport.js'

/**
 * promote-from as a release record. With `key` (release-key), its signature is
 * verified first: nothing in a record is read before it is known to come,
 * unchanged, from a stage holding the same key.
 */
export function parseRelease(text: string, key?: string): ReleaseRecord {
  let value: unknown
  try {
    value = JSON.parse(decodeRelease(text))
  } catch (error) {
    throw new StageError(
      'InvalidInput',
      `Input promote-from is not JSON (${(error as Error).message}): pass the previous stage's release output, e.g. \${{ needs.deploy-staging.outputs.release }}.`
    )
  }
  if (key !== undefined) {
    const problem = verifyRelease(value, key)
    if (problem) throw signatureError(problem)
  }
  const record = value as Partial<ReleaseRecord>
  const isMap = (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v)
  const strings = (v: unknown) => isMap(v) && Object.values(v as object).every(x => typeof x === 'string')
  const nested = (v: unknown) => isMap(v) && Object.values(v as object).every(strings)
  if (
    !isMap(record) ||
    record.format !== RELEASE_FORMAT ||
    typeof record.environment !== 'string' ||
    (record.commit !== undefined && typeof record.commit !== 'string') ||
    (record.result !== 'success' && record.result !== 'failure') ||
    !strings(record.images) ||
    !strings(record.objectDigests ?? {}) ||
    !strings(record.secretDigests ?? {}) ||
    !(
      record.analysis === undefined ||
      (isMap(record.analysis) && Object.values(record.analysis).every(v => Number.isFinite(v)))
    ) ||
    !(
      record.strategy === undefined ||
      (isMap(record.strategy) &&
        typeof record.strategy.name === 'string' &&
        Array.isArray(record.strategy.steps) &&
        record.strategy.steps.every(step => isMap(step) && Number.isFinite(step.share)))
    ) ||
    !isMap(record.config) ||
    !nested(record.config!.configMaps) ||
    !nested(record.config!.env) ||
    !Array.isArray(record.config!.secrets) ||
    !(
      record.perEnvironmentFields === undefined ||
      (Array.isArray(record.perEnvironmentFields) &&
        record.perEnvironmentFields.every(f => typeof f === 'string'))
    ) ||
    (record.signature !== undefined && typeof record.signature !== 'string') ||
    !(
      record.preDeploy === undefined ||
      (isMap(record.preDeploy) &&
        Object.values(record.preDeploy).every(d => isMap(d) && Number.isFinite(d.durationMs)))
    )
  ) {
    throw new StageError(
      'InvalidInput',
      `Input promote-from is not a kube-stage release record (format ${RELEASE_FORMAT}): pass the previous stage's release output unchanged.`
    )
  }
  return record as ReleaseRecord
}

/** Said before anything in the record is believed, so it names no environment the record claims. */
export function signatureError(problem: SignatureProblem): StageError {
  const why =
    problem === 'unsigned'
      ? 'promote-from is not signed, but release-key is set here: only a record signed by a stage holding the same key is believed. Give the previous stage the same release-key and pass its release output unchanged'
      : "the signature of promote-from does not match its content: the record was changed after a stage signed it, or signed with another release-key. Pass the previous stage's release output unchanged, and give both stages the same release-key"
  return new StageError('PromotionRefused', `Promotion refused; nothing was applied: ${why}.`)
}

export interface PromotionCheck {
  /** Problems that refuse the promotion, one line each. */
  problems: string[]
  /** Tag-only images pinned to the digest that ran upstream. */
  pins: ImageOverride[]
}

/**
 * `images` are this stage's rendered images ("Deployment/shop:shop" → reference).
 * Every one must have run upstream: the same repository, and the digest that
 * ran there (tag-only references are pinned to it) or, when upstream reported
 * no digest, the very same reference.
 */
export function checkPromotion(
  upstream: ReleaseRecord,
  here: { commit?: string; images: Record<string, string>; environment?: string; requiredFrom?: string }
): PromotionCheck {
  const problems: string[] = []
  const pins = new Map<string, ImageOverride>()
  const from = upstream.environment
  if (here.requiredFrom && !aliasesOf(here.requiredFrom).has(from.toLowerCase()))
    problems.push(`the record is from ${from}, but require-promotion-from says ${here.requiredFrom}`)
  if (here.environment && aliasesOf(here.environment).has(from.toLowerCase()))
    problems.push(
      `the record is from this same environment (${from}): pass the previous stage's release output, not this stage's own`
    )
  if (upstream.result !== 'success')
    problems.push(`the ${from} stage did not pass (result: ${upstream.result})`)
  if (!upstream.commit)
    problems.push(`the ${from} record names no commit, so it cannot prove this commit passed there`)
  if (upstream.commit && here.commit && upstream.commit !== here.commit) {
    problems.push(
      `${from} deployed commit ${upstream.commit.slice(0, 12)}, this run is commit ${here.commit.slice(0, 12)}`
    )
  }
  for (const [container, reference] of Object.entries(here.images)) {
    const passed = upstream.images[container]
    if (!passed) {
      problems.push(`${container} did not run in ${from}`)
      continue
    }
    const mine = imageIdentity(reference)
    const theirs = imageIdentity(passed)
    if (mine.repository !== theirs.repository) {
      problems.push(`${container} image ${reference} is not the ${from} image ${passed}`)
    } else if (theirs.digest) {
      if (mine.digest && mine.digest !== theirs.digest)
        problems.push(
          `${container} image ${reference} is not the digest that passed in ${from} (${theirs.digest})`
        )
      else if (!mine.digest && mine.tag !== theirs.tag)
        // Another tag is another build, whatever digest it would be pinned to.
        problems.push(`${container} image ${reference} differs from ${passed}, which passed in ${from}`)
      else if (!mine.digest) {
        const pinned = `${reference}@${theirs.digest}`
        pins.set(mine.repository, { repository: mine.repository, image: pinned, entry: pinned })
      }
    } else if (reference !== passed) {
      problems.push(`${container} image ${reference} differs from ${passed}, which passed in ${from}`)
    }
  }
  return { problems, pins: [...pins.values()] }
}

export function promotionError(upstream: ReleaseRecord, problems: string[]): StageError {
  return new StageError(
    'PromotionRefused',
    `Promotion from ${upstream.environment} refused; nothing was applied: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}.`,
    { details: problems }
  )
}

/**
 * An empty promote-from where require-promotion-from says there must be one:
 * GitHub silently drops a job output that looks like it holds a secret, or that
 * makes the job's outputs exceed 1 MB, and the next job then gets nothing.
 */
export function missingPromotionError(requiredFrom: string): StageError {
  return new StageError(
    'PromotionRefused',
    `promote-from is empty, but require-promotion-from says this stage deploys only what passed in ${requiredFrom}; nothing was applied. ` +
      `Check that promote-from is \${{ needs.<${requiredFrom} job>.outputs.release }} and that the ${requiredFrom} job declares the release output. ` +
      `GitHub also drops a job output that contains a masked value ("Skip output 'release' since it may contain secret" at the end of the ${requiredFrom} job's log) or exceeds 1 MB: ` +
      `pass the release output, which is written to survive masking, not release-json, and do not put the record into a secret or a variable built from one.`
  )
}

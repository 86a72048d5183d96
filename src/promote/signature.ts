/**
 * The release record's signature: an HMAC-SHA256, with a key only the
 * workflow's stages hold, over the record's canonical JSON without its
 * `signature` field. It lets the next stage tell a record a stage wrote from
 * one anybody could type into promote-from (a workflow_dispatch input, an
 * artifact). Canonical JSON, so a record re-serialised with its keys in another
 * order still verifies, and what is verified is exactly the parsed value the
 * guard then reads. Pure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { canonicalJson } from '../canonical.js'

export const SIGNATURE_PREFIX = 'hmac-sha256:'

/** 32 characters: `openssl rand -hex 32` gives 64; shorter keys are guessable passwords, not keys. */
export const MIN_RELEASE_KEY_LENGTH = 32

export type Signed<T> = T & { signature: string }

/** Why a record was not verified: it has no signature, or one this key did not make for this content. */
export type SignatureProblem = 'unsigned' | 'mismatch'

function unsigned(record: object): object {
  const rest: Record<string, unknown> = { ...record }
  delete rest.signature
  return rest
}

export function releaseSignature(record: object, key: string): string {
  return `${SIGNATURE_PREFIX}${createHmac('sha256', key)
    .update(canonicalJson(unsigned(record)))
    .digest('hex')}`
}

/** The record with its signature; any signature it carried is replaced. */
export function signRelease<T extends object>(record: T, key: string): Signed<T> {
  return { ...(unsigned(record) as T), signature: releaseSignature(record, key) }
}

/** Undefined when `value` carries this key's signature over its own content. */
export function verifyRelease(value: unknown, key: string): SignatureProblem | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'unsigned'
  const given = (value as { signature?: unknown }).signature
  if (given === undefined || given === null || given === '') return 'unsigned'
  if (typeof given !== 'string') return 'mismatch'
  const expected = Buffer.from(releaseSignature(value, key))
  const actual = Buffer.from(given)
  // timingSafeEqual needs equal lengths; the length of a signature is no secret.
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? undefined : 'mismatch'
}

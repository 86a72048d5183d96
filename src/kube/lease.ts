/**
 * One stage at a time per environment: a coordination.k8s.io Lease in the
 * stage's namespace, held while the stage reads live state, applies, verifies
 * and rolls back, renewed while it runs and released at the end. A second run
 * waits for it up to a bound, saying whose run holds it; a holder that died
 * stops blocking others once its lease expires. GitHub's `concurrency:` is
 * the first line of defence, this the second.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { StageError } from '../errors.js'
import { formatDuration } from '../duration.js'
import type { KubeClient } from './client.js'
import { asKubeApiError } from './errors.js'
import { leaseVerdict, microTime, type LeaseObject, type LeaseObservation } from './lease-rules.js'

export interface LeaseOptions {
  namespace: string
  name: string
  /** Unique to this run (and attempt): two runs never share it. */
  identity: string
  durationSeconds: number
  /** How long to wait for another run's lease before failing. */
  waitMs: number
  /** Stops the waiting: acquireLease then throws the signal's reason. */
  signal?: AbortSignal
  /**
   * A read of the lease already asked alongside other requests (readLease): the first look
   * uses it, one round trip less. Writes are made at the version read, so a read that is
   * out of date by then only costs a 409 and a fresh read; a read that failed is made again.
   */
  firstRead?: Promise<LeaseObject | undefined>
  log: (line: string) => void
  warn: (line: string) => void
}

export interface HeldLease {
  /** How long this stage waited for another run's lease before it got it. */
  waitedMs: number
  /** Stops renewing and frees the lease; never throws (a lease left behind expires). */
  release(): Promise<void>
}

const POLL_MS = 1_000
const SAY_EVERY_MS = 10_000

function leasePath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`
}

/** The lease as it is now; undefined when there is none. */
export async function readLease(
  client: KubeClient,
  options: Pick<LeaseOptions, 'namespace' | 'name'>
): Promise<LeaseObject | undefined> {
  try {
    return await client.getJson<LeaseObject>(leasePath(options.namespace, options.name))
  } catch (error) {
    if (asKubeApiError(error)?.status === 404) return undefined
    throw error
  }
}

function holding(options: LeaseOptions, now: number) {
  return {
    holderIdentity: options.identity,
    leaseDurationSeconds: options.durationSeconds,
    acquireTime: microTime(now),
    renewTime: microTime(now)
  }
}

/** A merge patch of the lease at the version last seen: 409 when anyone wrote it since. */
async function patchLease(
  client: KubeClient,
  options: LeaseOptions,
  resourceVersion: string | undefined,
  spec: Record<string, unknown>
): Promise<LeaseObject> {
  const { body } = await client.send<LeaseObject>(
    'PATCH',
    leasePath(options.namespace, options.name),
    { metadata: { resourceVersion }, spec },
    'application/merge-patch+json'
  )
  return body
}

/**
 * Takes the lease when free: created when missing, else updated at the version read.
 * Returns the lease as written, or undefined on 409 (someone was first).
 */
async function take(
  client: KubeClient,
  options: LeaseOptions,
  lease: LeaseObject | undefined
): Promise<LeaseObject | undefined> {
  const now = Date.now()
  try {
    if (!lease) {
      const { body } = await client.send<LeaseObject>('POST', leasePath(options.namespace), {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: options.name },
        spec: holding(options, now)
      })
      return body
    }
    return await patchLease(client, options, lease.metadata?.resourceVersion, holding(options, now))
  } catch (error) {
    if (asKubeApiError(error)?.status === 409) return undefined
    throw error
  }
}

export async function acquireLease(client: KubeClient, options: LeaseOptions): Promise<HeldLease> {
  const started = Date.now()
  const deadline = started + options.waitMs
  let said = 0
  let seen: LeaseObservation | undefined
  let taken: LeaseObject | undefined
  let firstRead = options.firstRead?.catch(() => readLease(client, options))
  for (;;) {
    options.signal?.throwIfAborted()
    const lease = await (firstRead ?? readLease(client, options))
    firstRead = undefined
    const { verdict: state, observation } = leaseVerdict(lease, options.identity, Date.now(), seen)
    seen = observation
    if (state.state !== 'held') {
      taken = await take(client, options, lease)
      if (taken) break
      continue
    }
    const holder = state.holder
    if (Date.now() >= deadline)
      throw new StageError(
        'StageBusy',
        `Another stage of this environment is running (${holder}); waited ${formatDuration(options.waitMs)} for its lease ${options.namespace}/${options.name}. Run again when it has finished, or raise lease-timeout.`
      )
    if (Date.now() - said >= SAY_EVERY_MS) {
      said = Date.now()
      options.log(
        `Waiting for another stage of this environment to finish: ${holder} holds lease ${options.namespace}/${options.name} (taken over in ${formatDuration(Math.max(0, state.expiresAt - Date.now()))} unless it is renewed or released)`
      )
    }
    await sleep(POLL_MS, undefined, { signal: options.signal })
  }
  options.log(
    `Holding lease ${options.namespace}/${options.name}: no other stage of this environment runs until this one ends`
  )
  return keep(client, options, taken, Date.now() - started)
}

/**
 * Renews and releases at the version this stage last wrote: one request each while nobody else
 * touched the lease. On 409 the lease is read again, and written only if it is still ours.
 */
function keep(client: KubeClient, options: LeaseOptions, taken: LeaseObject, waitedMs: number): HeldLease {
  let last = taken
  let renewing = Promise.resolve()
  const writeOurs = async (spec: Record<string, unknown>): Promise<boolean> => {
    try {
      last = await patchLease(client, options, last.metadata?.resourceVersion, spec)
      return true
    } catch (error) {
      if (asKubeApiError(error)?.status !== 409) throw error
    }
    const lease = await readLease(client, options)
    if (leaseVerdict(lease, options.identity, Date.now()).verdict.state !== 'ours') return false
    last = await patchLease(client, options, lease!.metadata?.resourceVersion, spec)
    return true
  }
  const renew = async () => {
    try {
      if (!(await writeOurs({ renewTime: microTime(Date.now()) }))) {
        options.warn(
          `Lost lease ${options.namespace}/${options.name}: another stage may now run at the same time`
        )
        clearInterval(timer)
      }
    } catch {
      // The next renewal tries again; the lease lasts three renewal periods.
    }
  }
  const timer = setInterval(() => (renewing = renew()), (options.durationSeconds * 1000) / 3)
  timer.unref()
  return {
    waitedMs,
    async release() {
      clearInterval(timer)
      await renewing
      try {
        if (!(await writeOurs({ holderIdentity: null, renewTime: null, acquireTime: null }))) return
        options.log(`Released lease ${options.namespace}/${options.name}`)
      } catch (error) {
        options.warn(
          `Could not release lease ${options.namespace}/${options.name} (it expires on its own): ${(error as Error).message}`
        )
      }
    }
  }
}

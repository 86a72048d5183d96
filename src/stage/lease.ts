/**
 * One stage at a time per environment: the stage's Lease
 * (kube-stage-<environment> in its namespace) is taken once the namespace
 * exists, before the dry run reads live state, and released when the stage
 * ends, passed or failed. GitHub's `concurrency:` is the first line of
 * defence; this is the second, for runs that do not share a concurrency group.
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { startEarly } from '../concurrency.js'
import { rethrowForbidden } from '../kube/forbidden.js'
import type { StageConfig } from '../inputs.js'
import { acquireLease, readLease, type HeldLease } from '../kube/lease.js'
import { leaseHolder, type LeaseObject } from '../kube/lease-rules.js'
import { info } from '../report/log.js'
import { warn, type StageContext } from './context.js'

/** Renewed every third of it: a holder that died blocks others for at most this long once seen. */
const LEASE_SECONDS = 15

const leaseName = (config: StageConfig) => `kube-stage-${config.environment}`

/**
 * Asks for the stage's Lease as it is now, for holdStageLease's first look: plan starts it
 * alongside its own reads. Only an apply reads it (a plan's Role may not reach leases).
 */
export function readStageLease({ client, config }: StageContext): Promise<LeaseObject | undefined> {
  // Its failure counts only when holdStageLease reads again.
  return startEarly(readLease(client, { namespace: config.namespace, name: leaseName(config) }))
}

/** `signal` stops the waiting for another run's Lease (the stage failed meanwhile). */
export async function holdStageLease(stage: StageContext, signal?: AbortSignal): Promise<void> {
  const { client, config, record } = stage
  const firstRead = stage.leaseRead
  stage.leaseRead = undefined
  stage.lease = await acquireLease(client, {
    namespace: config.namespace,
    name: leaseName(config),
    firstRead,
    identity: leaseHolder(config.github, `${hostname()}/${process.pid}/${randomUUID()}`),
    durationSeconds: LEASE_SECONDS,
    waitMs: config.leaseTimeoutMs,
    signal,
    log: line => info(line),
    warn: line => warn(record, line)
  }).catch(
    rethrowForbidden("hold the stage's Lease, so that no other run deploys this environment at the same time")
  )
}

/** Never throws: a lease that could not be released expires on its own. */
export async function releaseStageLease(stage: StageContext | undefined): Promise<void> {
  const lease: HeldLease | undefined = stage?.lease
  if (!lease) return
  stage!.lease = undefined
  await lease.release()
}

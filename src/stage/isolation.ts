/**
 * With isolate on, the stage finds out whether the network enforces the
 * policy it wrote (kube/isolation/probe.ts) while the rollout is waited on,
 * and says so: in the summary when it is verified, as a warning when it is not
 * (or a failure, with isolation-check: fail). Costs nothing with isolate off.
 */
import { formatDuration } from '../duration.js'
import { StageError } from '../errors.js'
import { probeIsolation, type ProbeResult } from '../kube/isolation/probe.js'
import { info } from '../report/log.js'
import { startEarly } from '../concurrency.js'
import { warn, type StageContext } from './context.js'

/** Bounds the probe: two small pods starting, and a few connections. */
const PROBE_TIMEOUT_MS = 60_000

export function startIsolationCheck(stage: StageContext): Promise<ProbeResult> | undefined {
  const { config, client } = stage
  if (!config.isolate || config.isolationCheck === 'off') return undefined
  return startEarly(
    probeIsolation(client, {
      namespace: config.namespace,
      environment: config.environment,
      image: config.isolationProbeImage,
      fieldManager: config.fieldManager,
      timeoutMs: Math.min(PROBE_TIMEOUT_MS, config.timeoutMs),
      log: line => info(line)
    })
  )
}

export async function finishIsolationCheck(
  stage: StageContext,
  running: Promise<ProbeResult>
): Promise<void> {
  const { config, record } = stage
  const { verdict, elapsedMs } = await running
  record.isolation = { verdict, elapsedMs }
  if (verdict.state === 'enforced') {
    info(
      `Isolation verified in ${formatDuration(elapsedMs)}: the network enforces NetworkPolicy, and refused this environment's pod where only another environment is admitted`
    )
    return
  }
  const why =
    verdict.state === 'not-enforced'
      ? "the cluster's network does not enforce NetworkPolicy: a pod reached a port its policy closes to it, so pods of other environments can reach this one"
      : `it could not be verified: ${verdict.reason}`
  const message = `Isolation is not in effect in ${config.namespace}: ${why}.`
  if (config.isolationCheck === 'fail')
    throw new StageError(
      'IsolationNotEnforced',
      `${message} Use a network plugin that enforces NetworkPolicy (Calico, Cilium, GKE Dataplane V2, EKS network policies), or set isolation-check: warn.`
    )
  warn(record, message)
}

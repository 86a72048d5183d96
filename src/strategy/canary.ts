/**
 * strategy: canary. For each Deployment whose pod template changes, a canary
 * copy with the new template joins the stable pods behind the same Services,
 * one step at a time (canary-steps); each step is judged by the smoke checks,
 * the soak (the canary's pods) and the analysis (${PODS} is the canary's pods).
 * When every step passed, the Deployments themselves are updated and, once
 * ready, the canary removed. A failed step removes only the canary: the stable
 * version never stopped serving, and the record says how much of the traffic
 * the new version could have taken, and for how long.
 */
import type { AppliedObject, PlannedObject } from '../kube/apply.js'
import { displayName } from '../manifests/objects.js'
import type { StrategyRecord } from '../report/record.js'
import { info } from '../report/log.js'
import type { StageContext } from '../stage/context.js'
import { canaryDeployment, canaryReplicas, formatShare, liveReplicas, podShare, sum } from './plan.js'
import { promoted, removeStrategyCopies, runStep, waitForNewPods, type Judges } from './steps.js'
import { applyCopy, type Copy } from './writes.js'

export async function runCanary(
  stage: StageContext,
  held: readonly PlannedObject[],
  judges: Judges,
  promote: (deployments: readonly PlannedObject[]) => Promise<AppliedObject[]>
): Promise<AppliedObject[]> {
  const { client, config, record } = stage
  const strategy: StrategyRecord = {
    name: 'canary',
    deployments: held.map(p => displayName(p.object)),
    steps: []
  }
  record.strategy = strategy
  const stable = held.map(p => liveReplicas(p.live))
  const stablePods = sum(stable)
  const copies: Copy[] = []
  let exposedAt: number | undefined
  let share = 0
  try {
    for (const weight of config.canarySteps) {
      const counts = stable.map(n => canaryReplicas(n, weight))
      const canaryPods = sum(counts)
      const stepShare = podShare(canaryPods, stablePods)
      await runStep(
        stage,
        strategy,
        { name: `canary ${weight}%`, share: stepShare, pods: { new: canaryPods, stable: stablePods } },
        judges,
        async () => {
          info(
            `Canary ${weight}%: ${canaryPods} pod(s) of the new version beside ${stablePods} of the stable one, ${formatShare(stepShare)} of the pods the Services select`
          )
          exposedAt ??= Date.now()
          share = Math.max(share, stepShare)
          const canaries = await Promise.all(
            held.map(async (p, i) => {
              const copy = { object: canaryDeployment(p.object, counts[i]), resource: p.resource }
              return (copies[i] = await applyCopy(client, copy, config.fieldManager))
            })
          )
          const pods = await waitForNewPods(stage, canaries, `the canary at ${weight}%`)
          return { pods, soakMs: config.soakMs }
        }
      )
    }
    info(
      `The canary passed ${config.canarySteps.length} step(s): updating ${strategy.deployments.join(', ')}`
    )
    const applied = await promote(held)
    await waitForNewPods(
      stage,
      promoted(applied, held),
      `${strategy.deployments.join(', ')} at the new version`
    )
    strategy.outcome = 'promoted'
    return applied
  } catch (error) {
    if (!strategy.outcome && strategy.steps.some(s => !s.passed)) strategy.outcome = 'stopped'
    throw error
  } finally {
    if (copies.some(Boolean)) {
      await removeStrategyCopies(stage, copies.filter(Boolean), 'the canary')
      if (strategy.outcome === 'stopped' && exposedAt !== undefined)
        strategy.exposure = { share, ms: Date.now() - exposedAt }
    }
  }
}

/**
 * strategy: blue-green. For each Deployment whose pod template changes, a
 * preview copy with the new template runs beside the stable version, as many
 * pods as it has, behind its own Service `<deployment>-preview` and selected by
 * none of the stable version's Services. It is judged there (the smoke checks
 * against preview-url when given, the soak of its pods, the analysis), then
 * every Service that selected the stable pods is switched to it. The stable
 * version keeps running through the rollback window, while the preview is
 * judged again under the real traffic; a failure switches the Services back.
 * After the window, the Deployments themselves are updated, the Services
 * select them again (now the new version), and the preview goes.
 */
import type { AppliedObject, PlannedObject } from '../kube/apply.js'
import { displayName } from '../manifests/objects.js'
import type { KubeObject } from '../manifests/types.js'
import type { StrategyRecord } from '../report/record.js'
import { info } from '../report/log.js'
import { warn, type StageContext } from '../stage/context.js'
import { formatDuration } from '../duration.js'
import {
  liveReplicas,
  previewDeployment,
  previewSelector,
  previewService,
  serviceSelector,
  sum,
  switchableServices,
  switchedFrom
} from './plan.js'
import { promoted, removeStrategyCopies, runStep, waitForNewPods, type Judges } from './steps.js'
import { applyCopy, listServices, listWorkloads, SERVICES, switchSelector, type Copy } from './writes.js'

interface Switched {
  service: KubeObject
  /** The selector it had: what switching back restores. */
  selector: Record<string, string>
  /** The preview's selector, which it has now. */
  preview: Record<string, string>
}

export async function runBlueGreen(
  stage: StageContext,
  changed: readonly PlannedObject[],
  judges: Judges,
  promote: (deployments: readonly PlannedObject[]) => Promise<AppliedObject[]>
): Promise<AppliedObject[]> {
  const { client, config, record } = stage
  const [listed, workloads] = await Promise.all([
    listServices(client, config.namespace),
    listWorkloads(client, config.namespace)
  ])
  const live = await repairSwitched(stage, listed)
  // The Services that send the stable pods traffic: the stable (live) template's labels say which.
  const switchable = changed.map(p => switchableServices(p.live ?? p.object, live, workloads))
  const unserved = changed.filter((_, i) => 'reason' in switchable[i])
  const held = changed.filter((_, i) => 'services' in switchable[i])
  const services = switchable.flatMap(s => ('services' in s ? [s.services] : []))
  const strategy: StrategyRecord = {
    name: 'blue-green',
    deployments: held.map(p => displayName(p.object)),
    steps: []
  }
  record.strategy = strategy
  for (const [i, p] of changed.entries()) {
    const why = switchable[i]
    if ('reason' in why)
      warn(record, `strategy blue-green: ${displayName(p.object)} is updated in place: ${why.reason}.`)
  }
  const inPlace = unserved.length > 0 ? await promote(unserved) : []
  if (held.length === 0) return inPlace
  const replicas = held.map(p => liveReplicas(p.live))
  const newPods = sum(replicas)
  const copies: Copy[] = []
  const switched: Switched[] = []
  let switchedAt: number | undefined
  try {
    let previewPods: Awaited<ReturnType<typeof waitForNewPods>> = []
    await runStep(
      stage,
      strategy,
      { name: 'preview', share: 0, pods: { new: newPods, stable: newPods } },
      judges,
      async () => {
        const made = await Promise.all(
          held
            .flatMap((p, i) => [
              { object: previewDeployment(p.object, services[i], replicas[i]), resource: p.resource },
              { object: previewService(p.object, services[i][0]), resource: SERVICES }
            ])
            .map(async copy => {
              const stored = await applyCopy(client, copy, config.fieldManager)
              copies.push(stored)
              return stored
            })
        )
        info(
          `Blue-green: the new version runs beside the stable one behind ${made
            .filter(c => c.object.kind === 'Service')
            .map(c => displayName(c.object))
            .join(', ')}, which no stable Service selects`
        )
        previewPods = await waitForNewPods(
          stage,
          made.filter(c => c.object.kind !== 'Service'),
          'the preview'
        )
        if (!config.previewUrl)
          info(
            'No preview-url: the smoke checks run once the Services are switched (the soak and analysis judge the preview now)'
          )
        return {
          pods: previewPods,
          soakMs: config.soakMs,
          baseUrl: config.previewUrl,
          smoke: Boolean(config.previewUrl)
        }
      }
    )

    await runStep(
      stage,
      strategy,
      { name: 'switched', share: 1, pods: { new: newPods, stable: newPods } },
      judges,
      async () => {
        switchedAt = Date.now()
        for (const [i, p] of held.entries())
          for (const service of services[i]) {
            const selector = { ...serviceSelector(service)! }
            const preview = previewSelector(p.object.metadata.name)
            await switchSelector(client, service, selector, preview, config.fieldManager, true)
            switched.push({ service, selector, preview })
          }
        info(
          `Blue-green: switched ${switched.map(s => displayName(s.service)).join(', ')} to the new version; the stable version stays for the rollback window, ${formatDuration(config.rollbackWindowMs)}`
        )
        return { pods: previewPods, soakMs: config.rollbackWindowMs }
      }
    )

    info(
      `The rollback window passed: updating ${strategy.deployments.join(', ')}, then switching the Services back to them`
    )
    const updated = await promote(held)
    await waitForNewPods(
      stage,
      promoted(updated, held),
      `${strategy.deployments.join(', ')} at the new version`
    )
    await switchBack(stage, switched)
    switched.length = 0
    strategy.outcome = 'promoted'
    return [...inPlace, ...updated]
  } catch (error) {
    if (switched.length > 0) {
      await switchBack(stage, switched).catch((failure: Error) =>
        warn(record, `Blue-green could not switch the Services back: ${failure.message}`)
      )
      strategy.outcome = 'switched back'
      strategy.exposure = { share: 1, ms: Date.now() - switchedAt! }
    } else strategy.outcome = 'stopped'
    throw error
  } finally {
    if (copies.length > 0) await removeStrategyCopies(stage, copies, 'the preview')
  }
}

/** Every switched Service selects what it selected before the switch. */
async function switchBack({ client, config }: StageContext, switched: readonly Switched[]): Promise<void> {
  await Promise.all(
    switched.map(({ service, selector, preview }) =>
      switchSelector(client, service, preview, selector, config.fieldManager, false)
    )
  )
  info(
    `Blue-green: ${switched
      .map(
        s =>
          `${displayName(s.service)} selects ${Object.entries(s.selector)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`
      )
      .join('; ')} again`
  )
}

/**
 * Services an earlier stage switched and never switched back (its runner was cancelled in the
 * rollback window) select their own pods again before anything else; the live list as it is then.
 */
async function repairSwitched(stage: StageContext, services: KubeObject[]): Promise<KubeObject[]> {
  const { client, config, record } = stage
  return Promise.all(
    services.map(async service => {
      const before = switchedFrom(service)
      if (!before) return service
      await switchSelector(
        client,
        service,
        serviceSelector(service) ?? {},
        before,
        config.fieldManager,
        false
      )
      warn(
        record,
        `${displayName(service)} still selected a preview an earlier stage left switched (it stopped before switching back): it selects ${Object.entries(
          before
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(',')} again.`
      )
      return { ...service, spec: { ...(service.spec as object), selector: before } }
    })
  )
}

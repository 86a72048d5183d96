/** The action's outputs, from the StageRecord. Downstream jobs branch on these. */
import * as core from '@actions/core'
import { encodeRelease } from '../promote/transport.js'
import { redactKnown } from '../secrets.js'
import { stageResult, type StageRecord } from './record.js'

export function stageOutputs(record: StageRecord): Record<string, string> {
  return {
    result: stageResult(record),
    'failure-reason': record.failure?.code ?? '',
    resources: JSON.stringify(
      record.resources.map(r => ({
        kind: r.kind,
        name: r.name,
        namespace: r.namespace,
        action: r.action,
        readiness: r.readiness
      }))
    ),
    'environment-url': record.environmentUrl ?? '',
    // Hex, so that no masked line of a secret can make GitHub drop it between jobs (promote/transport.ts).
    release: record.release ? encodeRelease(record.release) : '',
    'release-json': record.release ?? '',
    plan: JSON.stringify(record.plan ?? []),
    pruned: JSON.stringify(record.pruned ?? []),
    'rolled-back': String(
      Boolean(
        record.rollback &&
        record.rollback.restored.length > 0 &&
        record.rollback.ready &&
        record.rollback.verified?.passed !== false
      )
    )
  }
}

export function writeOutputs(record: StageRecord): void {
  for (const [name, value] of Object.entries(stageOutputs(record))) core.setOutput(name, redactKnown(value))
}

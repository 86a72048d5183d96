/**
 * What every phase of a stage works with: the validated inputs, the record it
 * reports from, the cluster client, and the stage's own credentials, computed
 * once when it connects and masked before anything could print them. Also the
 * one way a phase warns, and the API server's warnings shown at their line.
 */
import * as core from '@actions/core'
import { startEarly } from '../concurrency.js'
import type { ErrorLocation } from '../errors.js'
import type { StageConfig } from '../inputs.js'
import {
  createClient,
  kubeconfigSecrets,
  signedCredentials,
  verifyConnection,
  type KubeClient
} from '../kube/client.js'
import type { HeldLease } from '../kube/lease.js'
import type { LeaseObject } from '../kube/lease-rules.js'
import { displayName } from '../manifests/objects.js'
import type { KubeObject } from '../manifests/types.js'
import { info } from '../report/log.js'
import { knownSecrets, redactKnown, rememberSecrets } from '../secrets.js'
import type { StageRecord } from '../report/record.js'

export interface StageContext {
  config: StageConfig
  record: StageRecord
  client: KubeClient
  /**
   * Every credential known at connect (the inputs', the kubeconfig's, exec-plugin tokens), computed once at
   * connect: a smoke script or response must not show them either.
   */
  credentials: readonly string[]
  /**
   * Settles once the API server has answered /version, or rejects with a ClusterUnreachable
   * error. Not awaited by connect: plan's first reads go meanwhile (one round trip less),
   * and plan awaits this before their outcome, so an unreachable cluster is said as such.
   */
  connected: Promise<void>
  /** The stage's Lease while it holds it (stage/lease.ts). */
  lease?: HeldLease
  /** The Lease as plan read it, until holding it uses that read (stage/lease.ts). */
  leaseRead?: Promise<LeaseObject | undefined>
}

export async function connect(config: StageConfig, record: StageRecord): Promise<StageContext> {
  const client = await createClient({ kubeconfig: config.kubeconfig, context: config.context })
  // Mask every credential before anything could print it: the inputs' own were remembered at start
  // (secrets.ts inputCredentials); these exist only once the kubeconfig is loaded and a request signed.
  rememberSecrets([
    ...kubeconfigSecrets(client.kubeConfig),
    ...(await signedCredentials(client.kubeConfig, client.server).catch(() => []))
  ])
  const credentials = knownSecrets()
  if (client.kubeConfig.getCurrentCluster()?.skipTLSVerify)
    warn(
      record,
      "The kubeconfig sets insecure-skip-tls-verify: the API server's certificate is not verified, so anyone between this runner and the cluster could read the credentials. Use certificate-authority-data instead."
    )
  record.server = client.server
  // Awaited by plan.
  const connected = startEarly(
    verifyConnection(client).then(version => {
      record.clusterVersion = version
      info(`Connected to ${client.server} (Kubernetes ${version})`)
    })
  )
  return { config, record, client, credentials, connected }
}

export function warn(record: StageRecord, text: string): void {
  const message = redactKnown(text)
  record.warnings.push(message)
  core.warning(message)
}

/**
 * The API server's warnings, each once, as an annotation at the object's file
 * and line and in the summary. Returns every warning shown so far: those of
 * `shown` and the new ones.
 */
export function showApiWarnings(
  record: StageRecord,
  objects: { object: KubeObject; warnings?: string[] }[],
  locate: (object: KubeObject) => ErrorLocation | undefined,
  shown: ReadonlySet<string> = new Set()
): Set<string> {
  const all = new Set(shown)
  for (const { object, warnings } of objects) {
    for (const warning of warnings ?? []) {
      const message = `${displayName(object)}: the API server warns: ${warning}`
      if (all.has(message)) continue
      all.add(message)
      record.warnings.push(message)
      const at = locate(object)
      core.warning(message, at && { file: at.file, startLine: at.line })
    }
  }
  return all
}

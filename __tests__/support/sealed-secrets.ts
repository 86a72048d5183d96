/**
 * SealedSecrets as a user's CI makes them: kubeseal (built by test/cluster/sealed-secrets.sh)
 * sealing offline with the controller's certificate (`kubeseal --cert`), never talking to the
 * cluster. The local cluster's start writes the certificate and kubeseal's directory into its
 * state directory, beside the kubeconfig; on another cluster with a controller installed, the
 * certificate is read from the controller's key Secret.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from './action.js'
import { core, kubeconfigPath } from './cluster.js'

/** kubeseal's --scope: which namespace and name the ciphertext is bound to. */
export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide'

/** The label of the controller's sealing keys (one Secret per key, the newest seals). */
export const SEALING_KEY_LABEL = 'sealedsecrets.bitnami.com/sealed-secrets-key'

const stateDir = () => path.dirname(kubeconfigPath())

let kubesealPath: string | undefined
function kubeseal(): string {
  if (kubesealPath) return kubesealPath
  const recorded = path.join(stateDir(), 'sealed-secrets-bin')
  const dir = existsSync(recorded)
    ? readFileSync(recorded, 'utf8').trim()
    : execFileSync(path.join(REPO_ROOT, 'test/cluster/sealed-secrets.sh'), ['build'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe']
      })
        .trim()
        .split('\n')
        .pop()!
  kubesealPath = path.join(dir, 'kubeseal')
  return kubesealPath
}

let certPath: string | undefined
/**
 * The controller's sealing certificate as a file: the one the local cluster's start wrote, or
 * the newest key Secret's tls.crt. Fails (never skips) with what to do when there is none.
 */
export async function sealingCertificate(): Promise<string> {
  if (certPath) return certPath
  const written = path.join(stateDir(), 'sealed-secrets.crt')
  if (existsSync(written)) return (certPath = written)
  const keys = await core().listSecretForAllNamespaces({ labelSelector: SEALING_KEY_LABEL })
  const newest = keys.items
    .filter(key => key.data?.['tls.crt'])
    .sort((a, b) => Number(a.metadata?.creationTimestamp ?? 0) - Number(b.metadata?.creationTimestamp ?? 0))
    .pop()
  if (!newest) {
    throw new Error(
      `no Sealed Secrets controller: neither ${written} nor a Secret labelled ${SEALING_KEY_LABEL} exists ` +
        `(test/cluster/sealed-secrets.sh start ${stateDir()} starts one)`
    )
  }
  certPath = path.join(mkdtempSync(path.join(tmpdir(), 'kube-stage-sealing-')), 'sealed-secrets.crt')
  writeFileSync(certPath, Buffer.from(newest.data!['tls.crt'], 'base64'))
  return certPath
}

/**
 * A SealedSecret (YAML) that the controller turns into the Secret `namespace/name` holding
 * `data` (plain values). With the default scope (strict) it decrypts only under that namespace
 * and name.
 */
export async function sealSecret(options: {
  namespace: string
  name: string
  data: Record<string, string>
  scope?: SealingScope
}): Promise<string> {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: options.name, namespace: options.namespace },
    type: 'Opaque',
    data: Object.fromEntries(
      Object.entries(options.data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])
    )
  }
  const args = [
    '--cert',
    await sealingCertificate(),
    '--format',
    'yaml',
    '--scope',
    options.scope ?? 'strict'
  ]
  try {
    return execFileSync(kubeseal(), args, {
      input: JSON.stringify(secret),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe']
    })
  } catch (error) {
    const { stderr } = error as { stderr?: string }
    throw new Error(`kubeseal ${args.join(' ')} failed: ${stderr || (error as Error).message}`)
  }
}

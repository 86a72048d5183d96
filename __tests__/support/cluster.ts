/**
 * The test cluster, read back through client-node's own typed APIs, so the
 * assertions do not rely on the code under test.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import path from 'node:path'

export function kubeconfigPath(): string {
  const file = process.env.KUBE_STAGE_TEST_KUBECONFIG
  if (!file) throw new Error('KUBE_STAGE_TEST_KUBECONFIG is not set (run the suite with `npm test`)')
  return file
}

export function kubeconfigText(): string {
  return readFileSync(kubeconfigPath(), 'utf8')
}

export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfigPath())
  return kc
}

export const core = () => testKubeConfig().makeApiClient(CoreV1Api)
export const apps = () => testKubeConfig().makeApiClient(AppsV1Api)

/** A namespace name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`
}

export async function deleteNamespace(name: string): Promise<void> {
  await core()
    .deleteNamespace({ name })
    .catch(() => undefined)
}

export async function namespaceExists(name: string): Promise<boolean> {
  try {
    await core().readNamespace({ name })
    return true
  } catch {
    return false
  }
}

/** Another field manager changing an object, as `kubectl edit` or a controller would. */
export async function patchAsOtherManager(object: Record<string, unknown>, manager: string): Promise<void> {
  const { KubernetesObjectApi, PatchStrategy } = await import('@kubernetes/client-node')
  const api = KubernetesObjectApi.makeApiClient(testKubeConfig())
  await api.patch(object as never, undefined, undefined, manager, undefined, PatchStrategy.MergePatch)
}

/**
 * The directory of the binaries test/cluster/build.sh made (kubectl, helm): what
 * a runner would have on PATH for rendering. Built or reused like the cluster's.
 */
let toolsDir: string | undefined
export function clusterToolsDir(): string {
  if (toolsDir) return toolsDir
  const out = execFileSync(path.join(import.meta.dirname, '../../test/cluster/build.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore']
  })
  toolsDir = out.trim().split('\n').pop()!
  return toolsDir
}

/** A runner's environment with the cluster build's kubectl and helm first on PATH. */
export function withClusterTools(env: Record<string, string> = {}): Record<string, string> {
  return { ...env, PATH: `${clusterToolsDir()}${path.delimiter}${process.env.PATH}` }
}

/**
 * The common kubeconfig, read without @kubernetes/client-node: evaluating that
 * package's modules is most of a stage's start-up (about 0.3 s of a process
 * that otherwise starts in well under 0.1 s), and most kubeconfigs a workflow
 * passes are one cluster with inline certificate data and a client certificate
 * or a bearer token. Only that shape is read here, with exactly client-node's
 * meaning (see its config.js: applyHTTPSOptions, applyAuthorizationHeader,
 * createDispatcherOptions); anything else (exec and auth-provider plugins,
 * files named in the kubeconfig, token files, basic auth, impersonation,
 * proxies, several KUBECONFIG files, in-cluster config, a malformed file)
 * gives undefined, and client.ts loads client-node to read it as before, with
 * its own error messages.
 */
import { accessSync, existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'

/** What a stage reads of a loaded kubeconfig; client-node's KubeConfig has this shape too. */
export interface KubeConfigView {
  readonly users: readonly {
    token?: string | null
    password?: string | null
    keyData?: string | null
    certData?: string | null
  }[]
  readonly contexts: readonly { name: string }[]
  getCurrentCluster(): { server: string; skipTLSVerify: boolean } | null
  setCurrentContext(name: string): void
}

export interface SimpleCluster {
  name: string
  server: string
  caData?: string
  skipTLSVerify: boolean
  tlsServerName?: string
}
export interface SimpleUser {
  name: string
  token?: string
  certData?: string
  keyData?: string
}
export interface SimpleContext {
  name: string
  cluster: string
  user?: string
  namespace?: string
}

/** TLS options for undici's connect, as client-node would build them (empty: the default agent). */
export interface TlsOptions {
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
  rejectUnauthorized?: boolean
  servername?: string
}

export class SimpleKubeConfig implements KubeConfigView {
  constructor(
    readonly clusters: SimpleCluster[],
    readonly users: SimpleUser[],
    readonly contexts: SimpleContext[],
    public currentContext: string | undefined
  ) {}

  setCurrentContext(name: string): void {
    this.currentContext = name
  }
  getCurrentContextObject(): SimpleContext | null {
    return this.contexts.find(c => c.name === this.currentContext) ?? null
  }
  getCurrentCluster(): SimpleCluster | null {
    const context = this.getCurrentContextObject()
    return (context && this.clusters.find(c => c.name === context.cluster)) ?? null
  }
  getCurrentUser(): SimpleUser | null {
    const context = this.getCurrentContextObject()
    return (context && this.users.find(u => u.name === context.user)) ?? null
  }

  /**
   * The current context's TLS options and headers, or undefined when client-node must
   * sign requests (the context has no user: client-node then sends no certificate at all).
   */
  requestOptions(): { tls: TlsOptions; headers: Record<string, string> } | undefined {
    const cluster = this.getCurrentCluster()
    const user = this.getCurrentUser()
    if (!cluster || !user) return undefined
    const tls: TlsOptions = {}
    if (cluster.caData) tls.ca = Buffer.from(cluster.caData, 'base64')
    if (user.certData) tls.cert = Buffer.from(user.certData, 'base64')
    if (user.keyData) tls.key = Buffer.from(user.keyData, 'base64')
    if (cluster.skipTLSVerify) tls.rejectUnauthorized = false
    if (cluster.tlsServerName) tls.servername = cluster.tlsServerName
    return { tls, headers: user.token ? { Authorization: `Bearer ${user.token}` } : {} }
  }
}

const TOP_KEYS = new Set([
  'apiVersion',
  'kind',
  'clusters',
  'contexts',
  'users',
  'current-context',
  'preferences'
])
const CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name'
])
const USER_KEYS = new Set(['token', 'client-certificate-data', 'client-key-data'])
const CONTEXT_KEYS = new Set(['cluster', 'user', 'namespace'])

type Entry = Record<string, unknown>
const isEntry = (value: unknown): value is Entry =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const onlyKeys = (entry: Entry, allowed: Set<string>) => Object.keys(entry).every(key => allowed.has(key))
const optionalString = (value: unknown) => value === undefined || value === null || typeof value === 'string'
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)

/** The entries of a named list (`clusters:`, `users:`, `contexts:`), or undefined if any is malformed. */
function namedEntries(
  list: unknown,
  inner: string,
  allowed: Set<string>
): { name: string; body: Entry }[] | undefined {
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) return undefined
  const entries: { name: string; body: Entry }[] = []
  for (const item of list) {
    if (!isEntry(item) || typeof item.name !== 'string' || item.name === '') return undefined
    if (!onlyKeys(item, new Set(['name', inner]))) return undefined
    const body = item[inner] ?? {}
    if (!isEntry(body) || !onlyKeys(body, allowed)) return undefined
    entries.push({ name: item.name, body })
  }
  return entries
}

/**
 * A kubeconfig's text as a SimpleKubeConfig, when it uses only inline data, bearer tokens
 * and https servers; undefined for anything else (client-node reads it then). Pure.
 */
export function parseSimpleKubeconfig(source: string): SimpleKubeConfig | undefined {
  let document: unknown
  try {
    document = parse(source)
  } catch {
    return undefined
  }
  if (!isEntry(document) || !onlyKeys(document, TOP_KEYS)) return undefined
  const clusterEntries = namedEntries(document.clusters, 'cluster', CLUSTER_KEYS)
  const userEntries = namedEntries(document.users, 'user', USER_KEYS)
  const contextEntries = namedEntries(document.contexts, 'context', CONTEXT_KEYS)
  if (!clusterEntries || !userEntries || !contextEntries) return undefined
  const current = document['current-context']
  if (!optionalString(current)) return undefined

  const clusters: SimpleCluster[] = []
  for (const { name, body } of clusterEntries) {
    const server = body.server
    if (typeof server !== 'string' || !server.startsWith('https://')) return undefined
    if (!optionalString(body['certificate-authority-data']) || !optionalString(body['tls-server-name']))
      return undefined
    clusters.push({
      name,
      server: server.replace(/\/$/, ''),
      caData: text(body['certificate-authority-data']),
      skipTLSVerify: body['insecure-skip-tls-verify'] === true,
      tlsServerName: text(body['tls-server-name'])
    })
  }
  const users: SimpleUser[] = []
  for (const { name, body } of userEntries) {
    if (![body.token, body['client-certificate-data'], body['client-key-data']].every(optionalString))
      return undefined
    users.push({
      name,
      token: text(body.token),
      certData: text(body['client-certificate-data']),
      keyData: text(body['client-key-data'])
    })
  }
  const contexts: SimpleContext[] = []
  for (const { name, body } of contextEntries) {
    if (typeof body.cluster !== 'string' || body.cluster === '') return undefined
    if (!optionalString(body.user) || !optionalString(body.namespace)) return undefined
    contexts.push({ name, cluster: body.cluster, user: text(body.user), namespace: text(body.namespace) })
  }
  return new SimpleKubeConfig(clusters, users, contexts, (current as string | null | undefined) ?? undefined)
}

/**
 * The default kubeconfig's text when it is one file, found as client-node's loadFromDefault
 * finds it (KUBECONFIG, else $HOME/.kube/config); undefined when KUBECONFIG names several
 * files, when there is no file (in-cluster config), or when it cannot be read.
 */
export function defaultKubeconfigText(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let file: string | undefined
  if (env.KUBECONFIG && env.KUBECONFIG.length > 0) {
    const files = env.KUBECONFIG.split(path.delimiter).filter(name => name)
    if (files.length !== 1) return undefined
    file = files[0]
  } else if (process.platform !== 'win32' && env.HOME) {
    try {
      accessSync(env.HOME)
    } catch {
      return undefined
    }
    file = path.join(env.HOME, '.kube', 'config')
    if (!existsSync(file)) return undefined
  } else return undefined
  try {
    return readFileSync(file, 'utf-8')
  } catch {
    return undefined
  }
}

/**
 * The one place that talks to the API server. Authentication and transport
 * (tokens, client certificates, exec plugins, OIDC, proxies) are client-node's
 * KubeConfig and RequestContext, loaded only when the kubeconfig needs them:
 * the common one (inline certificates, a bearer token) is read by
 * kubeconfig.ts with the same meaning, which spares a stage the evaluation of
 * client-node's modules at start-up. Bodies stay plain JSON rather than going
 * through KubernetesObjectApi's typed deserializer, which turns timestamps into
 * Dates and drops fields it does not know: status rules and change detection
 * need the wire format, and server-side apply needs the HTTP status (201 = created).
 * Requests go through undici's `request`, not `fetch`: a stage sends hundreds at once,
 * and fetch's WHATWG objects and web streams cost each one CPU the API server (often on
 * the same machine in tests, always on the runner's cores) would rather have.
 */
import type { HttpMethod, KubeConfig } from '@kubernetes/client-node'
import { Agent, request as undiciRequest, type Dispatcher } from 'undici'
import { StageError } from '../errors.js'
import { apiErrorFrom, describeConnectionFailure } from './errors.js'
import { retryDelay } from './retry.js'
import {
  defaultKubeconfigText,
  parseSimpleKubeconfig,
  SimpleKubeConfig,
  type KubeConfigView
} from './kubeconfig.js'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ClusterConnection {
  /** Kubeconfig content (from the `kubeconfig` input); when absent, KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string
  context?: string
}

export interface ApiResource {
  name: string
  kind: string
  namespaced: boolean
  verbs: string[]
}

export interface JsonResponse<T> {
  status: number
  body: T
  /** The API server's Warning headers (PodSecurity "would violate", deprecated APIs, unknown fields). */
  warnings: string[]
}

/** `299 - "message"` entries of Warning headers, as the API server writes them. Pure. */
export function parseWarnings(header: string | null): string[] {
  if (!header) return []
  const warnings: string[] = []
  for (const match of header.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g))
    warnings.push(match[1].replace(/\\(.)/g, '$1'))
  return warnings
}

export type { KubeConfigView } from './kubeconfig.js'

export interface KubeClient {
  readonly server: string
  readonly kubeConfig: KubeConfigView
  /** Any verb, JSON in and out; throws KubeApiError on an error status. */
  send<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    contentType?: string
  ): Promise<JsonResponse<T>>
  /** GET a path and parse the JSON body; throws KubeApiError on an error status. */
  getJson<T>(path: string, accept?: string): Promise<T>
  /** GET a path as text (pod logs). */
  getText(path: string): Promise<string>
  /** A streaming GET (watch); the caller reads the body. */
  stream(path: string, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>
  /** Discovery for one apiVersion, fetched once and shared by every later call. */
  resourceFor(apiVersion: string, kind: string): Promise<ApiResource | undefined>
  close(): Promise<void>
}

/** Secret material in a kubeconfig, to be masked before anything is logged. */
export function kubeconfigSecrets(kc: KubeConfigView): string[] {
  const secrets: string[] = []
  for (const user of kc.users) {
    for (const value of [user.token, user.password, user.keyData, user.certData]) {
      if (value) secrets.push(value)
    }
  }
  return secrets
}

/**
 * Credentials that exist only once a request is signed: tokens from exec and
 * auth-provider plugins (EKS, GKE, AKS logins), never in the kubeconfig itself.
 */
export async function signedCredentials(kc: KubeConfigView, server: string): Promise<string[]> {
  const headers = (await signRequest(kc, server, 'GET')).headers
  const auth = headers.Authorization ?? headers.authorization
  // A token read from a file (tokenFile) may keep its newline: the value people see is without it.
  const value = auth?.replace(/[\r\n]+$/, '')
  return value ? [value, value.replace(/^(Bearer|Basic)\s+/i, '')] : []
}

/**
 * The kubeconfig of a connection: read by kubeconfig.ts when it has the common shape, else
 * by client-node (loaded then, and only then), whose messages say what is wrong with it.
 */
export async function loadKubeConfig(connection: ClusterConnection): Promise<KubeConfigView> {
  const source = connection.kubeconfig || defaultKubeconfigText()
  const simple = source ? parseSimpleKubeconfig(source) : undefined
  if (simple) {
    selectContext(simple, connection)
    // A context without a user is signed by client-node (which then sends no CA either).
    if (simple.requestOptions()) return simple
  }
  // client-node would fall back to http://localhost:8080, and fail later with a refused connection.
  if (!source && !process.env.KUBECONFIG && !process.env.KUBERNETES_SERVICE_HOST)
    throw new StageError(
      'InvalidInput',
      'No kubeconfig: the kubeconfig input is empty, KUBECONFIG is not set and ~/.kube/config does not exist. ' +
        'Pass the kubeconfig input (from a secret), or log in to the cluster in an earlier step that writes KUBECONFIG ' +
        '(aws eks update-kubeconfig, google-github-actions/get-gke-credentials, azure/aks-set-context): see kube-stage docs/cloud-logins.md.'
    )
  const { KubeConfig } = await import('@kubernetes/client-node')
  const kc = new KubeConfig()
  try {
    if (connection.kubeconfig) kc.loadFromString(connection.kubeconfig)
    else kc.loadFromDefault()
  } catch (error) {
    // Never echo the content: it holds credentials.
    throw new StageError(
      'InvalidInput',
      `The kubeconfig could not be read: ${(error as Error).message.split('\n')[0]}. Pass a kubeconfig's YAML in the kubeconfig input, or set KUBECONFIG.`
    )
  }
  selectContext(kc, connection)
  shareDispatcher(kc)
  return kc
}

function selectContext(kc: KubeConfigView, connection: ClusterConnection): void {
  if (connection.context) {
    if (!kc.contexts.some(c => c.name === connection.context)) {
      throw new StageError(
        'InvalidInput',
        `The kubeconfig has no context named "${connection.context}" (it has: ${kc.contexts.map(c => c.name).join(', ') || 'none'}).`
      )
    }
    kc.setCurrentContext(connection.context)
  }
  if (!kc.getCurrentCluster()) {
    throw new StageError(
      'InvalidInput',
      'The kubeconfig selects no cluster: set current-context, or the context input, to a context whose cluster exists.'
    )
  }
}

/**
 * The headers and dispatcher of one request. The common kubeconfig's are computed once;
 * any other is signed by client-node on every request (exec plugins refresh their tokens).
 */
async function signRequest(
  kc: KubeConfigView,
  url: string,
  method: string
): Promise<{ headers: Record<string, string>; dispatcher?: Dispatcher }> {
  if (kc instanceof SimpleKubeConfig) return signedBySimple(kc)
  const { RequestContext } = await import('@kubernetes/client-node')
  const context = new RequestContext(url, method as HttpMethod)
  await (kc as KubeConfig).applySecurityAuthentication(context)
  return { headers: context.getHeaders(), dispatcher: context.getDispatcher() as Dispatcher | undefined }
}

const simpleSigning = new WeakMap<
  SimpleKubeConfig,
  { headers: Record<string, string>; dispatcher?: Dispatcher }
>()
/**
 * As client-node signs for the same kubeconfig: no TLS options, no dispatcher of its own
 * (undici's global one); otherwise one shared agent, as shareDispatcher makes below.
 */
function signedBySimple(kc: SimpleKubeConfig): { headers: Record<string, string>; dispatcher?: Dispatcher } {
  let signed = simpleSigning.get(kc)
  if (!signed) {
    const { tls, headers } = kc.requestOptions()!
    const dispatcher =
      Object.keys(tls).length === 0
        ? undefined
        : new Agent({ connect: { ...tls, keepAlive: true, keepAliveInitialDelay: 30000 }, allowH2: true })
    signed = { headers, dispatcher }
    simpleSigning.set(kc, signed)
  }
  return { headers: { ...signed.headers }, dispatcher: signed.dispatcher }
}

type DispatcherFactory = (...args: unknown[]) => unknown
type DispatcherOptions = { type: string; connect?: Record<string, unknown> }

/**
 * client-node builds a new undici Agent for every request when client
 * certificates are used, so every request pays a TLS handshake. One shared
 * dispatcher per cluster keeps connections alive across a whole stage, and
 * speaks HTTP/2 when the API server offers it (it does): every concurrent
 * request of a stage then shares one connection. Proxies keep client-node's own.
 */
function shareDispatcher(kc: KubeConfig): void {
  const target = kc as unknown as {
    createDispatcher: DispatcherFactory
    createDispatcherOptions: (cluster: unknown, options: unknown) => DispatcherOptions
  }
  const create = target.createDispatcher.bind(kc)
  const cache = new Map<string, unknown>()
  target.createDispatcher = (cluster: unknown, options: unknown) => {
    const key = (cluster as { server?: string } | null)?.server ?? ''
    if (!cache.has(key)) {
      const planned = target.createDispatcherOptions.call(kc, cluster, options)
      cache.set(
        key,
        planned.type === 'agent'
          ? new Agent({ connect: planned.connect, allowH2: true })
          : create(cluster, options)
      )
    }
    return cache.get(key)
  }
}

/** What the client reads of an answer: fetch's names, over undici's leaner response. */
interface ApiResponse {
  status: number
  ok: boolean
  /** A header's value; repeated headers joined with ", ", as fetch's Headers.get does. */
  header(name: string): string | undefined
  json(): Promise<unknown>
  text(): Promise<string>
  body: AsyncIterable<Uint8Array>
}

function answerOf(response: Dispatcher.ResponseData): ApiResponse {
  return {
    status: response.statusCode,
    ok: response.statusCode >= 200 && response.statusCode < 300,
    header: name => {
      const value = response.headers[name]
      return Array.isArray(value) ? value.join(', ') : value
    },
    json: () => response.body.json(),
    text: () => response.body.text(),
    body: response.body
  }
}

export async function createClient(connection: ClusterConnection): Promise<KubeClient> {
  const kc = await loadKubeConfig(connection)
  const server = kc.getCurrentCluster()!.server

  async function request(
    path: string,
    options: {
      method?: string
      body?: unknown
      contentType?: string
      accept?: string
      signal?: AbortSignal
      stream?: boolean
    } = {}
  ): Promise<ApiResponse> {
    const url = `${server}${path}`
    const signed = await signRequest(kc, url, options.method ?? 'GET')
    const headers: Record<string, string> = {
      ...signed.headers,
      accept: options.accept ?? 'application/json'
    }
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json'
    const method = options.method ?? 'GET'
    const apply = headers['content-type'] === 'application/apply-patch+yaml'
    for (let attempt = 1; ; attempt++) {
      let response: ApiResponse
      try {
        response = answerOf(
          await undiciRequest(url, {
            method: method as Dispatcher.HttpMethod,
            headers,
            body: options.body === undefined ? undefined : JSON.stringify(options.body),
            signal: options.signal,
            dispatcher: signed.dispatcher
          })
        )
      } catch (error) {
        // A watch retries in its own loop, which also says that the connection was lost.
        const delay =
          options.signal?.aborted || options.stream
            ? undefined
            : retryDelay({ method, apply, attempt, error })
        if (delay === undefined) throw error
        await sleep(delay)
        continue
      }
      if (response.ok) return response
      const text = await response.text()
      const delay = retryDelay({
        method,
        apply,
        attempt,
        status: response.status,
        retryAfter: response.header('retry-after')
      })
      if (delay === undefined || options.signal?.aborted || options.stream)
        throw apiErrorFrom(response.status, text)
      await sleep(delay)
    }
  }

  const discovery = new Map<string, Promise<ApiResource[] | undefined>>()
  function resourcesOf(apiVersion: string): Promise<ApiResource[] | undefined> {
    let pending = discovery.get(apiVersion)
    if (!pending) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
      pending = request(path)
        .then(r => r.json() as Promise<{ resources: ApiResource[] }>)
        .then(list => list.resources.filter(r => !r.name.includes('/')))
        .catch(error => {
          if ((error as { status?: number }).status === 404) return undefined
          discovery.delete(apiVersion)
          throw error
        })
      discovery.set(apiVersion, pending)
    }
    return pending
  }

  return {
    server,
    kubeConfig: kc,
    send: async <T>(method: string, path: string, body?: unknown, contentType?: string) => {
      const response = await request(path, { method, body, contentType })
      return {
        status: response.status,
        body: (await response.json()) as T,
        warnings: parseWarnings(response.header('warning') ?? null)
      }
    },
    getJson: async <T>(path: string, accept?: string) =>
      (await (await request(path, { accept })).json()) as T,
    getText: async (path: string) => (await request(path)).text(),
    stream: async (path: string, signal: AbortSignal) => (await request(path, { signal, stream: true })).body,
    resourceFor: async (apiVersion: string, kind: string) =>
      (await resourcesOf(apiVersion))?.find(r => r.kind === kind),
    close: async () => {
      // Nothing to close explicitly: keep-alive sockets are unref'd by undici.
    }
  }
}

/** Checks the cluster answers, and returns its version; the error says which server and why not. */
export async function verifyConnection(client: KubeClient): Promise<string> {
  try {
    const version = await client.getJson<{ gitVersion: string }>('/version')
    return version.gitVersion
  } catch (error) {
    throw new StageError('ClusterUnreachable', describeConnectionFailure(error, client.server), {
      cause: error
    })
  }
}

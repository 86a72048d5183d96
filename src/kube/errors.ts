/**
 * Turns whatever client-node or fetch threw into one shape, and into messages
 * that say what to do. client-node wraps the useful part: a refused connection
 * arrives as "fetch failed" with the address and ECONNREFUSED in error.cause.
 */
import { rootCause } from '../network.js'

export { rootCause }

export interface StatusCause {
  reason?: string
  message?: string
  field?: string
}

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly causes: StatusCause[] = []
  ) {
    super(message)
    this.name = 'KubeApiError'
  }
}

interface StatusBody {
  kind?: string
  reason?: string
  message?: string
  details?: { causes?: StatusCause[] }
}

function parseBody(body: unknown): StatusBody | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody
    } catch {
      return { message: body }
    }
  }
  return body && typeof body === 'object' ? (body as StatusBody) : undefined
}

/** An HTTP error response from the API server (client-node's ApiException or our own fetches). */
export function apiErrorFrom(status: number, body: unknown): KubeApiError {
  const parsed = parseBody(body)
  return new KubeApiError(
    status,
    parsed?.reason ?? `HTTP${status}`,
    parsed?.message ?? `HTTP ${status}`,
    parsed?.details?.causes ?? []
  )
}

/** Recognises client-node's ApiException without importing it (keeps this module cheap). */
export function asKubeApiError(error: unknown): KubeApiError | undefined {
  if (error instanceof KubeApiError) return error
  if (error && typeof error === 'object' && 'code' in error && 'body' in error) {
    const code = (error as { code: unknown }).code
    if (typeof code === 'number' && code >= 400) return apiErrorFrom(code, (error as { body: unknown }).body)
  }
  return undefined
}

const TLS_HINT =
  'the server certificate is not trusted: check certificate-authority-data in the kubeconfig (or insecure-skip-tls-verify for test clusters only)'

/** One line explaining why the API server at `server` could not be used, with what to check. */
export function describeConnectionFailure(error: unknown, server: string): string {
  const api = asKubeApiError(error)
  if (api?.status === 401) {
    return `The cluster at ${server} rejected the credentials (401 Unauthorized): the kubeconfig's token or client certificate is missing, expired or for another cluster.`
  }
  if (api?.status === 403) {
    return `The cluster at ${server} refused the request (403 Forbidden): ${api.message}. Grant the deploying identity the RBAC permissions it needs in this namespace.`
  }
  const cause = rootCause(error) as { code?: string; message?: string } | undefined
  const code = cause?.code ?? ''
  const detail = cause?.message ?? String(error)
  let hint = 'check that the kubeconfig points at a running cluster and that this runner can reach it'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') hint = 'the host name does not resolve from this runner'
  else if (code === 'ECONNREFUSED')
    hint = 'nothing is listening there: is the cluster running, and is the port right?'
  else if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    hint = 'the connection timed out: a firewall or a private endpoint this runner cannot reach?'
  else if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/i.test(code)) hint = TLS_HINT
  return `Cannot reach the Kubernetes API at ${server}: ${detail}${code && !detail.includes(code) ? ` (${code})` : ''}; ${hint}.`
}

/**
 * One PromQL instant query against Prometheus' HTTP API (/api/v1/query). A
 * query that returns nothing, NaN, or more than one series is no measurement
 * (inconclusive), never a value. The headers (credentials) go only to
 * Prometheus; they are masked by the caller.
 */
import type { Measurement } from './types.js'

const QUERY_TIMEOUT_MS = 10_000

interface QueryResponse {
  status?: string
  error?: string
  data?: { resultType?: string; result?: unknown }
}

export async function queryPrometheus(
  baseUrl: string,
  query: string,
  headers: Record<string, string>
): Promise<Measurement> {
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`)
  url.searchParams.set('query', query)
  let body: QueryResponse
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) })
    body = (await response.json().catch(() => ({}))) as QueryResponse
    if (!response.ok || body.status !== 'success')
      return { inconclusive: `Prometheus answered ${response.status}${body.error ? `: ${body.error}` : ''}` }
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause?.code
    return { inconclusive: `Prometheus did not answer (${cause ?? (error as Error).message})` }
  }
  return measurementOf(body.data)
}

/** The number a query's result holds, or why it holds none. Pure. */
export function measurementOf(data: QueryResponse['data']): Measurement {
  let sample: unknown
  if (data?.resultType === 'scalar') sample = data.result
  else if (data?.resultType === 'vector' && Array.isArray(data.result)) {
    if (data.result.length === 0) return { inconclusive: 'the query returned no data' }
    if (data.result.length > 1)
      return {
        inconclusive: `the query returned ${data.result.length} series; aggregate it to one (sum, max)`
      }
    sample = (data.result[0] as { value?: unknown }).value
  } else
    return { inconclusive: `the query returned a ${data?.resultType ?? 'missing'} result, not one number` }
  const value = Number(Array.isArray(sample) ? sample[1] : NaN)
  if (!Number.isFinite(value))
    return { inconclusive: `the query returned ${Array.isArray(sample) ? String(sample[1]) : 'no number'}` }
  return { value }
}

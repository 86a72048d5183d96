/**
 * The test cluster's Prometheus (test/cluster/prometheus.sh), queried over its HTTP API as
 * the stage's analysis will query a user's. The local cluster's start writes its URL into the
 * state directory beside the kubeconfig; on another cluster, KUBE_STAGE_TEST_PROMETHEUS_URL
 * names one that scrapes pods annotated `prometheus.io/scrape: "true"` the same way.
 *
 * What queries meet here (seen with Prometheus 3.16): a new pod is a target within about 5 s
 * (discovery's refresh) and is scraped every second; rate() counts only increases between
 * scrapes, so requests made before a pod's first scrape, and a series' first increment (a
 * code="500" series born mid-window), do not show in it; a healthy build has no code="500"
 * series at all, so an error ratio written as errors / total is empty (no data), not 0;
 * bucket bounds come back normalised as floats (le="1.0", "5.0", "10.0", not "1").
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { kubeconfigPath } from './cluster.js'

/** One series of an instant vector: its labels and its value at the query's time. */
export interface Sample {
  metric: Record<string, string>
  value: number
}

/** Prometheus' URL. Fails (never skips) with what to do when there is none. */
export function prometheusUrl(): string {
  const given = process.env.KUBE_STAGE_TEST_PROMETHEUS_URL
  if (given) return given.replace(/\/+$/, '')
  const written = path.join(path.dirname(kubeconfigPath()), 'prometheus-url')
  if (!existsSync(written)) {
    throw new Error(
      `no Prometheus: ${written} does not exist (test/cluster/prometheus.sh start ${path.dirname(written)} ` +
        'starts one; on another cluster set KUBE_STAGE_TEST_PROMETHEUS_URL)'
    )
  }
  return readFileSync(written, 'utf8').trim()
}

interface QueryResponse {
  status: 'success' | 'error'
  errorType?: string
  error?: string
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }
}

/**
 * An instant query: the vector it returns, empty when no series matches. Anything but a
 * vector (a scalar, a string) and any error are thrown: a test should not read them as
 * "no data".
 */
export async function query(promql: string): Promise<Sample[]> {
  const url = `${prometheusUrl()}/api/v1/query?${new URLSearchParams({ query: promql })}`
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  const body = (await response.json()) as QueryResponse
  if (body.status !== 'success' || !body.data) {
    throw new Error(
      `Prometheus refused ${promql}: ${body.errorType}: ${body.error} (HTTP ${response.status})`
    )
  }
  if (body.data.resultType !== 'vector') {
    throw new Error(`${promql} gave a ${body.data.resultType}, not a vector`)
  }
  return body.data.result.map(series => ({ metric: series.metric, value: Number(series.value[1]) }))
}

/**
 * Queries every second until accept says yes; the last vector is returned. Times out with the
 * last vector in the message, so a failure shows what Prometheus did have.
 */
export async function queryUntil(
  promql: string,
  accept: (vector: Sample[]) => boolean,
  ms = 60_000
): Promise<Sample[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const vector = await query(promql)
    if (accept(vector)) return vector
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting on ${promql}; last: ${JSON.stringify(vector)}`)
    }
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
}

/**
 * The test cluster's Prometheus (test/cluster/prometheus.sh) really scrapes the fixture app on
 * the real node (issue 34): a pod annotated `prometheus.io/scrape: "true"` is found through the
 * API server and scraped with its namespace, pod, container and app labels; a pod without the
 * annotation is not; the app's request counters reach PromQL with the exact counts, FAIL_RATE's
 * failures included.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import { parse } from 'yaml'
import { apps, deleteNamespace, uniqueName } from '../support/cluster.js'
import { query, queryUntil, type Sample } from '../support/prometheus.js'
import { entryService, realNodeNamespace, requireRealNode, shopDeployment } from '../support/real-node.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

beforeAll(async () => {
  await requireRealNode()
})

const SCRAPE = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': '8080',
  'prometheus.io/path': '/metrics'
}

/** The shop Deployment in a new namespace on the real node, Ready; its entry URL. */
async function deployShop(
  options: Parameters<typeof shopDeployment>[0]
): Promise<{ namespace: string; url: string }> {
  const namespace = uniqueName('prom')
  namespaces.push(namespace)
  await realNodeNamespace(namespace, 'dev')
  const body = parse(shopDeployment(options)) as V1Deployment
  await apps().createNamespacedDeployment({ namespace, body })
  const url = await entryService(namespace, 'shop')
  const deadline = Date.now() + 60_000
  for (;;) {
    const status = (await apps().readNamespacedDeployment({ name: 'shop', namespace })).status
    if (status?.readyReplicas === 1) break
    if (Date.now() > deadline) throw new Error(`shop in ${namespace} not Ready: ${JSON.stringify(status)}`)
    await new Promise(resolve => setTimeout(resolve, 500))
  }
  return { namespace, url }
}

/**
 * n GETs of /api/version, each answered once, gapMs apart: only a refused connection
 * (kube-proxy programming the NodePort) is retried, so the app sees exactly n requests.
 */
async function requests(url: string, n: number, gapMs = 0): Promise<number[]> {
  const codes: number[] = []
  const deadline = Date.now() + 30_000
  while (codes.length < n) {
    try {
      codes.push((await fetch(`${url}/api/version`, { signal: AbortSignal.timeout(5000) })).status)
      await new Promise(resolve => setTimeout(resolve, gapMs))
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise(resolve => setTimeout(resolve, 250))
    }
  }
  return codes
}

const only = (vector: Sample[]) => {
  expect(vector).toHaveLength(1)
  return vector[0]
}

describe('the test cluster Prometheus', () => {
  it('scrapes an annotated pod with its namespace, pod, container and app labels, and not an unannotated one', async () => {
    const [scraped, plain] = await Promise.all([deployShop({ podAnnotations: SCRAPE }), deployShop({})])
    // rate() sees only increases between scrapes: a counter first scraped after every request
    // has a rate of 0. So the requests come once the pod is a target, spread over a few scrapes.
    await queryUntil(`up{namespace="${scraped.namespace}"}`, vector => vector[0]?.value === 1)
    expect(await requests(scraped.url, 12, 250)).toEqual(Array(12).fill(200))
    await requests(plain.url, 3)

    const api = `http_requests_total{namespace="${scraped.namespace}",path="/api/version"}`
    const rate = await queryUntil(
      `sum(rate(${api}[30s]))`,
      vector => vector.length === 1 && vector[0].value > 0
    )
    expect(rate[0].value).toBeGreaterThan(0)
    const counter = only(await queryUntil(api, vector => vector[0]?.value === 12))
    expect(counter.metric).toEqual({
      __name__: 'http_requests_total',
      code: '200',
      method: 'GET',
      path: '/api/version',
      namespace: scraped.namespace,
      pod: expect.stringMatching(/^shop-[a-z0-9]+-[a-z0-9]+$/),
      container: 'shop',
      app: 'shop',
      job: 'kubernetes-pods',
      instance: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+:8080$/)
    })
    // The latency histogram arrives too.
    expect(
      only(
        await query(
          `sum(http_request_duration_seconds_count{namespace="${scraped.namespace}",path="/api/version"})`
        )
      ).value
    ).toBe(12)

    // The same discovery saw both pods; three more scrape intervals, and still only one is a target.
    await new Promise(resolve => setTimeout(resolve, 3000))
    expect(only(await query(`count(up{namespace=~"${scraped.namespace}|${plain.namespace}"})`)).value).toBe(1)
    expect(await query(`up{namespace="${plain.namespace}"}`)).toEqual([])
  })

  it('FAIL_RATE shows in http_requests_total{code="500"} with the exact count', async () => {
    const { namespace, url } = await deployShop({ podAnnotations: SCRAPE, env: { FAIL_RATE: '0.2' } })
    const codes = await requests(url, 20)
    expect(codes.filter(code => code === 500)).toHaveLength(4)

    const failed = `sum(http_requests_total{namespace="${namespace}",code="500"})`
    expect(only(await queryUntil(failed, vector => vector[0]?.value === 4)).value).toBe(4)
    const all = `sum(http_requests_total{namespace="${namespace}",path="/api/version"})`
    expect(only(await queryUntil(all, vector => vector[0]?.value === 20)).value).toBe(20)
  })
})

/**
 * Metric analysis on the real node, against the test cluster's real Prometheus
 * (test/cluster/prometheus.sh), which scrapes the fixture app's /metrics: a
 * healthy build passes its soak and analysis; a build that fails 20% of its
 * requests fails its analysis with the measured value in the summary; a
 * production stage refuses a release whose error rate is far above the one
 * staging recorded; and a query with no data is reported as inconclusive.
 * The traffic is the smoke checks, run again every 2 s during the soak.
 */
import { deleteNamespace, kubeconfigPath, uniqueName } from '../support/cluster.js'
import { runAction, type ActionRun } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'
import { entryService, realNodeNamespace, requireRealNode, shopDeployment } from '../support/real-node.js'
import { prometheusUrl } from '../support/prometheus.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))
beforeAll(() => requireRealNode())

const RELEASE_KEY = 'analysis-test-release-key-0123456789abcdef'
const SCRAPED = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' }

/**
 * The share of the namespace's requests that failed: 0 (not no data) when none did. The kubelet's
 * probes count too, so the total has samples from the pod's first scrape.
 */
const ERROR_RATE =
  '(sum(rate(http_requests_total{namespace="${NAMESPACE}",code=~"5.."}[20s])) or vector(0)) / sum(rate(http_requests_total{namespace="${NAMESPACE}"}[20s]))'

function checks(metrics: string): string {
  return `defaults: { timeout: 20s, interval: 200ms }
checks:
  - name: version
    path: /api/version
    expect: { json: [{ path: .version, exists: true }] }
  - name: db
    path: /api/db-status
  # More traffic per round: a counter series that first appears mid-window loses its first
  # increment in rate(), so a few failures alone could read as none.
  - { name: version 2, path: /api/version }
  - { name: db 2, path: /api/db-status }
  - { name: version 3, path: /api/version }
  - { name: db 3, path: /api/db-status }
analysis:
  interval: 6s
  metrics:
${metrics}`
}

const errorRate = (extra = '      successCondition: result < 0.05\n') =>
  `    - name: error-rate
      query: '${ERROR_RATE}'
      count: 3
      # The new pod's first scrapes can come after the first measurement on a busy machine.
      inconclusiveLimit: 1
${extra}`

async function stage(
  environment: string,
  namespace: string,
  url: string,
  files: { app: string; smoke: string },
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  return runAction(
    {
      manifests: 'app.yaml',
      environment,
      namespace,
      timeout: '90s',
      'smoke-url': url,
      'smoke-checks': 'smoke.yaml',
      soak: '14s',
      'soak-interval': '1s',
      'prometheus-url': prometheusUrl(),
      'release-key': RELEASE_KEY,
      ...inputs
    },
    {
      workspace: workspaceWith({ 'app.yaml': files.app, 'smoke.yaml': files.smoke }),
      env: { KUBECONFIG: kubeconfigPath() }
    }
  )
}

const failureLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

async function namespaceFor(environment: string): Promise<{ namespace: string; url: string }> {
  const namespace = uniqueName(`an-${environment.slice(0, 4)}`)
  namespaces.push(namespace)
  await realNodeNamespace(namespace, environment)
  return { namespace, url: await entryService(namespace, 'shop') }
}

const app = (env: Record<string, string> = {}) =>
  shopDeployment({ version: '1.0.0', replicas: 1, env, podAnnotations: SCRAPED })

describe('metric analysis against Prometheus', () => {
  it('a healthy build passes its soak and analysis, and staging records its error rate', async () => {
    const { namespace, url } = await namespaceFor('staging')
    const run = await stage('staging', namespace, url, { app: app(), smoke: checks(errorRate()) })
    expect(failureLine(run)).toBe('')
    expect(run.outputs.result).toBe('success')
    expect(run.stdout).toMatch(
      /Analysis error-rate: Successful: [23] measurement\(s\) met result < 0\.05, last 0\n/
    )
    expect(run.summary).toContain('### Analysis')
    expect(run.summary).toMatch(/<td>error-rate<\/td><td>✅ passed<\/td><td>(—|0), 0, 0<\/td>/)
    expect(run.stdout).toMatch(/Soak passed: 1 pod\(s\) steady/)
    expect(JSON.parse(run.outputs['release-json']).analysis).toEqual({ 'error-rate': 0 })
  })

  it('a build that fails 20% of its requests fails its analysis, with the measured value', async () => {
    const { namespace, url } = await namespaceFor('staging')
    const run = await stage('staging', namespace, url, {
      app: app({ FAIL_RATE: '0.2' }),
      smoke: checks(errorRate())
    })
    expect(run.outputs['failure-reason']).toBe('AnalysisFailed')
    expect(failureLine(run)).toMatch(
      /Analysis: 1 of 1 metric\(s\) failed; error-rate: 1 of [1-3] measurement\(s\) failed result < 0\.05 \(measured 0\.\d+; failureLimit 0\)/
    )
    expect(run.summary).toMatch(/<td>error-rate<\/td><td>❌ failed<\/td><td>[\d., ]*0\.\d+<\/td>/)
  })

  it("a production stage refuses a release whose error rate is far above staging's", async () => {
    const bounded = errorRate(
      '      successCondition: result < 1\n      upstream: { maxRatio: 1.5, slack: 0.01 }\n'
    )
    const staging = await namespaceFor('staging')
    const upstream = await stage('staging', staging.namespace, staging.url, {
      app: app(),
      smoke: checks(bounded)
    })
    expect(failureLine(upstream)).toBe('')

    const production = await namespaceFor('production')
    const run = await stage(
      'production',
      production.namespace,
      production.url,
      { app: app({ FAIL_RATE: '0.2' }), smoke: checks(bounded) },
      { 'promote-from': upstream.outputs.release }
    )
    expect(run.outputs['failure-reason']).toBe('AnalysisFailed')
    expect(failureLine(run)).toMatch(
      /error-rate: 0\.\d+ is above 0\.01, 1\.5 times what staging measured \(0\) plus 0\.01/
    )
    expect(run.summary).toContain('staging: 0 (bound 0.01)')
  })

  it('a query with no data is reported as inconclusive, and fails the stage unless told to warn', async () => {
    const { namespace, url } = await namespaceFor('staging')
    const noData = `    - name: queue-depth
      query: sum(kube_stage_no_such_metric{namespace="\${NAMESPACE}"})
      count: 1
      successCondition: result < 10
`
    const run = await stage('staging', namespace, url, { app: app(), smoke: checks(noData) }, { soak: '' })
    expect(run.outputs['failure-reason']).toBe('AnalysisInconclusive')
    expect(failureLine(run)).toContain(
      'Analysis: 1 metric(s) inconclusive (no data is not a pass); queue-depth: 1 of 1 measurement(s) had no value (the query returned no data; inconclusiveLimit 0)'
    )
    expect(run.summary).toContain('<td>queue-depth</td><td>⚠️ inconclusive</td><td>—</td>')

    const warned = await stage(
      'staging',
      namespace,
      url,
      { app: app(), smoke: checks(noData) },
      { soak: '', 'analysis-inconclusive': 'warn' }
    )
    expect(warned.outputs.result).toBe('success')
    expect(warned.stdout).toContain('::warning::Analysis: 1 metric(s) inconclusive (no data is not a pass)')
  })
})

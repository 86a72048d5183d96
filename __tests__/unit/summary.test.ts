import { renderSummary, truncateSummary } from '../../src/report/summary.js'
import { newStageRecord } from '../../src/report/record.js'
import { stageOutputs } from '../../src/report/outputs.js'

describe('renderSummary', () => {
  it('renders the verdict, resources and links of a passed stage', () => {
    const record = {
      ...newStageRecord(1000),
      finishedAt: 5200,
      environment: 'staging',
      namespace: 'shop-staging',
      commit: 'abcdef1234567',
      repositoryUrl: 'https://github.com/o/r',
      resources: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'web',
          namespace: 'shop-staging',
          action: 'created' as const,
          readiness: 'Current' as const,
          readyAfterMs: 2100
        }
      ]
    }
    const text = renderSummary(record)
    expect(text).toContain('✅ kube-stage passed')
    expect(text).toContain('environment <b>staging</b>')
    expect(text).toContain('4.2s')
    expect(text).toContain(
      '<td>Deployment</td><td><code>shop-staging/web</code></td><td>created</td><td>✅ ready</td><td>2.1s</td>'
    )
    expect(text).toContain('href="https://github.com/o/r/commit/abcdef1234567">abcdef1<')
  })

  it('escapes outside text in failures', () => {
    const record = {
      ...newStageRecord(0),
      failure: {
        code: 'PreflightFailed' as const,
        message: 'rejected <script>',
        details: ['Deployment/x: "bad" & <worse>']
      }
    }
    const text = renderSummary(record)
    expect(text).toContain('❌ kube-stage failed')
    expect(text).toContain('rejected &lt;script&gt;')
    expect(text).toContain('&quot;bad&quot; &amp; &lt;worse&gt;')
    expect(text).not.toContain('<script>')
  })

  it('leaves out whole sections that do not fit, keeps the later ones that do, and says so', () => {
    const text = truncateSummary(['a'.repeat(60), 'b'.repeat(60), '', 'c'], 300)
    expect(text.startsWith(`${'a'.repeat(60)}c`)).toBe(true)
    expect(text).not.toContain('bbb')
    expect(text).toContain('Summary truncated: 1 section(s) did not fit')
    expect(truncateSummary(['a', '', 'b'], 300)).toBe('ab')
  })

  it('stays under 1 MiB with a huge resource table, keeping the warnings after it', () => {
    const record = {
      ...newStageRecord(0),
      finishedAt: 1,
      failure: { code: 'Timeout' as const, message: 'm', details: [] },
      resources: Array.from({ length: 20_000 }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: `config-${i}-${'x'.repeat(40)}`,
        namespace: 'ns',
        action: 'created' as const
      })),
      warnings: ['the warning at the end']
    }
    const text = renderSummary(record)
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024)
    expect(text).toContain('Failure: <code>Timeout</code>')
    expect(text).toContain('the warning at the end')
    expect(text).toContain('Summary truncated')
  })

  it('puts server text where markdown cannot turn it into a link or an image', () => {
    const text = renderSummary({
      ...newStageRecord(0),
      failure: {
        code: 'PreflightFailed',
        message: 'denied: see [here](https://evil.example) <img>',
        details: []
      }
    })
    expect(text).toContain('<p>denied: see [here](https://evil.example) &lt;img&gt;</p>')
  })
})

describe('stageOutputs', () => {
  it('gives result, failure-reason and resources JSON', () => {
    const outputs = stageOutputs({
      ...newStageRecord(0),
      failure: { code: 'Timeout', message: 'm', details: [] }
    })
    expect(outputs.result).toBe('failure')
    expect(outputs['failure-reason']).toBe('Timeout')
    expect(JSON.parse(outputs.resources)).toEqual([])
  })
})

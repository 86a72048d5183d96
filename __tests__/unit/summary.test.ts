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

  it('truncates at a section boundary with a note', () => {
    const text = truncateSummary(['a'.repeat(60), 'b'.repeat(60), 'c'], 300)
    expect(text.startsWith('a'.repeat(60))).toBe(true)
    expect(text).not.toContain('bbb')
    expect(text).toContain('Summary truncated: 2 more section(s)')
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

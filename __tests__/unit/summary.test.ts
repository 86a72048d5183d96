import { renderSummary, truncateSummary } from '../../src/report/summary.js'
import { newStageRecord, type StrategyRecord } from '../../src/report/record.js'
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

describe('smoke section', () => {
  const check = (name: string, extra: object = {}) => ({
    name,
    type: 'http' as const,
    passed: true,
    attempts: 1,
    durationMs: 30,
    ...extra
  })

  it('says above the table when each service first answered, escaped', () => {
    const text = renderSummary({
      ...newStageRecord(0),
      smoke: [
        check('health', { target: 'http://shop.example:8080', targetAnsweredAfterMs: 1234 }),
        check('api', { target: 'http://shop.example:8080', targetAnsweredAfterMs: 1234 }),
        check('script', { type: 'script' }),
        check('other', { passed: false, target: 'https://<b>other</b>.example' })
      ]
    })
    const section = text.slice(text.indexOf('### Smoke checks'))
    expect(section).toContain(
      '<p>Service <code>http://shop.example:8080</code> first answered after 1.2s</p>'
    )
    expect(section).toContain(
      '<p>Service <code>https://&lt;b&gt;other&lt;/b&gt;.example</code> never answered</p>'
    )
    expect(section.match(/first answered/g)).toHaveLength(1)
    expect(section.indexOf('first answered')).toBeLessThan(section.indexOf('<table>'))
    expect(section).not.toContain('<b>other')
  })

  it('says nothing about first answers when no HTTP check ran', () => {
    const text = renderSummary({ ...newStageRecord(0), smoke: [check('script', { type: 'script' })] })
    expect(text).toContain('### Smoke checks')
    expect(text).not.toMatch(/answered/)
  })

  it('links the environment without the user:password@ of its URL', () => {
    const text = renderSummary({
      ...newStageRecord(0),
      environmentUrl: 'https://admin:hunter2pass@shop.example/'
    })
    expect(text).toContain('<a href="https://shop.example/">environment</a>')
    expect(text).not.toContain('hunter2pass')
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

describe('text from outside in the summary', () => {
  it('never carries a blank line that would end the HTML block', async () => {
    const { escapeHtml } = await import('../../src/report/html.js')
    const escaped = escapeHtml('first\n\n# not a heading\r\n<b>')
    expect(escaped).not.toMatch(/[\r\n]/)
    expect(escaped).toBe('first&#10;&#10;# not a heading&#13;&#10;&lt;b&gt;')
  })
})

describe('outside text in the summary never becomes markdown', () => {
  const link = '[Approve production](https://evil.example/approve) ![x](https://evil.example/x.png)'
  const record = {
    ...newStageRecord(0),
    finishedAt: 10,
    mode: 'plan' as const,
    environment: link,
    namespace: link,
    clusterVersion: link,
    rollback: { restored: [link], ready: true, message: link, failed: [link] },
    parity: { from: link, mode: 'warn' as const, differences: [] },
    plan: [{ kind: 'ConfigMap', name: link, action: 'unchanged' as const }]
  }

  it('keeps every line that holds it inside an HTML block, escaped', () => {
    const text = renderSummary(record)
    const lines = text.split('\n').filter(l => l.includes('Approve production'))
    // One line for each place: verdict, links, rollback, parity, unchanged plan entries.
    expect(lines.length).toBeGreaterThanOrEqual(5)
    // A line that starts with an HTML block tag is raw HTML to GitHub up to the next blank line:
    // no link, no image. A line that starts with anything else is markdown.
    for (const line of lines) expect(line).toMatch(/^<(p|h3|table|tr|ul|li|details)[ >]/)
  })

  it('says the pruned objects in HTML too', () => {
    const text = renderSummary({ ...record, mode: 'apply' as const, pruned: [link] })
    const pruned = text.split('\n').find(l => l.includes('No longer in the manifests'))
    expect(pruned).toMatch(/^<p>/)
  })
})

describe('strategy section', () => {
  const step = (name: string, share: number, pods: [number, number], extra: object = {}) => ({
    name,
    share,
    pods: { new: pods[0], stable: pods[1] },
    startedAt: 0,
    durationMs: 30_000,
    passed: true,
    ...extra
  })
  const section = (strategy: StrategyRecord) => {
    const text = renderSummary({ ...newStageRecord(0), strategy })
    return text.slice(text.indexOf('### Strategy'), text.indexOf('</table>') + '</table>'.length)
  }

  it('says a stopped canary never left the stable version, and how much of the pods it had for how long', () => {
    const text = section({
      name: 'canary',
      deployments: ['Deployment/shop'],
      steps: [
        step('canary 10%', 1 / 11, [1, 10], {
          durationMs: 65_000,
          passed: false,
          failure: 'smoke check health: expected 200, got 503 <script>alert(1)</script>'
        })
      ],
      outcome: 'stopped',
      exposure: { share: 1 / 11, ms: 65_000 }
    })
    expect(text.startsWith('### Strategy: canary\n\n')).toBe(true)
    expect(text).toContain(
      '❌ Stopped: Deployment/shop never left the stable version; the new version had at most 9.1% of the pods behind the Services (so about that share of the requests) for 1m5s.'
    )
    expect(text).toContain(
      "<tr><th>Step</th><th>New version's share</th><th>Pods</th><th>Took</th><th>Result</th></tr>"
    )
    expect(text).toContain(
      '<tr><td>canary 10%</td><td>9.1%</td><td>1 new, 10 stable</td><td>1m5s</td><td>❌ smoke check health: expected 200, got 503 &lt;script&gt;alert(1)&lt;/script&gt;</td></tr>'
    )
    expect(text).not.toContain('<script>')
  })

  it('says a canary stopped before any pod of it ran had none of the traffic', () => {
    const text = section({
      name: 'canary',
      deployments: ['Deployment/shop'],
      steps: [step('canary 10%', 1 / 11, [1, 10], { passed: false })],
      outcome: 'stopped'
    })
    expect(text).toContain(
      '❌ Stopped: Deployment/shop never left the stable version, and the new version had none of the traffic.'
    )
    expect(text).toContain('<td>❌ failed</td>')
  })

  it('lists every step of a promoted canary, one row each', () => {
    const text = section({
      name: 'canary',
      deployments: ['Deployment/shop', 'Deployment/cart'],
      steps: [step('canary 10%', 2 / 22, [2, 20]), step('canary 50%', 0.5, [20, 20], { durationMs: 4200 })],
      outcome: 'promoted'
    })
    expect(text).toContain('✅ Every step passed: Deployment/shop, Deployment/cart now run the new version.')
    const rows = text.split('\n').filter(l => l.startsWith('<tr><td>'))
    expect(rows).toEqual([
      '<tr><td>canary 10%</td><td>9.1%</td><td>2 new, 20 stable</td><td>30.0s</td><td>✅ passed</td></tr>',
      '<tr><td>canary 50%</td><td>50%</td><td>20 new, 20 stable</td><td>4.2s</td><td>✅ passed</td></tr>'
    ])
  })

  it('says a blue-green that switched back had all the traffic, and shows the preview as none', () => {
    const text = section({
      name: 'blue-green',
      deployments: ['Deployment/shop'],
      steps: [
        step('preview', 0, [4, 4]),
        step('switched', 1, [4, 4], { passed: false, durationMs: 12_000, failure: 'soak: pod restarted' })
      ],
      outcome: 'switched back',
      exposure: { share: 1, ms: 12_000 }
    })
    expect(text.startsWith('### Strategy: blue-green\n\n')).toBe(true)
    expect(text).toContain(
      '❌ Switched back: the Services select the stable version again; the new version had all the traffic for 12.0s.'
    )
    expect(text).toContain(
      '<tr><td>preview</td><td>none (preview)</td><td>4 new, 4 stable</td><td>30.0s</td><td>✅ passed</td></tr>'
    )
    expect(text).toContain(
      '<tr><td>switched</td><td>100%</td><td>4 new, 4 stable</td><td>12.0s</td><td>❌ soak: pod restarted</td></tr>'
    )
  })

  it('says when there was nothing to take step by step, and nothing without a strategy', () => {
    const text = renderSummary({
      ...newStageRecord(0),
      strategy: { name: 'blue-green', deployments: [], steps: [] }
    })
    expect(text).toContain(
      "### Strategy: blue-green\n\nNo step was taken: no live Deployment's pod template changed, or no Service selected its pods (see the warnings). Changes were applied as a rolling update.\n"
    )
    expect(renderSummary(newStageRecord(0))).not.toContain('### Strategy')
  })

  it('says when every step passed but the Deployments did not reach the new version', () => {
    const text = section({
      name: 'canary',
      deployments: ['Deployment/shop'],
      steps: [step('canary 10%', 1 / 11, [1, 10])]
    })
    expect(text).toContain('❌ The steps passed, but the Deployments did not reach the new version')
  })
})

import {
  isCidr,
  isolationPolicy,
  PROBE_EXIT,
  probeClient,
  probePolicy,
  probeVerdict
} from '../../src/kube/isolation/policy.js'
import { renderSummary } from '../../src/report/summary.js'
import { newStageRecord } from '../../src/report/record.js'

describe('the isolation policy', () => {
  const from = (policy: ReturnType<typeof isolationPolicy>) =>
    (policy.spec as { ingress: { from: unknown[] }[] }).ingress[0].from

  it('admits this environment, its aliases and namespaces without an environment; nothing else', () => {
    const policy = isolationPolicy('shop-prod', 'production')
    expect((policy.spec as { policyTypes: string[] }).policyTypes).toEqual(['Ingress'])
    // Every pod but the probe's target, which the probe policy alone must judge.
    expect((policy.spec as { podSelector: unknown }).podSelector).toEqual({
      matchExpressions: [{ key: 'kube-stage.dev/isolation-probe', operator: 'DoesNotExist' }]
    })
    expect(from(policy)).toEqual([
      {
        namespaceSelector: {
          matchExpressions: [{ key: 'environment', operator: 'In', values: ['prd', 'prod', 'production'] }]
        }
      },
      // The ingress controller's and monitoring's namespaces carry no environment label.
      { namespaceSelector: { matchExpressions: [{ key: 'environment', operator: 'DoesNotExist' }] } }
    ])
  })

  it('admits the address ranges the user names', () => {
    expect(from(isolationPolicy('shop', 'staging', ['10.0.0.0/16']))).toContainEqual({
      ipBlock: { cidr: '10.0.0.0/16' }
    })
  })

  it('takes CIDRs only', () => {
    for (const good of ['10.0.0.0/16', '0.0.0.0/0', '2001:db8::/32']) expect(isCidr(good)).toBe(true)
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '300.0.0.0/8', 'a/b', '10.0.0.0/16/1', 'fe80::/129'])
      expect(isCidr(bad)).toBe(false)
  })
})

describe('the isolation probe', () => {
  it("opens the admitted port to this environment and the refused one only to others'", () => {
    const spec = probePolicy('shop', 'staging').spec as {
      podSelector: unknown
      ingress: { ports: { port: number }[]; from: { namespaceSelector: { matchExpressions: unknown[] } }[] }[]
    }
    expect(spec.podSelector).toEqual({ matchLabels: { 'kube-stage.dev/isolation-probe': 'target' } })
    expect(spec.ingress[0].ports[0].port).toBe(8081)
    expect(spec.ingress[0].from[0].namespaceSelector.matchExpressions).toEqual([
      { key: 'environment', operator: 'In', values: ['stage', 'staging', 'stg'] }
    ])
    expect(spec.ingress[1].ports[0].port).toBe(8080)
    expect(spec.ingress[1].from[0].namespaceSelector.matchExpressions).toEqual([
      { key: 'environment', operator: 'Exists' },
      { key: 'environment', operator: 'NotIn', values: ['stage', 'staging', 'stg'] }
    ])
  })

  it('runs a client that needs the admitted port before it judges the refused one', () => {
    const pod = probeClient('shop', 'busybox:1.37', '10.245.0.7')
    const container = (
      pod.spec as { containers: { command: string[]; env: object[]; securityContext: object }[] }
    ).containers[0]
    const script = container.command[2]
    expect(script.indexOf('until answers 8081')).toBeLessThan(script.indexOf('while answers 8080'))
    expect(script).toContain(`exit ${PROBE_EXIT.controlUnreachable}`)
    // The address reaches the script as data, never as shell text.
    expect(script).not.toContain('10.245.0.7')
    expect(container.env).toEqual([{ name: 'TARGET', value: '10.245.0.7' }])
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false })
  })

  it("reads the client's exit code as a verdict", () => {
    expect(probeVerdict(0)).toEqual({ state: 'enforced' })
    expect(probeVerdict(10)).toEqual({ state: 'not-enforced' })
    expect(probeVerdict(3)).toMatchObject({ state: 'inconclusive', reason: expect.stringContaining('8081') })
    expect(probeVerdict(137)).toMatchObject({ state: 'inconclusive', reason: expect.stringContaining('137') })
  })
})

describe('the summary', () => {
  it('says whether isolation was verified', () => {
    const base = { ...newStageRecord(0), finishedAt: 1 }
    expect(
      renderSummary({ ...base, isolation: { verdict: { state: 'enforced' }, elapsedMs: 4200 } })
    ).toContain('✅ verified: the network enforces NetworkPolicy')
    expect(
      renderSummary({ ...base, isolation: { verdict: { state: 'not-enforced' }, elapsedMs: 4200 } })
    ).toContain('⚠️ not in effect')
    expect(
      renderSummary({
        ...base,
        isolation: { verdict: { state: 'inconclusive', reason: 'pod <x>' }, elapsedMs: 1 }
      })
    ).toContain('⚠️ not verified: pod &lt;x&gt;')
  })
})

/**
 * The job summary, rendered from a StageRecord by a pure function. Markdown
 * for the headings the stage writes itself, HTML for everything that holds outside
 * text (GitHub renders no markdown inside an HTML block, which runs to the next
 * blank line, so a name like `[Approve](https://…)` cannot become a link or an
 * image), and every piece of outside text escaped, line breaks included.
 */
import { formatDuration } from '../duration.js'
import { withoutCredentials } from '../redact.js'
import type { TargetAnswer } from '../smoke/run.js'
import { escapeHtml } from './html.js'
import { formatShare } from '../strategy/plan.js'
import { planCounts, type PlanEntry } from './plan.js'
import { stageResult, type StageRecord, type ResourceRecord, type StrategyRecord } from './record.js'

/** GitHub refuses step summaries above 1 MiB; stay well below it. */
export const SUMMARY_LIMIT_BYTES = 1000 * 1024

const READINESS_ICON: Record<string, string> = {
  Current: '✅ ready',
  InProgress: '⏳ not ready',
  Failed: '❌ failed'
}

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`
}

function table(headers: string[], rows: string[][]): string {
  const head = `<tr>${headers.map(h => `<th>${h}</th>`).join('')}</tr>`
  const body = rows.map(r => `<tr>${r.map(c => `<td>${c}</td>`).join('')}</tr>`).join('\n')
  return `<table>\n${head}\n${body}\n</table>\n`
}

function verdict(record: StageRecord): string {
  const passed = stageResult(record) === 'success'
  const title =
    record.mode === 'plan'
      ? passed
        ? '📋 kube-stage plan'
        : '❌ kube-stage plan failed'
      : passed
        ? '✅ kube-stage passed'
        : '❌ kube-stage failed'
  const duration = record.finishedAt ? formatDuration(record.finishedAt - record.startedAt) : '?'
  const where = [
    record.environment && `environment <b>${escapeHtml(record.environment)}</b>`,
    record.namespace && `namespace ${code(record.namespace)}`
  ]
    .filter(Boolean)
    .join(', ')
  return `## ${title}\n\n<p>${where}${where ? ' · ' : ''}${duration}</p>\n\n`
}

function links(record: StageRecord): string {
  const parts: string[] = []
  if (record.commit) {
    const short = escapeHtml(record.commit.slice(0, 7))
    parts.push(
      record.repositoryUrl
        ? `commit <a href="${escapeHtml(`${record.repositoryUrl}/commit/${record.commit}`)}">${short}</a>`
        : `commit ${short}`
    )
  }
  if (record.runUrl) parts.push(`<a href="${escapeHtml(record.runUrl)}">workflow run</a>`)
  if (record.environmentUrl)
    parts.push(`<a href="${escapeHtml(withoutCredentials(record.environmentUrl))}">environment</a>`)
  if (record.clusterVersion) parts.push(`cluster ${escapeHtml(record.clusterVersion)}`)
  return parts.length ? `<p>${parts.join(' · ')}</p>\n\n` : ''
}

function failureSection(record: StageRecord): string {
  const failure = record.failure
  if (!failure) return ''
  const where = failure.location
    ? ` (${escapeHtml(failure.location.file)}${failure.location.line ? `:${failure.location.line}` : ''})`
    : ''
  // Inside <p>, outside text is not read as markdown: a server message cannot become a link or image.
  let out = `### Failure: ${code(failure.code)}${where}\n\n<p>${escapeHtml(failure.message)}</p>\n\n`
  if (failure.details.length)
    out += `<ul>\n${failure.details.map(d => `<li>${escapeHtml(d)}</li>`).join('\n')}\n</ul>\n\n`
  for (const evidence of failure.evidence ?? []) {
    out += `<details><summary>${escapeHtml(evidence.title)}</summary>\n\n<pre>${escapeHtml(evidence.text)}</pre>\n\n</details>\n\n`
  }
  return out
}

function rollbackSection(record: StageRecord): string {
  const rollback = record.rollback
  if (!rollback) return ''
  const verified = rollback.verified
  const state = !rollback.ready
    ? '⚠️ not ready again'
    : verified && !verified.passed
      ? `❌ restored, but the restored version fails its smoke checks too (${escapeHtml(verified.failed.join('; '))})`
      : `✅ serving the previous version again${verified ? ', and its smoke checks pass' : ''}`
  const failed = rollback.failed.length
    ? `<br>Could not roll back: ${rollback.failed.map(escapeHtml).join('; ')}`
    : ''
  const removed = rollback.removed?.length
    ? `<br>Removed, as this stage had created it: ${rollback.removed.map(r => code(r)).join(', ')}`
    : ''
  return `### Rolled back\n\n<p>${rollback.restored.map(r => code(r)).join(', ') || 'nothing'}: ${state} (${escapeHtml(rollback.message)})${failed}${removed}</p>\n\n`
}

function resourceRow(r: ResourceRecord): string[] {
  return [
    escapeHtml(r.kind),
    code(r.namespace ? `${r.namespace}/${r.name}` : r.name),
    r.action ?? '—',
    r.readiness
      ? `${READINESS_ICON[r.readiness]}${r.readinessMessage && r.readiness !== 'Current' ? `: ${escapeHtml(r.readinessMessage)}` : ''}`
      : '—',
    r.readyAfterMs !== undefined ? formatDuration(r.readyAfterMs) : '—'
  ]
}

function resourcesSection(record: StageRecord): string {
  if (record.resources.length === 0) return ''
  return `### Resources\n\n${table(['Kind', 'Name', 'Change', 'Readiness', 'Ready after'], record.resources.map(resourceRow))}\n`
}

const PRE_DEPLOY_ICON = { succeeded: '✅', failed: '❌', 'too slow': '⏱️', skipped: '⏭️' } as const

function preDeploySection(record: StageRecord): string {
  if (!record.preDeploy?.length) return ''
  return `### Pre-deploy Jobs

Run to completion before any workload was applied.

${jobsTable(record.preDeploy)}
`
}

function postDeploySection(record: StageRecord): string {
  if (!record.postDeploy?.length) return ''
  return `### Post-deploy hooks

Helm post-install and post-upgrade hooks, run once the rollout was ready and before the smoke checks.

${jobsTable(record.postDeploy)}
`
}

function jobsTable(jobs: NonNullable<StageRecord['preDeploy']>): string {
  const rows = jobs.map(p => [
    code(p.job),
    `${PRE_DEPLOY_ICON[p.outcome]} ${p.outcome === 'skipped' ? 'already completed with this spec' : p.outcome}`,
    p.durationMs === undefined ? '—' : formatDuration(p.durationMs),
    p.budgetMs === undefined ? '—' : formatDuration(p.budgetMs)
  ])
  return table(['Job', 'Result', 'Duration', 'Budget'], rows)
}

function imagesSection(record: StageRecord): string {
  if (record.images.length === 0) return ''
  const rows = record.images.map(i => [
    escapeHtml(i.workload),
    escapeHtml(i.container),
    code(i.image),
    i.digest ? code(i.digest) : '—'
  ])
  return `### Images\n\n${table(['Workload', 'Container', 'Image', 'Running digest'], rows)}\n`
}

/** When each service the checks asked first answered at all (it may need a moment after a rollout). */
function firstAnswers(smoke: readonly TargetAnswer[]): string {
  const targets = new Map<string, number | undefined>()
  for (const r of smoke) {
    if (r.target === undefined) continue
    if (!targets.has(r.target) || targets.get(r.target) === undefined)
      targets.set(r.target, r.targetAnsweredAfterMs)
  }
  return [...targets]
    .map(
      ([target, after]) =>
        `<p>Service ${code(target)} ${after === undefined ? 'never answered' : `first answered after ${formatDuration(after)}`}</p>\n\n`
    )
    .join('')
}

function smokeSection(record: StageRecord): string {
  if (!record.smoke?.length) return ''
  // Results from runSmokeChecks carry when their service first answered (smoke/run.ts).
  const answers = firstAnswers(record.smoke as readonly TargetAnswer[])
  const rows = record.smoke.map(r => [
    escapeHtml(r.name),
    r.passed ? '✅ passed' : '❌ failed',
    String(r.attempts),
    formatDuration(r.durationMs),
    r.lastStatus !== undefined ? String(r.lastStatus) : '—',
    r.reason ? escapeHtml(r.reason) : ''
  ])
  let out = `### Smoke checks\n\n${answers}${table(['Check', 'Result', 'Attempts', 'Duration', 'Last status', 'Details'], rows)}\n`
  for (const failed of record.smoke.filter(r => !r.passed && (r.bodyExcerpt || r.output))) {
    const title = failed.output !== undefined ? 'output' : 'response body (first 2 KB)'
    out += `<details><summary>${escapeHtml(failed.name)}: ${title}</summary>\n\n<pre>${escapeHtml(failed.output ?? failed.bodyExcerpt ?? '')}</pre>\n\n</details>\n\n`
  }
  return out
}

function soakSection(record: StageRecord): string {
  const soak = record.soak
  if (!soak) return ''
  const smoke = soak.rounds > 0 ? `, ${soak.rounds} round(s) of smoke checks passed` : ''
  const outcome = soak.passed
    ? `✅ ${soak.pods} pod(s) of the new revision watched for ${formatDuration(soak.watchedMs)}${smoke}: no restart, OOM kill, lost readiness or eviction.`
    : `❌ Failed after ${formatDuration(soak.watchedMs)} of ${formatDuration(soak.plannedMs)}: ${escapeHtml(soak.failure ?? 'the soak did not finish')}${smoke}.`
  return `### Soak\n\n${outcome}\n`
}

function strategySection(record: StrategyRecord | undefined): string {
  if (!record) return ''
  const head = `### Strategy: ${record.name}\n\n`
  if (record.steps.length === 0)
    return `${head}No step was taken: no live Deployment's pod template changed, or no Service selected its pods (see the warnings). Changes were applied as a rolling update.\n`
  const rows = record.steps.map(step => [
    escapeHtml(step.name),
    step.name === 'preview' ? 'none (preview)' : formatShare(step.share),
    `${step.pods.new} new, ${step.pods.stable} stable`,
    formatDuration(step.durationMs),
    step.passed ? '✅ passed' : `❌ ${escapeHtml(step.failure ?? 'failed')}`
  ])
  const exposure = record.exposure
  const outcome =
    record.outcome === 'promoted'
      ? `✅ Every step passed: ${escapeHtml(record.deployments.join(', '))} now run the new version.`
      : record.outcome === 'stopped'
        ? `❌ Stopped: ${escapeHtml(record.deployments.join(', '))} never left the stable version${
            exposure && exposure.share > 0
              ? `; the new version had at most ${formatShare(exposure.share)} of the pods behind the Services (so about that share of the requests) for ${formatDuration(exposure.ms)}`
              : ', and the new version had none of the traffic'
          }.`
        : record.outcome === 'switched back'
          ? `❌ Switched back: the Services select the stable version again; the new version had all the traffic for ${formatDuration(exposure?.ms ?? 0)}.`
          : '❌ The steps passed, but the Deployments did not reach the new version (see the failure above).'
  return `${head}${outcome}\n\n${table(['Step', "New version's share", 'Pods', 'Took', 'Result'], rows)}\n`
}

function analysisSection(record: StageRecord): string {
  if (!record.analysis?.length) return ''
  const icon = { Successful: '✅ passed', Failed: '❌ failed', Inconclusive: '⚠️ inconclusive' }
  const value = (v: number | null | undefined) =>
    v === null || v === undefined ? '—' : String(Number(v.toPrecision(4)))
  const rows = record.analysis.map(r => [
    escapeHtml(r.name),
    icon[r.phase],
    r.values.map(value).join(', ') || '—',
    r.upstream
      ? `${escapeHtml(r.upstream.environment)}: ${value(r.upstream.value)} (bound ${value(r.upstream.limit)})`
      : '—',
    escapeHtml(r.reason)
  ])
  return `### Analysis\n\n${table(['Metric', 'Result', 'Measured', 'Upstream', 'Details'], rows)}\n`
}

function paritySection(record: StageRecord): string {
  const parity = record.parity
  if (!parity) return ''
  const unexpected = parity.differences.filter(d => !d.expected)
  const head = `<h3>Parity with ${escapeHtml(parity.from)}</h3>\n\n`
  if (parity.differences.length === 0) return `${head}<p>No configuration differences.</p>\n\n`
  // Grouped by object (or ConfigMap, or container), so a reader sees what changed where.
  const group = (d: (typeof parity.differences)[number]) =>
    d.object ?? d.path.split('/').slice(0, -1).join('/')
  const sorted = [...parity.differences].sort((a, b) => group(a).localeCompare(group(b)))
  const rows = sorted.map(d => [
    code(group(d)),
    escapeHtml(d.message),
    d.declareWith ? code(d.declareWith) : '',
    d.expected ? 'expected' : parity.mode === 'fail' ? '❌ unexpected' : '⚠️ unexpected'
  ])
  return `${head}<p>${unexpected.length} unexpected, ${parity.differences.length - unexpected.length} expected difference(s).</p>\n\n${table(['Where', 'Difference', 'Declare with (parity-expected)', ''], rows)}\n`
}

const PLAN_ICON: Record<PlanEntry['action'], string> = {
  created: '➕ create',
  changed: '✏️ change',
  unchanged: 'unchanged',
  pruned: '🗑️ prune'
}

/** A value as a reviewer reads it: JSON, in <code>; "(none)" for a field that is not there. */
function planValue(value: unknown): string {
  return value === undefined ? '<i>(none)</i>' : code(JSON.stringify(value))
}

function planFields(entry: PlanEntry): string {
  if (entry.action !== 'changed') return ''
  if (!entry.fields) return ''
  if (entry.fields.length === 0) return '<i>no field changes: kube-stage takes over their ownership</i>'
  return entry.fields
    .map(f =>
      'before' in f || 'after' in f
        ? `${code(f.path)}: ${planValue(f.before)} → ${planValue(f.after)}`
        : code(f.path)
    )
    .join('<br>')
}

/** Plan mode: per object, what applying would do, the changed fields, what prune would delete. */
function planSection(record: StageRecord): string {
  if (record.mode !== 'plan' || !record.plan) return ''
  const counts = planCounts(record.plan)
  const head = `### Plan\n\n<p>${counts.created} to create, ${counts.changed} to change, ${counts.unchanged} unchanged, ${counts.pruned} to prune. Nothing was written.</p>\n\n`
  const shown = record.plan.filter(e => e.action !== 'unchanged')
  const rows = shown.map(e => [
    PLAN_ICON[e.action],
    escapeHtml(e.kind),
    code(e.namespace ? `${e.namespace}/${e.name}` : e.name),
    planFields(e)
  ])
  const unchanged = record.plan.filter(e => e.action === 'unchanged')
  const rest = unchanged.length
    ? `<details><summary>${unchanged.length} unchanged</summary>\n\n<p>${unchanged.map(e => code(`${e.kind}/${e.name}`)).join(', ')}</p>\n\n</details>\n\n`
    : ''
  return `${head}${rows.length ? table(['Change', 'Kind', 'Name', 'Fields'], rows) + '\n' : ''}${rest}`
}

function prunedSection(record: StageRecord): string {
  if (record.mode === 'plan' || !record.pruned?.length) return ''
  return `### Pruned\n\n<p>No longer in the manifests, deleted after the stage passed: ${record.pruned.map(p => code(p)).join(', ')}</p>\n\n`
}

function isolationSection(record: StageRecord): string {
  const isolation = record.isolation
  if (!isolation) return ''
  const { verdict } = isolation
  const said =
    verdict.state === 'enforced'
      ? '✅ verified: the network enforces NetworkPolicy, and a probe pod of this environment was refused where only another environment is admitted, and admitted where this one is'
      : verdict.state === 'not-enforced'
        ? '⚠️ not in effect: the network does not enforce NetworkPolicy (a probe pod reached a port its policy closes to it)'
        : `⚠️ not verified: ${escapeHtml(verdict.reason)}`
  return `### Isolation\n\n<p>${said} (probe: ${formatDuration(isolation.elapsedMs)})</p>\n\n`
}

function warningsSection(record: StageRecord): string {
  if (record.warnings.length === 0) return ''
  return `### Warnings\n\n<ul>\n${record.warnings.map(w => `<li>${escapeHtml(w)}</li>`).join('\n')}\n</ul>\n\n`
}

/**
 * Leaves out whole sections that would pass the limit (so no HTML element is
 * left open), keeps the later ones that still fit, and says what was left out.
 */
export function truncateSummary(sections: string[], limit = SUMMARY_LIMIT_BYTES): string {
  const noteRoom = 200
  let out = ''
  let omitted = 0
  for (const section of sections.filter(s => s !== '')) {
    if (Buffer.byteLength(out + section) > limit - noteRoom) omitted++
    else out += section
  }
  return omitted === 0
    ? out
    : `${out}\n> ⚠️ Summary truncated: ${omitted} section(s) did not fit GitHub's 1 MiB limit; see the job log.\n`
}

export function renderSummary(record: StageRecord): string {
  return truncateSummary([
    verdict(record),
    links(record),
    failureSection(record),
    rollbackSection(record),
    planSection(record),
    preDeploySection(record),
    postDeploySection(record),
    resourcesSection(record),
    prunedSection(record),
    imagesSection(record),
    smokeSection(record),
    strategySection(record.strategy),
    soakSection(record),
    analysisSection(record),
    paritySection(record),
    isolationSection(record),
    warningsSection(record)
  ])
}

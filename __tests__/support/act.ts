/**
 * Workflows run by a real workflow engine: nektos/act (built by test/cluster/act.sh), every step on
 * this host (`-P ubuntu-latest=-self-hosted`), `kube-stage/kube-stage@v0` mapped to this checkout's
 * action.yml and dist/, Node 24 first on PATH (act runs node actions with the first `node` it
 * finds) and the cluster build's kubectl beside it (the renderer a hosted runner has). act's log is parsed into what a
 * person reads on GitHub: each job's result, its steps' outputs and its step summaries.
 */
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from './action.js'
import { clusterToolsDir } from './cluster.js'

let actDir: string | undefined
/** The directory holding act, built (or reused) by test/cluster/act.sh. Throws with its log when it cannot be. */
export function actBinary(): string {
  if (actDir) return path.join(actDir, 'act')
  try {
    const out = execFileSync(path.join(REPO_ROOT, 'test/cluster/act.sh'), ['build'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe']
    })
    actDir = out.trim().split('\n').pop()!
  } catch (error) {
    const { stderr } = error as { stderr?: string }
    throw new Error(
      `act could not be built (test/cluster/act.sh build): ${stderr || (error as Error).message}`
    )
  }
  return path.join(actDir, 'act')
}

let published: string | undefined
/**
 * The action as a release tag holds it for a runner: action.yml and the bundle (dist/), no
 * node_modules. act copies the whole directory a --local-repository names into every job that uses
 * it, which for the checkout (half a gigabyte of node_modules) cost 13 to 50 s per step here, against
 * under a second for this; and a bundle that still needed node_modules would fail here, as on GitHub.
 */
function publishedAction(): string {
  if (published) return published
  published = mkdtempSync(path.join(tmpdir(), 'kube-stage-action-'))
  cpSync(path.join(REPO_ROOT, 'action.yml'), path.join(published, 'action.yml'))
  cpSync(path.join(REPO_ROOT, 'dist'), path.join(published, 'dist'), { recursive: true })
  return published
}

const repositories: string[] = []
/** Removes the copy of the action (22 MB of bundle) and the repositories made, once a test file is done. */
export function removeActFiles(): void {
  for (const dir of [published, ...repositories.splice(0)])
    if (dir) rmSync(dir, { recursive: true, force: true })
  published = undefined
}

/**
 * A repository as a user's would be: the files given (paths relative to this checkout, copied to
 * the same place), the workflow under .github/workflows/, one commit on main. act replaces
 * actions/checkout of the workflow's own repository by a copy of this directory.
 */
export function workflowRepository(
  workflow: string,
  copies: string[],
  change?: (root: string) => void
): { root: string; commit: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'kube-stage-repo-'))
  repositories.push(root)
  for (const copy of copies) cpSync(path.join(REPO_ROOT, copy), path.join(root, copy), { recursive: true })
  mkdirSync(path.join(root, '.github/workflows'), { recursive: true })
  cpSync(path.join(REPO_ROOT, workflow), path.join(root, '.github/workflows', path.basename(workflow)))
  change?.(root)
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=octocat', '-c', 'user.email=octocat@example.com', ...args], {
      cwd: root,
      encoding: 'utf8'
    }).trim()
  git('init', '--quiet', '--initial-branch=main')
  git('add', '.')
  git('commit', '--quiet', '--message', 'the change being deployed')
  return { root, commit: git('rev-parse', 'HEAD') }
}

export interface ActJob {
  result?: 'succeeded' | 'failed'
  /** Every line act printed for this job, without its `[workflow/job]` prefix. */
  log: string[]
  outputs: Record<string, string>
  /** Each step summary the job wrote, in order. */
  summaries: string[]
}

export interface ActRun {
  code: number
  text: string
  durationMs: number
  jobs: Record<string, ActJob>
}

/**
 * act's plain log, per job. Lines start `[<workflow>/<job>] `; a step summary is one entry whose
 * later lines carry no prefix. Outputs are the `::set-output:: name=value` lines act prints when
 * a step sets them; results are the `🏁  Job succeeded|failed` lines.
 */
export function parseActLog(text: string): Record<string, ActJob> {
  const jobs: Record<string, ActJob> = {}
  let current: { job: ActJob; summary?: number } | undefined
  for (const line of text.split('\n')) {
    const prefixed = /^\[[^\]/]+\/([^\]]+)\] (.*)$/.exec(line)
    if (!prefixed) {
      if (current?.summary !== undefined) current.job.summaries[current.summary] += `\n${line}`
      continue
    }
    const [, name, rest] = prefixed
    const job = (jobs[name] ??= { log: [], outputs: {}, summaries: [] })
    current = { job }
    job.log.push(rest)
    const output = /⚙ {2}::set-output:: ([^=]+)=(.*)$/.exec(rest)
    if (output) job.outputs[output[1]] = output[2]
    const summary = /⚙ {2}Summary - (.*)$/.exec(rest)
    if (summary) current.summary = job.summaries.push(summary[1]) - 1
    const result = /🏁 {2}Job (succeeded|failed)/.exec(rest)
    if (result) job.result = result[1] as 'succeeded' | 'failed'
  }
  return jobs
}

/**
 * Runs `act <event>` for the repository's one workflow. Secrets are passed by name and read by
 * act from its environment (never on the command line); variables with --var.
 */
export async function runAct(
  repository: string,
  options: {
    event?: string
    /** The event's payload (act's --eventpath), for what the workflow's filters read. */
    payload?: Record<string, unknown>
    secrets?: Record<string, string>
    vars?: Record<string, string>
    env?: Record<string, string>
    timeoutMs?: number
  } = {}
): Promise<ActRun> {
  const act = actBinary()
  const home = mkdtempSync(path.join(tmpdir(), 'kube-stage-act-home-'))
  const args = [
    options.event ?? 'push',
    '--workflows',
    '.github/workflows',
    '--platform',
    'ubuntu-latest=-self-hosted',
    '--local-repository',
    `kube-stage/kube-stage@v0=${publishedAction()}`,
    // No listener of act's own: no workflow here uses actions/cache.
    '--no-cache-server'
  ]
  if (options.payload) {
    const file = path.join(home, 'event.json')
    writeFileSync(file, JSON.stringify(options.payload))
    args.push('--eventpath', file)
  }
  for (const name of Object.keys(options.secrets ?? {})) args.push('--secret', name)
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push('--var', `${name}=${value}`)
  const env = {
    // Node 24 (the node@24 devDependency) first: act runs node24 actions with the first node on PATH.
    PATH: [path.join(REPO_ROOT, 'node_modules/.bin'), clusterToolsDir(), process.env.PATH].join(
      path.delimiter
    ),
    // act keeps its settings and caches under HOME: a fresh one per run leaves nothing behind.
    HOME: home,
    // act asks api.nektosact.com for notices about its version on every run; the tests need no network.
    ACT_DISABLE_VERSION_CHECK: '1',
    ...options.secrets,
    ...options.env
  }
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(act, args, { cwd: repository, env })
    let text = ''
    child.stdout.on('data', chunk => (text += chunk))
    child.stderr.on('data', chunk => (text += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000)
    child.on('error', reject)
    child.on('close', code => {
      clearTimeout(timer)
      rmSync(home, { recursive: true, force: true })
      resolve({ code: code ?? -1, text, durationMs: Date.now() - started, jobs: parseActLog(text) })
    })
  })
}

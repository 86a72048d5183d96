/** `run:` checks: a shell command through @actions/exec; it passes when it exits 0. */
import { getExecOutput } from '@actions/exec'

export interface ScriptOutcome {
  exitCode: number
  /** stdout then stderr, whole: the caller redacts before it cuts. */
  output: string
  timedOut: boolean
}

/** What coreutils' timeout exits with when it had to stop the command (SIGTERM, then SIGKILL). */
const TIMEOUT_EXIT_CODES = new Set([124, 137])

/**
 * coreutils' `timeout` ends the whole command at its deadline (and kills it 5 s
 * later if it ignores SIGTERM), so a hung script cannot outlive the check.
 */
export async function runScript(
  command: string,
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number
): Promise<ScriptOutcome> {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000))
  const started = Date.now()
  const result = await getExecOutput('timeout', ['--kill-after=5', String(seconds), 'bash', '-c', command], {
    env,
    cwd,
    ignoreReturnCode: true,
    silent: true
  })
  return {
    exitCode: result.exitCode,
    output: `${result.stdout}${result.stderr}`,
    // A script may exit 124 or be OOM-killed by itself: only at the deadline was it stopped.
    timedOut: TIMEOUT_EXIT_CODES.has(result.exitCode) && Date.now() - started >= seconds * 1000
  }
}

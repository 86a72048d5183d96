/**
 * `run:` checks: a shell command through @actions/exec; it passes when it exits 0.
 * The command is the check's `run:` text as written in the checks file, never
 * with values spliced in: values (SMOKE_URL, `${NAME}`) reach it only through
 * `env`, and bash expands them as data, so a value holding `;`, `$(...)`,
 * backticks, quotes or newlines is never run as code.
 */
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
 * `command` is passed as one argument of `bash -c` (no shell in between), and
 * `env` is the whole environment of the command. `--noprofile --norc`, as in a
 * workflow's `run:` step: bash reads ~/.bashrc when stdin is a socket (as
 * Node's pipes are) and it guesses it was started by a remote shell daemon.
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
  const result = await getExecOutput(
    'timeout',
    ['--kill-after=5', String(seconds), 'bash', '--noprofile', '--norc', '-c', command],
    {
      env,
      cwd,
      ignoreReturnCode: true,
      silent: true
    }
  )
  return {
    exitCode: result.exitCode,
    output: `${result.stdout}${result.stderr}`,
    // A script may exit 124 or be OOM-killed by itself: only at the deadline was it stopped.
    timedOut: TIMEOUT_EXIT_CODES.has(result.exitCode) && Date.now() - started >= seconds * 1000
  }
}

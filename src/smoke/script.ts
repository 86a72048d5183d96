/** `run:` checks: a shell command through @actions/exec; it passes when it exits 0. */
import { getExecOutput } from '@actions/exec'

export interface ScriptOutcome {
  exitCode: number
  output: string
}

const OUTPUT_LIMIT = 4096

export async function runScript(
  command: string,
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number
): Promise<ScriptOutcome> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    const result = await Promise.race([
      getExecOutput('bash', ['-c', command], { env, cwd, ignoreReturnCode: true, silent: true }),
      new Promise<never>((_, reject) =>
        controller.signal.addEventListener('abort', () =>
          reject(new Error(`did not finish within ${Math.round(timeoutMs / 1000)}s`))
        )
      )
    ])
    const output = `${result.stdout}${result.stderr}`
    return {
      exitCode: result.exitCode,
      output: output.length > OUTPUT_LIMIT ? `…${output.slice(-OUTPUT_LIMIT)}` : output
    }
  } finally {
    clearTimeout(timer)
  }
}

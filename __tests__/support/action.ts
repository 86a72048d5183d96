/**
 * Runs dist/index.js the way the GitHub runner does: Node 24 (the one running
 * jest), INPUT_<NAME> variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..')
export const BUNDLE = path.join(REPO_ROOT, 'dist/index.js')

export interface ActionRun {
  code: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  durationMs: number
}

/** Parses the GITHUB_OUTPUT file format (`name<<delimiter` heredocs, as @actions/core writes them). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value: string[] = []
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i])
      outputs[name] = value.join('\n')
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      outputs[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return outputs
}

export async function runAction(
  inputs: Record<string, string>,
  options: {
    env?: Record<string, string>
    workspace?: string
    timeoutMs?: number
    /** Kills the run (SIGKILL), as a cancelled or crashed runner would end it. */
    kill?: AbortSignal
    /** Each chunk of stdout as it arrives, for tests that act while the stage runs. */
    onStdout?: (chunk: string) => void
  } = {}
): Promise<ActionRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-stage-run-'))
  const outputFile = path.join(dir, 'output')
  const summaryFile = path.join(dir, 'summary')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: options.workspace ?? REPO_ROOT,
    GITHUB_REPOSITORY: 'example/shop',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_WORKFLOW: 'progressive-deploy',
    GITHUB_ACTOR: 'octocat',
    RUNNER_TEMP: dir,
    ...options.env
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE], { env, cwd: options.workspace ?? REPO_ROOT })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => {
      stdout += chunk
      options.onStdout?.(String(chunk))
    })
    options.kill?.addEventListener('abort', () => child.kill('SIGKILL'))
    child.stderr.on('data', chunk => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
        summary: readFileSync(summaryFile, 'utf8'),
        durationMs: Date.now() - started
      })
    })
  })
}

/** The smoke stage's public face: where the checks come from, and running them. */
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import path from 'node:path'
import { StageError } from '../errors.js'
import { defaultSmokeSpec, parseSmokeSpec } from './spec.js'
import type { SmokeSpec } from './types.js'

export { runSmokeChecks, type SmokeOptions } from './run.js'
export { prepareSmokeSpec } from './spec.js'
export type { SmokeResult, SmokeSpec } from './types.js'

/**
 * `smoke-checks` is a path to a YAML file in the workspace, or the YAML itself
 * (anything with a newline or a "checks:" key). With only `smoke-url`, GET /healthz.
 */
export function loadSmokeSpec(input: {
  smokeUrl?: string
  smokeTests?: string
  workspace: string
}): SmokeSpec | undefined {
  const tests = input.smokeTests?.trim()
  if (!tests) return input.smokeUrl ? defaultSmokeSpec() : undefined
  if (tests.includes('\n') || /^\s*(checks|defaults)\s*:/.test(tests))
    return parseSmokeSpec(tests, 'smoke-checks')
  const file = path.resolve(input.workspace, tests)
  if (!existsSync(file))
    throw new StageError(
      'InvalidInput',
      `Input smoke-checks names ${tests}, which does not exist in the workspace.`
    )
  const real = realpathSync(file)
  const workspace = realpathSync(input.workspace)
  if (!real.startsWith(workspace + path.sep))
    throw new StageError('InvalidInput', `Input smoke-checks names ${tests}, which is outside the workspace.`)
  return parseSmokeSpec(readFileSync(real, 'utf8'), path.relative(workspace, real))
}

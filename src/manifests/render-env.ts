/**
 * The environment a renderer (kustomize, helm) runs with. Plan mode renders a
 * pull request's charts and overlays, and both tools can be made to read the
 * environment into their output (Kustomize's env-file loader reads a bare key
 * from it; a chart can read /proc/self/environ). So they get an allow-list, not
 * the action's environment: PATH, a fresh empty HOME and temp directory, and
 * only the variables the user names in `render-env` (a private chart
 * repository's or registry's configuration). Never the action's inputs
 * (INPUT_KUBECONFIG), the runner's tokens or an earlier step's cloud
 * credentials. Pure.
 */
import { StageError } from '../errors.js'

/**
 * Variables that hold the action's inputs or the runner's own credentials: a
 * renderer never needs them, so naming one in render-env is a mistake to refuse.
 */
const NEVER_PASSED = /^(INPUT_|ACTIONS_|GITHUB_TOKEN$|RUNNER_)/i

/** Refuses names that are not environment variable names, or that hold the action's own credentials. */
export function checkRenderEnvNames(names: readonly string[]): string[] {
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new StageError(
        'InvalidInput',
        `Input render-env takes names of environment variables (letters, digits, _), and "${name}" is not one.`
      )
    if (NEVER_PASSED.test(name))
      throw new StageError(
        'InvalidInput',
        `Input render-env names ${name}, which holds the action's inputs or the runner's credentials: renderers never get it. Name only what a private chart repository or registry needs (for example HELM_REGISTRY_CONFIG).`
      )
  }
  return [...names]
}

/**
 * The renderer's whole environment: PATH from `env`, HOME and the temp
 * directory variables set to `home` and `tmp` (fresh, empty directories the
 * caller made), and each `allowed` name that `env` has.
 */
export function renderEnvironment(
  env: NodeJS.ProcessEnv,
  allowed: readonly string[],
  dirs: { home: string; tmp: string }
): Record<string, string> {
  const result: Record<string, string> = {}
  for (const name of allowed) {
    const value = env[name]
    if (value !== undefined) result[name] = value
  }
  if (env.PATH !== undefined) result.PATH = env.PATH
  // Set last, so a named variable cannot point them elsewhere.
  Object.assign(result, { HOME: dirs.home, TMPDIR: dirs.tmp, TMP: dirs.tmp, TEMP: dirs.tmp })
  return result
}

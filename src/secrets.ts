/**
 * The stage's credentials, as they become known (the inputs at start, the
 * kubeconfig's and plugins' tokens at connect, smoke secrets at verify): each
 * is masked for the runner, and every text the stage writes out (log lines,
 * the failure, outputs, the summary) is redacted against all of them in every
 * encoding redact.ts knows. The runner's masking only catches a value as
 * written; this catches its base64, JSON and URL forms too.
 */
import * as core from '@actions/core'
import type { StageConfig } from './inputs.js'
import { parseSimpleKubeconfig } from './kube/kubeconfig.js'
import { kubeconfigSecrets } from './kube/client.js'
import { normalizeSecret, redactor } from './redact.js'

const known = new Set<string>()
/** Built again only when a credential is added: every log line goes through it. */
let redactKnownText: (text: string) => string = text => text

/** Masks and remembers each value (blank ones ignored). */
export function rememberSecrets(values: Iterable<string | undefined>): void {
  for (const value of values) {
    if (!value || !value.trim()) continue
    if (known.has(value)) continue
    known.add(value)
    core.setSecret(value)
    redactKnownText = redactor([...known])
  }
}

export function knownSecrets(): string[] {
  return [...known]
}

/** `text` with every credential known so far redacted. */
export function redactKnown(text: string): string {
  return redactKnownText(text)
}

/**
 * The credentials the inputs themselves carry, before any connection: the
 * kubeconfig (whole, and each credential in it), the GitHub token, the
 * release key, and the values of the smoke-secrets variables.
 */
export function inputCredentials(config: StageConfig, env: NodeJS.ProcessEnv): string[] {
  const kubeconfig = config.kubeconfig ? parseSimpleKubeconfig(config.kubeconfig) : undefined
  return [
    config.kubeconfig,
    ...(kubeconfig ? kubeconfigSecrets(kubeconfig) : []),
    config.githubToken,
    config.releaseKey,
    ...Object.values(config.prometheusHeaders),
    ...config.smokeSecrets.map(name => env[name]).map(v => v && normalizeSecret(v))
  ].filter((v): v is string => Boolean(v))
}

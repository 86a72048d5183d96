/**
 * Environment names and their usual aliases, and how to tell when a resource
 * name carries an environment's name (db-credentials-dev). Pure.
 */
const ALIASES: string[][] = [
  ['dev', 'development'],
  ['stage', 'staging', 'stg'],
  ['prod', 'production', 'prd'],
  ['qa', 'test']
]

/** The name itself and its aliases, lower-case. */
export function aliasesOf(environment: string): Set<string> {
  const name = environment.toLowerCase()
  const group = ALIASES.find(g => g.includes(name))
  return new Set(group ?? [name])
}

/** Whole tokens of a resource name: db-credentials_dev.v2 → [db, credentials, dev, v2]. */
export function nameTokens(name: string): string[] {
  return name.toLowerCase().split(/[-_.]/).filter(Boolean)
}

/**
 * The other environment a name is named for, if any: `db-credentials-dev` in
 * production → dev. Tokens naming the stage's own environment are fine.
 */
export function foreignEnvironmentIn(
  name: string,
  environment: string,
  environmentNames: readonly string[]
): string | undefined {
  const own = aliasesOf(environment)
  const known = new Set(environmentNames.flatMap(e => [...aliasesOf(e)]))
  return nameTokens(name).find(token => known.has(token) && !own.has(token))
}

/** Replaces tokens naming `environment` with {env}, so staging's and production's names compare equal. */
export function normalizeEnvironmentTokens(text: string, environment: string): string {
  const own = aliasesOf(environment)
  return text.replace(/[A-Za-z0-9]+/g, token => (own.has(token.toLowerCase()) ? '{env}' : token))
}

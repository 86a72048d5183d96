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

/** Token sequences, longest first, so `pre-prod` is tried before `prod`. */
function sequences(names: Iterable<string>): string[][] {
  const found = [...new Set(names)].map(nameTokens).filter(t => t.length > 0)
  // Stryker disable next-line MethodExpression,ArithmeticOperator: equivalent today, the names already come longest first (only the stage's own name can have several tokens, and it comes first); the sort keeps that true if an alias ever has two
  return found.sort((a, b) => b.length - a.length)
}

function matchesAt(tokens: readonly string[], at: number, sequence: readonly string[]): boolean {
  return sequence.every((token, i) => tokens[at + i] === token)
}

/**
 * What counts as the stage's own environment: its name and aliases, and for a
 * regional or numbered name such as `prod-eu` the known environment it starts
 * with (`prod`, `production`), since `db-prod` is that environment's secret too.
 */
function ownSequences(environment: string, known: readonly string[][]): string[][] {
  const names = [...aliasesOf(environment)]
  const first = nameTokens(environment)[0]
  if (first && known.some(seq => seq.length === 1 && seq[0] === first)) names.push(...aliasesOf(first))
  return sequences(names)
}

const knownSequences = (environmentNames: readonly string[]) =>
  sequences(environmentNames.flatMap(e => [...aliasesOf(e)]))

/**
 * The other environment a name is named for, if any: `db-credentials-dev` in
 * production → dev. Whole tokens only (`devices` is not dev); at each place the
 * longest environment name wins, so `db-prod-us` in stage prod-eu is prod-us's.
 */
export function foreignEnvironmentIn(
  name: string,
  environment: string,
  environmentNames: readonly string[]
): string | undefined {
  const known = knownSequences(environmentNames)
  const own = ownSequences(environment, known)
  const ownKeys = new Set(own.map(seq => seq.join('-')))
  const candidates = [...own, ...known].sort((a, b) => b.length - a.length)
  const tokens = nameTokens(name)
  // Stryker disable next-line EqualityOperator: equivalent, no sequence is empty, so none matches past the last token
  for (let i = 0; i < tokens.length;) {
    const match = candidates.find(seq => matchesAt(tokens, i, seq))
    if (!match) i++
    else if (ownKeys.has(match.join('-'))) i += match.length
    else return match.join('-')
  }
  return undefined
}

/**
 * Replaces the names `foreignEnvironmentIn` takes as the stage's own with
 * {env}, so staging's and production's names and values compare equal.
 */
export function normalizeEnvironmentTokens(
  text: string,
  environment: string,
  // Stryker disable next-line ArrayDeclaration: the known names only add the environment a regional name starts with, which Stryker's placeholder name could only change for an environment named "Stryker was here-…"
  environmentNames: readonly string[] = []
): string {
  let result = text
  for (const sequence of ownSequences(environment, knownSequences(environmentNames))) {
    const pattern = sequence.map(t => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[-_.]')
    result = result.replace(new RegExp(`(?<![A-Za-z0-9])${pattern}(?![A-Za-z0-9])`, 'gi'), '{env}')
  }
  return result
}

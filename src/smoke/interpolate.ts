/** `${NAME}` from the environment, in any string of a check. Pure. */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

function unsetMessage(where: string, name: string): string {
  return `${where} uses \${${name}}, which is not set in the environment`
}

export function interpolate(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  where: string
): string {
  return text.replace(REFERENCE, (_, name: string) => {
    const value = env[name]
    if (value === undefined) throw new Error(unsetMessage(where, name))
    return value
  })
}

/**
 * For a `run:` command, which is never interpolated (the shell expands
 * `${NAME}` from its environment, as data): throws, as interpolate would,
 * when a `${NAME}` it uses is not set. Substitutes nothing.
 */
export function requireReferences(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  where: string
): void {
  for (const [, name] of text.matchAll(REFERENCE))
    if (env[name] === undefined) throw new Error(unsetMessage(where, name))
}

/** `${NAME}` from the environment, in any string of a check. Pure. */
export function interpolate(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  where: string
): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = env[name]
    if (value === undefined) throw new Error(`${where} uses \${${name}}, which is not set in the environment`)
    return value
  })
}

/**
 * Just enough Markdown reading for the contract tests that keep README.md, CONTRIBUTING.md and
 * docs/ in step with action.yml and with each other: sections, table rows, fenced blocks, links,
 * and headings as GitHub turns them into anchors. Pure functions of the text.
 */

/** The text with every fenced code block's lines blanked: a `# comment` in YAML is not a heading. */
export function withoutFences(markdown: string): string {
  let fenced = false
  return markdown
    .split('\n')
    .map(line => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced
        return ''
      }
      return fenced ? '' : line
    })
    .join('\n')
}

/** The contents of each fenced block that follows a `## heading` line, in order. */
export function fencedBlocks(markdown: string, heading: string): string[] {
  const body = section(markdown, heading)
  return [...body.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map(m => m[1])
}

/** The text under `## heading` (its first line starts with heading), up to the next `## `; '' when absent. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n')
  const prose = withoutFences(markdown).split('\n')
  const start = prose.findIndex(line => line.startsWith(`## ${heading}`))
  if (start < 0) return ''
  const end = prose.findIndex((line, i) => i > start && /^##? /.test(line))
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n')
}

/** The first cell of each table row that is one code span: `| \`name\` | ...` gives name. */
export function tableNames(markdown: string): string[] {
  return [...withoutFences(markdown).matchAll(/^\| `([A-Za-z-]+)` \|/gm)].map(m => m[1])
}

/** The cells of the table row whose first cell is `name` in code, or undefined. */
export function tableRow(markdown: string, name: string): string[] | undefined {
  const row = withoutFences(markdown)
    .split('\n')
    .find(line => line.startsWith(`| \`${name}\` |`))
  // A pipe inside a cell is written \| in a table.
  return row
    ?.trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map(cell => cell.trim())
}

/** GitHub's anchor for a heading: lower-case, spaces to '-', punctuation other than '-' and '_' dropped. */
export function slug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** The anchors of a file's headings, repeated ones numbered as GitHub numbers them (-1, -2...). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const m of withoutFences(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(m[1])
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    result.add(count ? `${base}-${count}` : base)
  }
  return result
}

/** The targets of inline links and images outside code (fenced blocks and code spans). */
export function linkTargets(markdown: string): string[] {
  const prose = withoutFences(markdown).replace(/`[^`]*`/g, '``')
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map(m => m[1])
}

/** A link to another site (or a mail address), which these tests do not follow. */
export const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target)

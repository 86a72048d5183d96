/**
 * action.yml is the contract GitHub reads: it must parse as YAML (a stray ": "
 * in a plain scalar breaks every workflow using the action), and the documentation's
 * tables (docs/), the inputs the code reads and the outputs it writes must agree with it.
 * The README, CONTRIBUTING.md and docs/ link to each other: every relative link must lead
 * to a file and a heading that exist, and the README's pipeline is the example file itself.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseDocument } from 'yaml'
import { stageOutputs } from '../../src/report/outputs.js'
import { newStageRecord } from '../../src/report/record.js'
import { readStageConfig, RENAMED_INPUTS } from '../../src/inputs.js'
import { FAILURE_CODES } from '../../src/errors.js'
import {
  anchors,
  fencedBlocks,
  isExternal,
  linkTargets,
  section,
  slug,
  tableNames,
  tableRow
} from '../support/markdown.js'

interface ActionSpec {
  runs: { using: string; main: string }
  inputs: Record<
    string,
    { description: string; required?: boolean; default?: string; deprecationMessage?: string }
  >
  outputs: Record<string, { description: string }>
}

const actionDocument = parseDocument(readFileSync('action.yml', 'utf8'), { prettyErrors: true })
const action = actionDocument.toJS() as ActionSpec
const read = (file: string) => readFileSync(file, 'utf8')
/** Every Markdown page a reader of the repository lands on: the top level's and docs/. */
const PAGES = [
  ...readdirSync('.').filter(f => f.endsWith('.md')),
  ...readdirSync('docs')
    .filter(f => f.endsWith('.md'))
    .map(f => `docs/${f}`)
]
const inputsPage = read('docs/inputs-and-outputs.md')

describe('action.yml', () => {
  it('parses as YAML without errors and runs dist/index.js on Node 24', () => {
    expect(actionDocument.errors.map(e => e.message)).toEqual([])
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
  })

  it('documents every input and output', () => {
    for (const [name, spec] of [...Object.entries(action.inputs), ...Object.entries(action.outputs)]) {
      expect(`${name}: ${typeof spec.description}`).toBe(`${name}: string`)
      expect(spec.description.trim().length).toBeGreaterThan(10)
    }
  })

  it('declares exactly the inputs the stage reads', () => {
    const read: string[] = []
    const reader = (name: string) => {
      read.push(name)
      return { manifests: 'k8s/', environment: 'dev' }[name] ?? ''
    }
    readStageConfig(reader, {})
    expect([...new Set(read)].sort()).toEqual(Object.keys(action.inputs).sort())
  })

  it('declares exactly the outputs the stage writes', () => {
    const record = newStageRecord()
    expect(Object.keys(stageOutputs(record)).sort()).toEqual(Object.keys(action.outputs).sort())
  })
})

/** Inputs under their current names; renamed ones keep their old name as a deprecated alias. */
const currentInputs = Object.entries(action.inputs).filter(([, spec]) => !spec.deprecationMessage)

describe('renamed inputs', () => {
  it('each old name is declared deprecated in action.yml, naming its new name, which exists', () => {
    for (const [old, current] of Object.entries(RENAMED_INPUTS)) {
      expect(action.inputs[old]?.deprecationMessage).toContain(current)
      expect(action.inputs[current]?.deprecationMessage).toBeUndefined()
    }
    const deprecated = Object.entries(action.inputs).filter(([, spec]) => spec.deprecationMessage)
    expect(deprecated.map(([name]) => name).sort()).toEqual(Object.keys(RENAMED_INPUTS).sort())
  })

  it('the old name still sets the input and is reported; both names at once is refused', () => {
    const values: Record<string, string> = {
      manifests: 'k8s/',
      environment: 'dev',
      'smoke-tests': 'checks.yaml'
    }
    const config = readStageConfig(name => values[name] ?? '', {})
    expect(config.smokeTests).toBe('checks.yaml')
    expect(config.renamedInputs).toEqual(['smoke-tests'])
    values['smoke-checks'] = 'other.yaml'
    expect(() => readStageConfig(name => values[name] ?? '', {})).toThrow(
      'Inputs smoke-tests and smoke-checks are both set: smoke-tests is the old name of smoke-checks; keep only smoke-checks.'
    )
  })
})

describe('docs/inputs-and-outputs.md', () => {
  it('lists the inputs of action.yml, in its order, each under its current name', () => {
    expect(tableNames(section(inputsPage, 'Inputs'))).toEqual(currentInputs.map(([name]) => name))
  })

  it('gives the same required flags and defaults as action.yml', () => {
    for (const [name, spec] of currentInputs) {
      const [, required, defaultCell] = tableRow(section(inputsPage, 'Inputs'), name)!
      expect(`${name}: ${required}`).toBe(`${name}: ${spec.required ? 'yes' : 'no'}`)
      // A default is shown as code, exactly; without one the cell is empty or says what it falls back to.
      if (spec.default) expect(`${name}: ${defaultCell}`).toBe(`${name}: \`${spec.default}\``)
      else expect(`${name}: ${defaultCell}`).toMatch(new RegExp(`^${name}: (|\`''\`|[^\`]+)$`))
    }
  })

  it('lists each renamed input with its new name, as action.yml deprecates them', () => {
    const renamed = section(inputsPage, 'Renamed inputs')
    const deprecated = Object.keys(action.inputs).filter(name => action.inputs[name].deprecationMessage)
    expect(tableNames(renamed)).toEqual(deprecated)
    for (const old of deprecated) expect(tableRow(renamed, old)?.[1]).toBe(`\`${RENAMED_INPUTS[old]}\``)
  })

  it('lists the outputs of action.yml, in its order', () => {
    expect(tableNames(section(inputsPage, 'Outputs'))).toEqual(Object.keys(action.outputs))
  })
})

describe('the Markdown pages (README, CONTRIBUTING.md, docs/)', () => {
  it('document every input, output and failure code in one table row each, and name nothing else so', () => {
    const rows = PAGES.flatMap(page => tableNames(read(page)))
    const count = (name: string) => rows.filter(row => row === name).length
    // An input and an output may share a name (environment-url): one row in each table.
    const codes: readonly string[] = FAILURE_CODES
    const names = new Set([...Object.keys(action.inputs), ...Object.keys(action.outputs), ...FAILURE_CODES])
    for (const name of names) {
      const expected = +(name in action.inputs) + +(name in action.outputs) + +codes.includes(name)
      expect(`${name}: ${count(name)}`).toBe(`${name}: ${expected}`)
    }
  })

  it('explain every failure-reason code in docs/failure-reasons.md, in order, and only those', () => {
    expect(tableNames(read('docs/failure-reasons.md'))).toEqual([...FAILURE_CODES])
  })

  it('show the Role and ClusterRole of examples/rbac in docs/permissions.md exactly as the least-privilege test applies them', () => {
    const permissions = read('docs/permissions.md')
    for (const file of ['examples/rbac/stage-role.yaml', 'examples/rbac/cluster-extras.yaml'])
      expect(permissions).toContain(read(file).trimEnd())
  })

  it('link only to files and headings that exist', () => {
    const broken: string[] = []
    let checked = 0
    for (const page of PAGES) {
      for (const target of linkTargets(read(page))) {
        if (isExternal(target)) continue
        checked++
        const [file, anchor] = target.split('#')
        const resolved = file ? path.join(path.dirname(page), decodeURIComponent(file)) : page
        if (!existsSync(resolved)) broken.push(`${page}: ${target} (no ${resolved})`)
        else if (
          anchor !== undefined &&
          !(statSync(resolved).isFile() && anchors(read(resolved)).has(anchor))
        )
          broken.push(`${page}: ${target} (no heading #${anchor} in ${resolved})`)
      }
    }
    expect(broken).toEqual([])
    // The README alone links to every page of docs/.
    expect(checked).toBeGreaterThan(40)
  })

  it("every page of docs/ is in the README's contents, and links back to it", () => {
    const contents = linkTargets(section(read('README.md'), 'Contents'))
    for (const page of PAGES.filter(p => p.startsWith('docs/'))) {
      expect(contents).toContain(page)
      expect(linkTargets(read(page))).toContain('../README.md#contents')
    }
  })
})

describe('Markdown anchors', () => {
  it.each([
    ['What a stage checks before it writes anything', 'what-a-stage-checks-before-it-writes-anything'],
    ['Migrations and one stage at a time', 'migrations-and-one-stage-at-a-time'],
    ['`release-key`: signed records (HMAC)', 'release-key-signed-records-hmac'],
    ['Before the first run', 'before-the-first-run'],
    ['A [link](x.md) and *emphasis*', 'a-link-and-emphasis']
  ])('%s is #%s, as GitHub makes it', (heading, anchor) => {
    expect(slug(heading)).toBe(anchor)
  })

  it('repeated headings are numbered, headings inside code blocks are not headings', () => {
    expect([...anchors('# A\n## A\n```yaml\n# B: a comment\n```\n')]).toEqual(['a', 'a-1'])
  })
})

describe('README', () => {
  it('quotes examples/workflows/progressive-deploy.yml in its quick start, all of it but the header comment', () => {
    const example = read('examples/workflows/progressive-deploy.yml')
    const body = example.slice(example.indexOf('\nname: ') + 1)
    expect(fencedBlocks(read('README.md'), 'Quick start')[0]).toBe(body)
  })

  it('stays a README: the reference is in docs/', () => {
    expect(Buffer.byteLength(read('README.md'))).toBeLessThan(15_000)
  })
})

describe('pointers to the documentation', () => {
  /** The code lines of src/ (comments left out) and action.yml, each with where it is. */
  const sources = [
    ...readdirSync('src', { recursive: true, encoding: 'utf8' })
      .filter(f => f.endsWith('.ts'))
      .map(f => `src/${f}`),
    'action.yml'
  ].flatMap(file =>
    read(file)
      .split('\n')
      .map((line, i) => [`${file}:${i + 1}`, line] as const)
      .filter(([, line]) => !/^\s*(\/\/|\/\*|\*|#)/.test(line))
  )

  it('what users read (messages, action.yml) points at docs/ pages that exist, never at README sections', () => {
    const pointers = sources.flatMap(([where, line]) =>
      [...line.matchAll(/docs\/[a-z-]+\.md/g)].map(m => `${where} ${m[0]}`)
    )
    expect(pointers.length).toBeGreaterThanOrEqual(4)
    for (const pointer of pointers)
      expect(`${pointer}: ${existsSync(pointer.split(' ')[1])}`).toBe(`${pointer}: true`)
    expect(sources.filter(([, line]) => /README/.test(line)).map(([where]) => where)).toEqual([])
  })
})

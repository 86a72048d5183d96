/**
 * action.yml is the contract GitHub reads: it must parse as YAML (a stray ": "
 * in a plain scalar breaks every workflow using the action), and the README's
 * tables, the inputs the code reads and the outputs it writes must agree with it.
 */
import { readFileSync } from 'node:fs'
import { parseDocument } from 'yaml'
import { stageOutputs } from '../../src/report/outputs.js'
import { newStageRecord } from '../../src/report/record.js'
import { readStageConfig, RENAMED_INPUTS } from '../../src/inputs.js'
import { FAILURE_CODES } from '../../src/errors.js'

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
const readme = readFileSync('README.md', 'utf8')

/** The first-column names of the markdown table under a `## heading`. */
function tableNames(heading: string): string[] {
  const section = readme.split(/^## /m).find(s => s.startsWith(heading))
  if (!section) throw new Error(`README has no "## ${heading}" section`)
  return [...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map(m => m[1])
}

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

describe('README', () => {
  it('lists the inputs of action.yml, in its order, each once under its current name', () => {
    expect(tableNames('Inputs')).toEqual(currentInputs.map(([name]) => name))
  })

  it('lists the outputs of action.yml, in its order', () => {
    expect(tableNames('Outputs')).toEqual(Object.keys(action.outputs))
  })

  it('explains every failure-reason code, and only those', () => {
    const section = readme.split(/^## /m).find(s => s.startsWith('Failure reasons'))!
    const documented = [...section.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map(m => m[1])
    expect(documented).toEqual([...FAILURE_CODES])
  })

  it('shows the Role and ClusterRole of examples/rbac exactly as the least-privilege test applies them', () => {
    for (const file of ['examples/rbac/stage-role.yaml', 'examples/rbac/cluster-extras.yaml'])
      expect(readme).toContain(readFileSync(file, 'utf8').trimEnd())
  })

  it('gives the same required flags and defaults as action.yml', () => {
    const section = readme.split(/^## /m).find(s => s.startsWith('Inputs'))!
    for (const [name, spec] of currentInputs) {
      const row = section.split('\n').find(line => line.startsWith(`| \`${name}\` |`))!
      const [, required, defaultCell] = row.split(' | ')
      expect(`${name}: ${required}`).toBe(`${name}: ${spec.required ? 'yes' : 'no'}`)
      if (spec.default !== undefined) expect(`${name}: ${defaultCell}`).toContain(spec.default)
    }
  })
})

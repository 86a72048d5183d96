/**
 * The workflows users copy (examples/workflows/) against the contract they use: every kube-stage step
 * names the published action and only inputs action.yml declares, every job output and promote-from
 * refers to something that exists, and the CI's own copy (.github/workflows/progressive-deploy.yml)
 * differs from the example only where its header says. Running them is the e2e suite's job
 * (__tests__/e2e/workflows.test.ts, under act); this catches a renamed input or a broken chain in
 * a second, without a cluster.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'

interface Step {
  id?: string
  uses?: string
  with?: Record<string, unknown>
}
interface Job {
  needs?: string | string[]
  environment?: string | { name: string }
  outputs?: Record<string, string>
  permissions?: Record<string, string>
  steps: Step[]
}
interface Workflow {
  on: unknown
  jobs: Record<string, Job>
}

const read = (file: string) => parse(readFileSync(file, 'utf8')) as Workflow
const inputs = Object.keys((parse(readFileSync('action.yml', 'utf8')) as { inputs: object }).inputs)
const EXAMPLES = 'examples/workflows'
const examples = readdirSync(EXAMPLES)
  .filter(f => f.endsWith('.yml'))
  .map(f => [f, read(path.join(EXAMPLES, f))] as const)
const FIXTURE = '__tests__/fixtures/workflows/exec-plugin-login.yml'

const stages = (workflow: Workflow) =>
  Object.entries(workflow.jobs).flatMap(([name, job]) =>
    job.steps.filter(s => s.uses?.startsWith('kube-stage/')).map(step => ({ name, job, step }))
  )

it('has the pipelines the README recommends', () => {
  expect(examples.map(([f]) => f).sort()).toEqual(['plan-pull-request.yml', 'progressive-deploy.yml'])
})

describe.each([...examples, [FIXTURE, read(FIXTURE)] as const])('%s', (_, workflow) => {
  it('uses the published action with inputs that action.yml declares', () => {
    expect(stages(workflow).length).toBeGreaterThan(0)
    for (const { name, step } of stages(workflow)) {
      expect(`${name}: ${step.uses}`).toBe(`${name}: kube-stage/kube-stage@v0`)
      for (const input of Object.keys(step.with ?? {})) expect(inputs).toContain(input)
    }
  })

  it('passes each release to the next stage: promote-from names a needed job’s output that job declares', () => {
    for (const { name, job, step } of stages(workflow)) {
      const promoteFrom = step.with?.['promote-from']
      if (promoteFrom === undefined) continue
      const from = /^\$\{\{ needs\.([\w-]+)\.outputs\.release \}\}$/.exec(String(promoteFrom))?.[1]
      expect(`${name} promotes from ${from}`).toBe(`${name} promotes from ${[job.needs].flat()[0]}`)
      const previous = workflow.jobs[from!]
      const previousStage = previous.steps.find(s => s.uses?.startsWith('kube-stage/'))!
      expect(previous.outputs?.release).toBe(`\${{ steps.${previousStage.id}.outputs.release }}`)
      // The previous job's environment is the one this stage requires its record to come from.
      expect(step.with?.['require-promotion-from']).toBe(previousStage.with?.environment)
    }
  })

  it('asks for id-token only where a step logs in to a cloud', () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const logsIn = job.steps.some(s => !s.uses && /log in/i.test(JSON.stringify(s)))
      expect(`${name}: ${job.permissions?.['id-token'] ?? 'none'}`).toBe(
        `${name}: ${logsIn ? 'write' : 'none'}`
      )
    }
  })
})

it('.github/workflows/progressive-deploy.yml is the example but for its trigger and `uses: ./`', () => {
  const example = read(path.join(EXAMPLES, 'progressive-deploy.yml'))
  const ci = read('.github/workflows/progressive-deploy.yml')
  expect(ci.on).toEqual({ workflow_dispatch: null })
  const asExample = JSON.parse(
    JSON.stringify(ci.jobs).replaceAll('"uses":"./"', '"uses":"kube-stage/kube-stage@v0"')
  )
  expect(asExample).toEqual(example.jobs)
})

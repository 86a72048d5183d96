import { readStageConfig, githubContext } from '../../src/inputs.js'
import { parseDuration, formatDuration } from '../../src/duration.js'
import { StageError } from '../../src/errors.js'

const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''

describe('readStageConfig', () => {
  it('applies defaults: namespace from the environment, 5m timeout, stable field manager', () => {
    const config = readStageConfig(reader({ manifests: 'k8s/', environment: 'staging' }), {
      GITHUB_WORKSPACE: '/ws'
    })
    expect(config).toMatchObject({
      namespace: 'staging',
      timeoutMs: 300_000,
      fieldManager: 'kube-stage',
      forceConflicts: false,
      github: { workspace: '/ws' }
    })
  })

  it('names the missing input', () => {
    expect(() => readStageConfig(reader({ environment: 'dev' }), {})).toThrow(
      'Input required and not supplied: manifests'
    )
  })

  it('explains the expected formats', () => {
    const base = { manifests: 'k8s', environment: 'dev' }
    expect(() => readStageConfig(reader({ ...base, timeout: 'soon' }), {})).toThrow(
      /timeout must be a duration such as 90s, 5m/
    )
    expect(() => readStageConfig(reader({ ...base, 'force-conflicts': 'maybe' }), {})).toThrow(
      /force-conflicts must be true or false/
    )
    expect(() => readStageConfig(reader({ ...base, namespace: 'Prod_NS' }), {})).toThrow(
      /namespace must be a valid namespace name/
    )
    try {
      readStageConfig(reader({ ...base, timeout: '0s' }), {})
      throw new Error('expected a failure')
    } catch (error) {
      expect((error as StageError).code).toBe('InvalidInput')
    }
  })
})

describe('githubContext', () => {
  it('builds the run and repository URLs', () => {
    expect(githubContext({ GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '7', GITHUB_SHA: 'abc' })).toMatchObject({
      repositoryUrl: 'https://github.com/o/r',
      runUrl: 'https://github.com/o/r/actions/runs/7',
      sha: 'abc'
    })
  })
})

describe('durations', () => {
  it('parses units, compounds and bare seconds, and rejects the rest', () => {
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('300')).toBe(300_000)
    expect(parseDuration('5 minutes')).toBeUndefined()
    expect(parseDuration('')).toBeUndefined()
  })

  it('formats for people', () => {
    expect(formatDuration(420)).toBe('420ms')
    expect(formatDuration(4200)).toBe('4.2s')
    expect(formatDuration(125_000)).toBe('2m5s')
  })
})

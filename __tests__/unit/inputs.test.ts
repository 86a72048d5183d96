import { readStageConfig, githubContext } from '../../src/inputs.js'
import { parseDuration, formatDuration } from '../../src/duration.js'
import { StageError } from '../../src/errors.js'
import { canaryStepsInput } from '../../src/input-readers.js'

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

describe('strategy inputs', () => {
  const base = { manifests: 'k8s', environment: 'dev' }
  const config = (inputs: Record<string, string> = {}) => readStageConfig(reader({ ...base, ...inputs }), {})
  const failure = (inputs: Record<string, string>) => {
    try {
      config(inputs)
    } catch (error) {
      return error as StageError
    }
    throw new Error('expected a failure')
  }

  it('defaults to a rolling update, canary steps of 10% and 50%, and a 1m rollback window', () => {
    expect(config()).toMatchObject({ strategy: 'rolling', canarySteps: [10, 50], rollbackWindowMs: 60_000 })
    expect(config().previewUrl).toBeUndefined()
  })

  it('reads canary and blue-green with their settings', () => {
    expect(config({ strategy: 'canary', 'canary-steps': '5% 25% 75%' })).toMatchObject({
      strategy: 'canary',
      canarySteps: [5, 25, 75]
    })
    expect(
      config({
        strategy: 'blue-green',
        'rollback-window': '5m',
        'preview-url': 'https://shop-preview.staging.example'
      })
    ).toMatchObject({
      strategy: 'blue-green',
      rollbackWindowMs: 300_000,
      previewUrl: 'https://shop-preview.staging.example'
    })
  })

  it('refuses an unknown strategy, naming the ones there are', () => {
    const error = failure({ strategy: 'linear' })
    expect(error.code).toBe('InvalidInput')
    expect(error.message).toBe('Input strategy must be one of rolling, canary, blue-green, not "linear".')
  })

  it('refuses canary steps that are not rising shares, saying why', () => {
    const error = failure({ 'canary-steps': '50%, 10%' })
    expect(error.code).toBe('InvalidInput')
    expect(error.message).toBe(
      'Input canary-steps must list the canary\'s share of pods at each step, rising, such as "10%, 50%": the steps must rise (50% then 10%).'
    )
    expect(failure({ 'canary-steps': '100%' }).message).toMatch(
      /^Input canary-steps .*: "100%" is not a share from 1% to 99%\.$/
    )
  })

  it('checks the rollback window and the preview URL like the other durations and URLs', () => {
    expect(failure({ 'rollback-window': 'a while' }).message).toBe(
      'Input rollback-window must be a duration such as 90s, 5m or 1h30m, not "a while".'
    )
    expect(failure({ 'rollback-window': '0s' }).code).toBe('InvalidInput')
    expect(failure({ 'preview-url': 'shop-preview:8080' }).message).toMatch(/^Input preview-url must be/)
    expect(failure({ 'preview-url': 'ftp://shop-preview.example' }).message).toBe(
      'Input preview-url must be an http(s) URL, not "ftp://shop-preview.example".'
    )
    const withPassword = failure({ 'preview-url': 'https://admin:hunter2pass@shop preview.example' })
    expect(withPassword.code).toBe('InvalidInput')
    expect(withPassword.message).toMatch(/^Input preview-url must be an http\(s\) URL without spaces/)
    expect(withPassword.message).not.toContain('hunter2pass')
  })
})

describe('canaryStepsInput', () => {
  it('reads the steps, or gives 10% and 50% when the input is empty', () => {
    expect(canaryStepsInput(reader({ 'canary-steps': '10,50' }))).toEqual([10, 50])
    expect(canaryStepsInput(reader({ 'canary-steps': '  ' }))).toEqual([10, 50])
  })

  it.each(['abc', '0%', '10%, 10%', ','])('refuses %j as InvalidInput naming canary-steps', text => {
    let thrown: unknown
    try {
      canaryStepsInput(reader({ 'canary-steps': text }))
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(StageError)
    expect((thrown as StageError).code).toBe('InvalidInput')
    expect((thrown as StageError).message).toMatch(/^Input canary-steps must list/)
  })
})

import { neutralizeCommands } from '../../src/report/log.js'

describe('text printed to the step log', () => {
  it('never starts a line with a workflow command', () => {
    const hostile = 'ok\n::add-mask::x\n  ::stop-commands::pwned\r\n##[warning]legacy\n::warning file=a::b'
    const printed = neutralizeCommands(hostile)
    for (const line of printed.split(/\r?\n/)) expect(line.trimStart()).not.toMatch(/^(::|##\[)/)
    // People still read the same text.
    expect(printed.replace(/\u200b/g, '')).toBe(hostile)
  })

  it('leaves ordinary text alone', () => {
    expect(neutralizeCommands('Deployment/web: ready: 3 of 3\nnot :: a command')).toBe(
      'Deployment/web: ready: 3 of 3\nnot :: a command'
    )
  })
})

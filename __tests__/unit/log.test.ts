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

describe('the runner’s command syntax, as the runner reads it', () => {
  it('defuses ##[ anywhere in a line, not only at its start', () => {
    const printed = neutralizeCommands('pod said: ok ##[error]Approve production ##[group]x')
    expect(printed).not.toContain('##[')
    expect(printed.replace(/\u200b/g, '')).toBe('pod said: ok ##[error]Approve production ##[group]x')
  })

  it('defuses :: after any blank .NET trims, NEL and the Unicode spaces included', () => {
    for (const blank of ['\u0085', '\u00a0', '\u2003', '\u3000', '\u180e']) {
      const printed = neutralizeCommands(`${blank}::add-mask::pwned`)
      // .NET's TrimStart with char.IsWhiteSpace, as the runner's ActionCommand parser uses.
      const trimmed = printed.replace(/^[\s\u0085\u180e]+/, '')
      expect(trimmed.startsWith('::')).toBe(false)
    }
  })
})

describe('info', () => {
  it('redacts every remembered credential, encoded too, from what it logs', async () => {
    const { jest: j } = await import('@jest/globals')
    const lines: string[] = []
    const write = j.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      lines.push(String(chunk))
      return true
    })
    try {
      const { rememberSecrets } = await import('../../src/secrets.js')
      const { info } = await import('../../src/report/log.js')
      rememberSecrets(['kubeconfig-token-0123456789'])
      info(
        `token ${Buffer.from('kubeconfig-token-0123456789').toString('base64')} and %22kubeconfig-token-0123456789`
      )
    } finally {
      write.mockRestore()
    }
    // The mask itself is the one line the runner must see it in.
    expect(lines.join('')).toContain('::add-mask::kubeconfig-token-0123456789')
    const logged = lines.filter(l => !l.startsWith('::add-mask::')).join('')
    expect(logged).not.toContain('kubeconfig-token-0123456789')
    expect(logged).not.toContain(Buffer.from('kubeconfig-token-0123456789').toString('base64'))
    expect(logged).toContain('token *** and %22***')
  })
})

import {
  isSensitiveHeader,
  normalizeSecret,
  redact,
  redactAndCut,
  redactJson,
  withoutCredentials
} from '../../src/redact.js'

const b64 = (text: string) => Buffer.from(text).toString('base64')
const b64url = (text: string) => Buffer.from(text).toString('base64url')

describe('redact', () => {
  it('redacts a secret as URL-encoded (encodeURIComponent and query-string form)', () => {
    const secret = 'p@ss w/rd+1(x)'
    expect(redact(`?token=${encodeURIComponent(secret)}&a=1`, [secret])).toBe('?token=***&a=1')
    const query = new URLSearchParams({ token: secret }).toString()
    expect(redact(`https://h/x?${query}`, [secret])).toBe('https://h/x?token=***')
  })

  it('redacts a secret base64-encoded, standard and URL-safe, padded or not', () => {
    // ">>>" and "???" encode to characters that differ between the two alphabets ("+", "/").
    const secret = 's3cr3t>>>???z'
    expect(b64(secret)).toMatch(/[+/]/)
    expect(redact(`data=${b64(secret)};`, [secret])).toBe('data=***;')
    expect(redact(`data=${b64url(secret)};`, [secret])).toBe('data=***;')
    expect(redact(`data=${b64(secret).replace(/=+$/, '')};`, [secret])).toBe('data=***;')
  })

  it('redacts a secret base64-encoded inside a longer value, at any byte offset', () => {
    const secret = 'correct-horse-battery'
    for (const user of ['u', 'us', 'usr']) {
      const header = `Basic ${b64(`${user}:${secret}`)}`
      const shown = redact(header, [secret])
      expect(shown).toContain('***')
      // What is left decodes to at most a few bytes of the secret.
      const left = Buffer.from(shown.slice('Basic '.length).replace('***', ''), 'base64').toString('latin1')
      expect(left).not.toContain(secret.slice(0, 6))
      expect(left).not.toContain(secret.slice(-6))
    }
  })

  it('redacts a secret whatever its letter case, also URL-encoded', () => {
    const secret = 'AbCdEf-123/xyz'
    expect(redact('abcdef-123/XYZ and ABCDEF-123/XYZ', [secret])).toBe('*** and ***')
    expect(redact(encodeURIComponent(secret).toLowerCase(), [secret])).toBe('***')
  })

  it('uses a secret without the trailing newline it was read with', () => {
    expect(normalizeSecret('tok-123456\n')).toBe('tok-123456')
    expect(normalizeSecret('tok-123456\r\n')).toBe('tok-123456')
    expect(redact('Bearer tok-123456 was refused', ['tok-123456\n'])).toBe('Bearer *** was refused')
    expect(redact('{"t":"tok-123456"}', ['tok-123456\r\n'])).toBe('{"t":"***"}')
    expect(redact(`x ${b64('tok-123456')} y`, ['tok-123456\n'])).toBe('x *** y')
  })

  it('still redacts raw and JSON-escaped forms, longest first, and ignores very short secrets', () => {
    expect(redact('token=abc123 and abc123456', ['abc123', 'abc123456'])).toBe('token=*** and ***')
    expect(redact(JSON.stringify({ got: 'pa"ss\\word' }), ['pa"ss\\word'])).toBe('{"got":"***"}')
    expect(redact('a b ab', ['ab', ''])).toBe('a b ab')
    expect(redact('nothing to hide', [])).toBe('nothing to hide')
  })
})

describe('cuts happen after redaction', () => {
  it('redactAndCut leaves no part of a secret that straddles the cut, in any of its forms', () => {
    const secret = 'S3cret/Value+42'
    for (const form of [secret, secret.toLowerCase(), encodeURIComponent(secret), b64(secret)]) {
      const text = `${'x'.repeat(10)}${form}${'y'.repeat(10)}`
      expect(redactAndCut(text, [secret], 14)).toBe('xxxxxxxxxx***y…')
      expect(redactAndCut(text, [secret], 14, 'end')).toBe('…x***yyyyyyyyyy')
    }
  })

  it('redactJson redacts every string of a JSON value, keys included, and keeps its types', () => {
    const secret = 'k3y-0987654321'
    const value = { [secret]: [`a ${secret}`, 42, true, null, { nested: secret.toUpperCase() }] }
    expect(redactJson(value, [secret])).toEqual({ '***': ['a ***', 42, true, null, { nested: '***' }] })
    // Quoting the redacted value and then cutting it cannot leave the start of the secret.
    const long = { v: `${'x'.repeat(110)}${secret}` }
    expect(JSON.stringify(redactJson(long, [secret])).slice(0, 117)).not.toContain(secret.slice(0, 3))
  })
})

describe('isSensitiveHeader', () => {
  it('knows credential headers by name', () => {
    for (const name of [
      'Authorization',
      'Proxy-Authorization',
      'Cookie',
      'X-Api-Key',
      'X-Auth-Token',
      'X-Session-Id',
      'X-Client-Secret',
      'X-CSRF-Token',
      'Api-Key'
    ])
      expect([name, isSensitiveHeader(name)]).toEqual([name, true])
    for (const name of ['Accept', 'Content-Type', 'User-Agent', 'X-Request-Id'])
      expect([name, isSensitiveHeader(name)]).toEqual([name, false])
  })
})

describe('withoutCredentials', () => {
  it('strips user:password@ and leaves the rest as written', () => {
    expect(withoutCredentials('https://user:pa%40ss@shop.example:8443/p?q=1#f')).toBe(
      'https://shop.example:8443/p?q=1#f'
    )
    expect(withoutCredentials('https://token@shop.example')).toBe('https://shop.example')
    expect(withoutCredentials('http://u:p@ss@shop.example/')).toBe('http://shop.example/')
  })

  it('leaves a URL without credentials, an @ in its path or query, and other text unchanged', () => {
    for (const text of [
      'https://shop.example',
      'https://shop.example/a@b',
      'https://shop.example/?mail=a@b.c',
      'https://shop.example#x@y',
      'not a url, user@host'
    ])
      expect(withoutCredentials(text)).toBe(text)
  })
})

describe('JSON written with escaped slashes or \\u escapes', () => {
  it('is redacted too', async () => {
    const { redact } = await import('../../src/redact.js')
    const secret = 'Tok/en<x>'
    expect(redact('{"a":"Tok\\/en<x>"}', [secret])).toBe('{"a":"***"}')
    expect(redact('{"a":"Tok\\u002fen\\u003cx\\u003e"}', [secret])).toBe('{"a":"***"}')
  })
})

import { decodeRelease, encodeRelease } from '../../../src/promote/transport.js'
import { parseRelease } from '../../../src/promote/guard.js'

describe('the release output', () => {
  const record = JSON.stringify({ format: 'kube-stage/release@1', environment: 'staging', é: '✓' })

  it('is hex, and promote-from reads it back, or the JSON itself', () => {
    const encoded = encodeRelease(record)
    expect(encoded).toMatch(/^[0-9a-f]+$/)
    expect(decodeRelease(encoded)).toBe(record)
    expect(decodeRelease(`  ${encoded}\n`)).toBe(record)
    expect(decodeRelease(record)).toBe(record)
  })

  it('leaves what is not hex to the JSON reader, which says what to pass', () => {
    for (const text of ['abc', 'zz', '***', 'a1b'])
      expect(() => parseRelease(text)).toThrow('Input promote-from is not JSON')
    expect(() => parseRelease(encodeRelease('not json'))).toThrow("pass the previous stage's release output")
  })
})

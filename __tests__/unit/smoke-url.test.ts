import { readStageConfig } from '../../src/inputs.js'

const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''
const base = { manifests: 'k8s', environment: 'dev' }
const smokeUrl = (value: string) => readStageConfig(reader({ ...base, 'smoke-url': value }), {}).smokeUrl

function refusal(value: string): string {
  try {
    smokeUrl(value)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error(`expected smoke-url ${JSON.stringify(value)} to be refused`)
}

describe('smoke-url', () => {
  it('is an absolute http(s) URL, kept as written', () => {
    expect(smokeUrl(' https://shop.example/base ')).toBe('https://shop.example/base')
    expect(smokeUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080')
    // Characters a shell would read as code are only data: SMOKE_URL is never put in a command line.
    expect(smokeUrl('http://127.0.0.1:9/$(touch${IFS}x)')).toBe('http://127.0.0.1:9/$(touch${IFS}x)')
    expect(smokeUrl('')).toBeUndefined()
  })

  it('refuses other schemes, relative text, and what the URL parser would silently drop', () => {
    expect(refusal('ftp://shop.example')).toMatch(/smoke-url must be an http\(s\) URL/)
    expect(refusal('javascript:alert(1)')).toMatch(/smoke-url must be an http\(s\) URL/)
    expect(refusal('shop.example/x')).toMatch(/smoke-url must be an absolute http\(s\) URL/)
    expect(refusal('http://shop.example/\n; touch /tmp/x')).toMatch(
      /smoke-url must be an http\(s\) URL without spaces or control characters/
    )
    expect(refusal('http://shop.example/a\tb')).toMatch(/without spaces or control characters/)
    expect(refusal('http://shop.example/a b')).toMatch(/without spaces or control characters/)
  })

  it('never shows the user:password@ of a refused URL', () => {
    for (const value of ['ftp://admin:hunter2pass@shop.example', 'http://admin:hunter2pass@shop.example/a b'])
      expect(refusal(value)).not.toContain('hunter2pass')
  })
})

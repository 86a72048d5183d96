// Image references by the distribution grammar: each rule both ways, and each refusal with its reason.
import { formatImageReference, parseImageReference } from '../../src/manifests/image.js'

const SHA = `sha256:${'a'.repeat(64)}`

describe('parseImageReference', () => {
  it.each([
    [
      'nginx',
      {
        registry: 'docker.io',
        path: 'nginx',
        tag: undefined,
        digest: undefined,
        repository: 'docker.io/library/nginx'
      }
    ],
    [
      'library/nginx:1',
      { registry: 'docker.io', path: 'library/nginx', tag: '1', repository: 'docker.io/library/nginx' }
    ],
    [
      'index.docker.io/acme/app',
      { registry: 'index.docker.io', path: 'acme/app', repository: 'docker.io/acme/app' }
    ],
    [
      'registry.example.com:5000/team/app:v1.2',
      {
        registry: 'registry.example.com:5000',
        path: 'team/app',
        tag: 'v1.2',
        repository: 'registry.example.com:5000/team/app'
      }
    ],
    ['localhost/app', { registry: 'localhost', path: 'app', repository: 'localhost/app' }],
    ['localhost:5000/app', { registry: 'localhost:5000', path: 'app', repository: 'localhost:5000/app' }],
    ['[::1]:5000/app', { registry: '[::1]:5000', path: 'app' }],
    ['host:5000/app', { registry: 'host:5000', path: 'app' }],
    ['ghcr.io/acme/a.b_c__d-e--f:1', { path: 'acme/a.b_c__d-e--f', tag: '1' }],
    [`app@${SHA}`, { tag: undefined, digest: SHA }],
    [`app:1@${SHA}`, { tag: '1', digest: SHA }],
    [`app@sha512:${'b'.repeat(128)}`, { digest: `sha512:${'b'.repeat(128)}` }],
    [`app:${'t'.repeat(128)}`, { tag: 't'.repeat(128) }],
    ['  app:1  ', { path: 'app', tag: '1' }]
  ])('%s', (reference, expected) => {
    expect(parseImageReference(reference)).toMatchObject(expected)
  })

  it.each([
    ['', 'it is empty'],
    ['   ', 'it is empty'],
    ['app@sha256:abc', 'digest "sha256:abc" is not algorithm:hex'],
    [`app@sha256:${'A'.repeat(64)}`, 'a sha256 digest has exactly 64 lower-case hex characters'],
    [`app@sha256:${'a'.repeat(65)}`, 'a sha256 digest has exactly 64 lower-case hex characters'],
    ['app@abc', 'digest "abc" is not algorithm:hex'],
    [`app@1sha:${'a'.repeat(32)}`, 'is not algorithm:hex'],
    [`app@sha:${'g'.repeat(32)}`, 'is not algorithm:hex'],
    [`app:${'t'.repeat(129)}`, 'or is longer than 128'],
    ['app:-x', 'tag "-x" has characters'],
    ['app:a b', 'tag "a b" has characters'],
    ['bad_host.io:x/app', 'registry "bad_host.io:x" is not a host name'],
    ['-bad.io/app', 'registry "-bad.io" is not a host name'],
    ['reg.io/', 'the repository path is empty'],
    ['reg.io//app', 'the repository path is empty'],
    ['App', 'path component "App" must be lower-case'],
    ['acme/-app', 'path component "-app"'],
    ['acme/app-', 'path component "app-"'],
    ['acme/a___b', 'path component "a___b"'],
    ['acme/a..b', 'path component "a..b"']
  ])('refuses %j: %s', (reference, why) => {
    expect(() => parseImageReference(reference)).toThrow(why)
    expect(() => parseImageReference(reference)).toThrow(`"${reference}" is not a valid image reference: `)
  })
})

describe('formatImageReference', () => {
  it('writes Docker Hub images short unless the registry was written out', () => {
    expect(formatImageReference(parseImageReference('nginx:1'))).toBe('nginx:1')
    expect(formatImageReference({ ...parseImageReference('nginx:1'), explicitRegistry: true })).toBe(
      'docker.io/nginx:1'
    )
    expect(formatImageReference(parseImageReference(`ghcr.io/a/b@${SHA}`))).toBe(`ghcr.io/a/b@${SHA}`)
    expect(formatImageReference(parseImageReference(`ghcr.io/a/b:2@${SHA}`))).toBe(`ghcr.io/a/b:2@${SHA}`)
    expect(formatImageReference(parseImageReference('ghcr.io/a/b'))).toBe('ghcr.io/a/b')
  })
})

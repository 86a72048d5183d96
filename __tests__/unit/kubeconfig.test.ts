import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { defaultKubeconfigText, parseSimpleKubeconfig } from '../../src/kube/kubeconfig.js'

const b64 = (text: string) => Buffer.from(text).toString('base64')

/** The kubeconfig test/cluster/start.sh writes, and what most workflows pass. */
const common = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: ${b64('CA')}
- name: dev
  cluster:
    server: https://dev.example:443
    insecure-skip-tls-verify: true
    tls-server-name: api.dev.example
users:
- name: admin
  user:
    client-certificate-data: ${b64('CERT')}
    client-key-data: ${b64('KEY')}
- name: robot
  user:
    token: abc.def
contexts:
- name: prod
  context: { cluster: prod, user: admin, namespace: shop }
- name: dev
  context: { cluster: dev, user: robot }
current-context: prod
`

describe('parseSimpleKubeconfig', () => {
  it('reads clusters, users and contexts with client-node meaning', () => {
    const kc = parseSimpleKubeconfig(common)!
    expect(kc).toBeDefined()
    expect(kc.contexts.map(c => c.name)).toEqual(['prod', 'dev'])
    // A trailing slash is dropped, as client-node does.
    expect(kc.getCurrentCluster()).toEqual({
      name: 'prod',
      server: 'https://10.0.0.1:6443',
      caData: b64('CA'),
      skipTLSVerify: false,
      tlsServerName: undefined
    })
    expect(kc.users).toEqual([
      { name: 'admin', certData: b64('CERT'), keyData: b64('KEY'), token: undefined },
      { name: 'robot', token: 'abc.def', certData: undefined, keyData: undefined }
    ])
  })

  it('gives the TLS options and headers of the current context', () => {
    const kc = parseSimpleKubeconfig(common)!
    expect(kc.requestOptions()).toEqual({
      tls: { ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY') },
      headers: {}
    })
    kc.setCurrentContext('dev')
    expect(kc.getCurrentCluster()?.skipTLSVerify).toBe(true)
    expect(kc.requestOptions()).toEqual({
      tls: { rejectUnauthorized: false, servername: 'api.dev.example' },
      headers: { Authorization: 'Bearer abc.def' }
    })
  })

  it('has no current cluster when the current context or its cluster is missing', () => {
    expect(parseSimpleKubeconfig(common.replace('current-context: prod', ''))!.getCurrentCluster()).toBeNull()
    const kc = parseSimpleKubeconfig(common)!
    kc.setCurrentContext('nope')
    expect(kc.getCurrentCluster()).toBeNull()
  })

  it('leaves a context without a user to client-node (no request options)', () => {
    const kc = parseSimpleKubeconfig(common.replace('{ cluster: dev, user: robot }', '{ cluster: dev }'))!
    kc.setCurrentContext('dev')
    expect(kc.getCurrentCluster()?.server).toBe('https://dev.example:443')
    expect(kc.requestOptions()).toBeUndefined()
  })

  it('treats empty values as absent, as client-node does', () => {
    const kc = parseSimpleKubeconfig(common.replace('token: abc.def', 'token: ""'))!
    kc.setCurrentContext('dev')
    expect(kc.requestOptions()?.headers).toEqual({})
  })

  it.each([
    [
      'an exec plugin',
      common.replace('token: abc.def', 'exec: { apiVersion: client.authentication.k8s.io/v1, command: aws }')
    ],
    ['an auth provider', common.replace('token: abc.def', 'auth-provider: { name: oidc }')],
    ['a token file', common.replace('token: abc.def', 'token-file: /var/run/token')],
    ['basic auth', common.replace('token: abc.def', 'username: u\n    password: p')],
    ['impersonation', common.replace('token: abc.def', 'token: t\n    as: someone')],
    ['a certificate file', common.replace(/certificate-authority-data: .*/, 'certificate-authority: ca.crt')],
    ['a client key file', common.replace(/client-key-data: .*/, 'client-key: key.pem')],
    ['a proxy', common.replace('insecure-skip-tls-verify: true', 'proxy-url: http://proxy:3128')],
    ['an http server', common.replace('https://dev.example:443', 'http://dev.example:8080')],
    ['cluster extensions', common.replace('insecure-skip-tls-verify: true', 'extensions: []')],
    ['a cluster without a server', common.replace('server: https://dev.example:443', 'tls-server-name: x')],
    ['an unnamed user', common.replace('- name: robot', '- name: ""')],
    ['a context without a cluster', common.replace('{ cluster: dev, user: robot }', '{ user: robot }')],
    ['a list that is not a list', common.replace(/^users:[\s\S]*?^contexts:/m, 'users: {}\ncontexts:')],
    ['a non-string token', common.replace('token: abc.def', 'token: 12')],
    ['unknown top-level keys', `${common}proxy: x\n`],
    ['invalid YAML', 'clusters: [\n'],
    ['several documents', `${common}---\n${common}`],
    ['a scalar', 'just text'],
    ['duplicate keys', common.replace('kind: Config', 'kind: Config\nkind: Config')]
  ])('leaves %s to client-node', (_name, source) => {
    expect(parseSimpleKubeconfig(source)).toBeUndefined()
  })

  it('reads a file with no users, clusters or contexts (nothing selected)', () => {
    const kc = parseSimpleKubeconfig('apiVersion: v1\nkind: Config\n')!
    expect(kc.contexts).toEqual([])
    expect(kc.getCurrentCluster()).toBeNull()
  })
})

describe('defaultKubeconfigText', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-test-'))
  const file = path.join(dir, 'config')
  writeFileSync(file, 'kind: Config\n')
  mkdirSync(path.join(dir, 'home/.kube'), { recursive: true })
  writeFileSync(path.join(dir, 'home/.kube/config'), 'kind: Home\n')

  it('reads the one file KUBECONFIG names', () => {
    expect(defaultKubeconfigText({ KUBECONFIG: file })).toBe('kind: Config\n')
    expect(defaultKubeconfigText({ KUBECONFIG: `${file}${path.delimiter}` })).toBe('kind: Config\n')
  })

  it('leaves several files, a missing file and no file at all to client-node', () => {
    expect(defaultKubeconfigText({ KUBECONFIG: `${file}${path.delimiter}${file}` })).toBeUndefined()
    expect(defaultKubeconfigText({ KUBECONFIG: path.join(dir, 'missing') })).toBeUndefined()
    expect(defaultKubeconfigText({ HOME: dir })).toBeUndefined()
    expect(defaultKubeconfigText({})).toBeUndefined()
  })

  it('falls back to $HOME/.kube/config', () => {
    expect(defaultKubeconfigText({ HOME: path.join(dir, 'home') })).toBe('kind: Home\n')
    expect(defaultKubeconfigText({ KUBECONFIG: '', HOME: path.join(dir, 'home') })).toBe('kind: Home\n')
  })
})

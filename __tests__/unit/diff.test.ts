import { fieldDiff } from '../../src/kube/diff.js'

const options = { ignoredAnnotations: ['kube-stage.dev/commit', 'kube-stage.dev/config-digest'] }

const deployment = (image: string, replicas: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'dev', labels: { app: 'web' } },
  spec: {
    replicas,
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] }
    }
  },
  ...extra
})

describe('fieldDiff', () => {
  it('has nothing to compare for an object that does not exist yet', () => {
    expect(fieldDiff(undefined, deployment('a:1', 1), options)).toEqual([])
  })

  it('names each changed field with both values, containers by name', () => {
    expect(fieldDiff(deployment('app:1', 1), deployment('app:2', 3), options)).toEqual([
      { path: 'spec.replicas', before: 1, after: 3 },
      { path: 'spec.template.spec.containers[name=web].image', before: 'app:1', after: 'app:2' }
    ])
  })

  it('says when a field is new or goes away', () => {
    const before = { kind: 'ConfigMap', metadata: { name: 'c' }, data: { A: '1', GONE: 'x' } }
    const after = { kind: 'ConfigMap', metadata: { name: 'c' }, data: { A: '1', NEW: 'y' } }
    expect(fieldDiff(before, after, options)).toEqual([
      { path: 'data.GONE', before: 'x' },
      { path: 'data.NEW', after: 'y' }
    ])
  })

  it('leaves out what the server writes every time, status, and the ignored annotations at any depth', () => {
    const live = deployment('app:1', 1, { status: { replicas: 1 } }) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
    Object.assign(live.metadata, {
      uid: 'u1',
      resourceVersion: '10',
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
      managedFields: [{ manager: 'kube-stage' }],
      annotations: { 'kube-stage.dev/commit': 'aaa' }
    })
    live.spec.template.metadata.annotations = { 'kube-stage.dev/config-digest': 'd1' }
    const preview = deployment('app:1', 1, { status: { replicas: 0 } }) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
    Object.assign(preview.metadata, {
      uid: 'u1',
      resourceVersion: '11',
      generation: 2,
      managedFields: [{ manager: 'other' }],
      annotations: { 'kube-stage.dev/commit': 'bbb' }
    })
    preview.spec.template.metadata.annotations = { 'kube-stage.dev/config-digest': 'd2' }
    expect(fieldDiff(live, preview, options)).toEqual([])
  })

  it('quotes map keys that are not plain words, and shows other annotations', () => {
    const before = { kind: 'Service', metadata: { name: 's', annotations: { 'example.com/owner': 'a' } } }
    const after = { kind: 'Service', metadata: { name: 's', annotations: { 'example.com/owner': 'b' } } }
    expect(fieldDiff(before, after, options)).toEqual([
      { path: 'metadata.annotations["example.com/owner"]', before: 'a', after: 'b' }
    ])
  })

  it('a container added or removed shows whole; unnamed list items go by index', () => {
    const one = deployment('app:1', 1) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
    const two = deployment('app:1', 1) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
    two.spec.template.spec.containers.push({ name: 'sidecar', image: 'proxy:1' })
    two.spec.template.spec.containers[0].ports = [{ containerPort: 8080 }, { containerPort: 9090 }]
    expect(fieldDiff(one, two, options)).toEqual([
      { path: 'spec.template.spec.containers[name=web].ports[1]', after: { containerPort: 9090 } },
      { path: 'spec.template.spec.containers[name=sidecar]', after: { name: 'sidecar', image: 'proxy:1' } }
    ])
    expect(fieldDiff(two, one, options)).toEqual([
      { path: 'spec.template.spec.containers[name=web].ports[1]', before: { containerPort: 9090 } },
      { path: 'spec.template.spec.containers[name=sidecar]', before: { name: 'sidecar', image: 'proxy:1' } }
    ])
  })

  it('lists whose items share a name are compared by index', () => {
    const before = {
      kind: 'X',
      metadata: { name: 'x' },
      spec: {
        items: [
          { name: 'a', v: 1 },
          { name: 'a', v: 2 }
        ]
      }
    }
    const after = {
      kind: 'X',
      metadata: { name: 'x' },
      spec: {
        items: [
          { name: 'a', v: 1 },
          { name: 'a', v: 3 }
        ]
      }
    }
    expect(fieldDiff(before, after, options)).toEqual([{ path: 'spec.items[1].v', before: 2, after: 3 }])
  })

  it('a value that changes type is shown whole', () => {
    const before = { kind: 'X', metadata: { name: 'x' }, spec: { a: { b: 1 } } }
    const after = { kind: 'X', metadata: { name: 'x' }, spec: { a: 'flat' } }
    expect(fieldDiff(before, after, options)).toEqual([{ path: 'spec.a', before: { b: 1 }, after: 'flat' }])
  })

  it('is blind to key order', () => {
    const before = { kind: 'X', metadata: { name: 'x' }, spec: { a: 1, b: { c: 2, d: 3 } } }
    const after = { kind: 'X', spec: { b: { d: 3, c: 2 }, a: 1 }, metadata: { name: 'x' } }
    expect(fieldDiff(before, after, options)).toEqual([])
  })
})

describe('fieldDiff of a Secret', () => {
  const secret = (data?: Record<string, string>, annotations?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', ...(annotations ? { annotations } : {}) },
    ...(data ? { data } : {})
  })

  it('masks every value under data, changed, added or removed, and keeps the keys', () => {
    const diff = fieldDiff(
      secret({ password: 'b2xk', gone: 'eA==' }),
      secret({ password: 'bmV3', added: 'eQ==' }),
      options
    )
    expect(diff).toEqual([
      { path: 'data.added', after: '***' },
      { path: 'data.gone', before: '***' },
      { path: 'data.password', before: '***', after: '***' }
    ])
    expect(JSON.stringify(diff)).not.toMatch(/b2xk|bmV3|eA==|eQ==/)
  })

  it('masks a whole data map that appears, and stringData', () => {
    const diff = fieldDiff(
      secret(),
      { ...secret({ token: 'c2VjcmV0' }), stringData: { 'api.key': 'plain-secret' } },
      options
    )
    expect(diff).toEqual([
      { path: 'data', after: { token: '***' } },
      { path: 'stringData', after: { 'api.key': '***' } }
    ])
  })

  it("masks kubectl's last-applied copy, which holds the data in plain", () => {
    const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration'
    const diff = fieldDiff(
      secret({ a: 'b2xk' }, { [lastApplied]: '{"data":{"a":"b2xk"}}', team: 'x' }),
      secret({ a: 'b2xk' }, { [lastApplied]: '{"data":{"a":"bmV3"}}', team: 'y' }),
      options
    )
    expect(diff).toEqual([
      { path: `metadata.annotations["${lastApplied}"]`, before: '***', after: '***' },
      { path: 'metadata.annotations.team', before: 'x', after: 'y' }
    ])
    const added = fieldDiff(secret({ a: 'b2xk' }), secret({ a: 'b2xk' }, { [lastApplied]: 'bmV3' }), options)
    expect(added).toEqual([{ path: 'metadata.annotations', after: { [lastApplied]: '***' } }])
  })

  it('a ConfigMap is not masked', () => {
    const cm = (value: string) => ({ kind: 'ConfigMap', metadata: { name: 'c' }, data: { password: value } })
    expect(fieldDiff(cm('a'), cm('b'), options)).toEqual([{ path: 'data.password', before: 'a', after: 'b' }])
  })
})

import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { LIMITS, loadManifests, parseManifestEntries, parseManifestText } from '../../src/manifests/load.js'
import { StageError } from '../../src/errors.js'

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'manifests-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
    writeFileSync(path.join(root, name), text)
  }
  return root
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`

async function failure(promise: Promise<unknown>): Promise<StageError> {
  try {
    await promise
  } catch (error) {
    return error as StageError
  }
  throw new Error('expected a failure')
}

describe('parseManifestEntries', () => {
  it('splits on newlines and commas, trims, drops blanks', () => {
    expect(parseManifestEntries(' k8s/base,\n k8s/dev/*.yaml ,, \n')).toEqual(['k8s/base', 'k8s/dev/*.yaml'])
  })
})

describe('parseManifestText', () => {
  it('reads multi-document YAML with each object at its line, skipping empty documents', () => {
    const { manifests, problems } = parseManifestText(
      `${cm('a')}---\n---\n# only a comment\n---\n${cm('b')}`,
      'x.yaml'
    )
    expect(problems).toEqual([])
    expect(manifests.map(m => [m.object.metadata.name, m.source.line])).toEqual([
      ['a', 1],
      ['b', 9]
    ])
  })

  it('flattens a List, keeping each item at its own line', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n`
    const { manifests } = parseManifestText(text, 'list.yaml')
    expect(manifests.map(m => [m.object.kind, m.source.line])).toEqual([
      ['ConfigMap', 4],
      ['Secret', 7]
    ])
  })

  it('reports syntax errors and malformed objects with their line', () => {
    const { problems } = parseManifestText(
      `${cm('ok')}---\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  generateName: p-\n---\na: [1, 2\n`,
      'bad.yaml'
    )
    expect(problems.map(p => [p.location.line, p.message])).toEqual([
      [6, 'missing apiVersion'],
      [9, 'Pod: metadata.generateName cannot be applied (server-side apply needs a fixed name)'],
      [expect.any(Number), expect.stringMatching(/flow sequence|Missing|expected/i)]
    ])
    expect(problems[2].location.line).toBeGreaterThanOrEqual(13)
  })

  it('reads JSON', () => {
    const { manifests } = parseManifestText(
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' } }),
      'j.json'
    )
    expect(manifests[0].object.metadata.name).toBe('j')
  })
})

describe('loadManifests', () => {
  it('walks directories recursively in a stable order and expands globs, each file once', async () => {
    const root = tree({
      'k8s/b.yaml': cm('b'),
      'k8s/a/one.yml': cm('one'),
      'k8s/a/two.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two' } }),
      'k8s/notes.txt': 'x'
    })
    const loaded = await loadManifests(['k8s', 'k8s/*.yaml'], root)
    expect(loaded.map(m => `${m.source.file}:${m.object.metadata.name}`)).toEqual([
      'k8s/a/one.yml:one',
      'k8s/a/two.json:two',
      'k8s/b.yaml:b'
    ])
  })

  it('names the file and line of a YAML error and lists every problem', async () => {
    const root = tree({
      'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [bad\n',
      'b.yaml': 'kind: X\nmetadata: {name: y}\n'
    })
    const error = await failure(loadManifests(['.'], root))
    expect(error.code).toBe('InvalidManifest')
    expect(error.location?.file).toBe('a.yaml')
    expect(error.message).toMatch(/^2 problems in the manifests, the first: a\.yaml:\d+: /)
    expect(error.details[1]).toBe('b.yaml:1: missing apiVersion')
  })

  it('refuses entries outside the workspace, through .. or a symlink, and entries that match nothing', async () => {
    const outside = tree({ 'secret.yaml': cm('s') })
    const root = tree({ 'in.yaml': cm('in') })
    symlinkSync(path.join(outside, 'secret.yaml'), path.join(root, 'link.yaml'))
    expect((await failure(loadManifests(['../x'], root))).message).toMatch(
      /does not exist|outside the workspace/
    )
    expect((await failure(loadManifests([path.relative(root, outside)], root))).message).toContain(
      'outside the workspace'
    )
    expect((await failure(loadManifests(['link.yaml'], root))).message).toContain('outside the workspace')
    expect((await failure(loadManifests(['*.yml'], root))).message).toContain(
      'matches no .yaml, .yml or .json file'
    )
  })

  it('follows symlinked directories inside the workspace, refuses one that leads outside, ends link cycles', async () => {
    const root = tree({ 'real/one.yaml': cm('one'), 'k8s/two.yaml': cm('two') })
    symlinkSync(path.join(root, 'real'), path.join(root, 'k8s', 'linked'))
    symlinkSync(path.join(root, 'k8s'), path.join(root, 'k8s', 'loop'))
    const loaded = await loadManifests(['k8s'], root)
    expect(loaded.map(m => m.object.metadata.name).sort()).toEqual(['one', 'two'])

    const outside = tree({ 'secret.yaml': cm('s') })
    symlinkSync(outside, path.join(root, 'k8s', 'escape'))
    expect((await failure(loadManifests(['k8s'], root))).message).toContain('outside the workspace')
  })

  it('skips directories that a glob matches by their name', async () => {
    const root = tree({ 'odd.yaml/inner.txt': 'x', 'a.yaml': cm('a') })
    const loaded = await loadManifests(['*.yaml'], root)
    expect(loaded.map(m => m.object.metadata.name)).toEqual(['a'])
  })

  it('refuses an object defined twice, naming both places', async () => {
    const root = tree({ 'a.yaml': cm('dup'), 'b.yaml': cm('dup') })
    const error = await failure(loadManifests(['.'], root))
    expect(error.message).toContain('b.yaml:1: ConfigMap/dup is defined twice (first at a.yaml:1)')
  })
})

describe('limits and hostile files', () => {
  it('refuses a glob that would walk outside the workspace before walking anything', async () => {
    const root = tree({ 'k8s/a.yaml': cm('a') })
    for (const entry of ['/**/*.yaml', '../**/*.yaml', 'k8s/../../*.yaml']) {
      const error = await failure(loadManifests([entry], root))
      expect(error.code).toBe('InvalidInput')
      expect(error.message).toContain('is a glob outside the workspace')
    }
  })

  it('reports a binary file once, not one problem per byte', async () => {
    const root = tree({})
    writeFileSync(
      path.join(root, 'blob.yaml'),
      Buffer.concat([Buffer.from('apiVersion: v1\n'), Buffer.alloc(2048, 0)])
    )
    const error = await failure(loadManifests(['blob.yaml'], root))
    expect(error.code).toBe('InvalidManifest')
    expect(error.message).toBe('blob.yaml:1: not a text file (it holds NUL bytes)')
  })

  it('lists at most 20 problems and counts the rest', async () => {
    const broken = Array.from(
      { length: 30 },
      (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: [${i}\n`
    ).join('---\n')
    const error = await failure(loadManifests(['bad.yaml'], tree({ 'bad.yaml': broken })))
    expect(error.details.length).toBe(21)
    expect(error.details[20]).toMatch(/^\.\.\. and \d+ more$/)
  })

  it('reports an alias bomb as an invalid manifest, not a bug', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`)
    ].join('\n')
    const error = await failure(loadManifests(['bomb.yaml'], tree({ 'bomb.yaml': bomb })))
    expect(error.code).toBe('InvalidManifest')
    expect(error.message).toMatch(/alias/i)
  })

  it('deploys a custom resource whose kind ends in List as one object', async () => {
    const backup =
      'apiVersion: example.com/v1\nkind: BackupList\nmetadata: { name: nightly }\nitems: [db, files]\n'
    const loaded = await loadManifests(['cr.yaml'], tree({ 'cr.yaml': backup }))
    expect(loaded.map(m => `${m.object.kind}/${m.object.metadata.name}`)).toEqual(['BackupList/nightly'])
  })

  it('refuses a manifest file over the size limit with its name', async () => {
    const root = tree({})
    writeFileSync(path.join(root, 'huge.yaml'), Buffer.alloc(LIMITS.fileBytes + 1, 'a'))
    const error = await failure(loadManifests(['huge.yaml'], root))
    expect(error.code).toBe('InvalidManifest')
    expect(error.message).toMatch(/^huge\.yaml is \d+ MiB, more than the 8 MiB/)
  })
})

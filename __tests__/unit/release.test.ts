/**
 * What a release needs, and script/release.sh run for real with git: against a bare
 * repository standing in for GitHub, it tags vX.Y.Z, moves vX, and refuses a version that
 * package.json or CHANGELOG.md does not name, a stale dist/, a dirty tree or a tag that exists.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'

const ROOT = path.resolve(import.meta.dirname, '../..')
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')

describe('release files', () => {
  it("action.yml's description fits the Marketplace (under 125 characters)", () => {
    const description = (parse(read('action.yml')) as { description: string }).description
    expect(description.length).toBeLessThan(125)
  })

  it('LICENSE is the MIT license package.json declares; SECURITY.md and CHANGELOG.md exist', () => {
    expect(JSON.parse(read('package.json')).license).toBe('MIT')
    expect(read('LICENSE')).toMatch(/^MIT License\n/)
    expect(read('SECURITY.md')).toContain('Report a vulnerability')
    expect(read('CHANGELOG.md')).toMatch(/^## \[Unreleased\]$/m)
  })

  it('Dependabot updates npm packages and the workflows’ actions', () => {
    const config = parse(read('.github/dependabot.yml')) as { updates: { 'package-ecosystem': string }[] }
    expect(config.updates.map(u => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm'])
  })

  it('the release workflow runs script/release.sh with the version it is given', () => {
    const workflow = read('.github/workflows/release.yml')
    expect(workflow).toContain('bash script/release.sh "$VERSION"')
    expect((parse(workflow) as { permissions: Record<string, string> }).permissions).toEqual({
      contents: 'write'
    })
  })
})

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim()
}

/** A checkout of a repository whose origin is a bare repository, holding package.json, CHANGELOG.md and the script. */
function repository(): { work: string; origin: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'kube-stage-release-'))
  const origin = path.join(root, 'origin.git')
  const work = path.join(root, 'work')
  git(root, 'init', '-q', '--bare', origin)
  git(root, 'clone', '-q', origin, work)
  git(work, 'config', 'user.name', 'Release Test')
  git(work, 'config', 'user.email', 'release@example.test')
  mkdirSync(path.join(work, 'script'))
  copyFileSync(path.join(ROOT, 'script/release.sh'), path.join(work, 'script/release.sh'))
  writeFileSync(path.join(work, '.gitignore'), 'release-notes.md\n')
  return { work, origin }
}

function commitVersion(work: string, version: string, changelog: string): string {
  writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'kube-stage', version }))
  writeFileSync(path.join(work, 'CHANGELOG.md'), changelog)
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', `release ${version}`)
  return git(work, 'rev-parse', 'HEAD')
}

function release(work: string, version: string, distCheck = 'true') {
  const run = spawnSync('bash', ['script/release.sh', version], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, RELEASE_CHECK_DIST: distCheck }
  })
  return { code: run.status, stderr: run.stderr, stdout: run.stdout }
}

const remoteTag = (origin: string, tag: string) => git(origin, 'rev-parse', `refs/tags/${tag}^{commit}`)
const remoteTags = (origin: string) => git(origin, 'tag', '--list').split('\n').filter(Boolean)

describe('script/release.sh', () => {
  it('tags vX.Y.Z and moves vX to it, and the next release moves vX on', () => {
    const { work, origin } = repository()
    const first = commitVersion(
      work,
      '1.2.3',
      '# Changelog\n\n## [1.2.3] - 2026-12-07\n\n### Added\n- checks\n'
    )
    const run = release(work, '1.2.3')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`release: v1.2.3 and v1 at ${first}`)
    expect(remoteTag(origin, 'v1.2.3')).toBe(first)
    expect(remoteTag(origin, 'v1')).toBe(first)
    expect(readFileSync(path.join(work, 'release-notes.md'), 'utf8')).toBe('### Added\n- checks\n')

    const second = commitVersion(
      work,
      '1.3.0',
      '# Changelog\n\n## [1.3.0]\n\n- more\n\n## [1.2.3] - 2026-12-07\n\n### Added\n- checks\n'
    )
    expect(release(work, '1.3.0').code).toBe(0)
    expect(remoteTag(origin, 'v1')).toBe(second)
    expect(remoteTag(origin, 'v1.2.3')).toBe(first)
    expect(readFileSync(path.join(work, 'release-notes.md'), 'utf8')).toBe('- more\n')
  })

  it.each([
    ['a version package.json does not say', '1.2.4', 'true', 'package.json says 1.2.3, not 1.2.4'],
    ['a version without a CHANGELOG entry', '1.2.3', 'true', 'CHANGELOG.md has no "## [1.2.3]" entry'],
    ['a stale dist/', '1.2.3', 'false', 'dist/ is not current'],
    ['a version that is not X.Y.Z', 'v1.2.3', 'true', 'give the version as X.Y.Z']
  ])('refuses %s, pushing nothing', (_, version, distCheck, message) => {
    const { work, origin } = repository()
    commitVersion(
      work,
      '1.2.3',
      message.includes('CHANGELOG') ? '# Changelog\n\n## [Unreleased]\n- x\n' : '## [1.2.3]\n- x\n'
    )
    const run = release(work, version, distCheck)
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain(message)
    expect(remoteTags(origin)).toEqual([])
  })

  it('refuses a dirty tree and a tag that exists', () => {
    const { work, origin } = repository()
    commitVersion(work, '1.2.3', '## [1.2.3]\n- x\n')
    writeFileSync(path.join(work, 'stray.txt'), 'uncommitted')
    expect(release(work, '1.2.3').stderr).toContain('the working tree has changes')
    git(work, 'add', 'stray.txt')
    git(work, 'commit', '-q', '-m', 'stray')
    expect(release(work, '1.2.3').code).toBe(0)
    const again = release(work, '1.2.3')
    expect(again.code).not.toBe(0)
    expect(again.stderr).toContain('v1.2.3 exists already')
    expect(remoteTags(origin).sort()).toEqual(['v1', 'v1.2.3'])
  })
})

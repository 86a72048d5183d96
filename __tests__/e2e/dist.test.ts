/** The committed bundle is what src/ builds to: users and these tests run dist/, not src/. */
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../support/action.js'

it('dist/ matches a fresh build of src/', () => {
  const output = execFileSync('bash', [path.join(REPO_ROOT, 'script/check-dist.sh')], {
    cwd: REPO_ROOT,
    encoding: 'utf8'
  })
  expect(output).toContain('dist/ is current')
  // The entry, its licenses, the ESM marker, chunks for lazily imported modules (@actions/github),
  // and the jq worker's own bundle (smoke/jq-thread.ts starts it from that directory).
  const files = readdirSync(path.join(REPO_ROOT, 'dist'))
  expect(files).toEqual(expect.arrayContaining(['index.js', 'licenses.txt', 'package.json', 'jq-worker']))
  expect(
    files
      .filter(f => !['index.js', 'licenses.txt', 'package.json', 'jq-worker'].includes(f))
      .every(f => /^\d+\.index\.js$/.test(f))
  ).toBe(true)
  expect(readdirSync(path.join(REPO_ROOT, 'dist/jq-worker')).sort()).toEqual([
    'index.js',
    'licenses.txt',
    'package.json'
  ])
  expect(JSON.parse(readFileSync(path.join(REPO_ROOT, 'dist/package.json'), 'utf8'))).toEqual({
    type: 'module'
  })
})

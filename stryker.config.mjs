// Mutation testing of the pure rules users' verdicts depend on: `npm run mutate`.
// Only the unit project runs (no cluster, no network), with per-test coverage so
// each mutant runs only the tests that reach it.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: { projectType: 'custom', configFile: 'jest.unit.config.js' },
  coverageAnalysis: 'perTest',
  // A static mutant (a module-level constant such as a Set of reasons) reruns the whole unit
  // suite in a fresh module registry: 6% of the mutants, 70% of the time. They are left out.
  ignoreStatic: true,
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    'src/kube/status/*.ts',
    '!src/kube/status/types.ts',
    'src/smoke/spec.ts',
    'src/smoke/expect.ts',
    'src/smoke/jsonpath.ts',
    'src/smoke/jsonvalue.ts',
    'src/smoke/jq.ts',
    'src/promote/guard.ts',
    'src/promote/parity.ts',
    'src/manifests/image.ts',
    'src/manifests/references.ts',
    'src/manifests/rendered.ts',
    'src/manifests/generated-names.ts',
    'src/kube/wait-step.ts',
    'src/kube/lease-rules.ts',
    'src/manifests/pre-deploy.ts',
    'src/environments.ts'
  ],
  reporters: ['clear-text', 'progress', 'json'],
  // A run tests again only the mutants whose code or covering tests changed since the last
  // one on this machine (reports/stryker-incremental.json).
  incremental: true,
  concurrency: 2,
  // The bar applies to each file too (script/mutation-score.mjs): one weak file cannot hide.
  thresholds: { high: 90, low: 85, break: 85 },
  tempDirName: '.stryker-tmp',
  // A running test cluster's files (and dist/, while it is rebuilt) come and go while Stryker
  // copies the project into its sandbox; the unit tests need neither.
  ignorePatterns: ['/.cluster', '/reports', '/dist'],
  cleanTempDir: 'always'
}

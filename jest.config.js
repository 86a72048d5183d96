// Jest runs TypeScript as ESM (our dependencies are ESM-only); see NOTES on jest 30 + ts-jest.
const base = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  // The test cluster's etcd writes *.snap files, which jest would take for obsolete snapshots.
  modulePathIgnorePatterns: ['<rootDir>/.cluster/', '<rootDir>/.stryker-tmp/']
}

// Pure logic, no I/O beyond fixture files. Also what mutation testing runs (stryker.config.mjs).
export const unitProject = {
  ...base,
  displayName: 'unit',
  testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts']
}

export default {
  // Cluster and HTTP tests run real servers; their own deadlines are much shorter than this.
  testTimeout: 180_000,
  projects: [
    unitProject,
    // Real HTTP servers on 127.0.0.1, no cluster needed.
    { ...base, displayName: 'http', testMatch: ['<rootDir>/__tests__/http/**/*.test.ts'] },
    // A real kube-apiserver: refuses to run (fails) without one.
    {
      ...base,
      displayName: 'cluster',
      testMatch: ['<rootDir>/__tests__/integration/**/*.test.ts', '<rootDir>/__tests__/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/__tests__/support/require-cluster.js'
    }
  ]
}

// Prints "N passed, N failed" from jest's --json output, for CI harnesses that read that line.
import { readFileSync } from 'node:fs'

const file = process.argv[2] ?? '.test-results/jest.json'
try {
  const results = JSON.parse(readFileSync(file, 'utf8'))
  // Suites that failed to run (a crash in setup) count as failures too.
  const brokenSuites = results.testResults.filter(
    s => s.status === 'failed' && s.assertionResults.length === 0
  ).length
  console.log(`${results.numPassedTests} passed, ${results.numFailedTests + brokenSuites} failed`)
} catch {
  console.log('0 passed, 1 failed')
}

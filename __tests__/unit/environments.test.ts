// Which environment a resource name is named for, and which names are the stage's own.
import { foreignEnvironmentIn, normalizeEnvironmentTokens } from '../../src/environments.js'

describe('foreignEnvironmentIn', () => {
  it('ignores an empty name in the list of environments', () => {
    expect(foreignEnvironmentIn('db-credentials', 'production', ['', 'dev', 'production'])).toBeUndefined()
    expect(foreignEnvironmentIn('db-credentials-dev', 'production', ['', '--', 'production'])).toBeUndefined()
    expect(foreignEnvironmentIn('db-credentials-dev', 'production', ['', 'dev', 'production'])).toBe('dev')
  })
})

describe('normalizeEnvironmentTokens', () => {
  it('takes the start of a multi-part stage name as its own only when that start is a known environment', () => {
    // pre is no environment: pre-prod's values keep it
    expect(normalizeEnvironmentTokens('db-pre and db-pre-prod', 'pre-prod', ['dev', 'pre-prod'])).toBe(
      'db-pre and db-{env}'
    )
    // prod-us starts with prod, but prod itself is no environment here
    expect(normalizeEnvironmentTokens('db-prod and db-prod-eu', 'prod-eu', ['prod-eu', 'prod-us'])).toBe(
      'db-prod and db-{env}'
    )
  })

  it('matches an environment name with regular-expression characters literally', () => {
    expect(normalizeEnvironmentTokens('db-canary+1 and db-canary', 'canary+1', ['canary+1'])).toBe(
      'db-{env} and db-canary'
    )
    expect(normalizeEnvironmentTokens('db-qa(1) and db-qa1', 'qa(1)')).toBe('db-{env} and db-qa1')
  })
})

/**
 * Deployment statuses against a local implementation of the GitHub REST
 * endpoints on 127.0.0.1, through the real @actions/github client.
 */
import { startFakeGitHub, type FakeGitHub } from '../support/github-api.js'
import {
  belongsToRun,
  candidateDeployments,
  GitHubDeployment,
  type DeploymentTarget
} from '../../src/report/github-deployment.js'

const SHA = 'a'.repeat(40)

function target(github: FakeGitHub, mode: DeploymentTarget['mode']): DeploymentTarget {
  return {
    mode,
    token: 'ghs_test_token',
    apiUrl: github.url,
    environment: 'production',
    owner: 'o',
    repo: 'r',
    sha: SHA,
    runId: '77',
    runUrl: 'https://github.com/o/r/actions/runs/77'
  }
}

describe('GitHubDeployment', () => {
  let github: FakeGitHub
  afterEach(() => github.close())

  it('updates the deployment GitHub made for this job and never creates another', async () => {
    github = await startFakeGitHub([
      {
        id: 1,
        environment: 'production',
        sha: SHA,
        created_at: '2026-01-01T00:00:00Z',
        statuses: [{ log_url: 'https://github.com/o/r/actions/runs/12/job/1' }]
      },
      {
        id: 2,
        environment: 'production',
        sha: SHA,
        created_at: '2026-01-02T00:00:00Z',
        statuses: [{ log_url: 'https://github.com/o/r/actions/runs/77/job/9' }]
      },
      {
        id: 3,
        environment: 'staging',
        sha: SHA,
        created_at: '2026-01-03T00:00:00Z',
        statuses: [{ log_url: 'https://github.com/o/r/actions/runs/77/job/8' }]
      }
    ])
    const deployment = await GitHubDeployment.open(target(github, 'auto'))
    expect(deployment?.id).toBe(2)
    await deployment!.setState('in_progress')
    await deployment!.setState('success', { environmentUrl: 'https://shop.example.com' })
    expect(github.requests.filter(r => r.method === 'POST' && r.path.endsWith('/deployments'))).toHaveLength(
      0
    )
    const posted = github.requests
      .filter(r => r.method === 'POST')
      .map(r => [r.path, r.body?.state, r.body?.environment_url, r.body?.log_url])
    expect(posted).toEqual([
      [
        '/repos/o/r/deployments/2/statuses',
        'in_progress',
        undefined,
        'https://github.com/o/r/actions/runs/77'
      ],
      [
        '/repos/o/r/deployments/2/statuses',
        'success',
        'https://shop.example.com',
        'https://github.com/o/r/actions/runs/77'
      ]
    ])
    expect(github.requests[0].authorization).toBe('token ghs_test_token')
  })

  it('does nothing in auto mode when the job declared no environment', async () => {
    github = await startFakeGitHub([])
    expect(await GitHubDeployment.open(target(github, 'auto'))).toBeUndefined()
    expect(github.requests.filter(r => r.method === 'POST')).toHaveLength(0)
  })

  it('creates one deployment only when asked', async () => {
    github = await startFakeGitHub([])
    const deployment = await GitHubDeployment.open(target(github, 'create'))
    await deployment!.setState('failure', { description: 'CrashLoop: Deployment/web' })
    expect(github.deployments).toHaveLength(1)
    expect(github.deployments[0]).toMatchObject({ environment: 'production', sha: SHA })
    expect(github.deployments[0].statuses[0]).toMatchObject({
      state: 'failure',
      description: 'CrashLoop: Deployment/web'
    })
  })

  it('makes no request at all when off', async () => {
    github = await startFakeGitHub([])
    expect(await GitHubDeployment.open(target(github, 'off'))).toBeUndefined()
    expect(github.requests).toHaveLength(0)
  })
})

describe('deployment matching', () => {
  it('keeps this commit and environment, newest first', () => {
    const list = [
      { id: 1, environment: 'production', sha: 'x', created_at: '2026-01-01T00:00:00Z' },
      { id: 2, environment: 'production', sha: 'x', created_at: '2026-01-03T00:00:00Z' },
      { id: 3, environment: 'staging', sha: 'x', created_at: '2026-01-04T00:00:00Z' },
      { id: 4, environment: 'production', sha: 'y', created_at: '2026-01-05T00:00:00Z' }
    ]
    expect(candidateDeployments(list, 'production', 'x').map(d => d.id)).toEqual([2, 1])
  })

  it('matches the run id in a status URL, not a prefix of another run id', () => {
    expect(belongsToRun([{ log_url: 'https://github.com/o/r/actions/runs/77/job/1' }], '77')).toBe(true)
    expect(belongsToRun([{ target_url: 'https://github.com/o/r/actions/runs/771' }], '77')).toBe(false)
  })
})

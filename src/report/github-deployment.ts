/**
 * GitHub deployment statuses for the stage's environment. A job that declares
 * `environment:` already has a deployment that GitHub created for it: that one
 * is updated, never duplicated. A new deployment is created only in `create`
 * mode. @actions/github is imported only when needed: it is costly to load.
 */
export type DeploymentMode = 'auto' | 'create' | 'off'
export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error'

export interface DeploymentTarget {
  mode: DeploymentMode
  token: string
  /** GITHUB_API_URL: api.github.com, a GHES host, or a local server in tests. */
  apiUrl: string
  environment: string
  owner: string
  repo: string
  sha: string
  runId: string
  runUrl?: string
}

interface DeploymentSummary {
  id: number
  environment: string
  created_at: string
  sha: string
}

interface StatusSummary {
  log_url?: string
  target_url?: string
}

interface RestClient {
  request(route: string, parameters: Record<string, unknown>): Promise<{ data: unknown }>
}

/** Newest first, only this commit and environment: the candidates for this job's deployment. Pure. */
export function candidateDeployments(
  deployments: DeploymentSummary[],
  environment: string,
  sha: string
): DeploymentSummary[] {
  return deployments
    .filter(d => d.environment === environment && d.sha === sha)
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))
}

/**
 * GitHub gives the deployment it creates for a job a first status whose log URL
 * is that job's run; matching the run id tells this job's deployment apart from
 * an earlier run's for the same commit. Pure.
 */
export function belongsToRun(statuses: StatusSummary[], runId: string): boolean {
  const marker = new RegExp(`/actions/runs/${runId}(?:[/?#]|$)`)
  return statuses.some(s => marker.test(s.log_url ?? '') || marker.test(s.target_url ?? ''))
}

const CANDIDATES_CHECKED = 5

export class GitHubDeployment {
  private constructor(
    private readonly client: RestClient,
    private readonly target: DeploymentTarget,
    readonly id: number
  ) {}

  /** Finds (auto) or creates (create) the deployment; undefined when there is none to update. */
  static async open(target: DeploymentTarget): Promise<GitHubDeployment | undefined> {
    if (target.mode === 'off' || !target.token) return undefined
    const { getOctokit } = await import('@actions/github')
    const client = getOctokit(target.token, { baseUrl: target.apiUrl }) as unknown as RestClient
    const base = { owner: target.owner, repo: target.repo }
    if (target.mode === 'create') {
      const created = await client.request('POST /repos/{owner}/{repo}/deployments', {
        ...base,
        ref: target.sha,
        environment: target.environment,
        auto_merge: false,
        required_contexts: [],
        description: 'kube-stage'
      })
      return new GitHubDeployment(client, target, (created.data as { id: number }).id)
    }
    const listed = await client.request('GET /repos/{owner}/{repo}/deployments', {
      ...base,
      sha: target.sha,
      environment: target.environment,
      per_page: 20
    })
    for (const candidate of candidateDeployments(
      listed.data as DeploymentSummary[],
      target.environment,
      target.sha
    ).slice(0, CANDIDATES_CHECKED)) {
      const statuses = await client.request(
        'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
        {
          ...base,
          deployment_id: candidate.id
        }
      )
      if (belongsToRun(statuses.data as StatusSummary[], target.runId))
        return new GitHubDeployment(client, target, candidate.id)
    }
    return undefined
  }

  async setState(
    state: DeploymentState,
    options: { environmentUrl?: string; description?: string } = {}
  ): Promise<void> {
    await this.client.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
      owner: this.target.owner,
      repo: this.target.repo,
      deployment_id: this.id,
      state,
      log_url: this.target.runUrl,
      environment_url: options.environmentUrl,
      description: options.description?.slice(0, 140),
      auto_inactive: state === 'success'
    })
  }
}

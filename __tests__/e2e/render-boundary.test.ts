/**
 * The pull-request boundary: in plan mode a stage renders files a pull request
 * controls, with credentials that can write to the cluster. A hostile
 * kustomization and hostile charts, rendered through dist/index.js with a
 * planted cloud credential in the environment, the kubeconfig as an input and
 * secret helm values, must not get any of them into the log, the summary, the
 * outputs or the release record, in any encoding.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import { runAction, type ActionRun } from '../support/action.js'
import { core, deleteNamespace, kubeconfigText, uniqueName, withClusterTools } from '../support/cluster.js'
import { workspaceWith } from '../support/workspace.js'

const CLOUD_SECRET = 'planted-cloud-credential-4f1c9a27d3'
const HELM_SET_SECRET = 'planted-helm-set-value-88e1b0c4'
const VALUES_FILE_SECRET = 'planted-values-file-key-7d0a5e93'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

/** The kubeconfig's own credentials: what a leak of INPUT_KUBECONFIG would show. */
function kubeconfigCredentials(): string[] {
  const config = parse(kubeconfigText()) as { users: { user: Record<string, string> }[] }
  const user = config.users[0].user
  const key = user['client-key-data'] ?? user.token
  const pem = Buffer.from(key, 'base64').toString('utf8')
  // The key's PEM body lines too: a leak may carry a piece of it.
  const lines = pem.split('\n').filter(l => l.length >= 40 && !l.startsWith('-----'))
  return [key, ...lines]
}

/** Every form of `secret` found in `text`: raw, URL- and base64-encoded, or inside base64 (twice). */
function leaks(text: string, secret: string): string[] {
  const found: string[] = []
  const b64 = Buffer.from(secret).toString('base64').replace(/=+$/, '')
  if (text.includes(secret)) found.push('raw')
  if (text.includes(encodeURIComponent(secret))) found.push('url')
  if (text.includes(b64)) found.push('base64')
  for (const run of text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []) {
    const once = Buffer.from(run, 'base64').toString('latin1')
    if (once.includes(secret)) found.push('inside base64')
    for (const inner of once.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? [])
      if (Buffer.from(inner, 'base64').toString('latin1').includes(secret)) found.push('inside base64, twice')
  }
  return found
}

function expectNoLeak(run: ActionRun): void {
  // The runner reads ::add-mask:: lines as commands and never shows them: the one place a secret belongs.
  const log = run.stdout
    .split('\n')
    .filter(l => !l.startsWith('::add-mask::'))
    .join('\n')
  const everything = [log, run.stderr, run.summary, ...Object.values(run.outputs)].join('\n')
  for (const secret of [CLOUD_SECRET, HELM_SET_SECRET, VALUES_FILE_SECRET, ...kubeconfigCredentials()])
    expect({ secret: secret.slice(0, 12), found: leaks(everything, secret) }).toEqual({
      secret: secret.slice(0, 12),
      found: []
    })
}

/** A namespace for staging with the ConfigMaps the hostile renders would change, so a plan shows values. */
async function stagingNamespace(): Promise<string> {
  const namespace = uniqueName('render-boundary')
  namespaces.push(namespace)
  await core().createNamespace({
    body: { metadata: { name: namespace, labels: { environment: 'staging' } } }
  })
  for (const name of ['leak-env', 'leak-values'])
    await core().createNamespacedConfigMap({
      namespace,
      body: { metadata: { name }, data: { INPUT_KUBECONFIG: 'before', CLOUD_SECRET_ACCESS_KEY: 'before' } }
    })
  return namespace
}

function plan(workspace: string, namespace: string, inputs: Record<string, string>): Promise<ActionRun> {
  return runAction(
    {
      mode: 'plan',
      environment: 'staging',
      namespace,
      kubeconfig: kubeconfigText(),
      'github-token': 'ghs_planted0github0token0for0the0plan',
      // The test made the live ConfigMaps with its own field manager.
      'force-conflicts': 'true',
      ...inputs
    },
    {
      workspace,
      env: withClusterTools({
        CLOUD_SECRET_ACCESS_KEY: CLOUD_SECRET,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: CLOUD_SECRET
      })
    }
  )
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(l => l.startsWith('::error')) ?? ''

it("a kustomization's env file naming the action's variables reads nothing from its environment", async () => {
  const namespace = await stagingNamespace()
  const workspace = workspaceWith({
    'overlay/kustomization.yaml': `configMapGenerator:
  - name: leak-env
    envs: [leak.env]
    options: { disableNameSuffixHash: true }
`,
    // A bare key is read from the environment by Kustomize's env-file loader.
    'overlay/leak.env': 'INPUT_KUBECONFIG\nCLOUD_SECRET_ACCESS_KEY\nACTIONS_ID_TOKEN_REQUEST_TOKEN\n'
  })
  const run = await plan(workspace, namespace, { kustomize: 'overlay' })
  expect(errorLine(run)).toBe('')
  expect(run.outputs.result).toBe('success')
  const entry = (
    JSON.parse(run.outputs.plan) as { name: string; fields?: { path: string; after?: unknown }[] }[]
  ).find(e => e.name === 'leak-env')
  // The plan shows the change it would make: empty values, since the renderer has no such variables.
  expect(entry?.fields).toEqual(
    expect.arrayContaining([
      { path: 'data.INPUT_KUBECONFIG', before: 'before', after: '' },
      { path: 'data.CLOUD_SECRET_ACCESS_KEY', before: 'before', after: '' }
    ])
  )
  expectNoLeak(run)
})

it("a renderer's whole environment is PATH, a fresh HOME and temp directory, and what render-env names", async () => {
  const namespace = await stagingNamespace()
  // A kustomize that reports the environment it was given (older kustomize releases read a bare
  // env-file key from it), then renders one ConfigMap.
  const tools = mkdtempSync(path.join(tmpdir(), 'kube-stage-tools-'))
  const seen = path.join(tools, 'seen-env')
  writeFileSync(
    path.join(tools, 'kustomize'),
    `#!/bin/sh\nenv > ${seen}\nls -A "$HOME" >> ${seen}\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: rendered\\n'\n`
  )
  chmodSync(path.join(tools, 'kustomize'), 0o755)
  const workspace = workspaceWith({ 'overlay/kustomization.yaml': 'resources: []\n' })
  const base = withClusterTools({
    CLOUD_SECRET_ACCESS_KEY: CLOUD_SECRET,
    HELM_REGISTRY_CONFIG: '/etc/helm.json'
  })
  const run = await runAction(
    {
      mode: 'plan',
      environment: 'staging',
      namespace,
      kubeconfig: kubeconfigText(),
      kustomize: 'overlay',
      'render-env': 'HELM_REGISTRY_CONFIG'
    },
    { workspace, env: { ...base, PATH: `${tools}${path.delimiter}${base.PATH}` } }
  )
  expect(errorLine(run)).toBe('')
  const lines = readFileSync(seen, 'utf8').trim().split('\n')
  const names = lines.filter(l => l.includes('=')).map(l => l.slice(0, l.indexOf('=')))
  // sh adds PWD (and SHLVL); everything else came from the action.
  expect(names.filter(n => !['PWD', 'SHLVL', 'OLDPWD', '_'].includes(n)).sort()).toEqual([
    'HELM_REGISTRY_CONFIG',
    'HOME',
    'PATH',
    'TEMP',
    'TMP',
    'TMPDIR'
  ])
  const home = lines.find(l => l.startsWith('HOME='))!.slice(5)
  expect(home).not.toBe(process.env.HOME)
  // Nothing in the fresh HOME: the listing after the environment is empty.
  expect(lines.filter(l => !l.includes('='))).toEqual([])
  expectNoLeak(run)
})

it('helm values (--set and values files) never show in a plan, encoded or not', async () => {
  const namespace = await stagingNamespace()
  const workspace = workspaceWith({
    'chart/Chart.yaml': 'apiVersion: v2\nname: hostile\nversion: 0.1.0\n',
    'chart/templates/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: leak-values
data:
  INPUT_KUBECONFIG: {{ .Values.password | quote }}
  CLOUD_SECRET_ACCESS_KEY: {{ .Values.apiKey | b64enc | quote }}
  url: {{ .Values.apiKey | urlquery | quote }}
  json: {{ dict "k" .Values.password | toJson | quote }}
`,
    'chart/values-staging.yaml': `apiKey: ${VALUES_FILE_SECRET}\n`
  })
  const run = await plan(workspace, namespace, {
    'helm-chart': 'chart',
    'helm-values': 'chart/values-staging.yaml',
    'helm-set': `password=${HELM_SET_SECRET}`
  })
  expect(errorLine(run)).toBe('')
  const entry = (
    JSON.parse(run.outputs.plan) as { name: string; fields?: { path: string; after?: unknown }[] }[]
  ).find(e => e.name === 'leak-values')
  // The change is still shown, path by path; only the values are hidden.
  expect(entry?.fields?.map(f => [f.path, f.after])).toEqual(
    expect.arrayContaining([
      ['data.INPUT_KUBECONFIG', '***'],
      ['data.CLOUD_SECRET_ACCESS_KEY', '***'],
      ['data.url', '***']
    ])
  )
  expectNoLeak(run)
})

describe('refused before rendering, nothing said of what the links lead to', () => {
  it('a chart with a link to /proc/self/environ', async () => {
    const namespace = await stagingNamespace()
    const workspace = workspaceWith({
      'chart/Chart.yaml': 'apiVersion: v2\nname: hostile\nversion: 0.1.0\n',
      'chart/templates/leak.yaml': '{{ fail (.Files.Get "files/env" | b64enc | b64enc) }}\n'
    })
    mkdirSync(path.join(workspace, 'chart/files'))
    symlinkSync('/proc/self/environ', path.join(workspace, 'chart/files/env'))
    const run = await plan(workspace, namespace, { 'helm-chart': 'chart' })
    expect(run.outputs['failure-reason']).toBe('RenderFailed')
    expect(errorLine(run)).toContain('symbolic link chart/files/env that resolves to /proc/')
    expect(errorLine(run)).toContain('outside the workspace')
    expectNoLeak(run)
  })

  it("a kustomization with a link into the repository's .git directory", async () => {
    const namespace = await stagingNamespace()
    const workspace = workspaceWith({
      // What actions/checkout leaves there by default.
      '.git/config': `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${CLOUD_SECRET}\n`,
      'overlay/kustomization.yaml': `configMapGenerator:
  - name: leak-env
    files: [creds/config]
    options: { disableNameSuffixHash: true }
`
    })
    mkdirSync(path.join(workspace, 'overlay/creds'))
    symlinkSync('../../.git/config', path.join(workspace, 'overlay/creds/config'))
    const run = await plan(workspace, namespace, { kustomize: 'overlay' })
    expect(run.outputs['failure-reason']).toBe('RenderFailed')
    expect(errorLine(run)).toContain("inside the repository's .git directory")
    expectNoLeak(run)
  })

  it('a base named by the overlay, outside its directory, holding a link out of the workspace', async () => {
    const namespace = await stagingNamespace()
    const workspace = workspaceWith({
      'overlay/kustomization.yaml': 'resources: [../base]\n',
      'base/kustomization.yaml': 'configMapGenerator:\n  - name: leak-env\n    files: [env]\n'
    })
    symlinkSync('/proc/self/environ', path.join(workspace, 'base/env'))
    const run = await plan(workspace, namespace, { kustomize: 'overlay' })
    expect(run.outputs['failure-reason']).toBe('RenderFailed')
    expect(errorLine(run)).toContain('symbolic link base/env that resolves to /proc/')
    expectNoLeak(run)
  })
})

it("a render's error message never shows a values file's value", async () => {
  const namespace = await stagingNamespace()
  const workspace = workspaceWith({
    'chart/Chart.yaml': 'apiVersion: v2\nname: hostile\nversion: 0.1.0\n',
    'chart/templates/fail.yaml': '{{ fail (printf "%s %s" .Values.apiKey (.Values.apiKey | b64enc)) }}\n',
    'chart/values.yaml': `apiKey: ${VALUES_FILE_SECRET}\n`
  })
  const run = await plan(workspace, namespace, {
    'helm-chart': 'chart',
    'helm-values': 'chart/values.yaml'
  })
  expect(run.outputs['failure-reason']).toBe('RenderFailed')
  expect(errorLine(run)).toContain('*** ***')
  expectNoLeak(run)
})

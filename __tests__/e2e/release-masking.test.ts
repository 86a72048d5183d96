/**
 * The release output as GitHub carries it between jobs: the runner drops a job
 * output that contains any masked value, and masks every trimmed line of a
 * multi-line secret. A real stage's release output is checked against the
 * masks of every kind of kubeconfig users pass as a secret (the test cluster's
 * YAML and JSON, a token, and what EKS, GKE and AKS tooling writes); the next
 * stage promotes from it. Without any kubeconfig, the stage says so.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import { runAction } from '../support/action.js'
import { deleteNamespace, kubeconfigText, uniqueName } from '../support/cluster.js'
import { masksIn, runnerMasks } from '../support/runner-masker.js'
import { workspaceWith } from '../support/workspace.js'

const namespaces: string[] = []
afterAll(() => Promise.all(namespaces.map(deleteNamespace)))

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, '../fixtures/kubeconfigs', `${name}.yaml`), 'utf8')

/** The test cluster's kubeconfig as `kubectl config view --raw -o json` writes it. */
const jsonKubeconfig = () => JSON.stringify(parse(kubeconfigText()), null, 2)

const app = workspaceWith({
  'app.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: shop-config }\ndata: { FEATURE: "on", LEVEL: info }\n'
})

function stage(environment: string, inputs: Record<string, string>) {
  const namespace = uniqueName(`mask-${environment.slice(0, 4)}`)
  namespaces.push(namespace)
  return runAction({ manifests: 'app.yaml', environment, namespace, ...inputs }, { workspace: app })
}

it('keeps the release output free of every mask a kubeconfig secret makes, and the next stage promotes from it', async () => {
  const json = jsonKubeconfig()
  const staging = await stage('staging', { kubeconfig: json })
  expect(staging.outputs.result).toBe('success')
  const kinds: Record<string, string> = {
    'YAML, client certificate': kubeconfigText(),
    'JSON, client certificate': json,
    token: fixture('token'),
    'EKS (aws eks update-kubeconfig)': fixture('eks'),
    'GKE (get-gke-credentials)': fixture('gke'),
    'AKS (aks-set-context, kubelogin)': fixture('aks')
  }
  for (const [kind, secret] of Object.entries(kinds))
    expect({ kind, masks: masksIn(staging.outputs.release, runnerMasks(secret)) }).toEqual({
      kind,
      masks: []
    })
  // The record as JSON is what the runner would drop: `{` and `}` are lines of a JSON kubeconfig.
  expect(masksIn(staging.outputs['release-json'], runnerMasks(json))).toEqual(
    expect.arrayContaining(['{', '}'])
  )

  const production = await stage('production', {
    kubeconfig: json,
    'promote-from': staging.outputs.release,
    'require-promotion-from': 'staging'
  })
  expect(production.stdout.split('\n').find(l => l.startsWith('::error')) ?? '').toBe('')
  expect(production.outputs.result).toBe('success')
  expect(production.stdout).toMatch(/promot/i)
})

it('refuses an empty promote-from, naming the runner dropping a masked output', async () => {
  const production = await stage('production', {
    kubeconfig: kubeconfigText(),
    'promote-from': '',
    'require-promotion-from': 'staging'
  })
  expect(production.outputs['failure-reason']).toBe('PromotionRefused')
  expect(production.stdout).toContain("Skip output 'release' since it may contain secret")
})

it('says there is no kubeconfig at all, instead of trying localhost', async () => {
  const namespace = uniqueName('mask-none')
  const run = await runAction(
    { manifests: 'app.yaml', environment: 'staging', namespace },
    { workspace: app, env: { HOME: mkdtempSync(path.join(tmpdir(), 'kube-stage-home-')) } }
  )
  expect(run.outputs['failure-reason']).toBe('InvalidInput')
  expect(run.stdout).toContain('No kubeconfig: the kubeconfig input is empty, KUBECONFIG is not set')
  expect(run.stdout).toContain('see kube-stage docs/cloud-logins.md')
  expect(run.stdout).not.toContain('localhost:8080')
})

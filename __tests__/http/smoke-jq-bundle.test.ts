/**
 * jq in the bundle: dist/index.js (build it first: `npm run bundle`) runs jq in a worker thread
 * whose code is a bundle of its own, dist/jq-worker/index.js. Reading the checks file compiles
 * each jq expression in that worker before the stage touches the cluster, so this needs none:
 * the kubeconfig points at a closed port. (The checks running through the bundle against a
 * real service are in __tests__/e2e/smoke.test.ts.)
 */
import { runAction } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: nowhere
    cluster: { server: "https://127.0.0.1:1" }
users:
  - name: nobody
    user: { token: "jq-bundle-test-token" }
contexts:
  - name: nowhere
    context: { cluster: nowhere, user: nobody }
current-context: nowhere
`

it('compiles jq expressions in the bundled worker: the first passes, the second is refused with jq’s message', async () => {
  const workspace = workspaceWith({
    'app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata: {}\n',
    'kubeconfig.yaml': KUBECONFIG,
    'smoke.yaml': `checks:
  - name: db
    path: /db
    expect:
      json:
        - jq: '.connected == true and (.replicas | length > 0)'
  - name: typo
    path: /db
    expect:
      json:
        - jq: '.connected | nosuch'
`
  })
  const run = await runAction(
    {
      manifests: 'app.yaml',
      environment: 'staging',
      namespace: 'jq-bundle',
      'smoke-url': 'http://127.0.0.1:9',
      'smoke-checks': 'smoke.yaml'
    },
    { workspace, env: { KUBECONFIG: `${workspace}/kubeconfig.yaml` }, timeoutMs: 60_000 }
  )
  expect(run.code).toBe(1)
  expect(run.outputs['failure-reason']).toBe('InvalidSmokeSpec')
  expect(run.stdout).toContain(
    '::error file=smoke.yaml,line=11::smoke.yaml:11: check "typo" expect.json[0] jq: error: nosuch/0 is not defined at <top-level>, line 1, column 14'
  )
  expect(run.stdout).not.toMatch(/worker|could not be loaded/)
})

/**
 * One canary value planted in every place a secret can come from (Secret data
 * and stringData, container env, ConfigMap values, smoke secrets, request
 * headers, response bodies raw, JSON-escaped, URL-encoded and base64, the
 * kubeconfig's token), through the bundle on the real control plane. It must
 * appear nowhere a person or a later job can read: the log, the step outputs,
 * the summary, the release record.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RbacAuthorizationV1Api } from '@kubernetes/client-node'
import { core, deleteNamespace, testKubeConfig, uniqueName } from '../support/cluster.js'
import { runAction } from '../support/action.js'
import { workspaceWith } from '../support/workspace.js'

const CANARY = 'Canary-7f3a9c-Q/+z=x'
const namespace = uniqueName('canary')
let server: Server
afterAll(async () => {
  server?.close()
  await deleteNamespace(namespace)
  await testKubeConfig()
    .makeApiClient(RbacAuthorizationV1Api)
    .deleteClusterRoleBinding({ name: namespace })
    .catch(() => undefined)
})

/** A token-only kubeconfig for a ServiceAccount that may do anything: the token is a secret too. */
async function tokenKubeconfig(): Promise<{ kubeconfig: string; token: string }> {
  await core().createNamespace({
    body: { metadata: { name: namespace, labels: { environment: 'staging' } } }
  })
  await core().createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'deployer' } } })
  await testKubeConfig()
    .makeApiClient(RbacAuthorizationV1Api)
    .createClusterRoleBinding({
      body: {
        metadata: { name: namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace }]
      }
    })
  const token = (
    await core().createNamespacedServiceAccountToken({
      name: 'deployer',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } }
    })
  ).status!.token!
  const cluster = testKubeConfig().getCurrentCluster()!
  return {
    token,
    kubeconfig: `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: '${cluster.server}', certificate-authority-data: ${cluster.caData} } }]
users: [{ name: u, user: { token: ${token} } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`
  }
}

it('a secret planted everywhere is shown nowhere', async () => {
  // The service echoes the canary back in every encoding, and fails the check so its body is shown.
  server = createServer((req, res) => {
    res.writeHead(500, { 'content-type': 'application/json', 'x-echo': CANARY })
    res.end(
      JSON.stringify({
        raw: CANARY,
        header: req.headers.authorization,
        url: encodeURIComponent(CANARY),
        base64: Buffer.from(CANARY).toString('base64'),
        upper: CANARY.toUpperCase()
      }) + `\njson-escaped: ${JSON.stringify(CANARY).replace(/\//g, '\\/')}`
    )
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  // A password in the smoke URL is a secret as well: never in the environment-url output.
  const url = `http://deployer:${encodeURIComponent(CANARY)}@127.0.0.1:${(server.address() as AddressInfo).port}`
  const { kubeconfig, token } = await tokenKubeconfig()

  const manifests = `apiVersion: v1
kind: Secret
metadata: { name: api-credentials }
data: { key: ${Buffer.from(CANARY).toString('base64')} }
stringData: { other: '${CANARY}' }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { API_KEY: '${CANARY}', GREETING: '${CANARY}' }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
        - name: api
          image: ghcr.io/example/api:1
          env:
            - { name: SIGNING_SECRET, value: '${CANARY}' }
            - { name: MOTD, value: '${CANARY}' }
`
  const smoke = `defaults: { timeout: 2s, interval: 500ms }
checks:
  - name: with a token
    path: /api?token=\${CANARY}
    headers:
      Authorization: Bearer \${CANARY}
      X-Note: \${CANARY}
  - name: script
    run: echo "canary is $CANARY"; echo "$CANARY" | base64; exit 1
`
  const run = await runAction(
    {
      manifests: 'app.yaml',
      environment: 'staging',
      namespace,
      kubeconfig,
      timeout: '30s',
      'smoke-url': url,
      'smoke-checks': 'smoke.yaml',
      'smoke-secrets': 'CANARY'
    },
    { workspace: workspaceWith({ 'app.yaml': manifests, 'smoke.yaml': smoke }), env: { CANARY } }
  )
  expect(run.outputs['failure-reason']).toBe('SmokeFailed')
  expect(run.outputs.release).toBeTruthy()

  // The runner hides what it was told to mask; everything else is shown as printed.
  const log = run.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  const readable = [log, run.stderr, JSON.stringify(run.outputs), run.summary].join('\n')
  const forms = [
    CANARY,
    CANARY.toUpperCase(),
    CANARY.toLowerCase(),
    encodeURIComponent(CANARY),
    JSON.stringify(CANARY).slice(1, -1).replace(/\//g, '\\/'),
    Buffer.from(CANARY).toString('base64'),
    Buffer.from(CANARY).toString('base64url'),
    token
  ]
  for (const form of forms) expect(`${form}: ${readable.includes(form)}`).toBe(`${form}: false`)
  // And the masks were given, so the runner hides them from its own log too.
  expect(run.stdout).toContain(`::add-mask::${CANARY}`)
  expect(run.stdout).toContain(`::add-mask::${token}`)
})

it('masks a token that only an exec plugin returns, and warns about insecure-skip-tls-verify', async () => {
  const token = 'exec-plugin-token-5d1e0b'
  const credential = JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token }
  })
  const cluster = testKubeConfig().getCurrentCluster()!
  const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: '${cluster.server}', insecure-skip-tls-verify: true } }]
users:
  - name: u
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: /bin/sh
        args: ['-c', 'echo ''${credential}''']
        interactiveMode: Never
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`
  const run = await runAction(
    { manifests: 'app.yaml', environment: 'dev', namespace: uniqueName('exec'), kubeconfig },
    {
      workspace: workspaceWith({ 'app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n' }),
      env: {}
    }
  )
  // The API server does not know the token: the stage stops, but the token was masked first.
  expect(run.stdout).toContain(`::add-mask::${token}`)
  expect(run.stdout).toMatch(/::warning::The kubeconfig sets insecure-skip-tls-verify/)
})

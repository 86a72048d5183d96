// The floor for the benchmark's config set: what any tool that dry-runs every object before
// writing one must spend, with nothing else. A bare process (no kube-stage, no client-node)
// opens one connection, reads discovery once, then sends every object's server-side dry run
// at once and, once all have answered, every apply at once. Its whole time is process
// start-up + TCP/TLS + 3 round trips + the API server's own work for both waves.
// Objects it already applied, unchanged, need only discovery and one list per kind.
//
//   node script/bench-floor.mjs KUBECONFIG NAMESPACE MANIFESTS.yaml new|unchanged
//
// Only for the bench's own set (ConfigMaps, Secrets, Services): exits non-zero when the
// server refuses anything, so a floor is never measured on a failed run.
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import { parse, parseAllDocuments } from 'yaml'

const [file, namespace, manifests, phase] = process.argv.slice(2)
const config = parse(readFileSync(file, 'utf8'))
const context = config.contexts.find(c => c.name === config['current-context']).context
const cluster = config.clusters.find(c => c.name === context.cluster).cluster
const user = config.users.find(u => u.name === context.user).user
const pem = data => Buffer.from(data, 'base64').toString()
const dispatcher = new Agent({
  allowH2: true,
  connect: {
    ca: pem(cluster['certificate-authority-data']),
    cert: pem(user['client-certificate-data']),
    key: pem(user['client-key-data']),
    servername: cluster['tls-server-name']
  }
})
const plural = { ConfigMap: 'configmaps', Secret: 'secrets', Service: 'services' }
const base = `${cluster.server}/api/v1/namespaces/${namespace}`

async function send(method, path, body, contentType) {
  const response = await request(`${path.startsWith('/') ? cluster.server : ''}${path}`, {
    method,
    dispatcher,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: contentType ? { 'content-type': contentType } : {}
  })
  const text = await response.body.text()
  if (response.statusCode >= 300) throw new Error(`${method} ${path}: ${response.statusCode} ${text}`)
}

const objects = parseAllDocuments(readFileSync(manifests, 'utf8')).map(d => d.toJSON())
await send('GET', '/api/v1')
if (phase === 'unchanged') {
  await Promise.all(Object.values(plural).map(kind => send('GET', `${base}/${kind}`)))
} else {
  const apply = dryRun =>
    Promise.all(
      objects.map(o =>
        send(
          'PATCH',
          `${base}/${plural[o.kind]}/${o.metadata.name}?fieldManager=bench-floor${dryRun ? '&dryRun=All' : ''}`,
          o,
          'application/apply-patch+yaml'
        )
      )
    )
  await apply(true)
  await apply(false)
}
await dispatcher.close()

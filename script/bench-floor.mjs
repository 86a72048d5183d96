// The floor for the benchmark's sets: what any tool that dry-runs every object before
// writing one must spend, with nothing else. A bare process (no kube-stage, no client-node)
// opens one connection, reads discovery once, then sends every object's server-side dry run
// at once and, once all have answered, every apply at once. Its whole time is process
// start-up + TCP/TLS + 3 round trips + the API server's own work for both waves.
// Objects it already applied, unchanged, need only discovery and one list per kind.
// With `wait`, it then watches the Deployments until each has all its replicas updated and
// available: the pod set's floor, with no Lease, no checks and no report.
//
//   node script/bench-floor.mjs KUBECONFIG NAMESPACE MANIFESTS.yaml new|unchanged [wait]
//
// Only for the bench's own sets (ConfigMaps, Secrets, Services, Deployments): exits non-zero
// when the server refuses anything, so a floor is never measured on a failed run.
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import { parse, parseAllDocuments } from 'yaml'

const [file, namespace, manifests, phase, wait] = process.argv.slice(2)
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
const plural = { ConfigMap: 'configmaps', Secret: 'secrets', Service: 'services', Deployment: 'deployments' }
const groupPath = apiVersion => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`)
const collection = (apiVersion, kind) => `${groupPath(apiVersion)}/namespaces/${namespace}/${plural[kind]}`

async function send(method, path, body, contentType) {
  const response = await request(`${cluster.server}${path}`, {
    method,
    dispatcher,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: contentType ? { 'content-type': contentType } : {}
  })
  if (response.statusCode >= 300)
    throw new Error(`${method} ${path}: ${response.statusCode} ${await response.body.text()}`)
  return response
}
const json = async (...args) => (await send(...args)).body.json()

const objects = parseAllDocuments(readFileSync(manifests, 'utf8')).map(d => d.toJSON())
const kinds = [...new Map(objects.map(o => [`${o.apiVersion}|${o.kind}`, o])).values()]
await Promise.all([...new Set(objects.map(o => o.apiVersion))].map(v => json('GET', groupPath(v))))
if (phase === 'unchanged') {
  await Promise.all(kinds.map(o => json('GET', collection(o.apiVersion, o.kind))))
} else {
  const apply = dryRun =>
    Promise.all(
      objects.map(o =>
        json(
          'PATCH',
          `${collection(o.apiVersion, o.kind)}/${o.metadata.name}?fieldManager=bench-floor${dryRun ? '&dryRun=All' : ''}`,
          o,
          'application/apply-patch+yaml'
        )
      )
    )
  await apply(true)
  await apply(false)
}

if (wait === 'wait') {
  const path = collection('apps/v1', 'Deployment')
  const available = d =>
    (d.status?.observedGeneration ?? 0) >= d.metadata.generation &&
    d.status?.updatedReplicas === d.spec.replicas &&
    d.status?.availableReplicas === d.spec.replicas
  const pending = new Set(objects.filter(o => o.kind === 'Deployment').map(o => o.metadata.name))
  const list = await json('GET', path)
  for (const d of list.items) if (available(d)) pending.delete(d.metadata.name)
  if (pending.size > 0) {
    const { body } = await send('GET', `${path}?watch=1&resourceVersion=${list.metadata.resourceVersion}`)
    let buffered = ''
    try {
      for await (const chunk of body) {
        buffered += chunk.toString()
        let newline
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const event = JSON.parse(buffered.slice(0, newline))
          buffered = buffered.slice(newline + 1)
          if (available(event.object)) pending.delete(event.object.metadata.name)
        }
        if (pending.size === 0) break
      }
    } finally {
      body.destroy()
    }
    if (pending.size > 0) throw new Error(`the watch ended with ${pending.size} Deployment(s) not available`)
  }
}
await dispatcher.destroy()

// The test cluster's admission webhooks: a small AdmissionReview v1 server over TLS, standing in
// for the policy engines (Kyverno, Gatekeeper) and sidecar injectors of real clusters. The API
// server runs on the host, so it reaches this server at https://127.0.0.1:<port>. What each
// webhook does is decided by labels the tests set, so a test picks its behaviour:
//   /validate  refuses any object labelled kube-stage.test/deny=<reason>, saying why (the
//              kube-stage.test/deny-message annotation, or the reason itself);
//   /mutate    injects a sidecar container into every Pod created, and defaults the label
//              kube-stage.test/injected: "true" on Deployments that lack it;
//   /unknown   admits everything: it is registered with sideEffects Unknown, so the API server
//              refuses any dry run it would be asked about (see webhook.sh).
// Node's standard library only: usage `node server.mjs <port> <cert> <key>`.
import { createServer } from 'node:https'
import { readFileSync } from 'node:fs'
import { Buffer } from 'node:buffer'

const [port, certFile, keyFile] = process.argv.slice(2)
if (!port || !certFile || !keyFile) {
  console.error('usage: node server.mjs <port> <cert> <key>')
  process.exit(2)
}

// An image the real node has (test/cluster/images.sh). A bare `sleep` as PID 1 ignores SIGTERM
// and would hold every replaced pod for its whole grace period: the shell traps it.
const SIDECAR = {
  name: 'kube-stage-sidecar',
  image: 'docker.io/library/busybox:1.37',
  command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait']
}
const INJECTED_LABEL = 'kube-stage.test/injected'

/** A JSON Pointer segment (RFC 6901). */
const pointer = key => key.replace(/~/g, '~0').replace(/\//g, '~1')

function validate(request) {
  const object = request.object ?? {}
  const reason = object.metadata?.labels?.['kube-stage.test/deny']
  if (!reason) return { allowed: true }
  const message = object.metadata?.annotations?.['kube-stage.test/deny-message'] ?? reason
  return { allowed: false, status: { code: 403, reason: 'Forbidden', message } }
}

function mutate(request) {
  const object = request.object ?? {}
  const patch = []
  if (request.kind?.kind === 'Pod' && request.operation === 'CREATE') {
    const containers = object.spec?.containers ?? []
    if (!containers.some(c => c.name === SIDECAR.name)) {
      patch.push({
        op: 'add',
        path: '/spec/containers/-',
        value: { name: SIDECAR.name, image: SIDECAR.image, command: SIDECAR.command }
      })
    }
  }
  if (request.kind?.kind === 'Deployment') {
    const labels = object.metadata?.labels
    if (!labels) patch.push({ op: 'add', path: '/metadata/labels', value: { [INJECTED_LABEL]: 'true' } })
    else if (!(INJECTED_LABEL in labels))
      patch.push({ op: 'add', path: `/metadata/labels/${pointer(INJECTED_LABEL)}`, value: 'true' })
  }
  if (patch.length === 0) return { allowed: true }
  return {
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patch)).toString('base64')
  }
}

const handlers = { '/validate': validate, '/mutate': mutate, '/unknown': () => ({ allowed: true }) }

const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  const url = new URL(req.url ?? '/', 'https://127.0.0.1')
  if (req.method === 'GET' && url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    return
  }
  const handle = handlers[url.pathname]
  if (req.method !== 'POST' || !handle) {
    res.writeHead(404).end()
    return
  }
  const chunks = []
  req.on('data', chunk => chunks.push(chunk))
  req.on('end', () => {
    let review
    try {
      review = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`not JSON: ${error.message}\n`)
      return
    }
    const request = review.request ?? {}
    const response = { uid: request.uid, ...handle(request) }
    const what = `${request.kind?.kind ?? '?'} ${request.namespace ?? ''}/${request.name ?? request.object?.metadata?.generateName ?? ''}`
    console.log(
      `${new Date().toISOString()} ${url.pathname} ${request.operation} ${what}${request.dryRun ? ' (dry run)' : ''}: ${
        response.allowed ? (response.patch ? 'patched' : 'allowed') : `denied: ${response.status.message}`
      }`
    )
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }))
  })
})
server.listen(Number(port), '127.0.0.1', () =>
  console.log(`admission webhooks listening on https://127.0.0.1:${port}`)
)
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)))

import { Agent, fetch } from 'undici'
import { performance } from 'node:perf_hooks'
import dc from 'node:diagnostics_channel'
let conns = 0
dc.subscribe('undici:client:connected', () => conns++)
const url = process.argv[2]
const n = Number(process.argv[4] ?? 64)
const agent = new Agent({ connect: { rejectUnauthorized: false }, allowH2: process.argv[3] !== 'h1' })
let t = performance.now()
await Promise.all(['/version', '/api/v1', '/apis'].map(p => fetch(url + p, { dispatcher: agent }).then(r => r.text())))
console.log('first 3', (performance.now() - t).toFixed(0), 'ms conns', conns)
for (let round = 0; round < 3; round++) {
  t = performance.now()
  const r = await Promise.allSettled(Array.from({ length: n }, () => fetch(url + '/api/v1/namespaces/default', { dispatcher: agent }).then(r => r.status)))
  console.log(n, 'GETs', (performance.now() - t).toFixed(0), 'ms conns', conns, 'statuses', [...new Set(r.map(x => x.value ?? String(x.reason?.cause?.message)))])
}

/**
 * The test cluster's real node (test/cluster/node.sh): containers really run
 * there. Pods go to the KWOK nodes unless their namespace is annotated for the
 * real node, as the platform team of a real cluster would pin a namespace to a
 * node pool. Images are built here (test/cluster/images.sh), never pulled.
 */
import { V1Node } from '@kubernetes/client-node'
import { core } from './cluster.js'

export const REAL_NODE_LABEL = 'kube-stage.test/node=real'

/** The app image of a version built by test/cluster/images.sh. */
export const shopImage = (version: string) => `ghcr.io/example/shop:${version}`

/** A Deployment of the shop image with a readiness probe, as the sample app has. */
export function shopDeployment(
  options: {
    version?: string
    replicas?: number
    env?: Record<string, string>
    podSpec?: string
    container?: string
    /** On the pod template, e.g. prometheus.io/scrape for the test cluster's Prometheus. */
    podAnnotations?: Record<string, string>
  } = {}
): string {
  const env = Object.entries(options.env ?? {})
    .map(([name, value]) => `\n            - { name: ${name}, value: ${JSON.stringify(value)} }`)
    .join('')
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: shop }
spec:
  replicas: ${options.replicas ?? 1}
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop }${
      options.podAnnotations ? `, annotations: ${JSON.stringify(options.podAnnotations)}` : ''
    } }
    spec:
      terminationGracePeriodSeconds: 2
${options.podSpec ?? ''}      containers:
        - name: shop
          image: ${shopImage(options.version ?? '1.0.0')}
          ports: [{ containerPort: 8080 }]
          readinessProbe:
            httpGet: { path: /healthz, port: 8080 }
            periodSeconds: 1
          env:${env || ' []'}
${options.container ?? ''}`
}

/**
 * The real node, Ready. Fails (never skips) with what to do when there is none:
 * the tests that need one cannot say anything true without it.
 */
export async function requireRealNode(): Promise<V1Node> {
  const nodes = await core().listNode({ labelSelector: REAL_NODE_LABEL })
  const node = nodes.items[0]
  if (!node) {
    throw new Error(
      `no node labelled ${REAL_NODE_LABEL}: these tests need a real kubelet (test/cluster/start.sh starts one; ` +
        'on another cluster, label a node that has the images of test/cluster/images.sh)'
    )
  }
  const ready = node.status?.conditions?.find(c => c.type === 'Ready')
  if (ready?.status !== 'True') {
    throw new Error(`the real node ${node.metadata?.name} is not Ready: ${ready?.reason} ${ready?.message}`)
  }
  return node
}

/** What sends a namespace's pods to the real node (PodNodeSelector and PodTolerationRestriction). */
export const REAL_NODE_ANNOTATIONS = {
  'scheduler.alpha.kubernetes.io/node-selector': 'type=real',
  'scheduler.alpha.kubernetes.io/defaultTolerations': JSON.stringify([
    { key: 'kube-stage.test/real-node', operator: 'Exists', effect: 'NoSchedule' }
  ])
}

/**
 * A namespace labelled for its environment whose pods go to the real node
 * (PodNodeSelector and PodTolerationRestriction annotations).
 */
export async function realNodeNamespace(
  name: string,
  environment: string,
  labels: Record<string, string> = {}
): Promise<void> {
  await core().createNamespace({
    body: {
      metadata: {
        name,
        labels: { environment, ...labels },
        annotations: REAL_NODE_ANNOTATIONS
      }
    }
  })
}

/**
 * The environment's entry point, as an ingress or load balancer would be: a
 * NodePort Service made before the stage, so the smoke URL is known when the
 * stage starts. kube-proxy answers on 127.0.0.1.
 */
export async function entryService(namespace: string, app: string, targetPort = 8080): Promise<string> {
  const service = await core().createNamespacedService({
    namespace,
    body: {
      metadata: { name: `${app}-entry` },
      spec: { type: 'NodePort', selector: { app }, ports: [{ port: 80, targetPort }] }
    }
  })
  return `http://127.0.0.1:${service.spec?.ports?.[0]?.nodePort}`
}

/**
 * GETs a JSON document from the deployed service. A connection refused for a
 * moment (kube-proxy dropping the endpoints of pods being replaced) is retried
 * for up to 10 s; undefined when it never answers 2xx.
 */
export async function getJson(url: string): Promise<unknown> {
  const until = Date.now() + 10_000
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (response.ok) return await response.json()
    } catch {
      // not answering yet
    }
    if (Date.now() > until) return undefined
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

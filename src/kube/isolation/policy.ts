/**
 * The isolation policy and the probe that checks the network enforces it. Pure.
 *
 * The seed's promise, and nothing more: pods of *other environments* cannot
 * reach this environment's pods. A NetworkPolicy is an allow-list, so it admits
 * every source that is not another environment: namespaces labelled with this
 * environment (or one of its aliases), namespaces with no environment label at
 * all (ingress controllers, monitoring, service meshes' gateways), and the
 * address ranges named in `isolate-allow-cidrs` (load balancers or nodes that
 * forward with their own source address). Traffic from a pod's own node
 * (kubelet probes, a NodePort reached on that node) is always admitted by
 * NetworkPolicy implementations. Egress is left open: a policy listing Egress
 * with no rules would also cut DNS and every external dependency.
 */
import { aliasesOf } from '../../environments.js'
import type { KubeObject } from '../../manifests/types.js'

export const ENVIRONMENT_LABEL = 'environment'
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const MANAGED_BY = 'kube-stage'
export const ISOLATION_POLICY = 'kube-stage-isolate-environment'
/** Labels the probe's pods (kube-stage.dev/isolation-probe: target or client). */
export const PROBE_LABEL = 'kube-stage.dev/isolation-probe'

/** This environment's label values: its name as given, and its aliases (prod, production). */
export function environmentValues(environment: string): string[] {
  return [...new Set([environment, ...aliasesOf(environment)])].sort()
}

export function isolationPolicy(
  namespace: string,
  environment: string,
  allowCidrs: readonly string[] = []
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: ISOLATION_POLICY,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY }
    },
    spec: {
      // Every pod but the isolation probe's target: policies add up, and this one would open the
      // probe's refused port to this environment.
      podSelector: { matchExpressions: [{ key: PROBE_LABEL, operator: 'DoesNotExist' }] },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchExpressions: [
                  { key: ENVIRONMENT_LABEL, operator: 'In', values: environmentValues(environment) }
                ]
              }
            },
            {
              namespaceSelector: { matchExpressions: [{ key: ENVIRONMENT_LABEL, operator: 'DoesNotExist' }] }
            },
            ...allowCidrs.map(cidr => ({ ipBlock: { cidr } }))
          ]
        }
      ]
    }
  }
}

export function isIsolationPolicy(object: Pick<KubeObject, 'kind' | 'metadata'>): boolean {
  return object.kind === 'NetworkPolicy' && object.metadata.name === ISOLATION_POLICY
}

/** An IPv4 or IPv6 CIDR as NetworkPolicy's ipBlock takes it. */
export function isCidr(text: string): boolean {
  const [address, bits, ...rest] = text.split('/')
  if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return false
  const v4 = address.split('.')
  if (v4.length === 4 && v4.every(p => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return Number(bits) <= 32
  return /^[0-9a-f:]+$/i.test(address) && address.includes(':') && Number(bits) <= 128
}

// ---- The enforcement probe ----------------------------------------------------------------------

export const PROBE_NAMES = {
  policy: 'kube-stage-isolation-probe',
  target: 'kube-stage-isolation-probe-target',
  client: 'kube-stage-isolation-probe-client'
}
/** The port this environment's pods may reach, and the one only other environments may. */
export const PROBE_PORTS = { admitted: 8081, refused: 8080 }

/** Exit codes of the probe client. */
export const PROBE_EXIT = { enforced: 0, notEnforced: 10, controlUnreachable: 3 } as const

/** Small, unprivileged and within any ResourceQuota or PodSecurity "restricted" namespace. */
function probeContainer(name: string, image: string, command: string, env: Record<string, string> = {}) {
  return {
    name,
    image,
    command: ['sh', '-c', command],
    env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
    resources: {
      requests: { cpu: '10m', memory: '16Mi' },
      limits: { cpu: '100m', memory: '32Mi' }
    },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' }
    }
  }
}

function probePod(
  namespace: string,
  name: string,
  role: string,
  container: object,
  restart: string
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { [PROBE_LABEL]: role, [MANAGED_BY_LABEL]: MANAGED_BY }
    },
    spec: {
      restartPolicy: restart,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      enableServiceLinks: false,
      containers: [container]
    }
  }
}

/**
 * The probe's policy: the target's admitted port takes this environment's
 * namespaces, its refused port only namespaces labelled with another
 * environment. A network that enforces policies by namespace label lets the
 * client (in this environment's namespace) reach the first and not the second.
 */
export function probePolicy(namespace: string, environment: string): KubeObject {
  const values = environmentValues(environment)
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: PROBE_NAMES.policy, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    spec: {
      podSelector: { matchLabels: { [PROBE_LABEL]: 'target' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          ports: [{ port: PROBE_PORTS.admitted, protocol: 'TCP' }],
          from: [
            {
              namespaceSelector: {
                matchExpressions: [{ key: ENVIRONMENT_LABEL, operator: 'In', values }]
              }
            }
          ]
        },
        {
          ports: [{ port: PROBE_PORTS.refused, protocol: 'TCP' }],
          from: [
            {
              namespaceSelector: {
                matchExpressions: [
                  { key: ENVIRONMENT_LABEL, operator: 'Exists' },
                  { key: ENVIRONMENT_LABEL, operator: 'NotIn', values }
                ]
              }
            }
          ]
        }
      ]
    }
  }
}

/** A web server on both ports (busybox httpd serving /etc, which holds `hostname` in every pod). */
export function probeTarget(namespace: string, image: string): KubeObject {
  const { admitted, refused } = PROBE_PORTS
  const pod = probePod(
    namespace,
    PROBE_NAMES.target,
    'target',
    {
      ...probeContainer(
        'target',
        image,
        `httpd -p ${refused} -h /etc && exec httpd -f -p ${admitted} -h /etc`
      ),
      readinessProbe: { tcpSocket: { port: admitted }, periodSeconds: 1 }
    },
    'Never'
  )
  return pod
}

/**
 * Reaches the admitted port first (else the probe proves nothing), then tries
 * the refused port for up to `seconds`, since a network programs a new policy
 * a moment after it exists. Exits with PROBE_EXIT. Only sh builtins and `nc`
 * (busybox's, which every busybox build has; its wget is missing from some).
 */
export function probeClient(namespace: string, image: string, targetIp: string, seconds = 8): KubeObject {
  const { admitted, refused } = PROBE_PORTS
  const script = [
    // An HTTP answer from the target's server, or nothing (refused, timed out).
    'answers() { printf "GET /hostname HTTP/1.0\\r\\n\\r\\n" | nc -w 2 "$TARGET" "$1" 2>/dev/null | { read -r status; case "$status" in "HTTP/"*" 200 "*) ;; *) exit 1 ;; esac; }; }',
    `i=0; until answers ${admitted}; do`,
    `  i=$((i+1)); [ $i -lt ${seconds} ] || exit ${PROBE_EXIT.controlUnreachable}; sleep 1`,
    'done',
    `i=0; while answers ${refused}; do`,
    `  i=$((i+1)); [ $i -lt ${seconds} ] || exit ${PROBE_EXIT.notEnforced}; sleep 1`,
    'done',
    `exit ${PROBE_EXIT.enforced}`
  ].join('\n')
  return probePod(
    namespace,
    PROBE_NAMES.client,
    'client',
    probeContainer('client', image, script, { TARGET: targetIp }),
    'Never'
  )
}

export type ProbeVerdict =
  { state: 'enforced' } | { state: 'not-enforced' } | { state: 'inconclusive'; reason: string }

/** The client's exit code as a verdict. */
export function probeVerdict(exitCode: number | undefined): ProbeVerdict {
  if (exitCode === PROBE_EXIT.enforced) return { state: 'enforced' }
  if (exitCode === PROBE_EXIT.notEnforced) return { state: 'not-enforced' }
  if (exitCode === PROBE_EXIT.controlUnreachable)
    return {
      state: 'inconclusive',
      reason: `the probe client could not reach the probe target on the port this environment is admitted to (${PROBE_PORTS.admitted})`
    }
  return { state: 'inconclusive', reason: `the probe client ended with exit code ${exitCode ?? 'unknown'}` }
}

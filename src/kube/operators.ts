/**
 * The operators whose custom resources teams most often keep beside their
 * manifests, by API group: so a kind the cluster does not know is named with
 * the CustomResourceDefinition it needs and the operator that installs it,
 * instead of a bare "no such kind". Pure.
 */
const OPERATORS: Readonly<Record<string, string>> = {
  'external-secrets.io': 'External Secrets Operator',
  'bitnami.com': 'the Sealed Secrets controller',
  'cert-manager.io': 'cert-manager',
  'acme.cert-manager.io': 'cert-manager',
  'monitoring.coreos.com': 'the Prometheus Operator',
  'argoproj.io': 'Argo (Rollouts, Workflows or CD)',
  'networking.istio.io': 'Istio',
  'security.istio.io': 'Istio',
  'keda.sh': 'KEDA',
  'kyverno.io': 'Kyverno',
  'gateway.networking.k8s.io': 'the Gateway API CRDs',
  'traefik.io': 'Traefik',
  'traefik.containo.us': 'Traefik',
  'secrets-store.csi.x-k8s.io': 'the Secrets Store CSI driver',
  'karpenter.sh': 'Karpenter',
  'postgresql.cnpg.io': 'CloudNativePG'
}

/** Kind → plural as CRDs write it: Policy → policies, Ingress → ingresses, Certificate → certificates. */
function plural(kind: string): string {
  const lower = kind.toLowerCase()
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`
  return `${lower}s`
}

/** What is missing for a kind the cluster does not serve: the CRD's likely name, and its operator when known. */
export function missingKind(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/')
  // A core kind (v1) the cluster does not serve is not a CRD's.
  if (slash < 0) return `the cluster has no kind ${kind} in ${apiVersion}`
  const group = apiVersion.slice(0, slash)
  const crd = `${plural(kind)}.${group}`
  const operator = OPERATORS[group]
  return operator
    ? `the cluster has no kind ${kind} in ${apiVersion}: its CustomResourceDefinition ${crd} is not installed, which ${operator} installs. Install ${operator} in this cluster, or leave the ${kind} out of this stage`
    : `the cluster has no kind ${kind} in ${apiVersion} (is the CustomResourceDefinition ${crd} installed?)`
}

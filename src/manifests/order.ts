/**
 * Apply order: what others depend on goes first. Within a tier, objects are
 * independent and applied concurrently. Pure.
 */
import type { KubeObject } from './types.js'

/** What runs the application: applied last, after pre-deploy Jobs (stage/apply.ts). */
const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
  'ReplicationController'
]

export function isWorkload(object: Pick<KubeObject, 'kind'>): boolean {
  return WORKLOAD_KINDS.includes(object.kind)
}

const TIERS: string[][] = [
  ['Namespace'],
  ['CustomResourceDefinition'],
  ['ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
  [
    'ConfigMap',
    'Secret',
    'PersistentVolume',
    'PersistentVolumeClaim',
    'StorageClass',
    'LimitRange',
    'ResourceQuota',
    'NetworkPolicy',
    'PriorityClass',
    // Nothing above depends on a Service, nor a Service on them: one tier, one round trip less.
    'Service'
  ],
  WORKLOAD_KINDS
]

const TIER_OF = new Map(TIERS.flatMap((kinds, tier) => kinds.map(kind => [kind, tier] as const)))
const LAST_TIER = TIERS.length

export function tierOf(object: Pick<KubeObject, 'kind'>): number {
  return TIER_OF.get(object.kind) ?? LAST_TIER
}

/** Non-empty tiers in apply order; objects keep their input order within a tier. */
export function orderForApply<T extends Pick<KubeObject, 'kind'>>(objects: T[]): T[][] {
  const tiers: T[][] = Array.from({ length: LAST_TIER + 1 }, () => [])
  for (const object of objects) tiers[tierOf(object)].push(object)
  return tiers.filter(tier => tier.length > 0)
}

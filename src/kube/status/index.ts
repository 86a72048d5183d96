/** One readiness rule per kind, chosen by API group and kind. Pure. */
import { crdReadiness, genericReadiness, pvcReadiness, serviceReadiness } from './simple.js'
import {
  daemonSetReadiness,
  deploymentReadiness,
  jobReadiness,
  podReadiness,
  replicaSetReadiness,
  statefulSetReadiness
} from './workloads.js'
import type { Json, Readiness, ReadinessContext } from './types.js'

export type { Readiness, ReadinessContext, ResourceFailure, ReadinessState } from './types.js'

type Rule = (object: Json, context: ReadinessContext) => Readiness

const RULES: Record<string, Rule> = {
  'apps/Deployment': deploymentReadiness,
  'apps/StatefulSet': statefulSetReadiness,
  'apps/DaemonSet': daemonSetReadiness,
  'apps/ReplicaSet': replicaSetReadiness,
  'batch/Job': jobReadiness,
  '/Pod': podReadiness,
  '/PersistentVolumeClaim': pvcReadiness,
  '/Service': serviceReadiness,
  'apiextensions.k8s.io/CustomResourceDefinition': crdReadiness
}

export function readinessOf(object: Json, context: ReadinessContext): Readiness {
  const apiVersion: string = object.apiVersion ?? ''
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : ''
  return (RULES[`${group}/${object.kind}`] ?? genericReadiness)(object, context)
}

/**
 * A request the API server refused with 403 Forbidden, turned into what the
 * user must add to the deploying identity's Role. The server's message names
 * the user, verb, resource (with subresource), API group and namespace:
 *   deployments.apps "shop" is forbidden: User "system:serviceaccount:prod:deployer"
 *   cannot patch resource "deployments" in API group "apps" in the namespace "prod"
 * Pure.
 */
import { StageError } from '../errors.js'
import { asKubeApiError, type KubeApiError } from './errors.js'

export interface Denial {
  user?: string
  verb: string
  /** With its subresource: pods/log. */
  resource: string
  group: string
  /** Undefined at the cluster scope. */
  namespace?: string
}

const DENIAL =
  /(?:User|ServiceAccount|Group) "([^"]*)" cannot (\w+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)"| at the cluster scope)?/

export function parseDenial(message: string): Denial | undefined {
  const match = DENIAL.exec(message)
  if (!match) return undefined
  const [, user, verb, resource, group, namespace] = match
  return { user, verb, resource, group, namespace }
}

/**
 * Whether a 403 is the authorizer's refusal (it names who cannot do what), not an admission
 * plugin's or webhook's: those answer 403 too ("admission webhook ... denied the request",
 * "exceeded quota") and are verdicts on the object, which no RBAC rule changes.
 */
export function isAuthorizationDenial(error: KubeApiError): boolean {
  return parseDenial(error.message) !== undefined
}

/** The RBAC rule that would allow it, as YAML to add under a Role's (or ClusterRole's) rules. */
export function ruleFor(denial: Denial): string {
  return `- apiGroups: ["${denial.group}"]\n  resources: ["${denial.resource}"]\n  verbs: ["${denial.verb}"]`
}

/** What the stage needed, and the rule to add: the failure of a stage that cannot go on. */
export function forbiddenError(error: KubeApiError, purpose: string): StageError {
  const denial = parseDenial(error.message)
  if (!denial) {
    return new StageError(
      'Forbidden',
      `The API server refused to ${purpose} (403 Forbidden): ${error.message}. Grant the deploying identity the RBAC permission it names.`
    )
  }
  const where = denial.namespace ? `in namespace ${denial.namespace}` : 'at the cluster scope'
  const holder = denial.namespace ? `a Role in namespace ${denial.namespace}` : 'a ClusterRole'
  const what = `${denial.verb} ${denial.resource}${denial.group ? ` (API group ${denial.group})` : ''} ${where}`
  return new StageError(
    'Forbidden',
    `${denial.user ?? 'The deploying identity'} may not ${what}, which the stage needs to ${purpose}. ` +
      `Add this rule to ${holder} bound to it (kube-stage docs/permissions.md):\n${ruleFor(denial)}`
  )
}

/** For `.catch()`: a 403 becomes the Forbidden failure with what it was for; anything else goes on as it was. */
export function rethrowForbidden(purpose: string): (error: unknown) => never {
  return error => {
    const api = asKubeApiError(error)
    throw api?.status === 403 ? forbiddenError(api, purpose) : error
  }
}

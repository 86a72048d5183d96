/**
 * Admission webhooks as the stage meets them in the API server's answers. Pure.
 *
 * A webhook registered with sideEffects Unknown or Some (admissionregistration v1 refuses
 * both on create, but configurations stored under v1beta1 keep them through upgrades and
 * updates) cannot be asked about a dry run: the API server refuses every dry-run request it
 * matches, before calling it, with `admission webhook "<name>" does not support dry run`.
 * That is not the webhook's verdict on the object, and nothing the manifests can fix: only the
 * webhook's owners can, so the failure names the webhook and says what they must change.
 */
const DRY_RUN_UNSUPPORTED = /admission webhook "([^"]+)" does not support dry run/

/** The webhook that refused a dry run because it does not support one, if that is what this says. */
export function dryRunUnsupportedWebhook(message: string): string | undefined {
  return DRY_RUN_UNSUPPORTED.exec(message)?.[1]
}

/**
 * The headline for a dry run refused by webhooks that do not support one.
 * `refused`: each refused object's display name with the webhook's name.
 */
export function dryRunUnsupportedMessage(refused: { object: string; webhook: string }[]): string {
  const webhooks = [...new Set(refused.map(r => r.webhook))]
  const objects = refused.map(r => r.object)
  const named = webhooks.map(w => `"${w}"`).join(', ')
  return (
    `The admission webhook${webhooks.length > 1 ? 's' : ''} ${named} ${webhooks.length > 1 ? 'do' : 'does'} not support dry run ` +
    `(${webhooks.length > 1 ? 'their' : 'its'} configuration declares sideEffects Unknown or Some), so the API server refuses ` +
    `the server-side dry run of ${objects.join(', ')} that the stage makes before writing anything; nothing was applied. ` +
    `Ask the webhook's owners to declare sideEffects None or NoneOnDryRun (and to skip side effects when a request has dryRun set), ` +
    `or to leave this namespace or these objects out with the webhook's namespaceSelector or objectSelector. ` +
    `kubectl shows which configuration holds it: kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations -o yaml.`
  )
}

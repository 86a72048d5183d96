/** kube-stage's own version (package.json), as the ApplySet tooling annotation names it. */
import packageJson from '../package.json' with { type: 'json' }

export const VERSION: string = packageJson.version

// The local control plane for the scripts: test/cluster/*.sh print their
// result (the kubeconfig path, the binaries' directory) on their last line.
import { execFileSync } from 'node:child_process'
import path from 'node:path'

const clusterDir = path.resolve(import.meta.dirname, '../test/cluster')

function lastLine(script, stderr, env = {}) {
  return execFileSync(path.join(clusterDir, script), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', stderr],
    env: { ...process.env, ...env }
  })
    .trim()
    .split('\n')
    .pop()
}

/**
 * Builds (or reuses) and starts the control plane and its real node, showing
 * their progress; returns the kubeconfig path. realNode: 'required' (default),
 * 'optional' (go on with KWOK nodes only where a real node cannot run) or 'off'.
 */
export const startCluster = ({ realNode = 'required' } = {}) =>
  lastLine('start.sh', 'inherit', { KUBE_STAGE_REAL_NODE: realNode })

/** The binary of the fixture app (test/fixture-app), built with the images. */
export const fixtureAppBinary = () => path.join(lastLine('images.sh', 'ignore'), 'shop')

/** The directory of the cached binaries (kubectl among them). */
export const clusterBinaries = () => lastLine('build.sh', 'ignore')

/** Stops every process startCluster started. */
export const stopCluster = () => execFileSync(path.join(clusterDir, 'stop.sh'), { stdio: 'ignore' })

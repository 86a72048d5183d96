// The local control plane for the scripts: test/cluster/*.sh print their
// result (the kubeconfig path, the binaries' directory) on their last line.
import { execFileSync } from 'node:child_process'
import path from 'node:path'

const clusterDir = path.resolve(import.meta.dirname, '../test/cluster')

function lastLine(script, stderr) {
  return execFileSync(path.join(clusterDir, script), { encoding: 'utf8', stdio: ['ignore', 'pipe', stderr] })
    .trim()
    .split('\n')
    .pop()
}

/** Builds (or reuses) and starts the control plane, showing its progress; returns the kubeconfig path. */
export const startCluster = () => lastLine('start.sh', 'inherit')

/** The directory of the cached binaries (kubectl among them). */
export const clusterBinaries = () => lastLine('build.sh', 'ignore')

/** Stops every process startCluster started. */
export const stopCluster = () => execFileSync(path.join(clusterDir, 'stop.sh'), { stdio: 'ignore' })

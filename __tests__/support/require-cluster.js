// Cluster tests never skip: without a reachable kube-apiserver they fail, saying why.
// script/test.sh starts the local control plane and exports KUBE_STAGE_TEST_KUBECONFIG;
// pointing that variable at any other cluster's kubeconfig runs the suite there instead.
import { existsSync } from 'node:fs'

export default async function requireCluster() {
  const kubeconfig = process.env.KUBE_STAGE_TEST_KUBECONFIG
  if (!kubeconfig) {
    throw new Error(
      'KUBE_STAGE_TEST_KUBECONFIG is not set: cluster tests need a real kube-apiserver. ' +
        "Run `npm test` (it starts the local control plane), or set it to an existing cluster's kubeconfig."
    )
  }
  if (!existsSync(kubeconfig)) {
    throw new Error(`KUBE_STAGE_TEST_KUBECONFIG points at ${kubeconfig}, which does not exist.`)
  }
}

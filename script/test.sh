#!/usr/bin/env bash
# The whole test suite: type check, lint, then every jest project (unit, http,
# cluster) against a real kube-apiserver. Without KUBE_STAGE_TEST_KUBECONFIG it
# builds (or reuses) and starts the local control plane in test/cluster/ and
# stops it afterwards; with it, the cluster tests run against that cluster.
# Run through `npm test`, so `node` is the Node 24 from node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .test-results
rm -f .test-results/jest.json

echo "[test] node $(node --version)"
# GitHub runs the action on Node 24; the node@24 devDependency provides it inside npm scripts.
case "$(node --version)" in
  v2[4-9].*|v[3-9][0-9].*) ;;
  *) echo "[test] Node $(node --version) is not Node 24: run through 'npm test' after 'npm ci' (node@24 is a devDependency)" >&2; exit 1 ;;
esac
echo "[test] type check and lint"
npx tsc --noEmit -p .
npx eslint .

if [ -z "${KUBE_STAGE_TEST_KUBECONFIG:-}" ]; then
  trap 'test/cluster/stop.sh' EXIT
  if ! KUBE_STAGE_TEST_KUBECONFIG=$(test/cluster/start.sh | tail -n 1); then
    echo "[test] the local control plane did not start; cluster tests cannot run (see above)" >&2
    exit 1
  fi
  export KUBE_STAGE_TEST_KUBECONFIG
else
  echo "[test] using the cluster in KUBE_STAGE_TEST_KUBECONFIG=$KUBE_STAGE_TEST_KUBECONFIG"
fi

node --experimental-vm-modules node_modules/jest/bin/jest.js --json --outputFile=.test-results/jest.json "$@"

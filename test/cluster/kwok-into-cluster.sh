#!/usr/bin/env bash
# Makes an existing cluster (kind on GitHub-hosted runners) behave like the local
# control plane for the tests: installs KWOK's controller, the same stages
# start.sh uses (stock ones and test/cluster/stages) and the same fake nodes,
# and taints the real nodes so that test pods land only on fake ones (a real
# kubelet would try to pull the tests' made-up images).
# Usage: KUBECONFIG=... test/cluster/kwok-into-cluster.sh   (needs kubectl, go and curl)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=kwok-lib.sh
. "$here/kwok-lib.sh"
step() { printf '[kwok-into-cluster] %s\n' "$*" >&2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step "KWOK $KWOK_VERSION controller"
kubectl apply -f "https://github.com/kubernetes-sigs/kwok/releases/download/$KWOK_VERSION/kwok.yaml" >&2
kubectl -n kube-system rollout status deployment/kwok-controller --timeout=180s >&2

step "stages: KWOK's stock ones (from the Go module) and ours"
module=$(GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
[ -d "$module/kustomize/stage" ] || { step "FAILED: no stages in sigs.k8s.io/kwok@$KWOK_VERSION ($module)"; exit 1; }
kwok_prepare_stages "$module/kustomize/stage" "$work/stages"
kubectl apply -f "$work/stages" >&2

step "real nodes tainted; fake nodes created"
for node in $(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'); do
  kubectl taint nodes "$node" kube-stage.test/real-node=true:NoSchedule --overwrite >&2
done
kwok_node_manifests "${KUBE_STAGE_CLUSTER_NODES:-2}" | kubectl apply -f - >&2
kubectl wait --for=condition=Ready node -l type=kwok --timeout=120s >&2
step "ready"

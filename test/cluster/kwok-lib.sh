# Shared by start.sh (KWOK as a process beside a local control plane) and
# kwok-into-cluster.sh (KWOK's controller inside an existing cluster, such as kind):
# the same stages and the same fake nodes, so the tests see the same behaviour.

# Copies KWOK's stock stages from $1 and ours into $2. The stock pod-ready stage
# skips pods labelled kube-stage.test/behaviour, so that our stages decide what
# those pods do (never ready, crash loop, image pull error, failed Job).
kwok_prepare_stages() {
  local stock=$1 out=$2 here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  mkdir -p "$out"
  cp "$stock/node/fast/node-initialize.yaml" "$stock/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
    "$stock/pod/fast/pod-complete.yaml" "$stock/pod/fast/pod-delete.yaml" "$out/"
  awk '{ print } /^    matchExpressions:$/ && !done { print "    - key: '"'"'.metadata.labels[\"kube-stage.test/behaviour\"]'"'"'"; print "      operator: '"'"'DoesNotExist'"'"'"; done=1 }' \
    "$stock/pod/fast/pod-ready.yaml" >"$out/pod-ready.yaml"
  grep -q 'kube-stage.test/behaviour' "$out/pod-ready.yaml" || return 1
  cp "$here"/stages/*.yaml "$out/"
}

# Prints $1 fake Node manifests that KWOK manages (annotation kwok.x-k8s.io/node=fake).
kwok_node_manifests() {
  local count=$1 i
  for i in $(seq 1 "$count"); do
    cat <<NODE
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: { kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0" }
  labels: { type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64 }
status:
  allocatable: { cpu: "32", memory: 256Gi, pods: "110" }
  capacity: { cpu: "32", memory: 256Gi, pods: "110" }
---
NODE
  done
}

#!/usr/bin/env bash
# Bitnami's Sealed Secrets in the test cluster: its controller really decrypts SealedSecrets into
# Secrets (and reports failures in their status), and kubeseal seals for it offline with the
# controller's certificate, as a user's CI does with `kubeseal --cert`.
#
#   sealed-secrets.sh build              prints the directory holding controller, kubeseal and the CRD (cached)
#   sealed-secrets.sh start <state-dir>  after the real node is Ready; writes <state>/sealed-secrets.crt
#                                        (the sealing certificate) and <state>/sealed-secrets-bin (kubeseal's directory)
#   sealed-secrets.sh stop <state-dir>   deletes the controller's pod (its key Secret stays: a new start
#                                        seals with the same certificate)
#
# The controller needs in-cluster configuration, so it runs as a pod on the real node, from an image
# built here (oci.py) and imported into the node's containerd. The API server listens on 127.0.0.1
# only, has no `kubernetes` Service endpoints (--endpoint-reconciler-type none) and does not mount
# service-account tokens (the ServiceAccount admission plugin is off): the pod uses the host's
# network, is told the API server's address, and mounts its token, CA and namespace itself.
# It runs in its own namespace (annotated for the real node) rather than kube-system, so
# kube-system's pods keep going to the KWOK nodes; its sealing key lives there.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=process-lib.sh
. "$here/process-lib.sh"

NAMESPACE=sealed-secrets
NAME=sealed-secrets-controller
# The name the upstream chart pulls, so a pod looks as it would on a user's cluster.
IMAGE=docker.io/bitnami/sealed-secrets-controller:${SEALED_SECRETS_VERSION#v}
KEY_LABEL=sealedsecrets.bitnami.com/sealed-secrets-key
MODULE=github.com/bitnami-labs/sealed-secrets

ss_step() { printf '[sealed-secrets] %s\n' "$*" >&2; }
ss_fail() { ss_step "FAILED: $*"; exit 1; }

cache_dir() {
  local cache_root=${KUBE_STAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-stage}
  echo "$cache_root/sealed-secrets-$SEALED_SECRETS_VERSION"
}

# The controller, kubeseal and the CRD from the Go module proxy, once per version.
build_sealed_secrets() {
  local dir log
  dir=$(cache_dir)
  if [ ! -x "$dir/controller" ] || [ ! -x "$dir/kubeseal" ] || [ ! -s "$dir/crd.yaml" ]; then
    command -v go >/dev/null 2>&1 ||
      ss_fail "building Sealed Secrets $SEALED_SECRETS_VERSION needs Go (the module proxy reachable); none on PATH"
    ss_step "$SEALED_SECRETS_VERSION: building controller and kubeseal (cold: 1 to 3 minutes)"
    mkdir -p "$dir" "$(dirname "$dir")/build-logs"
    log=$(dirname "$dir")/build-logs/sealed-secrets.log
    if ! CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= GOBIN=$dir go install -trimpath \
      -ldflags "-s -w -X main.VERSION=$SEALED_SECRETS_VERSION" \
      "$MODULE/cmd/controller@$SEALED_SECRETS_VERSION" "$MODULE/cmd/kubeseal@$SEALED_SECRETS_VERSION" >"$log" 2>&1; then
      ss_step "FAILED: building Sealed Secrets; last lines of $log:"
      tail -n 30 "$log" >&2
      return 1
    fi
    local crd
    crd="$(go env GOMODCACHE)/$MODULE@$SEALED_SECRETS_VERSION/helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml"
    [ -f "$crd" ] || ss_fail "its CRD is not at $crd"
    cp "$crd" "$dir/crd.yaml.partial" && chmod u+w "$dir/crd.yaml.partial" && mv -f "$dir/crd.yaml.partial" "$dir/crd.yaml"
  fi
  echo "$dir"
}

# The controller's image: its static binary alone, as upstream's distroless image holds it (user
# 1001, entrypoint `controller`). Rewritten only when the binary or the writer changes; prints
# "<ref> <manifest digest> <archive>".
build_image() {
  local dir=$1 key
  key=$(cat "$dir/controller" "$here/oci.py" | sha256sum | cut -c1-16)
  if [ "$(cat "$dir/image/.key" 2>/dev/null)" != "$key" ] || [ ! -s "$dir/image/image.txt" ]; then
    rm -rf "$dir/image"
    local stage
    stage=$(mktemp -d "$dir/.image.XXXXXX")
    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$here python3 - "$stage" "$dir/image" "$dir/controller" "$(go env GOARCH 2>/dev/null || echo amd64)" "$IMAGE" <<'PY'
import sys
from oci import Layer, directory, read, regular, write_image

stage, out, controller, arch, ref = sys.argv[1:]
layer = Layer({
    "etc": directory(),
    "etc/passwd": regular(0o644, b"root:x:0:0:root:/root:/sbin/nologin\nsealed-secrets:x:1001:1001::/tmp:/sbin/nologin\n"),
    "etc/group": regular(0o644, b"root:x:0:\nsealed-secrets:x:1001:\n"),
    "tmp": directory(0o1777),
    "usr": directory(),
    "usr/local": directory(),
    "usr/local/bin": directory(),
    "usr/local/bin/controller": regular(0o755, read(controller)),
})
run = {"Entrypoint": ["controller"], "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "User": "1001",
       "ExposedPorts": {"8080/tcp": {}, "8081/tcp": {}}, "WorkingDir": "/"}
line = write_image(stage, out, ref, arch, run, layer, "test/cluster/sealed-secrets.sh: the controller alone")
with open(f"{stage}/image.txt", "w") as f:
    f.write(line)
PY
    echo "$key" >"$stage/.key"
    mv "$stage" "$dir/image"
  fi
  cat "$dir/image/image.txt"
}

# The cluster's own kubectl (node.sh records the build directory), talking to its API server.
cluster_kubectl() {
  local state=$1 bin
  bin=$(cat "$state/node/bin" 2>/dev/null || "$here/build.sh" 2>/dev/null | tail -n 1)
  "$bin/kubectl" --kubeconfig "$state/kubeconfig" "${@:2}"
}

manifests() {
  cat "$1"
  # The namespace's pods go to the real node (PodNodeSelector and PodTolerationRestriction, as
  # __tests__/support/real-node.ts annotates its namespaces).
  cat <<YAML
---
apiVersion: v1
kind: Namespace
metadata:
  name: $NAMESPACE
  annotations:
    scheduler.alpha.kubernetes.io/node-selector: type=real
    scheduler.alpha.kubernetes.io/defaultTolerations: '[{"key":"kube-stage.test/real-node","operator":"Exists","effect":"NoSchedule"}]'
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: $NAME, namespace: $NAMESPACE }
---
# The rules of the upstream chart's ClusterRole (helm/sealed-secrets/templates/cluster-role.yaml).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: secrets-unsealer }
rules:
  - apiGroups: [bitnami.com]
    resources: [sealedsecrets]
    verbs: [get, list, watch]
  - apiGroups: [bitnami.com]
    resources: [sealedsecrets/status]
    verbs: [update]
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get, list, create, update, delete, watch]
  - apiGroups: [""]
    resources: [events]
    verbs: [create, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: $NAME }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets-unsealer }
subjects:
  - { kind: ServiceAccount, name: $NAME, namespace: $NAMESPACE }
YAML
}

pod_manifest() {
  local api_port=$1 listen_port=$2 metrics_port=$3
  cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $NAME
  namespace: $NAMESPACE
  labels: { app.kubernetes.io/name: sealed-secrets }
spec:
  serviceAccountName: $NAME
  # Mounted below by hand: the API server's ServiceAccount admission plugin is off.
  automountServiceAccountToken: false
  # The API server listens on 127.0.0.1 only: the host's loopback is the pod's.
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
    - name: controller
      image: $IMAGE
      # Imported into the node's containerd; nothing can be pulled.
      imagePullPolicy: Never
      # Free ports of the host (hostNetwork), not the upstream 8080 and 8081.
      args: [--update-status, --listen-addr, "127.0.0.1:$listen_port", --listen-metrics-addr, "127.0.0.1:$metrics_port"]
      env:
        # The kubelet's own values name the kubernetes Service, which has no endpoints here.
        - { name: KUBERNETES_SERVICE_HOST, value: 127.0.0.1 }
        - { name: KUBERNETES_SERVICE_PORT, value: "$api_port" }
      readinessProbe:
        httpGet: { host: 127.0.0.1, path: /healthz, port: $listen_port }
        periodSeconds: 2
      securityContext:
        runAsNonRoot: true
        runAsUser: 1001
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
        capabilities: { drop: [ALL] }
      volumeMounts:
        - { name: kube-api-access, mountPath: /var/run/secrets/kubernetes.io/serviceaccount, readOnly: true }
        - { name: tmp, mountPath: /tmp }
  volumes:
    # What the ServiceAccount admission plugin would have added.
    - name: kube-api-access
      projected:
        sources:
          - serviceAccountToken: { path: token, expirationSeconds: 3607 }
          - configMap: { name: kube-root-ca.crt, items: [{ key: ca.crt, path: ca.crt }] }
          - downwardAPI: { items: [{ path: namespace, fieldRef: { fieldPath: metadata.namespace } }] }
    - name: tmp
      emptyDir: {}
YAML
}

# What the pod is doing and its log's tail, for a start that failed.
explain_pod() {
  local state=$1
  ss_step "the controller's pod:"
  cluster_kubectl "$state" -n "$NAMESPACE" get pod "$NAME" -o wide >&2 || true
  cluster_kubectl "$state" -n "$NAMESPACE" get pod "$NAME" \
    -o jsonpath='{range .status.containerStatuses[*]}{.name}: restarts {.restartCount}, {.state}{"\n"}{end}' >&2 || true
  ss_step "last lines of its log:"
  cluster_kubectl "$state" -n "$NAMESPACE" logs "$NAME" --tail 30 >&2 || true
  # A crashed container's log is the one above until it runs again; then the crash is the previous run's.
  local restarts running
  restarts=$(cluster_kubectl "$state" -n "$NAMESPACE" get pod "$NAME" -o jsonpath='{.status.containerStatuses[0].restartCount}' 2>/dev/null || true)
  running=$(cluster_kubectl "$state" -n "$NAMESPACE" get pod "$NAME" -o jsonpath='{.status.containerStatuses[0].state.running}' 2>/dev/null || true)
  if [ -n "$running" ] && [ "${restarts:-0}" != 0 ]; then
    ss_step "last lines of its previous run's log:"
    cluster_kubectl "$state" -n "$NAMESPACE" logs "$NAME" --previous --tail 30 >&2 || true
  fi
}

start_sealed_secrets() {
  local state=$1 timeout=${KUBE_STAGE_SEALED_SECRETS_TIMEOUT:-120}
  [ -f "$state/kubeconfig" ] || ss_fail "no cluster in $state (no kubeconfig)"
  [ "$(cat "$state/real-node" 2>/dev/null)" = ready ] ||
    ss_fail "the controller runs on the real node, and $state has none (KUBE_STAGE_REAL_NODE=off?)"
  # Until this start succeeds, nothing claims a working controller.
  rm -f "$state/sealed-secrets.crt" "$state/sealed-secrets-bin"
  local dir image ref digest archive sock=$state/node/containerd/containerd.sock
  dir=$(build_sealed_secrets)
  image=$(build_image "$dir")
  read -r ref digest archive <<<"$image"
  ss_step "importing $ref ($digest) into the real node's containerd"
  mkdir -p "$state/logs"
  {
    ctr --address "$sock" -n k8s.io images import --all-platforms "$archive" &&
      # The CRI resolves an imported image by name only: name it by digest too (as node.sh does).
      ctr --address "$sock" -n k8s.io images tag --force "$ref" "${ref%:*}@$digest"
  } >>"$state/logs/images.log" 2>&1 || ss_fail "could not import $archive (see $state/logs/images.log)"

  local api_port
  api_port=$(sed -n 's/^API_PORT=//p' "$state/ports")
  [ -n "$api_port" ] || ss_fail "no API_PORT in $state/ports"
  ss_step "$SEALED_SECRETS_VERSION: CRD, namespace $NAMESPACE, RBAC and the controller's pod"
  manifests "$dir/crd.yaml" | cluster_kubectl "$state" apply -f - >"$state/logs/sealed-secrets-apply.log" 2>&1 ||
    { tail -n 20 "$state/logs/sealed-secrets-apply.log" >&2; ss_fail "could not apply its manifests"; }
  # A pod's spec cannot change in place (new ports): replace it.
  cluster_kubectl "$state" -n "$NAMESPACE" delete pod "$NAME" --ignore-not-found --wait=true --timeout=30s >/dev/null
  pod_manifest "$api_port" "$(free_port)" "$(free_port)" | cluster_kubectl "$state" create -f - >>"$state/logs/sealed-secrets-apply.log" 2>&1 ||
    { tail -n 20 "$state/logs/sealed-secrets-apply.log" >&2; ss_fail "could not create the controller's pod"; }
  cluster_kubectl "$state" wait --for condition=established crd/sealedsecrets.bitnami.com --timeout=30s >/dev/null ||
    ss_fail "the CRD sealedsecrets.bitnami.com is not established"

  # The key Secret alone is not enough: the controller writes it first, then starts serving and
  # watching; a controller that made its key and then crashed (its RBAC, its API address) must
  # fail this start rather than the first test that waits for a SealedSecret.
  local deadline=$(( $(date +%s) + timeout )) cert ready
  while :; do
    cert=$(cluster_kubectl "$state" -n "$NAMESPACE" get secret -l "$KEY_LABEL" --sort-by .metadata.creationTimestamp \
      -o jsonpath='{.items[-1:].data.tls\.crt}' 2>/dev/null || true)
    ready=$(cluster_kubectl "$state" -n "$NAMESPACE" get pod "$NAME" \
      -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [ -n "$cert" ] && [ "$ready" = True ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      explain_pod "$state"
      [ -n "$cert" ] && cert=present || cert=missing
      ss_fail "the controller did not make its key and become Ready in ${timeout}s (key: $cert, Ready: ${ready:-unknown})"
    fi
    sleep 1
  done
  base64 -d <<<"$cert" >"$state/sealed-secrets.crt"
  echo "$dir" >"$state/sealed-secrets-bin"
  ss_step "controller Ready; its sealing certificate ($(openssl x509 -noout -enddate <"$state/sealed-secrets.crt")) in $state/sealed-secrets.crt"
}

stop_sealed_secrets() {
  local state=$1
  rm -f "$state/sealed-secrets.crt" "$state/sealed-secrets-bin"
  # Nothing to do when the API server is already gone (the node and its pods go with the cluster).
  cluster_kubectl "$state" -n "$NAMESPACE" delete pod "$NAME" --ignore-not-found --wait=false --request-timeout=5s \
    >/dev/null 2>&1 || true
  ss_step "stopped the controller"
}

case ${1:-} in
  build) build_sealed_secrets ;;
  start) start_sealed_secrets "$2" ;;
  stop) stop_sealed_secrets "$2" ;;
  *) echo "usage: sealed-secrets.sh build | start <state-dir> | stop <state-dir>" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Starts a real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, KWOK (which plays the kubelets of
# fake nodes, for scale and scripted misbehaviour), one real node (node.sh:
# containerd, runc, CNI bridge, kubelet, kube-proxy) where containers really run,
# with NetworkPolicy enforced (network.sh), admission webhooks (webhook.sh), and the
# operators that make Secrets (operators.sh: External Secrets, cert-manager;
# sealed-secrets.sh) and Prometheus (prometheus.sh). Builds the binaries and images first if they are not cached. Writes
# $KUBE_STAGE_CLUSTER_DIR/kubeconfig (default .cluster/).
# KUBE_STAGE_REAL_NODE: required (default: the start fails without it), optional
# (the demo: go on with KWOK only and say why), off.
# stop.sh ends every process this started, by PID, and undoes the node's changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=kwok-lib.sh
. "$here/kwok-lib.sh"
# shellcheck source=process-lib.sh
. "$here/process-lib.sh"
repo=$(cd "$here/../.." && pwd)
state=${KUBE_STAGE_CLUSTER_DIR:-$repo/.cluster}
nodes=${KUBE_STAGE_CLUSTER_NODES:-2}
real_node=${KUBE_STAGE_REAL_NODE:-required}

step() { printf '[cluster] %s\n' "$*" >&2; }
# A failing step names its component and shows its log's tail.
fail() {
  local component=$1; shift
  printf '[cluster] FAILED: %s: %s\n' "$component" "$*" >&2
  if [ -f "$state/logs/$component.log" ]; then
    printf '[cluster] last lines of %s:\n' "$state/logs/$component.log" >&2
    tail -n 25 "$state/logs/$component.log" >&2
  fi
  "$here/stop.sh" >&2 || true
  exit 1
}

if [ -d "$state/pids" ] && [ -n "$(ls -A "$state/pids" 2>/dev/null)" ]; then
  step "a previous cluster in $state is still recorded; stopping it first"
  "$here/stop.sh"
fi

# Why a real node cannot run here (empty when it can).
real_node_blocker() {
  [ "$(uname -s)" = Linux ] || { echo "not Linux ($(uname -s))"; return; }
  [ "$(id -u)" = 0 ] || { echo "not root (containerd, the CNI bridge and kube-proxy need root)"; return; }
  "$here/node-packages.sh" || echo "its packages are missing and could not be installed (see above)"
}
case $real_node in
  required | optional)
    blocker=$(real_node_blocker)
    if [ -n "$blocker" ]; then
      if [ "$real_node" = required ]; then
        printf '[cluster] FAILED: no real node: %s. Set KUBE_STAGE_REAL_NODE=off for KWOK only.\n' "$blocker" >&2
        exit 1
      fi
      step "no real node: $blocker; KWOK nodes only (no container runs)"
      real_node=off
    fi
    ;;
  off) ;;
  *) printf '[cluster] KUBE_STAGE_REAL_NODE must be required, optional or off, not %s\n' "$real_node" >&2; exit 1 ;;
esac

bin=$("$here/build.sh" | tail -n 1)
[ -x "$bin/kube-apiserver" ] || fail build "binaries missing in $bin"

rm -rf "$state"
mkdir -p "$state/pids" "$state/logs" "$state/pki" "$state/etcd" "$state/stages"

# Pods go to the KWOK nodes unless their namespace is annotated for the real node
# (scheduler.alpha.kubernetes.io/node-selector: type=real, plus a toleration of its taint:
# see __tests__/support/real-node.ts). KWOK's scripted pods with fake images never land on it.
cat >"$state/admission.yaml" <<ADMISSION
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: PodNodeSelector
    path: $state/pod-node-selector.yaml
ADMISSION
printf 'podNodeSelectorPluginConfig:\n  clusterDefaultNodeSelector: type=kwok\n' >"$state/pod-node-selector.yaml"

etcd_client_port=$(free_port); etcd_peer_port=$(free_port); api_port=$(free_port)
printf 'ETCD_PORT=%s\nAPI_PORT=%s\n' "$etcd_client_port" "$api_port" >"$state/ports"

step "certificates: throwaway CA, apiserver serving cert, admin client cert, service-account keys"
pki=$state/pki
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kube-stage-test-ca" -keyout ca.key -out ca.crt
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout apiserver.key -out apiserver.csr
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:10.96.0.1\n' >apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile apiserver.ext -out apiserver.crt
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=kube-stage-admin" -keyout admin.key -out admin.csr
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out admin.crt
  openssl genrsa -out sa.key 2048
  openssl rsa -in sa.key -pubout -out sa.pub
) >"$state/logs/pki.log" 2>&1 || fail pki "openssl could not create the certificates"

# Starts a component in the background, recording its PID for stop.sh.
launch() {
  local name=$1; shift
  nohup "$@" >"$state/logs/$name.log" 2>&1 </dev/null &
  record_pid "$state" "$name" $!
}
# Waits until a command succeeds, failing the component if its process dies or time runs out.
wait_for() {
  local name=$1 seconds=$2; shift 2
  local pidfile; pidfile=$(ls "$state/pids"/*-"$name".pid)
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$pidfile")" 2>/dev/null || fail "$name" "the process exited"
    [ "$(date +%s)" -lt "$deadline" ] || fail "$name" "not ready after ${seconds}s"
    sleep 0.3
  done
}

step "etcd $("$bin/etcd" --version | head -n 1 | awk '{print $3}') on 127.0.0.1:$etcd_client_port"
launch etcd "$bin/etcd" --name default --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_client_port" --advertise-client-urls "http://127.0.0.1:$etcd_client_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "default=http://127.0.0.1:$etcd_peer_port" --unsafe-no-fsync --log-level warn
wait_for etcd 30 curl -sf "http://127.0.0.1:$etcd_client_port/health"

step "kube-apiserver on https://127.0.0.1:$api_port"
launch kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_client_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --endpoint-reconciler-type none \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range 10.96.0.0/16 \
  --authorization-mode RBAC --disable-admission-plugins ServiceAccount \
  --enable-admission-plugins PodNodeSelector,PodTolerationRestriction --admission-control-config-file "$state/admission.yaml" \
  --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
  --kubelet-preferred-address-types InternalIP \
  --allow-privileged=true --cert-dir "$state/pki/apiserver-certs" -v=1
curl_api() { curl -sf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "https://127.0.0.1:$api_port$1"; }
wait_for kube-apiserver 90 curl_api /readyz
# Admission webhooks of the project's own (test/cluster/webhook/), acting only in namespaces that ask for them.
"$here/webhook.sh" start "$state" || fail webhook "the admission webhooks did not start"

kubeconfig=$state/kubeconfig
cat >"$kubeconfig" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: kube-stage-test
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
- name: kube-stage-admin
  user:
    client-certificate-data: $(base64 -w0 <"$pki/admin.crt")
    client-key-data: $(base64 -w0 <"$pki/admin.key")
contexts:
- name: kube-stage-test
  context: { cluster: kube-stage-test, user: kube-stage-admin }
current-context: kube-stage-test
KCFG
kubectl=("$bin/kubectl" --kubeconfig "$kubeconfig")

step "kube-controller-manager"
launch kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$kubeconfig" \
  --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --leader-elect=false --secure-port 0 \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --service-cluster-ip-range 10.96.0.0/16 --cluster-name kube-stage-test \
  --node-monitor-grace-period 40s --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 -v=1
step "kube-scheduler"
launch kube-scheduler "$bin/kube-scheduler" --kubeconfig "$kubeconfig" \
  --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --leader-elect=false --secure-port 0 -v=1

# KWOK's stock stages, plus ours (test/cluster/stages): see kwok-lib.sh.
kwok_prepare_stages "$bin/kwok-stages" "$state/stages" || fail kwok "could not prepare the KWOK stages from $bin/kwok-stages"
stage_args=()
for f in "$state"/stages/*.yaml; do stage_args+=(--config "$f"); done
step "kwok ($nodes fake nodes)"
launch kwok "$bin/kwok" --kubeconfig "$kubeconfig" --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --cidr 10.244.0.1/16 --node-ip 10.0.0.1 --node-lease-duration-seconds 40 "${stage_args[@]}"

kwok_node_manifests "$nodes" >"$state/nodes.yaml"
"${kubectl[@]}" apply -f "$state/nodes.yaml" >"$state/logs/nodes.log" 2>&1 || fail nodes "could not create the fake nodes"

# Pods can schedule only once the node-lifecycle controller has removed the not-ready taints.
# The real node keeps its own taint (see node.sh); any other taint means not yet.
nodes_schedulable() {
  "${kubectl[@]}" wait --for=condition=Ready node --all --timeout=1s &&
    ! "${kubectl[@]}" get nodes -o jsonpath='{range .items[*].spec.taints[*]}{.key}{"\n"}{end}' |
      grep -v '^kube-stage.test/real-node$' | grep -q .
}
if [ "$real_node" != off ]; then
  # shellcheck source=node.sh
  . "$here/node.sh" start
  start_node "$state" "$bin"
fi

wait_for kwok 90 nodes_schedulable
if [ "$real_node" != off ]; then
  wait_for kubelet 90 "${kubectl[@]}" wait --for=condition=Ready node/real-node --timeout=1s
  wait_for kube-proxy 30 nodes_schedulable
  # NetworkPolicy enforced on the real node (network.sh), once its Node object exists.
  "$here/network.sh" start "$state" real-node 10.96.0.0/16 || fail kube-router "NetworkPolicy enforcement did not start"
fi
# The operators that make users' Secrets (operators.sh: External Secrets, cert-manager, on this host;
# sealed-secrets.sh, below: its controller needs in-cluster configuration, so a pod on the real node).
"$here/operators.sh" start "$state" || fail operators "the operators did not start"
# Prometheus, scraping the pods annotated prometheus.io/scrape, for metric analysis (prometheus.sh).
"$here/prometheus.sh" start "$state" || fail prometheus "Prometheus did not start"
wait_for kube-controller-manager 60 "${kubectl[@]}" get serviceaccount default -n default

version=$(curl_api /version | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p')
if [ "$real_node" != off ]; then
  kubelet_version=$("${kubectl[@]}" get node real-node -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}')
  step "real node Ready: real-node, kubelet $kubelet_version"
  echo ready >"$state/real-node"
  "$here/sealed-secrets.sh" start "$state" || fail sealed-secrets "the sealed-secrets controller did not start"
  node_summary="$nodes KWOK nodes and 1 real node (NetworkPolicy enforced by kube-router)"
else
  node_summary="$nodes KWOK nodes, no real node"
fi
step "ready: kube-apiserver $version, $node_summary, kubeconfig $kubeconfig"
echo "$kubeconfig"

#!/usr/bin/env bash
# One real node beside the KWOK nodes: containerd (its own root, state, socket and
# CNI configuration under $state/node), runc, a CNI bridge, kubelet and kube-proxy
# in iptables mode. Containers really run on it: probes, restarts, pulls, logs and
# OOM kills are decided by a real kubelet.
#
#   node.sh start <state-dir> <bin-dir>   (after the control plane is up; start.sh calls it)
#   node.sh stop <state-dir>              (stop.sh calls it; also cleans up after a crash)
#
# The node is named real-node, labelled kube-stage.test/node=real and tainted
# kube-stage.test/real-node:NoSchedule, and the API server's PodNodeSelector default sends
# pods to the KWOK nodes: only namespaces annotated for the real node (see
# real_node_namespace_annotations in start.sh's output, __tests__/support/real-node.ts)
# put pods on it. So the suite's scripted KWOK pods never try to run fake images here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=process-lib.sh
. "$here/process-lib.sh"

NODE_NAME=real-node
BRIDGE=ks-br0
# The bridge's own address is the node's InternalIP: kubelet refuses a loopback node IP,
# and an address we create ourselves does not depend on the machine's interfaces.
NODE_IP=10.245.0.1
POD_CIDR=10.245.0.0/24
SANDBOX_IMAGE=registry.k8s.io/pause:3.10

node_step() { printf "[node] %s\n" "$*" >&2; }

start_node() {
  local state=$1 bin=$2
  local node=$state/node
  local pki=$state/pki
  reclaim_node "$state" "$bin"
  mkdir -p "$node"/{containerd,cni,cni-state,kubelet,pod-logs,volume-plugins}
  echo "$bin" >"$node/bin"
  # Everything below is undone by stop_node; remember what existed before us.
  [ -d /run/netns ] && touch "$node/had-run-netns"
  [ -d /var/log/containers ] && touch "$node/had-var-log-containers"
  # containerd 1.6 keeps runc's state and the shims' sockets under /run/containerd whatever its
  # own state directory is.
  [ -d /run/containerd ] && touch "$node/had-run-containerd"
  cat /proc/sys/net/ipv4/ip_forward >"$node/ip_forward.before"
  cat /proc/sys/net/ipv4/conf/all/route_localnet >"$node/route_localnet.before"
  ls /run/netns 2>/dev/null | sort >"$node/netns.before" || true

  # Pods are reached from the host through their IPs and Services (kube-proxy DNATs).
  echo 1 >/proc/sys/net/ipv4/ip_forward
  ip link add "$BRIDGE" type bridge
  ip addr add "$NODE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up

  # Shared with the image builder: the images' digests are what tests pin to.
  local images
  images=$("$here/images.sh" | tail -n 1)
  cp "$images/images.txt" "$node/images.txt"

  # The machine refuses a negative oom_score_adj (no CAP_SYS_RESOURCE), and kubelet gives
  # every sandbox -998 and guaranteed pods -997: runc then fails every container with
  # "can't get final child's PID from pipe: EOF". This wrapper clamps the bundle's
  # process.oomScoreAdj to 0 before runc reads it; everything else goes to runc untouched.
  cat >"$node/runc-wrapper" <<'WRAP'
#!/bin/sh
bundle=
prev=
for arg in "$@"; do
  [ "$prev" = --bundle ] && bundle=$arg
  case $arg in --bundle=*) bundle=${arg#--bundle=} ;; esac
  prev=$arg
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
  sed -i -E 's/"oomScoreAdj":[[:space:]]*-[0-9]+/"oomScoreAdj":0/' "$bundle/config.json"
fi
exec runc "$@"
WRAP
  chmod +x "$node/runc-wrapper"

  cat >"$node/cni/10-kube-stage.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "kube-stage",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$node/cni-state",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "loopback" }
  ]
}
CNI

  local sock=$node/containerd/containerd.sock
  cat >"$node/containerd.toml" <<TOML
version = 2
root = "$node/containerd/root"
state = "$node/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$node/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$SANDBOX_IMAGE"
  enable_cdi = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$node/runc-wrapper"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$node/cni"
TOML
  node_step "containerd $(containerd --version | awk '{print $3}') at $sock"
  launch containerd containerd --config "$node/containerd.toml"
  wait_for containerd 30 ctr --address "$sock" version

  node_step "importing images built here (nothing is pulled)"
  local ref digest archive repo
  while read -r ref digest archive; do
    ctr --address "$sock" -n k8s.io images import --all-platforms "$archive" >>"$state/logs/images.log" 2>&1 ||
      fail images "could not import $archive"
    # The CRI resolves an imported image by name only: name it by digest too.
    repo=${ref%:*}
    ctr --address "$sock" -n k8s.io images tag --force "$ref" "$repo@$digest" >>"$state/logs/images.log" 2>&1 ||
      fail images "could not tag $ref as $repo@$digest"
  done <"$node/images.txt"

  local kubelet_port
  kubelet_port=$(free_port)
  cat >"$node/kubelet.yaml" <<KUBELET
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $kubelet_port
readOnlyPort: 0
healthzPort: 0
containerRuntimeEndpoint: unix://$sock
# This machine's cgroups are v1, without systemd.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $pki/ca.crt }
authorization: { mode: AlwaysAllow }
podLogsDir: $node/pod-logs
volumePluginDir: $node/volume-plugins
# The disk is large but shared: never evict the tests' pods for it.
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1% }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
# Nothing to pull; an image that is missing must fail at once.
imagePullProgressDeadline: 10s
nodeStatusUpdateFrequency: 4s
syncFrequency: 5s
shutdownGracePeriod: 0s
KUBELET
  node_step "kubelet on $NODE_IP:$kubelet_port"
  launch kubelet "$bin/kubelet" --config "$node/kubelet.yaml" --kubeconfig "$state/kubeconfig" \
    --root-dir "$node/kubelet" --cert-dir "$node/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --node-labels "kube-stage.test/node=real,type=real" \
    --register-with-taints "kube-stage.test/real-node=true:NoSchedule" -v=1

  node_step "kube-proxy (iptables mode)"
  launch kube-proxy "$bin/kube-proxy" --kubeconfig "$state/kubeconfig" \
    --hostname-override "$NODE_NAME" --proxy-mode iptables --cluster-cidr "$POD_CIDR" \
    --healthz-bind-address "127.0.0.1:$(free_port)" --metrics-bind-address "127.0.0.1:$(free_port)" \
    --conntrack-max-per-core 0 --conntrack-tcp-timeout-established 0 --conntrack-tcp-timeout-close-wait 0 -v=1
}

# What a node changes on the machine outside its own directory: the bridge, kube-proxy's and the
# kubelet's iptables chains, the kubepods cgroups. Shared by stop_node and reclaim_node.
clean_machine() {
  local logs=$1 bin=$2
  ip link del "$BRIDGE" 2>/dev/null || true
  # kube-proxy's own clean-up removes every KUBE-* chain and rule it made.
  if [ -n "$bin" ] && [ -x "$bin/kube-proxy" ]; then
    mkdir -p "$logs"
    "$bin/kube-proxy" --cleanup >"$logs/kube-proxy-cleanup.log" 2>&1 || true
  fi
  # The kubelet's own chains (kube-proxy's clean-up leaves them), for IPv4 and IPv6.
  local tool table chain
  for tool in iptables ip6tables; do
    command -v "$tool" >/dev/null || continue
    for chain in INPUT OUTPUT; do
      while "$tool" -t filter -D "$chain" -j KUBE-FIREWALL 2>/dev/null; do :; done
    done
    for table in filter nat mangle; do
      for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
        "$tool" -t "$table" -F "$chain" 2>/dev/null && "$tool" -t "$table" -X "$chain" 2>/dev/null
      done
    done
  done
  # The kubelet's cgroups (kubepods, its QoS classes and pods), deepest first, now that they are empty.
  local sub
  for sub in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$sub" ] && find "$sub" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  # A best-effort clean-up: its last test failing must not stop the caller (set -e).
  return 0
}

# One real node per machine: the bridge, kube-proxy's chains and the kubepods cgroups are
# machine-wide. A node another checkout started and never stopped (a session that ended
# mid-run, a crash, a deleted .cluster directory) would make this start fail with
# "RTNETLINK answers: File exists" or fight over those chains: stop it first.
OWNER_RECORD=/run/kube-stage-real-node
reclaim_node() {
  local state=$1 bin=$2 previous pid m
  previous=$(cat "$OWNER_RECORD" 2>/dev/null || true)
  if [ -n "$previous" ] && [ "$previous" != "$state" ] && [ -d "$previous/pids" ]; then
    node_step "the real node of $previous is still recorded; stopping that cluster first (one real node per machine)"
    KUBE_STAGE_CLUSTER_DIR=$previous "$here/stop.sh" || true
  fi
  local orphans
  orphans=$(pgrep -f -- "--hostname-override $NODE_NAME|containerd --config .*/node/containerd.toml|containerd-shim.*/node/containerd/containerd.sock" || true)
  if [ -n "$orphans" ] || ip link show "$BRIDGE" >/dev/null 2>&1; then
    node_step "a real node that was never stopped left processes or the bridge $BRIDGE behind; removing them"
    for pid in $orphans; do kill -KILL "$pid" 2>/dev/null || true; done
    for m in $(awk '$2 ~ /\/node\/(containerd|kubelet)(\/|$)/ { print $2 }' /proc/mounts | sort -r); do
      umount -l "$m" 2>/dev/null || true
    done
    clean_machine "$state/logs" "$bin"
  fi
  echo "$state" >"$OWNER_RECORD"
}

stop_node() {
  local state=$1 node=$1/node
  [ -d "$node" ] || return 0
  local sock=$node/containerd/containerd.sock
  # The kubelet would restart what we remove: it goes first.
  stop_component "$state" kubelet
  stop_component "$state" kube-proxy
  if [ -S "$sock" ] && ctr --address "$sock" version >/dev/null 2>&1; then
    local c
    for c in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$sock" -n k8s.io tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
    done
    for c in $(ctr --address "$sock" -n k8s.io containers ls -q 2>/dev/null); do
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        ctr --address "$sock" -n k8s.io tasks delete -f "$c" >/dev/null 2>&1 || true
        ctr --address "$sock" -n k8s.io containers delete "$c" >/dev/null 2>&1 && break
        sleep 0.2
      done
    done
  fi
  stop_component "$state" containerd
  # Shims outlive containerd; each one names our socket on its command line.
  local pid
  for pid in $(pgrep -f "containerd-shim.*-address $sock" || true); do kill -KILL "$pid" 2>/dev/null || true; done
  # Any process still running from our root (a container whose shim was killed first).
  for pid in $(pgrep -f "$node/" || true); do kill -KILL "$pid" 2>/dev/null || true; done

  # Network namespaces the CRI made for our pods (in /run/netns, which it does not let us move).
  local ns
  for ns in $(comm -13 "$node/netns.before" <(ls /run/netns 2>/dev/null | sort) 2>/dev/null); do
    umount "/run/netns/$ns" 2>/dev/null || true
    rm -f "/run/netns/$ns"
  done
  [ -f "$node/had-run-netns" ] || rmdir /run/netns 2>/dev/null || true
  # Volume, rootfs and sandbox mounts under our directory, deepest first.
  local mounts
  mounts=$(awk -v p="$state/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r)
  for m in $mounts; do umount -l "$m" 2>/dev/null || true; done
  # The kubelet's log symlinks live in a fixed place.
  if [ -d /var/log/containers ]; then
    find /var/log/containers -maxdepth 1 -lname "$node/*" -delete 2>/dev/null || true
    [ -f "$node/had-var-log-containers" ] || rmdir /var/log/containers 2>/dev/null || true
  fi
  # Empty directories only: another containerd on this machine may share the place.
  [ -d /run/containerd ] && find /run/containerd -depth -type d -empty -delete 2>/dev/null
  [ -f "$node/had-run-containerd" ] || rmdir /run/containerd 2>/dev/null || true
  clean_machine "$state/logs" "$(cat "$node/bin" 2>/dev/null || true)"
  [ -f "$node/ip_forward.before" ] && cat "$node/ip_forward.before" >/proc/sys/net/ipv4/ip_forward
  [ -f "$node/route_localnet.before" ] && cat "$node/route_localnet.before" >/proc/sys/net/ipv4/conf/all/route_localnet
  rm -rf "$node"
  [ "$(cat "$OWNER_RECORD" 2>/dev/null)" = "$state" ] && rm -f "$OWNER_RECORD"
  return 0
}

case ${1:-} in
  start) ;; # sourced by start.sh, which defines launch, wait_for and fail
  stop) stop_node "$2" ;;
  *) echo "usage: node.sh stop <state-dir> (start.sh sources it for start_node)" >&2; exit 2 ;;
esac

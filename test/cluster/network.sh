#!/usr/bin/env bash
# An enforcing network on the real node: kube-router with only its firewall controller
# (NetworkPolicy as iptables rules and ipsets; no routing, no service proxy, no CNI), so every
# test and the demo run where a NetworkPolicy really refuses traffic, as on Calico, Cilium or
# GKE Dataplane V2. Traffic from the node itself (kubelet probes, a NodePort reached on
# 127.0.0.1) is still admitted, as on those networks.
#
#   network.sh build                                   prints the directory holding kube-router (cached)
#   network.sh start <state-dir> <node> <service-cidr> (start.sh calls it once the node is registered)
#   network.sh stop <state-dir>                        (stop.sh calls it: stops it, removes its rules and ipsets)
# The isolation tests stop and start it too, to see a stage on a network that does not enforce.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=process-lib.sh
. "$here/process-lib.sh"

network_step() { printf '[network] %s\n' "$*" >&2; }

# Built from the Go module proxy once per version, beside the cluster's binaries.
build_kube_router() {
  local cache_root=${KUBE_STAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-stage}
  local dir=$cache_root/kube-router-$KUBE_ROUTER_VERSION
  if [ ! -x "$dir/kube-router" ]; then
    network_step "kube-router $KUBE_ROUTER_VERSION: building (cold: about 2 minutes)"
    mkdir -p "$dir" "$cache_root/build-logs"
    local log=$cache_root/build-logs/kube-router.log
    if ! CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN=$dir go install -trimpath -ldflags "-s -w" \
      "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION" >"$log" 2>&1; then
      network_step "FAILED: building kube-router; last lines of $log:"
      tail -n 30 "$log" >&2
      return 1
    fi
  fi
  echo "$dir"
}

# Needs the node already registered (kube-router exits with "failed to identify the node" before
# that). Recorded in <state>/pids like start.sh's components, so stop.sh ends it too.
start_network() {
  local state=$1 node_name=$2 service_cidr=$3
  local dir health pid log=$state/logs/kube-router.log
  dir=$(build_kube_router)
  echo "$dir" >"$state/network-bin"
  health=$(free_port)
  network_step "kube-router $KUBE_ROUTER_VERSION: NetworkPolicy enforcement on $node_name"
  mkdir -p "$state/logs" "$state/pids"
  nohup "$dir/kube-router" --kubeconfig "$state/kubeconfig" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --hostname-override "$node_name" --service-cluster-ip-range "$service_cidr" \
    --health-port "$health" --metrics-port 0 -v 1 >"$log" 2>&1 </dev/null &
  pid=$!
  record_pid "$state" kube-router "$pid"
  wait_http_ready "http://127.0.0.1:$health/healthz" "$pid" "$log" 60 network_step \
    "kube-router did not become healthy" || return 1
  # Its first full sync programs the policies that already exist.
  network_step "kube-router healthy (pid $pid)"
}

stop_network() {
  local state=$1 dir
  stop_component "$state" kube-router
  dir=$(cat "$state/network-bin" 2>/dev/null || true)
  # Its own clean-up removes the KUBE-ROUTER-* and KUBE-NWPLCY-* chains and its ipsets.
  if [ -n "$dir" ] && [ -x "$dir/kube-router" ]; then
    mkdir -p "$state/logs"
    "$dir/kube-router" --cleanup-config >"$state/logs/kube-router-cleanup.log" 2>&1 || true
  fi
  # v2.1.0's clean-up flushes its policy chains but leaves them and their jumps (and then panics in
  # the service proxy's clean-up it was never running): remove what is left by name.
  local tool chain rule
  for tool in iptables ip6tables; do
    command -v "$tool" >/dev/null || continue
    for chain in INPUT FORWARD OUTPUT; do
      local rules
      rules=$("$tool" -S "$chain" 2>/dev/null | grep -E -- '-j KUBE-(ROUTER|POD-FW|NWPLCY)-' | sed 's/^-A /-D /' || true)
      while read -r rule; do
        [ -n "$rule" ] && { eval "$tool $rule" 2>/dev/null || true; }
      done <<<"$rules"
    done
    for chain in $("$tool" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-(ROUTER|POD-FW|NWPLCY)-/ { print $2 }'); do
      "$tool" -F "$chain" 2>/dev/null || true
    done
    for chain in $("$tool" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-(ROUTER|POD-FW|NWPLCY)-/ { print $2 }'); do
      "$tool" -X "$chain" 2>/dev/null || true
    done
  done
  if command -v ipset >/dev/null; then
    local set
    for set in $(ipset list -n 2>/dev/null | grep -E '^(inet6:)?KUBE-(SRC|DST|POD|NODE)' || true); do
      ipset destroy "$set" 2>/dev/null || true
    done
  fi
  rm -f "$state/network-bin"
  return 0
}

case ${1:-} in
  build) build_kube_router ;;
  start) start_network "$2" "$3" "$4" ;;
  stop) stop_network "$2" ;;
  *) echo "usage: network.sh build | start <state-dir> <node> <service-cidr> | stop <state-dir>" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Ends every process start.sh started, newest first, by the PIDs it recorded,
# undoes what the real node changed on the machine, and checks that the ports are free again.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${KUBE_STAGE_CLUSTER_DIR:-$repo/.cluster}
[ -d "$state/pids" ] || exit 0

# The network's policy enforcement first (its rules and ipsets go with it), then the real node:
# its containers go while containerd still runs, then its bridge, mounts, network namespaces,
# iptables rules and cgroups.
"$here/prometheus.sh" stop "$state"
"$here/sealed-secrets.sh" stop "$state"
"$here/operators.sh" stop "$state"
"$here/network.sh" stop "$state"
"$here/node.sh" stop "$state"
"$here/webhook.sh" stop "$state"

for pidfile in $(ls "$state/pids"/*.pid 2>/dev/null | sort -r); do
  pid=$(cat "$pidfile"); name=$(basename "$pidfile" .pid); name=${name#*-}
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      printf '[cluster] %s (pid %s) ignored SIGTERM; killing\n' "$name" "$pid" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -f "$pidfile"
  printf '[cluster] stopped %s (pid %s)\n' "$name" "$pid" >&2
done

if [ -f "$state/ports" ]; then
  # shellcheck disable=SC1091
  . "$state/ports"
  for port in "$ETCD_PORT" "$API_PORT"; do
    for _ in $(seq 1 25); do
      ss -ltn "sport = :$port" 2>/dev/null | grep -q LISTEN || break
      sleep 0.2
    done
    if ss -ltn "sport = :$port" 2>/dev/null | grep -q LISTEN; then
      printf '[cluster] port %s is still in use\n' "$port" >&2
      exit 1
    fi
  done
fi

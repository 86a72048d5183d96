#!/usr/bin/env bash
# A real workflow engine for the tests: nektos/act, built from the Go module proxy once per
# version and cached beside the cluster's binaries. The tests run the workflows users copy
# (examples/workflows/) under it, with `-P ubuntu-latest=-self-hosted` so every step runs on this
# host (no container engine here) and `--local-repository` mapping `kube-stage/kube-stage@v0`
# to the checkout.
#
#   act.sh build    prints the directory holding act (cached)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

act_step() { printf '[act] %s\n' "$*" >&2; }

build_act() {
  local cache_root=${KUBE_STAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-stage}
  local dir=$cache_root/act-$ACT_VERSION
  if [ ! -x "$dir/act" ]; then
    if ! command -v go >/dev/null 2>&1; then
      act_step "FAILED: building act $ACT_VERSION needs Go (the module proxy reachable); none on PATH"
      return 1
    fi
    act_step "act $ACT_VERSION: building (cold: under a minute to 2 minutes)"
    mkdir -p "$dir" "$cache_root/build-logs"
    local log=$cache_root/build-logs/act.log
    if ! CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN=$dir go install -trimpath -ldflags "-s -w" \
      "github.com/nektos/act@$ACT_VERSION" >"$log" 2>&1; then
      act_step "FAILED: building act; last lines of $log:"
      tail -n 30 "$log" >&2
      return 1
    fi
  fi
  echo "$dir"
}

case ${1:-} in
  build) build_act ;;
  *) echo "usage: act.sh build" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok), the real node's kubelet and kube-proxy, and helm (for the
# render tests) from the Go module proxy, once per set of pinned
# versions. No container engine or binary download is needed: only `go`.
# Prints the directory that holds the binaries on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

step() { printf '[cluster build] %s\n' "$*" >&2; }
die() { printf '[cluster build] FAILED: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH; the control plane is built from source with Go"
go_version=$(go env GOVERSION)
cache_root=${KUBE_STAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-stage}
key="k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_${go_version}"
bin="$cache_root/bin/$key"
work="$cache_root/build"
mkdir -p "$bin" "$work"

export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
logs="$cache_root/build-logs"
mkdir -p "$logs"

# Runs one build step with its output in a log; on failure shows the log's tail.
run_logged() {
  local name=$1; shift
  local log="$logs/$name.log"
  if ! "$@" >"$log" 2>&1; then
    printf '[cluster build] %s failed; last lines of %s:\n' "$name" "$log" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

build_kubernetes() {
  local k8s_bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
  local missing=0
  for b in "${k8s_bins[@]}"; do [ -x "$bin/$b" ] || missing=1; done
  if [ "$missing" = 0 ]; then step "kubernetes $KUBERNETES_VERSION: cached"; return; fi
  step "kubernetes $KUBERNETES_VERSION: preparing wrapper module"
  local dir="$work/kubernetes-$KUBERNETES_VERSION"
  mkdir -p "$dir"
  run_logged k8s-download go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION"
  local modfile
  modfile=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p' "$logs/k8s-download.log")
  [ -f "$modfile" ] || die "could not find the go.mod of k8s.io/kubernetes@$KUBERNETES_VERSION"
  {
    echo "module kubestage.local/kubernetes-build"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
    # local paths that do not exist in the module zip: point each at its published tag.
    grep -E '^[[:space:]]*k8s\.io/[A-Za-z0-9._/-]+ v0\.0\.0([[:space:]]|$)' "$modfile" | awk '{print $1}' | sort -u |
      while read -r m; do echo "replace $m => $m $KUBERNETES_STAGING_VERSION"; done
  } >"$dir/go.mod"
  rm -f "$dir/go.sum"
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local ld=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  step "kubernetes $KUBERNETES_VERSION: building ${k8s_bins[*]} (cold: 20-35 minutes on 2 cores)"
  (cd "$dir" && run_logged k8s-get go get "k8s.io/kubernetes@$KUBERNETES_VERSION")
  local pkgs=()
  for b in "${k8s_bins[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  (cd "$dir" && run_logged k8s-build go build -trimpath -ldflags "-s -w $ld" -o "$bin/" "${pkgs[@]}")
}

build_etcd() {
  if [ -x "$bin/etcd" ]; then step "etcd $ETCD_VERSION: cached"; return; fi
  step "etcd $ETCD_VERSION: building"
  local dir="$work/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  printf 'module kubestage.local/etcd-build\n\ngo 1.24\n' >"$dir/go.mod"
  rm -f "$dir/go.sum"
  (cd "$dir" && run_logged etcd-get go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  (cd "$dir" && run_logged etcd-build go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
  if [ -x "$bin/kwok" ] && [ -d "$bin/kwok-stages" ]; then step "kwok $KWOK_VERSION: cached"; return; fi
  step "kwok $KWOK_VERSION: building"
  GOBIN="$bin" run_logged kwok-install go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  local src
  src="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  [ -d "$src" ] || die "kwok stage files not found at $src"
  rm -rf "$bin/kwok-stages"; mkdir -p "$bin/kwok-stages"
  cp -r "$src"/. "$bin/kwok-stages/"
  chmod -R u+w "$bin/kwok-stages"
}

# Helm renders charts for the render tests only (GitHub's runners have their own helm).
build_helm() {
  if [ -x "$bin/helm" ]; then step "helm $HELM_VERSION: cached"; return; fi
  step "helm $HELM_VERSION: building"
  GOBIN="$bin" run_logged helm-install go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

start=$(date +%s)
build_etcd
build_kwok
build_kubernetes
build_helm
step "done in $(( $(date +%s) - start ))s: $bin"
echo "$bin"

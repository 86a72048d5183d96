#!/usr/bin/env bash
# The operators users deploy beside their apps, running for real against the test cluster so a
# stage meets their kinds as it would on a real cluster (issue 32):
#   External Secrets Operator (ESO): ExternalSecrets from a ClusterSecretStore `shop-secrets` (its fake
#     provider holds the keys below), so a stage can wait for its Secrets and see a missing key.
#   cert-manager: Certificates from a self-signed ClusterIssuer `selfsigned`.
# Both are built from the Go module proxy once per pinned version (versions.env) and run on the
# host with the cluster's kubeconfig: no leader election, no metrics, no webhooks (so nothing is
# validated or defaulted beyond the CRDs' schemas, and no conversion webhook is needed).
#
#   operators.sh build                prints the directories holding the two controllers (cached)
#   operators.sh start <state-dir>    installs the CRDs, starts both and waits until each really
#                                     works; pids in <state>/pids, logs in <state>/logs
#   operators.sh stop <state-dir>     ends both (their CRDs and objects go with the cluster)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=process-lib.sh
. "$here/process-lib.sh"

operators_step() { printf '[operators] %s\n' "$*" >&2; }
cache_root=${KUBE_STAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-stage}

# One field (Dir: the unpacked module; GoMod: its go.mod) of a module from the proxy, downloaded
# into the module cache if needed.
module_field() {
  local json
  json=$(GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "$1") || return 1
  sed -n "s/^[[:space:]]*\"$2\": \"\(.*\)\",*\$/\1/p" <<<"$json"
}

# A wrapper module requiring <module>@<version>: the dependency's own replace directives are
# ignored in a dependency, so they are copied (ESO replaces sprig with its fork), and its `go`
# line is kept so the build list is exactly the upstream one.
write_wrapper_module() {
  local work=$1 module=$2 version=$3 gomod=$4
  {
    echo "module kubestage.local/$(basename "$work")"
    echo
    grep -E '^go [0-9.]+$' "$gomod"
    echo
    echo "require $module $version"
    grep -E '^replace [^(]+=>' "$gomod" || true
  } >"$work/go.mod"
}

run_build() {
  local name=$1 log=$2; shift 2
  local started=$SECONDS
  # nice: the machine's two cores are shared with the tests and other builds.
  if ! (export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod; nice -n 10 "$@") >"$log" 2>&1; then
    operators_step "FAILED: building $name; last lines of $log:"
    tail -n 30 "$log" >&2
    return 1
  fi
  operators_step "$name: built in $((SECONDS - started))s"
}

# ESO v0.16.2 has no build tags per provider: pkg/provider/register and pkg/generator/register
# import all 30-odd providers and a dozen generators, pulling in every cloud SDK. The build uses a
# copy of the module's code (a replace directive; go build -overlay refuses files in the module
# cache) with those two files swapped for ones that register only the providers and generators
# that need no cloud: no cloud SDK is compiled, and the cold build (empty module and build caches)
# takes about 2 minutes on 2 cores. The rest of its code is untouched.
ESO_PROVIDERS=$(
  cat <<'GO'
// Replaced in the test build (test/cluster/operators.sh): providers that need no cloud.
package register

import (
	_ "github.com/external-secrets/external-secrets/pkg/provider/fake"
	_ "github.com/external-secrets/external-secrets/pkg/provider/kubernetes"
)
GO
)
ESO_GENERATORS=$(
  cat <<'GO'
// Replaced in the test build (test/cluster/operators.sh): generators that need no cloud.
package register

import (
	_ "github.com/external-secrets/external-secrets/pkg/generator/fake"
	_ "github.com/external-secrets/external-secrets/pkg/generator/password"
	_ "github.com/external-secrets/external-secrets/pkg/generator/uuid"
)
GO
)

build_eso() {
  # Keyed on the version and the two files, so changing the providers rebuilds.
  local sum
  sum=$(printf '%s\n%s\n' "$ESO_PROVIDERS" "$ESO_GENERATORS" | sha256sum | cut -c1-12)
  local dir=$cache_root/external-secrets-$ESO_VERSION-$sum
  if [ ! -x "$dir/external-secrets" ]; then
    command -v go >/dev/null 2>&1 || { operators_step "FAILED: building ESO needs Go; none on PATH"; return 1; }
    operators_step "External Secrets Operator $ESO_VERSION: building (cold: about 2 minutes)"
    local work=$cache_root/build/external-secrets-$ESO_VERSION module=github.com/external-secrets/external-secrets src gomod
    rm -rf "$work"
    mkdir -p "$work/src" "$dir" "$cache_root/build-logs"
    src=$(module_field "$module@$ESO_VERSION" Dir) && gomod=$(module_field "$module@$ESO_VERSION" GoMod) || {
      operators_step "FAILED: downloading $module@$ESO_VERSION"
      return 1
    }
    # Its Go code only (apis, cmd, pkg): the module's docs and deploy trees are most of its 33 MB.
    cp -R "$src/go.mod" "$src/go.sum" "$src/main.go" "$src/LICENSE" "$src/apis" "$src/cmd" "$src/pkg" "$work/src/"
    chmod -R u+w "$work/src"
    printf '%s\n' "$ESO_PROVIDERS" >"$work/src/pkg/provider/register/register.go"
    printf '%s\n' "$ESO_GENERATORS" >"$work/src/pkg/generator/register/register.go"
    write_wrapper_module "$work" "$module" "$ESO_VERSION" "$gomod"
    echo "replace $module => ./src" >>"$work/go.mod"
    (cd "$work" && run_build "External Secrets Operator" "$cache_root/build-logs/external-secrets.log" \
      go build -trimpath -ldflags "-s -w" -o "$dir/external-secrets.tmp" "$module") || return 1
    mv "$dir/external-secrets.tmp" "$dir/external-secrets"
  fi
  echo "$dir"
}

# cert-manager's controller binary is not a published module (see the opening comment of
# operators/cert-manager-controller/main.go), so a small main of ours links its controllers.
# The cache key includes that file's hash, so editing it rebuilds.
build_cert_manager() {
  local main=$here/operators/cert-manager-controller/main.go sum
  sum=$(sha256sum "$main" | cut -c1-12)
  local dir=$cache_root/cert-manager-$CERT_MANAGER_VERSION-$sum
  if [ ! -x "$dir/cert-manager-controller" ]; then
    command -v go >/dev/null 2>&1 || { operators_step "FAILED: building cert-manager needs Go; none on PATH"; return 1; }
    operators_step "cert-manager $CERT_MANAGER_VERSION: building (cold: about 2 minutes)"
    local work=$cache_root/build/cert-manager-controller-$CERT_MANAGER_VERSION module=github.com/cert-manager/cert-manager gomod
    rm -rf "$work"
    mkdir -p "$work" "$dir" "$cache_root/build-logs"
    gomod=$(module_field "$module@$CERT_MANAGER_VERSION" GoMod) || {
      operators_step "FAILED: downloading $module@$CERT_MANAGER_VERSION"
      return 1
    }
    write_wrapper_module "$work" "$module" "$CERT_MANAGER_VERSION" "$gomod"
    cp "$main" "$work/main.go"
    (cd "$work" && run_build cert-manager "$cache_root/build-logs/cert-manager.log" \
      go build -trimpath \
      -ldflags "-s -w -X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$CERT_MANAGER_VERSION" \
      -o "$dir/cert-manager-controller.tmp" .) || return 1
    mv "$dir/cert-manager-controller.tmp" "$dir/cert-manager-controller"
  fi
  echo "$dir"
}

# The ClusterSecretStore the tests and the demo read from. Its fake provider answers from this
# list; __tests__/support/operators.ts (setFakeSecret) changes or adds keys. The list is atomic
# for server-side apply, so every start puts back exactly these keys.
FAKE_STORE=$(
  cat <<'YAML'
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: shop-secrets
spec:
  provider:
    fake:
      data:
        - key: dev/db-password
          value: dev-db-password-1
        - key: staging/db-password
          value: staging-db-password-1
        - key: production/db-password
          value: production-db-password-1
YAML
)

SELFSIGNED_ISSUER=$(
  cat <<'YAML'
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: selfsigned
spec:
  selfSigned: {}
YAML
)

# Waits for condition Ready=True on <resource>; on failure shows the object's conditions and the
# controller's log.
wait_ready() {
  local kubectl=$1 kubeconfig=$2 resource=$3 log=$4 pid=$5
  local deadline=$(( $(date +%s) + 120 ))
  local status
  while :; do
    status=$("$kubectl" --kubeconfig "$kubeconfig" get "$resource" \
      -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [ "$status" = True ] && return 0
    if ! kill -0 "$pid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      operators_step "FAILED: $resource is not Ready ($(
        "$kubectl" --kubeconfig "$kubeconfig" get "$resource" -o 'jsonpath={.status.conditions}' 2>&1 || true
      )); last lines of $log:"
      tail -n 25 "$log" >&2
      return 1
    fi
    sleep 0.5
  done
}

# A Ready condition left by an earlier run (the cluster outlives a restart of the operators)
# would prove nothing: cleared, only the controller just started can set it again.
clear_status() {
  "$1" --kubeconfig "$2" patch "$3" --subresource status --type merge -p '{"status":null}' >/dev/null
}

start_operators() {
  local state=$1
  local kubeconfig=$state/kubeconfig bin kubectl eso cm
  [ -f "$kubeconfig" ] || { operators_step "FAILED: no $kubeconfig (start the cluster first)"; return 1; }
  # The cluster's own kubectl (cached by build.sh, which start.sh ran already): its progress is
  # shown only if it fails.
  local build_log=$state/logs/operators-build-sh.log
  mkdir -p "$state/logs" "$state/pids"
  bin=$("$here/build.sh" 2>"$build_log" | tail -n 1) || { cat "$build_log" >&2; return 1; }
  kubectl=$bin/kubectl
  [ -x "$kubectl" ] || { operators_step "FAILED: no kubectl in $bin"; return 1; }
  # A second start replaces the running controllers instead of adding a second pair.
  stop_operators "$state"
  eso=$(build_eso)
  cm=$(build_cert_manager)
  local k=("$kubectl" --kubeconfig "$kubeconfig")

  operators_step "installing the CRDs"
  local eso_src cm_src
  eso_src=$(module_field "github.com/external-secrets/external-secrets@$ESO_VERSION" Dir)
  cm_src=$(module_field "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION" Dir)
  # Server-side: the ESO bundle's CRDs are too large for client-side apply's annotation. The
  # bundle declares no conversion webhook (strategy None is the default), so v1beta1 objects
  # are served from the v1 storage version without one.
  "${k[@]}" apply --server-side --force-conflicts --field-manager kube-stage-test \
    -f "$eso_src/deploy/crds/bundle.yaml" >"$state/logs/operators-crds.log"
  # deploy/crds holds the plain CRDs the Helm chart's templates are generated from.
  "${k[@]}" apply --server-side --force-conflicts --field-manager kube-stage-test \
    -f "$cm_src/deploy/crds/" >>"$state/logs/operators-crds.log"
  "${k[@]}" wait --for condition=Established --timeout 60s \
    crd/clustersecretstores.external-secrets.io crd/externalsecrets.external-secrets.io \
    crd/clusterissuers.cert-manager.io crd/certificates.cert-manager.io \
    crd/certificaterequests.cert-manager.io >>"$state/logs/operators-crds.log"

  local pid log=$state/logs/external-secrets.log
  operators_step "External Secrets Operator $ESO_VERSION: starting"
  printf '%s\n' "$FAKE_STORE" | "${k[@]}" apply --server-side --force-conflicts --field-manager kube-stage-test -f - >/dev/null
  clear_status "$kubectl" "$kubeconfig" clustersecretstore/shop-secrets
  KUBECONFIG=$kubeconfig nohup "$eso/external-secrets" --metrics-addr 0 --enable-leader-election=false \
    --concurrent 2 --loglevel info --zap-time-encoding iso8601 >"$log" 2>&1 </dev/null &
  pid=$!
  record_pid "$state" external-secrets "$pid"
  wait_ready "$kubectl" "$kubeconfig" clustersecretstore/shop-secrets "$log" "$pid"
  operators_step "External Secrets Operator ready: ClusterSecretStore shop-secrets is Ready (pid $pid)"

  log=$state/logs/cert-manager.log
  operators_step "cert-manager $CERT_MANAGER_VERSION: starting"
  printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cert-manager\n' |
    "${k[@]}" apply --server-side --field-manager kube-stage-test -f - >/dev/null
  printf '%s\n' "$SELFSIGNED_ISSUER" | "${k[@]}" apply --server-side --force-conflicts --field-manager kube-stage-test -f - >/dev/null
  clear_status "$kubectl" "$kubeconfig" clusterissuer/selfsigned
  nohup "$cm/cert-manager-controller" --kubeconfig "$kubeconfig" --cluster-resource-namespace cert-manager \
    >"$log" 2>&1 </dev/null &
  pid=$!
  record_pid "$state" cert-manager "$pid"
  wait_ready "$kubectl" "$kubeconfig" clusterissuer/selfsigned "$log" "$pid"
  operators_step "cert-manager ready: ClusterIssuer selfsigned is Ready (pid $pid)"
}

stop_operators() {
  local state=$1
  stop_component "$state" cert-manager
  stop_component "$state" external-secrets
}

case ${1:-} in
  build) build_eso && build_cert_manager ;;
  start) start_operators "$2" ;;
  stop) stop_operators "$2" ;;
  *) echo "usage: operators.sh build | start <state-dir> | stop <state-dir>" >&2; exit 2 ;;
esac

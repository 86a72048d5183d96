#!/usr/bin/env bash
# A real Prometheus beside the test cluster (issue 34): it scrapes the pods that ask for it, so a
# stage's metric analysis runs real PromQL against real samples of the fixture app.
#
#   prometheus.sh build              prints the directory holding `prometheus` (cached per version)
#   prometheus.sh start <state-dir>  starts it on a free 127.0.0.1 port, storage in <state>/prometheus,
#                                    waits for /-/ready, writes its URL to <state>/prometheus-url;
#                                    pid in <state>/pids, log in <state>/logs/prometheus.log
#   prometheus.sh stop <state-dir>   ends it (its samples go with the state directory)
#
# It runs on the host, as the other operators do, and discovers pods through the API server with
# the cluster's kubeconfig. It scrapes a pod annotated `prometheus.io/scrape: "true"`, at the port
# of `prometheus.io/port` (default: each declared container port) and the path of
# `prometheus.io/path` (default /metrics), the pod's IP reached from the host as kubelet probes
# are (NetworkPolicy admits the node's own traffic). Every series carries `namespace`, `pod`,
# `container` and the pod's `app` label. Scrape and rule evaluation every second, so a test sees
# a change within a few seconds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=process-lib.sh
. "$here/process-lib.sh"

prom_step() { printf '[prometheus] %s\n' "$*" >&2; }

MODULE=github.com/prometheus/prometheus
# Only the file, HTTP and Kubernetes service discoveries (upstream's build tags, see its
# plugins/ directory): the other 25 discoveries would compile every cloud SDK for nothing.
# Without the builtinassets tag the web UI's files are not compiled in (they are built with npm, and
# the module does not ship them): its pages answer 500 "Error opening React index.html", while the
# HTTP API, /-/ready and /metrics work, which is all the tests use.
BUILD_TAGS=remove_all_sd,enable_kubernetes_sd
# The release a module version stands for (Prometheus 3.x.y is published as module v0.3xx.y; v0.316.0
# is 3.16.0, its VERSION file says), as `prometheus --version` and prometheus_build_info report it.
release_of() {
  local minor=${1#v0.}
  minor=${minor%%.*}
  echo "3.$((minor - 300)).${1##*.}"
}

cache_dir() {
  local cache_root=${KUBE_STAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-stage}
  local sum
  sum=$(printf '%s\n' "$BUILD_TAGS" | sha256sum | cut -c1-8)
  echo "$cache_root/prometheus-$PROMETHEUS_VERSION-$sum"
}

# Built from the Go module proxy once per version and set of tags. The module's go line (1.26.7
# for v0.316.0) is met by the local toolchain, so GOTOOLCHAIN=local.
build_prometheus() {
  local dir log started=$SECONDS
  dir=$(cache_dir)
  if [ ! -x "$dir/prometheus" ]; then
    command -v go >/dev/null 2>&1 ||
      { prom_step "FAILED: building Prometheus needs Go (the module proxy reachable); none on PATH"; return 1; }
    prom_step "$PROMETHEUS_VERSION: building cmd/prometheus (cold: about 6 minutes on 2 cores)"
    mkdir -p "$dir" "$(dirname "$dir")/build-logs"
    log=$(dirname "$dir")/build-logs/prometheus.log
    # nice: the machine's two cores are shared with the tests and other builds.
    if ! CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= GOBIN=$dir nice -n 10 go install -trimpath -tags "$BUILD_TAGS" \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=$(release_of "$PROMETHEUS_VERSION")
        -X github.com/prometheus/common/version.Revision=$PROMETHEUS_VERSION
        -X github.com/prometheus/common/version.Branch=module-proxy
        -X github.com/prometheus/common/version.BuildUser=kube-stage-test" \
      "$MODULE/cmd/prometheus@$PROMETHEUS_VERSION" >"$log" 2>&1; then
      prom_step "FAILED: building Prometheus; last lines of $log:"
      tail -n 30 "$log" >&2
      return 1
    fi
    prom_step "built in $((SECONDS - started))s"
  fi
  echo "$dir"
}

# The scrape configuration. One job, kubernetes-pods; its relabelling, in order:
# - only pods annotated prometheus.io/scrape: "true", Running (a Pending pod has no IP yet; a
#   finished one answers nothing), and not their init containers;
# - discovery yields one target per declared container port (or one per container declaring
#   none): with prometheus.io/port set, only the containers declaring that port, or declaring
#   none, are kept, so a sidecar with ports of its own is not scraped at the app's port (one
#   declaring no port still is, as a second target labelled with its own container);
# - the address is the pod's IP and that port; the path is prometheus.io/path when set;
# - `namespace`, `pod`, `container` and the pod's `app` label go on every series (`job` and
#   `instance` are Prometheus' own).
write_config() {
  local state=$1
  cat <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kubernetes-pods
    kubernetes_sd_configs:
      - role: pod
        kubeconfig_file: $state/kubeconfig
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        regex: "true"
        action: keep
      - source_labels: [__meta_kubernetes_pod_phase]
        regex: Running
        action: keep
      - source_labels: [__meta_kubernetes_pod_container_init]
        regex: "true"
        action: drop
      - source_labels: [__meta_kubernetes_pod_container_port_number]
        target_label: __tmp_port
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_port]
        regex: "([0-9]+)"
        target_label: __tmp_port
      - source_labels: [__tmp_port]
        target_label: __tmp_declared
      - source_labels: [__meta_kubernetes_pod_container_port_number]
        regex: "(.+)"
        target_label: __tmp_declared
      - source_labels: [__tmp_declared]
        target_label: __tmp_port
        action: keepequal
      - source_labels: [__meta_kubernetes_pod_ip, __tmp_port]
        regex: "([^;]+);([0-9]+)"
        replacement: "\$1:\$2"
        target_label: __address__
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        regex: "(.+)"
        target_label: __metrics_path__
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
      - source_labels: [__meta_kubernetes_pod_container_name]
        target_label: container
      - source_labels: [__meta_kubernetes_pod_label_app]
        target_label: app
YAML
}

start_prometheus() {
  local state=$1
  local dir port pid url log=$state/logs/prometheus.log
  [ -f "$state/kubeconfig" ] || { prom_step "FAILED: no $state/kubeconfig (start the cluster first)"; return 1; }
  mkdir -p "$state/logs" "$state/pids" "$state/prometheus"
  # A second start replaces the running Prometheus instead of adding a second one.
  stop_prometheus "$state"
  dir=$(build_prometheus)
  write_config "$state" >"$state/prometheus.yml"
  port=$(free_port)
  url=http://127.0.0.1:$port
  prom_step "$PROMETHEUS_VERSION ($(release_of "$PROMETHEUS_VERSION")): starting on $url"
  # Retention is bounded so a long-lived test cluster cannot fill the shared disk.
  nohup "$dir/prometheus" --config.file "$state/prometheus.yml" --storage.tsdb.path "$state/prometheus" \
    --storage.tsdb.retention.time 1d --storage.tsdb.retention.size 1GB \
    --web.listen-address "127.0.0.1:$port" --web.external-url "$url" >"$log" 2>&1 </dev/null &
  pid=$!
  record_pid "$state" prometheus "$pid"
  wait_http_ready "$url/-/ready" "$pid" "$log" 60 prom_step "Prometheus did not become ready" || return 1
  # Written only once it answers: its presence tells the tests there is a Prometheus to query.
  echo "$url" >"$state/prometheus-url"
  prom_step "ready at $url (pid $pid)"
}

stop_prometheus() {
  local state=$1
  rm -f "$state/prometheus-url"
  stop_component "$state" prometheus
}

case ${1:-} in
  build) build_prometheus ;;
  start) start_prometheus "$2" ;;
  stop) stop_prometheus "$2" ;;
  *) echo "usage: prometheus.sh build | start <state-dir> | stop <state-dir>" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The test cluster's admission webhooks (webhook/server.mjs): a validating and a mutating
# webhook of the project's own, served over TLS with a certificate from a throwaway CA, and
# registered with the API server by URL (it runs on the host, so https://127.0.0.1:<port> works).
#   webhook.sh start <state-dir>   after the API server is up (uses <state>/kubeconfig's admin
#                                  certificate, <state>/ports); pid in <state>/pids, log in <state>/logs
#   webhook.sh stop <state-dir>    ends the server; the configurations go with the cluster
# Every configuration selects only namespaces labelled kube-stage.test/webhooks=on, so tests that
# do not ask for webhooks never meet them:
#   kube-stage-test-validate   refuses objects labelled kube-stage.test/deny=<reason>
#   kube-stage-test-mutate     injects a sidecar into Pods, defaults a label on Deployments
#   kube-stage-test-no-dry-run sideEffects Unknown, for objects labelled
#                              kube-stage.test/side-effects=unknown: the API server refuses
#                              every dry run it matches ("does not support dry run")
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command=${1:-}; state=${2:-}
[ -n "$command" ] && [ -n "$state" ] || { echo "usage: webhook.sh start|stop <state-dir>" >&2; exit 2; }
log() { printf '[cluster] webhook: %s\n' "$*" >&2; }
# shellcheck source=process-lib.sh
. "$here/process-lib.sh"

if [ "$command" = stop ]; then
  stop_component "$state" webhook
  exit 0
fi
[ "$command" = start ] || { echo "usage: webhook.sh start|stop <state-dir>" >&2; exit 2; }

# shellcheck disable=SC1091
. "$state/ports"
pki=$state/pki
mkdir -p "$pki" "$state/pids" "$state/logs"
logfile=$state/logs/webhook.log
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kube-stage-webhook-ca" -keyout webhook-ca.key -out webhook-ca.crt
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-stage-webhook" -keyout webhook.key -out webhook.csr
  printf 'subjectAltName=IP:127.0.0.1\n' >webhook.ext
  openssl x509 -req -in webhook.csr -CA webhook-ca.crt -CAkey webhook-ca.key -CAcreateserial -days 2 -extfile webhook.ext -out webhook.crt
) >"$state/logs/webhook-pki.log" 2>&1 || { log "openssl failed (see $state/logs/webhook-pki.log)"; exit 1; }

port=$(free_port)
node=${KUBE_STAGE_WEBHOOK_NODE:-node}
nohup "$node" "$here/webhook/server.mjs" "$port" "$pki/webhook.crt" "$pki/webhook.key" >"$logfile" 2>&1 </dev/null &
pid=$!
record_pid "$state" webhook "$pid"
echo "$port" >"$state/webhook-port"
for _ in $(seq 1 50); do
  curl -sf --cacert "$pki/webhook-ca.crt" "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { log "the server exited:"; tail -n 20 "$logfile" >&2; exit 1; }
  sleep 0.2
done

ca=$(base64 -w0 <"$pki/webhook-ca.crt")
api() {
  curl -sSf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$@"
}
apply() { # <resource> <name> <json>: server-side apply, so a second start updates the URL and CA
  api -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary "$3" \
    "https://127.0.0.1:$API_PORT/apis/admissionregistration.k8s.io/v1/$1/$2?fieldManager=kube-stage-test&force=true" >/dev/null
}
# webhook <name> <path> <sideEffects> <objectSelector> <rules>
webhook() {
  cat <<JSON
{"name":"$1","admissionReviewVersions":["v1"],"sideEffects":"$3","failurePolicy":"Fail","timeoutSeconds":5,
 "clientConfig":{"url":"https://127.0.0.1:$port$2","caBundle":"$ca"},
 "namespaceSelector":{"matchLabels":{"kube-stage.test/webhooks":"on"}},"objectSelector":$4,"rules":$5}
JSON
}
every='[{"apiGroups":["*"],"apiVersions":["*"],"operations":["CREATE","UPDATE"],"resources":["*"],"scope":"Namespaced"}]'
mutated='[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]},
 {"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["deployments"]}]'
deny='{"matchExpressions":[{"key":"kube-stage.test/deny","operator":"Exists"}]}'
apply validatingwebhookconfigurations kube-stage-test-validate \
  "{\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"kind\":\"ValidatingWebhookConfiguration\",\"metadata\":{\"name\":\"kube-stage-test-validate\"},\"webhooks\":[$(webhook deny.kube-stage.test /validate None "$deny" "$every")]}"
apply mutatingwebhookconfigurations kube-stage-test-mutate \
  "{\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"kind\":\"MutatingWebhookConfiguration\",\"metadata\":{\"name\":\"kube-stage-test-mutate\"},\"webhooks\":[$(webhook inject.kube-stage.test /mutate None '{}' "$mutated")]}"

# admissionregistration.k8s.io/v1 accepts only sideEffects None or NoneOnDryRun on create; Unknown
# and Some survive only in configurations stored before v1 (clusters upgraded since v1beta1, whose
# updates keep the value). Such a configuration is written here as stored data, straight into etcd
# (the API server reads JSON there as well as protobuf, and its watch picks it up).
name=kube-stage-test-no-dry-run
unknown='{"matchLabels":{"kube-stage.test/side-effects":"unknown"}}'
stored="{\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"kind\":\"ValidatingWebhookConfiguration\",
 \"metadata\":{\"name\":\"$name\",\"uid\":\"$(cat /proc/sys/kernel/random/uuid)\",\"generation\":1,
 \"creationTimestamp\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"},
 \"webhooks\":[$(webhook no-dry-run.kube-stage.test /unknown Unknown "$unknown" "$every")]}"
put=$(printf '{"key":"%s","value":"%s"}' \
  "$(printf '/registry/validatingwebhookconfigurations/%s' "$name" | base64 -w0)" \
  "$(printf '%s' "$stored" | tr -d '\n' | base64 -w0)")
curl -sSf -X POST "http://127.0.0.1:$ETCD_PORT/v3/kv/put" --data-binary "$put" >/dev/null
for _ in $(seq 1 50); do
  api "https://127.0.0.1:$API_PORT/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/$name" >/dev/null 2>&1 && break
  sleep 0.2
done
api "https://127.0.0.1:$API_PORT/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/$name" >/dev/null ||
  { log "the API server does not read the configuration $name written to etcd"; exit 1; }
log "serving on https://127.0.0.1:$port (pid $pid, log $logfile)"

# Shared by start.sh, node.sh, network.sh, webhook.sh, operators.sh and prometheus.sh: how the local
# cluster's processes get their ports, are recorded, waited for and stopped. Sourced, never run.

# Asks the kernel for a free port (bind to 0). A tiny race remains; acceptable for a test cluster.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Ends one recorded component by name (SIGTERM, then SIGKILL) and forgets it.
stop_component() {
  local state=$1 name=$2 pidfile pid
  for pidfile in "$state"/pids/*-"$name".pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    printf '[cluster] stopped %s (pid %s)\n' "$name" "$pid" >&2
  done
}

# Records a started component's pid for stop.sh, numbered in start order.
record_pid() {
  local state=$1 name=$2 pid=$3
  echo "$pid" >"$state/pids/$(ls "$state/pids" | wc -l | tr -d ' ')-$name.pid"
}

# Waits until <url> answers 2xx. If the process ends or <seconds> pass first, prints
# "FAILED: <what>" and the log's tail through <step> (the caller's progress printer) and fails.
wait_http_ready() {
  local url=$1 pid=$2 log=$3 seconds=$4 step=$5 what=$6
  local deadline=$(( $(date +%s) + seconds ))
  until curl -sf "$url" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      "$step" "FAILED: $what; last lines of $log:"
      tail -n 25 "$log" >&2
      return 1
    fi
    sleep 0.3
  done
}

# Shared by start.sh, node.sh, network.sh and webhook.sh: how the local cluster's processes get
# their ports and are stopped. Sourced, never run.

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

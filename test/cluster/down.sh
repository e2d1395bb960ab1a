#!/usr/bin/env bash
# Stops the processes up.sh started, by their recorded PIDs, newest first. Stops nothing else.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for ((i = ${#KCP_COMPONENTS[@]} - 1; i >= 0; i--)); do
  name=${KCP_COMPONENTS[$i]}
  if pid=$(kcp_pid "$name"); then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    kcp_log "stopped $name ($pid)"
  fi
  rm -f "$KCP_STATE/pids/$name.pid"
done

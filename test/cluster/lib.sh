# Shared settings for the local control plane scripts. Source it; it defines no side effects
# beyond exported variables.
CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$CLUSTER_DIR/versions.env"

export GOTOOLCHAIN=local        # fail loudly instead of fetching another toolchain
export CGO_ENABLED=0            # upstream builds these binaries static
export GOFLAGS=-buildvcs=false  # the wrapper modules live inside our git repo

KCP_CACHE_ROOT=${TEAMTASK_KCP_CACHE:-$HOME/.cache/teamtask-kcp}
KCP_BIN=${TEAMTASK_KCP_BIN:-$KCP_CACHE_ROOT/$K8S_VERSION-etcd$ETCD_VERSION-kwok$KWOK_VERSION/bin}
# Runtime state (pids, logs, PKI) of the one local cluster the scripts manage.
KCP_STATE=${TEAMTASK_KCP_STATE:-$KCP_CACHE_ROOT/clusters/e2e}
KCP_BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

kcp_log() { printf '[cluster] %s\n' "$*" >&2; }

kcp_binaries_present() {
  local b
  for b in "${KCP_BINARIES[@]}"; do [ -x "$KCP_BIN/$b" ] || return 1; done
}

# Loopback ports; override when they clash with something else on the machine.
KCP_ETCD_PORT=${TEAMTASK_KCP_ETCD_PORT:-23790}
KCP_ETCD_PEER_PORT=${TEAMTASK_KCP_ETCD_PEER_PORT:-23800}
KCP_APISERVER_PORT=${TEAMTASK_KCP_APISERVER_PORT:-16443}
KCP_KCM_PORT=${TEAMTASK_KCP_KCM_PORT:-20257}
KCP_SCHEDULER_PORT=${TEAMTASK_KCP_SCHEDULER_PORT:-20259}
KCP_KWOK_PORT=${TEAMTASK_KCP_KWOK_PORT:-20247}
KCP_KUBECONFIG=$KCP_STATE/kubeconfig
# Start order; down.sh stops them in reverse.
KCP_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# The PID of a component this state folder started, if that process still runs that binary.
kcp_pid() {
  local name=$1 pid
  pid=$(cat "$KCP_STATE/pids/$name.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$KCP_BIN/$name")" ] || return 1
  echo "$pid"
}

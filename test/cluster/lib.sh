# Shared settings for the local control plane scripts. Source it; it defines no side effects
# beyond exported variables.
CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$CLUSTER_DIR/versions.env"

export GOTOOLCHAIN=local        # fail loudly instead of fetching another toolchain
export CGO_ENABLED=0            # upstream builds these binaries static
export GOFLAGS=-buildvcs=false  # the wrapper modules live inside our git repo

KCP_CACHE_ROOT=${TEAMTASK_KCP_CACHE:-$HOME/.cache/teamtask-kcp}
KCP_BIN=${TEAMTASK_KCP_BIN:-$KCP_CACHE_ROOT/$K8S_VERSION-etcd$ETCD_VERSION-kwok$KWOK_VERSION-containerd$CONTAINERD_VERSION/bin}
# Runtime state (pids, logs, PKI) of the one local cluster the scripts manage.
KCP_STATE=${TEAMTASK_KCP_STATE:-$KCP_CACHE_ROOT/clusters/e2e}
KCP_BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)
# The real node's: kubelet and kube-proxy from the same Kubernetes module, containerd 2.x.
KCP_NODE_BINARIES=(kubelet kube-proxy containerd containerd-shim-runc-v2 ctr)

kcp_log() { printf '[cluster] %s\n' "$*" >&2; }

kcp_binaries_present() {
  local b
  for b in "${KCP_BINARIES[@]}" "${KCP_NODE_BINARIES[@]}"; do [ -x "$KCP_BIN/$b" ] || return 1; done
}

# The mount points of the cgroup hierarchies (v1 controllers, the v2 unified one).
kcp_cgroup_mounts() { awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts; }

# Mount points at or below one of the given folders (exactly, or a folder inside: not a sibling
# that shares a prefix).
kcp_mounts_under() {
  awk -v dirs="$*" 'BEGIN { n = split(dirs, d, " ") }
    { for (i = 1; i <= n; i++) if ($2 == d[i] || index($2, d[i] "/") == 1) { print $2; next } }' /proc/mounts
}

# Loopback ports; override when they clash with something else on the machine.
KCP_ETCD_PORT=${TEAMTASK_KCP_ETCD_PORT:-23790}
KCP_ETCD_PEER_PORT=${TEAMTASK_KCP_ETCD_PEER_PORT:-23800}
KCP_APISERVER_PORT=${TEAMTASK_KCP_APISERVER_PORT:-16443}
KCP_KCM_PORT=${TEAMTASK_KCP_KCM_PORT:-20257}
KCP_SCHEDULER_PORT=${TEAMTASK_KCP_SCHEDULER_PORT:-20259}
KCP_KWOK_PORT=${TEAMTASK_KCP_KWOK_PORT:-20247}
KCP_KUBECONFIG=$KCP_STATE/kubeconfig
# The real node: one per machine (the kubelet's and kube-proxy's ports are fixed). Its bridge,
# made by up.sh, carries the API server's address and the pods' subnet: pods reach the API
# server through the `kubernetes` Service, and every packet stays on this machine.
KCP_NODE_NAME=teamtask-node
KCP_NODE_BRIDGE=${TEAMTASK_KCP_NODE_BRIDGE:-teamtask0}
KCP_NODE_IP=${TEAMTASK_KCP_NODE_IP:-10.245.0.1}
KCP_POD_SUBNET=${TEAMTASK_KCP_POD_SUBNET:-10.245.0.0/24}
KCP_SERVICE_CIDR=10.96.0.0/16
# Sockets and runtime state want short paths (a unix socket's path is at most 107 bytes).
KCP_NODE_RUN=/run/teamtask-kcp
KCP_NODE_CGROUP=teamtask-kcp
KCP_NODE_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward
  net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables)
# Host folders the kubelet, containerd and CNI create even with their roots elsewhere.
KCP_NODE_HOST_DIRS=(/var/log/containers /var/log/pods /var/lib/cni /var/run/netns /var/lib/kubelet
  /var/lib/containerd /run/containerd /etc/cni /opt/cni /opt/containerd /var/run/nri
  /usr/libexec/kubernetes)

# TEAMTASK_KCP_REAL_NODE=0: a control plane only, all on loopback (no node, no bridge, nothing
# changed on the host), for a second cluster beside the first on the same machine (its own
# TEAMTASK_KCP_STATE and ports). up.sh marks its state folder so, and a later down.sh or status.sh
# follows the mark, whatever the environment then says.
KCP_REAL_NODE=${TEAMTASK_KCP_REAL_NODE:-1}
[ -e "$KCP_STATE/control-plane-only" ] && KCP_REAL_NODE=0
if [ "$KCP_REAL_NODE" = 1 ]; then KCP_API_IP=$KCP_NODE_IP; else KCP_API_IP=127.0.0.1; fi

# Start order; down.sh stops them in reverse.
KCP_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
KCP_NODE_COMPONENTS=(containerd kubelet kube-proxy)

# The PID of a component this state folder started, if that process still runs that binary.
kcp_pid() {
  local name=$1 pid
  pid=$(cat "$KCP_STATE/pids/$name.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$KCP_BIN/$name")" ] || return 1
  echo "$pid"
}

# Stops a component this state folder started: SIGTERM, SIGKILL after 10 s.
kcp_stop() {
  local name=$1 pid
  if pid=$(kcp_pid "$name"); then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    kcp_log "stopped $name ($pid)"
  fi
  rm -f "$KCP_STATE/pids/$name.pid"
}

#!/usr/bin/env bash
# Starts a real control plane on this machine: etcd, kube-apiserver (RBAC, default admission
# plugins incl. ResourceQuota), kube-controller-manager (Job, quota, GC controllers),
# kube-scheduler, kwok (fake nodes, tainted, that run the pods which ask for them by stages, for
# scale), and one real node (containerd, kubelet, kube-proxy) that runs every other pod in real
# containers. The API server listens on the node's bridge, which this script creates; nothing
# listens beyond this machine. Builds the binaries first on a cache miss. Idempotent: a healthy
# running cluster is reused. down.sh stops it all and restores the host.
# The last line printed is the kubeconfig path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$CLUSTER_DIR/node.sh"

NODES=${TEAMTASK_KCP_NODES:-2}

if bash "$CLUSTER_DIR/status.sh"; then
  kcp_log "already running (state in $KCP_STATE)"
  echo "$KCP_KUBECONFIG"
  exit 0
fi

bash "$CLUSTER_DIR/build.sh"
# Anything left of an earlier, broken start goes first (by PID, only our own processes).
bash "$CLUSTER_DIR/down.sh" >/dev/null 2>&1 || true

for port in "$KCP_ETCD_PORT" "$KCP_ETCD_PEER_PORT" "$KCP_APISERVER_PORT" "$KCP_KCM_PORT" \
  "$KCP_SCHEDULER_PORT" "$KCP_KWOK_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    kcp_log "error: port $port on 127.0.0.1 is taken by another process; set the TEAMTASK_KCP_*_PORT variables (test/cluster/lib.sh)"
    exit 1
  fi
done
# The kubelet's and kube-proxy's ports are fixed: one real node per machine.
[ "$KCP_REAL_NODE" = 1 ] && for port in 10248 10249 10256; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    kcp_log "error: port $port on 127.0.0.1 is taken: another kubelet or kube-proxy runs on this machine"
    exit 1
  fi
done

# If anything below fails, stop what was started: detached daemons would otherwise outlive the caller.
trap 'status=$?; [ "$status" = 0 ] || bash "$CLUSTER_DIR/down.sh" >/dev/null 2>&1; exit "$status"' EXIT
started=$(date +%s)
# A fresh cluster each start: tests and the demo must not see an earlier run's objects.
rm -rf "$KCP_STATE/etcd" "$KCP_STATE/pki" "$KCP_STATE/logs" "$KCP_STATE/pids" "$KCP_KUBECONFIG"
P=$KCP_STATE/pki
mkdir -p "$P" "$KCP_STATE/logs" "$KCP_STATE/pids" "$KCP_STATE/etcd"
if [ "$KCP_REAL_NODE" = 1 ]; then
  node_network_up
else
  touch "$KCP_STATE/control-plane-only"
fi

# --- PKI: one CA, a serving cert for the apiserver, an admin client cert, SA signing keys ---
(
  cd "$P"
  q() { "$@" >/dev/null 2>&1; }
  q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -sha256 -days 3650 -subj /CN=teamtask-e2e-ca -out ca.crt
  printf '%s\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature,keyEncipherment \
    extendedKeyUsage=serverAuth \
    subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:10.96.0.1,IP:$KCP_API_IP >server.ext
  printf '%s\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature,keyEncipherment \
    extendedKeyUsage=clientAuth >client.ext
  cert() { # name subject extfile
    q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -subj "$2" -out "$1.csr"
    q openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 -extfile "$3" -out "$1.crt"
  }
  cert apiserver /CN=kube-apiserver server.ext
  cert admin "/O=system:masters/CN=teamtask-e2e-admin" client.ext
  # The API server's identity towards kubelets (logs, exec).
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" client.ext
  q openssl genrsa -out sa.key 2048
  q openssl rsa -in sa.key -pubout -out sa.pub
)

cat >"$KCP_KUBECONFIG" <<KC
apiVersion: v1
kind: Config
clusters:
- name: teamtask-e2e
  cluster:
    server: https://$KCP_API_IP:$KCP_APISERVER_PORT
    certificate-authority: $P/ca.crt
users:
- name: teamtask-e2e-admin
  user:
    client-certificate: $P/admin.crt
    client-key: $P/admin.key
contexts:
- name: teamtask-e2e
  context:
    cluster: teamtask-e2e
    user: teamtask-e2e-admin
current-context: teamtask-e2e
KC

cat >"$KCP_STATE/scheduler.yaml" <<SC
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $KCP_KUBECONFIG
leaderElection:
  leaderElect: false
SC

start() { # name args...: detached from this shell, so it outlives the caller; PID recorded
  local name=$1
  shift
  setsid "$KCP_BIN/$name" "$@" >"$KCP_STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$KCP_STATE/pids/$name.pid"
}

wait_for() { # what command...: up to 90 s
  local what=$1 i
  shift
  for ((i = 0; i < 180; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  kcp_log "error: $what did not become ready in 90s; its log: $KCP_STATE/logs/$what.log"
  tail -n 30 "$KCP_STATE/logs/$what.log" >&2 || true
  exit 1
}

https_ok() { curl -sf --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" "$1"; }

start etcd --name=teamtask-e2e --data-dir="$KCP_STATE/etcd" \
  --listen-client-urls="http://127.0.0.1:$KCP_ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$KCP_ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$KCP_ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$KCP_ETCD_PEER_PORT" \
  --initial-cluster="teamtask-e2e=http://127.0.0.1:$KCP_ETCD_PEER_PORT" --initial-cluster-state=new \
  --unsafe-no-fsync --quota-backend-bytes=2147483648 --auto-compaction-retention=1 --log-level=warn
wait_for etcd curl -sf "http://127.0.0.1:$KCP_ETCD_PORT/health"

# On the bridge's address: pods reach it through the `kubernetes` Service, whose Endpoints
# cannot hold a loopback address. Without a node, on loopback, and the Service has no endpoints.
no_endpoints=()
[ "$KCP_REAL_NODE" = 1 ] || no_endpoints=(--endpoint-reconciler-type=none)
start kube-apiserver --etcd-servers="http://127.0.0.1:$KCP_ETCD_PORT" \
  --bind-address="$KCP_API_IP" --secure-port="$KCP_APISERVER_PORT" \
  --advertise-address="$KCP_API_IP" "${no_endpoints[@]}" \
  --kubelet-client-certificate="$P/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$P/apiserver-kubelet-client.key" \
  --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" --client-ca-file="$P/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-cluster-ip-range="$KCP_SERVICE_CIDR" --authorization-mode=Node,RBAC \
  --enable-admission-plugins=ResourceQuota --allow-privileged=true \
  --kubelet-preferred-address-types=InternalIP
wait_for kube-apiserver https_ok "https://$KCP_API_IP:$KCP_APISERVER_PORT/readyz"

start kube-controller-manager --kubeconfig="$KCP_KUBECONFIG" \
  --authentication-kubeconfig="$KCP_KUBECONFIG" --authorization-kubeconfig="$KCP_KUBECONFIG" \
  --bind-address=127.0.0.1 --secure-port="$KCP_KCM_PORT" --leader-elect=false \
  --root-ca-file="$P/ca.crt" --service-account-private-key-file="$P/sa.key" \
  --cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
  --use-service-account-credentials=true
start kube-scheduler --config="$KCP_STATE/scheduler.yaml" \
  --authentication-kubeconfig="$KCP_KUBECONFIG" --authorization-kubeconfig="$KCP_KUBECONFIG" \
  --bind-address=127.0.0.1 --secure-port="$KCP_SCHEDULER_PORT"
# Pod logs: kwok serves every pod the lines of one file (ClusterLogs), on the port its nodes
# advertise as their kubelet's (the API server skips verifying a kubelet without a CA flag).
logs_file="$KCP_STATE/pod.log"
printf '%s\n' '2026-01-01T00:00:00Z stdout F teamtask: block working on its worklist' \
  '2026-01-01T00:00:01Z stderr F teamtask: worklist is finished' >"$logs_file"
cat >"$KCP_STATE/kwok-logs.yaml" <<LOGS
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: all-pods}
spec:
  logs:
    - logsFile: $logs_file
LOGS
start kwok --kubeconfig="$KCP_KUBECONFIG" --config="$CLUSTER_DIR/kwok-stages.yaml" \
  --config="$KCP_STATE/kwok-logs.yaml" \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --node-lease-duration-seconds=40 --cidr=10.0.0.0/16 \
  --node-ip=127.0.0.1 --node-port="$KCP_KWOK_PORT" \
  --server-address="127.0.0.1:$KCP_KWOK_PORT"
wait_for kube-controller-manager curl -skf "https://127.0.0.1:$KCP_KCM_PORT/healthz"
wait_for kube-scheduler curl -skf "https://127.0.0.1:$KCP_SCHEDULER_PORT/healthz"
wait_for kwok curl -sf "http://127.0.0.1:$KCP_KWOK_PORT/healthz"

kubectl() { "$KCP_BIN/kubectl" --kubeconfig "$KCP_KUBECONFIG" "$@"; }
for ((i = 0; i < NODES; i++)); do
  kubectl apply -f - >/dev/null <<NODE
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
spec:
  # Only pods that ask for a fake node land here (the scale benchmarks); all others run for real.
  taints:
    - {key: kwok.x-k8s.io/node, value: fake, effect: NoSchedule}
NODE
done
[ "$NODES" = 0 ] || kubectl wait --for=condition=Ready node -l type=kwok --timeout=60s >/dev/null
# Pods are refused until the ServiceAccount controller made `default`; later namespaces wait too.
wait_for kube-controller-manager kubectl get serviceaccount default -n default
if [ "$KCP_REAL_NODE" = 1 ]; then
  node_started=$(date +%s)
  node_up
  kcp_log "ready in $(($(date +%s) - started))s (the real node in $(($(date +%s) - node_started))s): $NODES kwok nodes and $KCP_NODE_NAME; logs in $KCP_STATE/logs"
else
  kcp_log "ready in $(($(date +%s) - started))s (a control plane only, on 127.0.0.1): $NODES kwok nodes; logs in $KCP_STATE/logs"
fi
echo "$KCP_KUBECONFIG"

# shellcheck shell=bash
# The real node of the local control plane: containerd, kubelet and kube-proxy beside the kwok
# nodes, so that pods run real containers (runc, CNI bridge). Sourced by up.sh and down.sh,
# after lib.sh; defines functions only. Facts behind the settings: docs/local-control-plane.md.
#
# What it changes on the host, and how down.sh undoes it: a bridge ($KCP_NODE_BRIDGE) that
# carries the API server's address and the pods; the sysctls in KCP_NODE_SYSCTLS (saved before,
# written back after); the kubelet's and kube-proxy's iptables chains (KUBE-*, removed with the
# rules that jump to them; other rules are left as they are); mounts under the node's folders,
# pods' network namespaces among them (unmounted); cgroups under $KCP_NODE_CGROUP (removed);
# what the node puts into the host folders of KCP_NODE_HOST_DIRS (removed, and the folders if
# they did not exist before and are empty). Processes are stopped by their recorded PIDs; shims
# and containers by their link to this node's containerd socket and cgroups.

NODE_DIR=$KCP_STATE/node
HOST_DIR=$KCP_STATE/host
CONTAINERD_SOCK=$KCP_NODE_RUN/containerd/containerd.sock
# containerd 2.4's sandbox image; built from pause.c by scripts/test-images.sh, never pulled.
PAUSE_IMAGE=registry.k8s.io/pause:3.10.2

node_ctr() { "$KCP_BIN/ctr" --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

# Saves what the node may change, once: after a failed stop the first save stays the truth.
node_save_host() {
  [ -e "$HOST_DIR/saved" ] && return 0
  mkdir -p "$HOST_DIR"
  # A saved state from before a reboot describes another boot: what it saved is gone anyway.
  cat /proc/sys/kernel/random/boot_id >"$HOST_DIR/boot_id"
  bash "$CLUSTER_DIR/host-state.sh" >"$HOST_DIR/before.txt"
  local s
  for s in "${KCP_NODE_SYSCTLS[@]}"; do
    sysctl -n "$s" >/dev/null 2>&1 && echo "$s=$(sysctl -n "$s")"
  done >"$HOST_DIR/sysctls"
  local d
  for d in "${KCP_NODE_HOST_DIRS[@]}"; do if [ -e "$d" ]; then echo "$d"; fi; done >"$HOST_DIR/dirs"
  touch "$HOST_DIR/saved"
}

# The bridge goes up before the API server, which listens on its address.
node_network_up() {
  node_save_host
  if ! ip link show "$KCP_NODE_BRIDGE" >/dev/null 2>&1; then ip link add "$KCP_NODE_BRIDGE" type bridge; fi
  ip addr replace "$KCP_NODE_IP/${KCP_POD_SUBNET#*/}" dev "$KCP_NODE_BRIDGE"
  ip link set "$KCP_NODE_BRIDGE" up
}

node_certs() { # in $P (the cluster's PKI folder)
  (
    cd "$P"
    q() { "$@" >/dev/null 2>&1; }
    cert() { # name subject extfile
      q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -subj "$2" -out "$1.csr"
      q openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 -extfile "$3" -out "$1.crt"
    }
    cert kubelet "/O=system:nodes/CN=system:node:$KCP_NODE_NAME" client.ext
    cert kube-proxy /CN=system:kube-proxy client.ext
  )
  local who
  for who in kubelet kube-proxy; do
    sed -e "s|$P/admin.crt|$P/$who.crt|" -e "s|$P/admin.key|$P/$who.key|" \
      -e "s|teamtask-e2e-admin|$who|g" "$KCP_KUBECONFIG" >"$NODE_DIR/$who.kubeconfig"
  done
}

node_configs() {
  mkdir -p "$NODE_DIR/cni" "$NODE_DIR/logs"
  cat >"$NODE_DIR/containerd.toml" <<TOML
# version 3: with 4, the [grpc] and [ttrpc] addresses are silently ignored.
version = 3
root = "$NODE_DIR/containerd"
state = "$KCP_NODE_RUN/containerd/state"
imports = []

[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"

[plugins.'io.containerd.internal.v1.opt']
  path = "$NODE_DIR/opt"
[plugins.'io.containerd.image-verifier.v1.bindir']
  bin_dir = "$NODE_DIR/image-verifier"
[plugins.'io.containerd.nri.v1.nri']
  disable = true
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "$NODE_DIR/registries"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"
[plugins.'io.containerd.cri.v1.runtime']
  # root here lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj, and every pod would fail.
  restrict_oom_score_adj = true
  # Pods' network namespaces under our state folder, not /var/run/netns.
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$NODE_DIR/cni"
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
    BinaryName = "/usr/sbin/runc"
    Root = "$KCP_NODE_RUN/runc"
    SystemdCgroup = false
TOML
  # Pods never pull: images are imported. An image that is not there fails its pull at once
  # (ErrImagePull, then ImagePullBackOff), against a loopback port where nothing listens,
  # instead of reaching for a registry beyond this machine.
  mkdir -p "$NODE_DIR/registries/_default"
  echo 'server = "http://127.0.0.1:9"' >"$NODE_DIR/registries/_default/hosts.toml"
  # Pods reach the node (the API server) and Services, and nothing else: no default route, so
  # no packet of a pod leaves this machine.
  cat >"$NODE_DIR/cni/10-teamtask.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "teamtask",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$KCP_NODE_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$NODE_DIR/ipam",
        "ranges": [[{ "subnet": "$KCP_POD_SUBNET", "gateway": "$KCP_NODE_IP", "rangeStart": "${KCP_NODE_IP%.*}.10" }]],
        "routes": [{ "dst": "$KCP_SERVICE_CIDR" }]
      }
    },
    { "type": "loopback" }
  ]
}
CNI
  cat >"$NODE_DIR/kubelet.yaml" <<KUBELET
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $KCP_NODE_IP
readOnlyPort: 0
volumePluginDir: $NODE_DIR/volume-plugins
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $P/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# These machines run the hybrid cgroup v1 layout, which 1.35+ refuses unless told.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$KCP_NODE_CGROUP
failSwapOn: false
podLogsDir: $NODE_DIR/pod-logs
resolvConf: /etc/resolv.conf
# A busy build disk must not make the node evict pods or delete the imported images.
evictionHard: {nodefs.available: "1%", imagefs.available: "1%", memory.available: "100Mi"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
KUBELET
  cat >"$NODE_DIR/kube-proxy.yaml" <<PROXY
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $NODE_DIR/kube-proxy.kubeconfig}
hostnameOverride: $KCP_NODE_NAME
mode: iptables
clusterCIDR: $KCP_POD_SUBNET
bindAddress: $KCP_NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [$KCP_NODE_IP/32]
# Leave the host's conntrack limits and route_localnet as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
PROXY
}

# Imports every image the node's pods use: the test images (scripts/test-images.sh: built from
# Debian packages on a cache miss, the pause image among them) and those loaded with
# load-image.sh, which keeps a copy so that a restart imports them again.
node_import_images() {
  local log=$KCP_STATE/logs/images.log
  bash "$CLUSTER_DIR/../../scripts/test-images.sh" --out "$NODE_DIR/images" >>"$log" 2>&1 ||
    { kcp_log "error: building the test images failed; see $log"; tail -n 20 "$log" >&2; exit 1; }
  local a
  for a in "$NODE_DIR/images"/*.oci.tar "$KCP_STATE/images"/*.tar; do
    [ -e "$a" ] || continue
    node_ctr images import --all-platforms "$a" >>"$log" 2>&1 ||
      { kcp_log "error: importing $a into the node failed; see $log"; exit 1; }
  done
}

node_up() {
  # A fresh node each start, like the rest of the cluster.
  rm -rf "$NODE_DIR" "$KCP_NODE_RUN"
  mkdir -p "$NODE_DIR" "$KCP_NODE_RUN"
  local h
  for h in $(kcp_cgroup_mounts); do mkdir -p "$h/$KCP_NODE_CGROUP"; done
  node_certs
  node_configs
  PATH="$KCP_BIN:$PATH" start containerd --config "$NODE_DIR/containerd.toml"
  wait_for containerd node_ctr version
  node_import_images
  # The list first: `grep -q` stops reading at the match, and under pipefail the SIGPIPE that
  # ctr may then get would fail the check.
  local images
  images=$(node_ctr images ls -q 2>/dev/null) || true
  grep -qxF "$PAUSE_IMAGE" <<<"$images" || {
    kcp_log "error: scripts/test-images.sh made no $PAUSE_IMAGE"
    exit 1
  }
  start kubelet --config="$NODE_DIR/kubelet.yaml" --kubeconfig="$NODE_DIR/kubelet.kubeconfig" \
    --root-dir="$NODE_DIR/kubelet" --cert-dir="$NODE_DIR/kubelet-pki" --hostname-override="$KCP_NODE_NAME" --node-ip="$KCP_NODE_IP" \
    --node-labels=teamtask.dev/node=real
  start kube-proxy --config="$NODE_DIR/kube-proxy.yaml"
  wait_for kubelet curl -sf http://127.0.0.1:10248/healthz
  wait_for kube-proxy curl -sf http://127.0.0.1:10256/healthz
  wait_for kubelet "$KCP_BIN/kubectl" --kubeconfig "$KCP_KUBECONFIG" wait --for=condition=Ready \
    "node/$KCP_NODE_NAME" --timeout=1s
}

# Stops the pods through the CRI while the kubelet still runs them (so CNI gives their addresses
# and namespaces back), then the node's processes, then undoes the host changes.
node_down() {
  local kubectl=("$KCP_BIN/kubectl" --kubeconfig "$KCP_KUBECONFIG" --request-timeout=5s)
  if kcp_pid kubelet >/dev/null && "${kubectl[@]}" get --raw /readyz >/dev/null 2>&1; then
    "${kubectl[@]}" delete pods -A --field-selector "spec.nodeName=$KCP_NODE_NAME" \
      --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
    for _ in $(seq 60); do
      [ -z "$(node_ctr tasks ls -q 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  kcp_stop kube-proxy
  kcp_stop kubelet
  # Whatever still runs (a pod the kubelet did not get to): killed through containerd.
  if kcp_pid containerd >/dev/null; then
    local t
    for t in $(node_ctr tasks ls -q 2>/dev/null); do node_ctr tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true; done
    sleep 0.5
    for t in $(node_ctr tasks ls -q 2>/dev/null); do node_ctr tasks delete -f "$t" >/dev/null 2>&1 || true; done
  fi
  kcp_stop containerd
  # Shims outlive containerd by design; ours were started for this node's socket.
  local pid
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK( |$)" 2>/dev/null); do
    kill -9 "$pid" 2>/dev/null || true
  done
  # Containers whose shim was gone before them: whatever is left in this node's cgroups.
  local h
  for h in $(kcp_cgroup_mounts); do
    [ -d "$h/$KCP_NODE_CGROUP" ] || continue
    find "$h/$KCP_NODE_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  done
  node_restore_host
}

node_restore_host() {
  [ -e "$HOST_DIR/saved" ] || return 0
  if [ "$(cat "$HOST_DIR/boot_id" 2>/dev/null)" != "$(cat /proc/sys/kernel/random/boot_id)" ]; then
    kcp_log "the saved host state is from another boot: nothing of it to restore"
    rm -rf "$HOST_DIR"
    return 0
  fi
  local m d h s v
  # Mounts deepest first: pods' volumes, containerd's snapshots, network namespaces.
  for m in $(kcp_mounts_under "$KCP_STATE" "$KCP_NODE_RUN" | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  # (Pods' network namespaces are mounts under $KCP_NODE_RUN: gone with them, and their veths.)
  if ip link show "$KCP_NODE_BRIDGE" >/dev/null 2>&1; then ip link delete "$KCP_NODE_BRIDGE" || true; fi
  while IFS='=' read -r s v; do sysctl -qw "$s=$v" >/dev/null 2>&1 || true; done <"$HOST_DIR/sysctls"
  node_remove_kube_chains iptables
  node_remove_kube_chains ip6tables
  # cgroups: leaves first (rmdir removes only empty ones; the processes are gone by now).
  for h in $(kcp_cgroup_mounts); do
    if [ -d "$h/$KCP_NODE_CGROUP" ]; then find "$h/$KCP_NODE_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  # What the node put into host folders: the kubelet's log links to its pods, CNI's cache of
  # this network, the kubelet's device-plugin socket and checkpoint; then the folders that were
  # not there before, if nothing else was put into them meanwhile.
  find /var/log/containers -maxdepth 1 -type l -lname "$NODE_DIR/*" -delete 2>/dev/null || true
  rm -rf /var/lib/cni/results/teamtask-* /var/lib/cni/networks/teamtask 2>/dev/null || true
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock /var/lib/kubelet/device-plugins/kubelet_internal_checkpoint
  for d in "${KCP_NODE_HOST_DIRS[@]}"; do
    if [ -d "$d" ] && ! grep -qxF "$d" "$HOST_DIR/dirs"; then find "$d" -depth -type d -empty -delete 2>/dev/null || true; fi
  done
  rm -rf "$KCP_NODE_RUN" "$HOST_DIR"
}

# Removes the kubelet's and kube-proxy's chains (KUBE-*) and the rules that jump to them, and
# leaves every other rule as it is now. (A table they created stays, empty: iptables over
# nftables cannot drop it; host-state.sh counts an empty accepting table as absent.)
node_remove_kube_chains() { # iptables | ip6tables
  local tool=$1
  command -v "$tool-save" >/dev/null || return 0
  "$tool-save" 2>/dev/null | grep -v -e '^:KUBE-' -e '^-A KUBE-' -e ' -j KUBE-' | "$tool-restore" 2>/dev/null || true
}

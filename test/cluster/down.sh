#!/usr/bin/env bash
# Stops the processes up.sh started, by their recorded PIDs, and restores what the real node
# changed on the host (test/cluster/node.sh). Stops nothing else. The controllers go first, so
# that nothing recreates the pods the node stops; the API server stays until the node's pods
# are gone.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$CLUSTER_DIR/node.sh"

kcp_stop kwok
kcp_stop kube-scheduler
kcp_stop kube-controller-manager
# A control plane without a node (TEAMTASK_KCP_REAL_NODE=0) changed nothing on the host.
[ "$KCP_REAL_NODE" = 1 ] && node_down
kcp_stop kube-apiserver
kcp_stop etcd
rm -f "$KCP_STATE/control-plane-only"

#!/usr/bin/env bash
# Loads an image archive (OCI or docker-archive) into the real node of the local control plane,
# as `kind load image-archive` does for kind: its pods then run it without pulling. A copy is
# kept, so that the node imports it again after a restart.
# Usage: load-image.sh ARCHIVE...
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$CLUSTER_DIR/node.sh"

[ $# -gt 0 ] || { kcp_log "usage: load-image.sh ARCHIVE..."; exit 2; }
kcp_pid containerd >/dev/null || { kcp_log "error: the local node is not running; start it: bash test/cluster/up.sh"; exit 1; }
mkdir -p "$KCP_STATE/images"
for archive in "$@"; do
  cp "$archive" "$KCP_STATE/images/$(basename "$archive")"
  node_ctr images import --all-platforms "$archive" >>"$KCP_STATE/logs/images.log" 2>&1
  kcp_log "loaded $(basename "$archive") into $KCP_NODE_NAME"
done

#!/usr/bin/env bash
# Exits 0 when the local control plane that up.sh starts is running and ready, 1 otherwise.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

kcp_binaries_present || exit 1
components=("${KCP_COMPONENTS[@]}")
[ "$KCP_REAL_NODE" = 1 ] && components+=("${KCP_NODE_COMPONENTS[@]}")
for c in "${components[@]}"; do kcp_pid "$c" >/dev/null || exit 1; done
"$KCP_BIN/kubectl" --kubeconfig "$KCP_KUBECONFIG" get --raw /readyz >/dev/null 2>&1

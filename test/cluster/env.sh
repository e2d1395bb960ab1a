#!/usr/bin/env bash
# Prints where the local control plane lives, as KEY=VALUE lines, for tests and scripts.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
printf 'KCP_BIN=%s\nKCP_STATE=%s\nKCP_KUBECONFIG=%s\nK8S_VERSION=%s\n' \
  "$KCP_BIN" "$KCP_STATE" "$KCP_KUBECONFIG" "$K8S_VERSION"

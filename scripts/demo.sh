#!/usr/bin/env bash
# The README's main job. Uses the cluster $KUBECONFIG names; when none is set, starts the local
# control plane (building it on the first run) and leaves it running for you to explore.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -n "${KUBECONFIG:-}" ]; then
  echo "Using the cluster of KUBECONFIG=$KUBECONFIG"
else
  echo "No KUBECONFIG set: starting the local control plane (the first run builds it: tens of minutes)"
  KUBECONFIG=$(bash test/cluster/up.sh | tail -n 1)
  export KUBECONFIG
  eval "$(bash test/cluster/env.sh)"
  export PATH="$KCP_BIN:$PATH"
fi
export PATH="$PWD/bin:$PATH"

set -x
kubectl plugin list 2>/dev/null | grep kubectl-teamtask
kubectl teamtask version
set +x

if [ -n "${KCP_BIN:-}" ]; then
  cat <<MSG

The local control plane keeps running. To use it:
  export KUBECONFIG=$KUBECONFIG PATH=$PWD/bin:$KCP_BIN:\$PATH
  kubectl get nodes
Stop it with: npm run cluster:down
MSG
fi

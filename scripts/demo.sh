#!/usr/bin/env bash
# The README's main job. Uses the cluster $KUBECONFIG names; when none is set, starts the local
# control plane (building it on the first run) and leaves it running for you to explore.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -n "${KUBECONFIG:-}" ]; then
  echo "Using the cluster of KUBECONFIG=$KUBECONFIG"
else
  echo "No KUBECONFIG set: starting the local control plane (the first run builds it: about 15 minutes)"
  KUBECONFIG=$(bash test/cluster/up.sh | tail -n 1)
  export KUBECONFIG
  eval "$(bash test/cluster/env.sh)"
  export PATH="$KCP_BIN:$PATH"
fi
export PATH="$PWD/bin:$PATH"
ns=teamtask-demo

set -x
kubectl teamtask version
kubectl teamtask install
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -n "$ns" -f examples/primes.yaml
kubectl get blocks -n "$ns"
set +x

# The controller, run here for a moment (the same process the Deployment runs): it gives the
# worker's Block its first range and records it in the Worklist's ledger.
log=$(mktemp)
kubectl teamtask controller --metrics-bind-address 127.0.0.1:0 2>"$log" &
controller=$!
trap 'kill "$controller" 2>/dev/null || true' EXIT
set -x
kubectl wait -n "$ns" --for=jsonpath='{.status.phase}'=Ready block/primes-worker-0 --timeout=60s
kubectl get worklists,blocks -n "$ns"
kubectl get worklist primes -n "$ns" -o jsonpath='{.status.assignments}{"\n"}'
set +x
kill "$controller"
wait "$controller" 2>/dev/null || true

if [ -n "${KCP_BIN:-}" ]; then
  cat <<MSG

The local control plane keeps running. To use it:
  export KUBECONFIG=$KUBECONFIG PATH=$PWD/bin:$KCP_BIN:\$PATH
  kubectl get teamtask -n $ns
Stop it with: npm run cluster:down
MSG
fi

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
kubectl delete worklist primes -n "$ns" --ignore-not-found --wait
# No Job (--workers 0): on this control plane kwok runs pods without containers, so the workers
# run here instead, as `kubectl teamtask work` does on any machine with a kubeconfig. On a real
# cluster, --workers 8 --image debian:12-slim makes an Indexed Job of 8 worker pods instead.
kubectl teamtask create primes -n "$ns" --range 1-2000 --block-size 100 --workers 0
set +x

# The controller (what the Deployment runs) and two workers, here as local processes with the
# kubeconfig, as `kubectl teamtask work` runs on any machine.
out=$(mktemp)
logs=$(mktemp -d)
kubectl teamtask controller --metrics-bind-address 127.0.0.1:0 2>"$logs/controller.log" &
controller=$!
trap 'kill "$controller" 2>/dev/null || true' EXIT
for w in 1 2; do
  kubectl teamtask work primes -n "$ns" --jobs 4 -- examples/is-prime.sh {} >>"$out" 2>"$logs/worker-$w.log" &
done
set -x
sleep 4
kubectl teamtask get blocks -n "$ns"
kubectl teamtask status primes -n "$ns"
set +x
wait %2 %3
set -x
kubectl teamtask get lists -n "$ns"
kubectl teamtask describe list primes -n "$ns"
set +x
kill "$controller"
wait "$controller" 2>/dev/null || true
echo "Primes from 1 to 2000 found by the workers: $(wc -l <"$out") (there are 303); each number was checked once."
sort -n "$out" | uniq -d | head -3

if [ -n "${KCP_BIN:-}" ]; then
  cat <<MSG

The local control plane keeps running. To use it:
  export KUBECONFIG=$KUBECONFIG PATH=$PWD/bin:$KCP_BIN:\$PATH
  kubectl teamtask get lists -n $ns
Stop it with: npm run cluster:down
MSG
fi

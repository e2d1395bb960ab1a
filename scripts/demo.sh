#!/usr/bin/env bash
# The README's main job, entirely in the cluster: the controller Deployment and the worker pods
# run the Teamtask image; no Teamtask process runs on this machine. Uses the cluster $KUBECONFIG
# names (which must be able to pull the image of this version, docs/image.md); when none is
# set, starts the local control plane (building it on the first run), loads this checkout's
# image into its real node, and leaves it running for you to explore.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -n "${KUBECONFIG:-}" ]; then
  echo "Using the cluster of KUBECONFIG=$KUBECONFIG"
else
  echo "No KUBECONFIG set: starting the local control plane (the first run builds it: about 30 minutes)"
  KUBECONFIG=$(bash test/cluster/up.sh | tail -n 1)
  export KUBECONFIG
  eval "$(bash test/cluster/env.sh)"
  export PATH="$KCP_BIN:$PATH"
  # Like `kind load image-archive`: the node runs this checkout's image without a registry.
  bash test/cluster/load-teamtask-image.sh
fi
export PATH="$PWD/bin:$PATH"
ns=teamtask-demo
# examples/is-prime.sh, inline: the workers run it in debian:12-slim, which has only sh.
is_prime='n=$0; [ "$n" -lt 2 ] && exit 0; i=2; while [ $((i * i)) -le "$n" ]; do [ $((n % i)) -eq 0 ] && exit 0; i=$((i + 1)); done; echo "$n"'

set -x
kubectl teamtask version
kubectl teamtask install
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f -
kubectl delete worklist primes -n "$ns" --ignore-not-found --wait
kubectl teamtask create primes -n "$ns" --range 1-2000 --block-size 100 --workers 2 --jobs 4 \
  --image docker.io/library/debian:12-slim -- sh -c "$is_prime" {}
kubectl get pods -n teamtask-system -o wide
sleep 8
kubectl get pods -n "$ns" -o wide
kubectl teamtask get blocks -n "$ns"
kubectl teamtask status primes -n "$ns"
kubectl wait --for=condition=complete job/primes-workers -n "$ns" --timeout=300s
kubectl teamtask get lists -n "$ns"
kubectl teamtask describe list primes -n "$ns"
set +x

found=$(kubectl teamtask logs primes -n "$ns" | sed -n 's/^\[worker-[0-9]*\] \([0-9][0-9]*\)$/\1/p')
echo "Primes from 1 to 2000 found by the worker pods: $(echo "$found" | wc -l) (there are 303); each number was checked once."
echo "$found" | sort -n | uniq -d | head -3

if [ -n "${KCP_BIN:-}" ]; then
  cat <<MSG

The local control plane keeps running. To use it:
  export KUBECONFIG=$KUBECONFIG PATH=$PWD/bin:$KCP_BIN:\$PATH
  kubectl teamtask get lists -n $ns
Stop it with: npm run cluster:down
MSG
fi

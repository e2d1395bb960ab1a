#!/usr/bin/env bash
# Builds this checkout's Teamtask image for linux/amd64 (scripts/image.sh)
# unless an image of the same inputs is cached, and loads it into the local cluster's real node.
# What the e2e suite and the demo run in their pods.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo=$(cd "$CLUSTER_DIR/../.." && pwd)
cache=$KCP_CACHE_ROOT/teamtask-image
# Two test runs started together would build into (and clear) the same folder: one at a time.
mkdir -p "$KCP_CACHE_ROOT"
exec 9>"$KCP_CACHE_ROOT/teamtask-image.lock"
flock 9

# The image's inputs: a change to any of them builds it anew.
digest=$(cd "$repo" && find src tsconfig.json tsconfig.build.json bin crds manifests runtime scripts \
  package.json package-lock.json -type f -print0 |
  LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
archive=$cache/teamtask-$digest.oci.tar
built=false
if [ ! -e "$archive" ]; then
  built=true
  kcp_log "building the Teamtask image (inputs $digest)"
  rm -rf "$cache"
  mkdir -p "$cache/build"
  bash "$repo/scripts/image.sh" --arch amd64 --out "$cache/build" >/dev/null
  mv "$cache"/build/*-linux-amd64.oci.tar "$archive"
  rm -rf "$cache/build"
fi
# The node keeps a copy of each archive it loaded, to import again after a restart: an older
# build must not take the tag back then.
find "$KCP_STATE/images" -name 'teamtask-*.oci.tar' ! -name "$(basename "$archive")" -delete 2>/dev/null || true
bash "$CLUSTER_DIR/load-image.sh" "$archive"
# The tag is the version's, so a new build keeps the name: controller pods of the old build
# would run on. Their Deployment makes new ones, which start from the new image.
if $built; then
  "$KCP_BIN/kubectl" --kubeconfig "$KCP_KUBECONFIG" delete pods -n teamtask-system \
    -l app.kubernetes.io/name=teamtask-controller --ignore-not-found --wait=false >/dev/null
fi

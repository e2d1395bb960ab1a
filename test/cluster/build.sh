#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok from
# their Go modules into a cache folder keyed by their versions. A no-op when the
# cache is complete. Only the Go module proxy is used: nothing is downloaded from elsewhere.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if kcp_binaries_present; then
  kcp_log "binaries cached in $KCP_BIN"
  exit 0
fi

# Build into a scratch folder and move it in place at the end, so an interrupted build never
# leaves a cache that looks complete.
# A folder this script made carries a marker; anything else at $KCP_BIN (TEAMTASK_KCP_BIN may
# point anywhere) is never replaced.
MARKER=.teamtask-kcp
if [ -e "$KCP_BIN" ] && [ ! -e "$KCP_BIN/$MARKER" ]; then
  kcp_log "error: $KCP_BIN exists and was not made by build.sh; point TEAMTASK_KCP_BIN at a new folder"
  exit 1
fi
staging="$KCP_BIN.partial"
mkdir -p "$staging"
touch "$staging/$MARKER"
started=$(date +%s)

build_etcd() {
  [ -x "$staging/etcd" ] && return
  kcp_log "building etcd $ETCD_VERSION"
  (cd "$CLUSTER_DIR/etcd-bin" && go build -trimpath -ldflags="-s -w" -o "$staging/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
  [ -x "$staging/kwok" ] && return
  kcp_log "building kwok $KWOK_VERSION"
  (cd "$CLUSTER_DIR/kwok-bin" && go build -trimpath -ldflags="-s -w" -o "$staging/kwok" sigs.k8s.io/kwok/cmd/kwok)
}

build_kubernetes() {
  local b missing=0
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy; do
    [ -x "$staging/$b" ] || missing=1
  done
  [ "$missing" = 1 ] || return 0
  kcp_log "building Kubernetes $K8S_VERSION (the long part: tens of minutes on 2 cores)"
  local minor ldflags p
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  ldflags="-s -w"
  # `--version`, `kubectl version` and the API's /version report these; unset, they say v0.0.0-master.
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$CLUSTER_DIR/k8s-bins" && go build -trimpath -tags=selinux,notest,grpcnotrace \
    -ldflags="$ldflags" -o "$staging/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy)
}

# Kubernetes >= 1.36 needs containerd 2.x; Debian's is 1.6.
build_containerd() {
  local b missing=0
  for b in containerd containerd-shim-runc-v2 ctr; do [ -x "$staging/$b" ] || missing=1; done
  [ "$missing" = 1 ] || return 0
  kcp_log "building containerd $CONTAINERD_VERSION"
  (cd "$CLUSTER_DIR/containerd-bin" && go build -trimpath -tags=no_btrfs,no_devmapper,no_zfs \
    -ldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" -o "$staging/" \
    github.com/containerd/containerd/v2/cmd/containerd \
    github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/v2/cmd/ctr)
}

build_etcd
build_kwok
build_containerd
build_kubernetes

# grep without -q reads to the end: an early exit would kill the binary with SIGPIPE under pipefail.
"$staging/kube-apiserver" --version | grep -F "$K8S_VERSION" >/dev/null
"$staging/etcd" --version | grep -F "${ETCD_VERSION#v}" >/dev/null
rm -rf "$KCP_BIN"
mv "$staging" "$KCP_BIN"
kcp_log "built in $(( $(date +%s) - started ))s into $KCP_BIN ($(du -sh "$KCP_BIN" | cut -f1))"

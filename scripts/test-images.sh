#!/usr/bin/env bash
# The images the local cluster's real node needs besides Teamtask's, built from packages like
# scripts/image.sh (also run by `scripts/image.sh --test-images`), amd64 only:
#   bash scripts/test-images.sh [--out DIR]     (as root; DIR default pack/image/)
#   docker.io/library/debian:12-slim      a look-alike: mmdebstrap --variant=minbase, merged
#                                         /usr, the slim image's dpkg path excludes
#   registry.k8s.io/pause:VERSION         the sandbox image: pause.c of the Kubernetes release
#                                         in test/cluster/versions.env (from the Go module
#                                         cache), gcc -static; VERSION is that release's
#   docker.io/teamtask/no-libstdcxx:test  glibc and busybox, no libstdc++ or libgcc_s: a user
#                                         image the worker runtime cannot run in
# Each as NAME.oci.tar (named for containerd by io.containerd.image.name) and NAME.docker.tar
# (debian-12-slim, pause, no-libstdcxx), both for `ctr -n k8s.io images import`, and
# test-images.txt: archive, manifest digest, image name. They depend on Debian packages and
# pause.c only, so they are cached in ${TEAMTASK_KCP_CACHE:-~/.cache/teamtask-kcp}/images/,
# keyed by these scripts' contents and the Kubernetes version: a hit copies, builds nothing.
set -euo pipefail
caller=$PWD
cd "$(dirname "${BASH_SOURCE[0]}")/.."
umask 022
source scripts/lib/oci.sh

out=pack/image
while [ $# -gt 0 ]; do
  case $1 in
    --out)
      [ $# -ge 2 ] || { echo "error: --out needs a value" >&2 && exit 2; }
      case $2 in /*) out=$2 ;; *) out=$caller/$2 ;; esac
      shift 2
      ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" && exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2 && exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
files=(debian-12-slim pause no-libstdcxx)

k8s_version=v1.37.2
[ ! -f test/cluster/versions.env ] || k8s_version=$(. test/cluster/versions.env && echo "$K8S_VERSION")
key=$(cat scripts/test-images.sh scripts/lib/oci.sh scripts/lib/rootfs-hook.sh <(echo "$k8s_version") |
  sha256sum | cut -c1-16)
cache=${TEAMTASK_KCP_CACHE:-$HOME/.cache/teamtask-kcp}/images/$key
if [ -f "$cache/test-images.txt" ]; then
  for f in "${files[@]}"; do cp -f "$cache/$f.oci.tar" "$cache/$f.docker.tar" "$out/"; done
  sed "s|^|$out/|" "$cache/test-images.txt" >"$out/test-images.txt"
  echo "test images (cached in $cache):"
  sed 's/^/  /' "$out/test-images.txt"
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "error: run as root (mmdebstrap --mode=root)" >&2 && exit 1; }
# pause.c, downloading the Kubernetes module into the Go module cache if it is not there yet.
pause_dir=$(go env GOMODCACHE)/k8s.io/kubernetes@$k8s_version/build/pause
if [ ! -f "$pause_dir/linux/pause.c" ]; then
  (cd test/cluster/k8s-bins && GOFLAGS=-buildvcs=false go mod download k8s.io/kubernetes)
fi
[ -f "$pause_dir/linux/pause.c" ] || { echo "error: no $pause_dir/linux/pause.c" >&2 && exit 1; }
pause_version=$(sed -n 's/^TAG ?= *//p' "$pause_dir/Makefile")

oci_begin
started=$SECONDS
build=$OCI_SCRATCH/images
mkdir -p "$build"
lines=()
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# debian:12-slim: what its Dockerfile's rootfs has (debuerreotype --slimify's dpkg excludes).
oci_rootfs "$OCI_SCRATCH/slim.tar" amd64 minbase "" host-files \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/groff/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --dpkgopt='path-exclude=/usr/share/linda/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
oci_new "$OCI_SCRATCH/slim" amd64
oci_add_layer "$OCI_SCRATCH/slim" "$OCI_SCRATCH/slim.tar" "mmdebstrap --variant=minbase bookworm (slim)"
oci_config "$OCI_SCRATCH/slim" --config.env=PATH=$path --config.cmd=bash
oci_export "$OCI_SCRATCH/slim" docker.io/library/debian:12-slim "$build/debian-12-slim"
lines+=("debian-12-slim.oci.tar $OCI_DIGEST docker.io/library/debian:12-slim")

# pause: as build/pause/Makefile and Dockerfile make it, on an empty base.
mkdir -p "$OCI_SCRATCH/pause"
(cd "$pause_dir/linux" && gcc -Os -Wall -Werror -static -DVERSION="v$pause_version" \
  -o "$OCI_SCRATCH/pause/pause" pause.c)
strip "$OCI_SCRATCH/pause/pause"
oci_tar "$OCI_SCRATCH/pause.tar" "$OCI_SCRATCH/pause" pause
oci_new "$OCI_SCRATCH/pauseimg" amd64
oci_add_layer "$OCI_SCRATCH/pauseimg" "$OCI_SCRATCH/pause.tar" "pause.c $k8s_version, gcc -static"
oci_config "$OCI_SCRATCH/pauseimg" --config.user=65535:65535 --config.entrypoint=/pause
oci_export "$OCI_SCRATCH/pauseimg" "registry.k8s.io/pause:$pause_version" "$build/pause"
lines+=("pause.oci.tar $OCI_DIGEST registry.k8s.io/pause:$pause_version")

# no-libstdcxx: libc6 depends on libgcc-s1, so its library goes in the hook.
oci_rootfs "$OCI_SCRATCH/nocxx.tar" amd64 extract libc6,busybox \
  "host-files no-apt no-cxx-runtime busybox-applets"
oci_new "$OCI_SCRATCH/nocxx" amd64
oci_add_layer "$OCI_SCRATCH/nocxx" "$OCI_SCRATCH/nocxx.tar" "mmdebstrap --variant=extract bookworm: libc6 busybox"
oci_config "$OCI_SCRATCH/nocxx" --config.env=PATH=$path --config.cmd=sh
oci_export "$OCI_SCRATCH/nocxx" docker.io/teamtask/no-libstdcxx:test "$build/no-libstdcxx"
lines+=("no-libstdcxx.oci.tar $OCI_DIGEST docker.io/teamtask/no-libstdcxx:test")

printf '%s\n' "${lines[@]}" >"$build/test-images.txt"
# Into the cache whole or not at all (a concurrent run may have been first), in place of the
# builds of other script versions.
mkdir -p "$(dirname "$cache")"
find "$(dirname "$cache")" -mindepth 1 -maxdepth 1 -regextype egrep \
  -regex '.*/[0-9a-f]{16}(\.partial\..*)?' ! -name "$key*" -exec rm -rf {} +
partial=$(mktemp -d "$cache.partial.XXXXXX")
chmod 755 "$partial"
cp -a "$build/." "$partial/"
mv -T "$partial" "$cache" 2>/dev/null || rm -rf "$partial"
for f in "${files[@]}"; do cp -f "$build/$f.oci.tar" "$build/$f.docker.tar" "$out/"; done
sed "s|^|$out/|" "$build/test-images.txt" >"$out/test-images.txt"
echo "test images in $((SECONDS - started)) s (cached in $cache):"
sed 's/^/  /' "$out/test-images.txt"

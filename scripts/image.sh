#!/usr/bin/env bash
# The Teamtask image, from packages only (no Dockerfile, container engine or registry):
#   npm run image [-- --arch amd64|arm64|amd64,arm64] [--out DIR] [--test-images]
# as root (mmdebstrap's root mode), with the Debian bookworm packages mmdebstrap, umoci, skopeo,
# buildah, jq (scripts/lib/oci.sh). Two layers:
#   1. a distroless-like bookworm base (mmdebstrap --variant=extract, which needs no emulation
#      for arm64): glibc, libstdc++ and libgcc (npm's Node needs all three), coreutils, busybox
#      as /bin/sh only, CA certificates, tzdata (UTC), netbase; users root, nobody and nonroot
#      (65532); dpkg status.d entries for scanners.
#   2. /app: the teamtask/ folder of the Linux release tarball of that architecture
#      (scripts/lib/stage.sh, shared with npm run pack): the compiled CLI, its production
#      dependencies, and Node 24 (the npm package node-linux-ARCH) in /app/node/bin, on PATH.
# It runs as 65532:65532 in /app: entrypoint /app/bin/kubectl-teamtask, command `controller`.
# Worker pods copy /app out of it with an init container (coreutils' cp; `sh -c` works too).
# Output in DIR (default pack/image/), named ghcr.io/teamtask/teamtask:VERSION:
#   teamtask-vVERSION-linux-ARCH.oci.tar      an OCI layout (skopeo's oci-archive:, and
#                                             `ctr images import`: named by its
#                                             io.containerd.image.name, digest kept)
#   teamtask-vVERSION-linux-ARCH.docker.tar   a docker-archive (docker load, ctr images import)
#   teamtask-vVERSION.oci.tar                 with both architectures: the multi-arch index
#                                             (the release pushes it: skopeo copy --all)
#   digests.txt                               lines ARCHIVE DIGEST KIND: the manifest's digest
#                                             of an .oci.tar, the config's (the image ID) of a
#                                             .docker.tar, the index's of the multi-arch one
# Reproducible: the same sources, SOURCE_DATE_EPOCH (default: the last commit's time) and
# Debian archive give the same bytes. --test-images: also scripts/test-images.sh's images
# (the local cluster's) into DIR.
set -euo pipefail
caller=$PWD
cd "$(dirname "${BASH_SOURCE[0]}")/.."
umask 022
source scripts/lib/stage.sh
source scripts/lib/oci.sh

arches=()
out=pack/image
test_images=false
while [ $# -gt 0 ]; do
  case $1 in
    --arch | --out)
      [ $# -ge 2 ] || { echo "error: $1 needs a value" >&2 && exit 2; }
      if [ "$1" = --arch ]; then
        IFS=, read -ra more <<<"$2"
        arches+=("${more[@]}")
      else
        case $2 in /*) out=$2 ;; *) out=$caller/$2 ;; esac
      fi
      shift 2
      ;;
    --test-images) test_images=true && shift ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" && exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2 && exit 2 ;;
  esac
done
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64)
for arch in "${arches[@]}"; do
  case $arch in amd64 | arm64) ;; *) echo "error: --arch $arch: amd64 or arm64" >&2 && exit 2 ;; esac
done
# Each once, in one order: the index's digest does not depend on how they were asked for.
mapfile -t arches < <(printf '%s\n' "${arches[@]}" | sort -u)
[ "$(id -u)" = 0 ] || { echo "error: run as root (mmdebstrap --mode=root)" >&2 && exit 1; }

version=$(node -p 'require("./package.json").version')
name=ghcr.io/teamtask/teamtask:$version
revision=$(git -c safe.directory="$PWD" rev-parse HEAD 2>/dev/null) || revision=unknown
base_packages=base-files,netbase,tzdata,ca-certificates,libc6,libgcc-s1,libstdc++6,coreutils,busybox
mkdir -p "$out"
out=$(cd "$out" && pwd)
oci_begin
started=$SECONDS

stage_package "$OCI_SCRATCH/stage"
digests=()
layouts=()
for arch in "${arches[@]}"; do
  target=linux-${arch/amd64/x64}
  stage_target "$OCI_SCRATCH/stage" "$target" "$OCI_SCRATCH/app-$arch/app"
  oci_tar "$OCI_SCRATCH/app-$arch.tar" "$OCI_SCRATCH/app-$arch" app
  rm -rf "$OCI_SCRATCH/app-$arch"
  oci_rootfs "$OCI_SCRATCH/base-$arch.tar" "$arch" extract "$base_packages" \
    "host-files no-apt users ca-bundle utc dpkg-status busybox-sh"

  layout=$OCI_SCRATCH/layout-$arch
  oci_new "$layout" "$arch"
  oci_add_layer "$layout" "$OCI_SCRATCH/base-$arch.tar" \
    "mmdebstrap --variant=extract bookworm: ${base_packages//,/ } (scripts/image.sh)"
  oci_add_layer "$layout" "$OCI_SCRATCH/app-$arch.tar" "teamtask v$version in /app (scripts/image.sh)"
  rm -f "$OCI_SCRATCH/base-$arch.tar" "$OCI_SCRATCH/app-$arch.tar"
  oci_config "$layout" \
    --config.user=65532:65532 --config.workingdir=/app \
    --config.env=PATH=/app/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env=NODE_ENV=production \
    --config.entrypoint=/app/bin/kubectl-teamtask --config.cmd=controller \
    --config.label=org.opencontainers.image.version="$version" \
    --config.label=org.opencontainers.image.source=https://github.com/teamtask/teamtask \
    --config.label=org.opencontainers.image.revision="$revision"

  archive=$out/teamtask-v$version-linux-$arch
  oci_export "$layout" "$name" "$archive"
  archive=${archive#"$PWD/"}
  digests+=("$archive.oci.tar $OCI_DIGEST manifest" "$archive.docker.tar $OCI_IMAGE_ID config")
  layouts+=("$OCI_EXPORT_DIR")
done
if [ ${#arches[@]} -gt 1 ]; then
  archive=$out/teamtask-v$version.oci.tar
  oci_export_index "$name" "$archive" "${layouts[@]}"
  digests+=("${archive#"$PWD/"} $OCI_DIGEST index")
fi

printf '%s\n' "${digests[@]}" >"$out/digests.txt"
echo "$name (${arches[*]}) in $((SECONDS - started)) s:"
sed 's/^/  /' "$out/digests.txt"

if $test_images; then
  bash scripts/test-images.sh --out "$out"
fi

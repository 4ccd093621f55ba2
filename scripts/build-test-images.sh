#!/usr/bin/env bash
# Build the systemd container images of the simulated lab room, locally, with debootstrap
# (no container registry is needed). An image that already exists is left alone.
#
#   scripts/build-test-images.sh            # every image of the room
#   scripts/build-test-images.sh bookworm   # one Debian suite
#
# Each image is named localhost/labroom-debian-<suite>:latest.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/molecule/resources/podman/containers.conf}"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(bookworm trixie)
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
packages=python3,python3-venv,ca-certificates,systemd,systemd-sysv,sudo,iproute2,procps
ca_bundle=/etc/ssl/certs/ca-certificates.crt

for suite in "${suites[@]}"; do
  image="localhost/labroom-debian-${suite}:latest"
  if podman image exists "$image"; then
    echo "image $image: present"
    continue
  fi
  rootfs=$(mktemp -d "/var/tmp/labroom-${suite}.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  echo "image $image: building with debootstrap (about a minute)"
  start=$SECONDS
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -n 30 "$rootfs.log" >&2; echo "debootstrap $suite failed (log: $rootfs.log)" >&2; exit 1; }
  # Trust the build machine's CA bundle, so pip inside the containers works behind a
  # TLS-intercepting proxy (the same need as a school proxy).
  if [ -f "$ca_bundle" ]; then
    cp "$ca_bundle" "$rootfs/usr/local/share/ca-certificates/build-host.crt"
    chroot "$rootfs" update-ca-certificates >/dev/null
  fi
  # Keep the image lean: no apt lists or caches.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  tar -C "$rootfs" -c . | podman import --quiet - "$image" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
  trap - EXIT
  echo "image $image: built in $((SECONDS - start)) s"
done

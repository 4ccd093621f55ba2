#!/usr/bin/env bash
# Build the systemd container images of the simulated lab room, locally, with debootstrap
# (no container registry is needed). An image that already exists is left alone, unless it
# was built with another package list than the one below (it carries its list in the label
# labroom.packages): then it is rebuilt, so that a machine's images follow this script.
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
# openssh-server: `make bench` reaches the role's rooms over SSH, as an instructor reaches a
# real room (ssh.service is enabled at install and starts at boot under systemd). Nothing
# configures it for Molecule, which goes through podman exec; without an authorized key it
# lets no one in. Its host keys are made at install, so every container of an image has the
# same ones: callers skip host key checking (these are throwaway test machines).
packages=python3,python3-venv,ca-certificates,systemd,systemd-sysv,sudo,iproute2,procps,openssh-server
ca_bundle=/etc/ssl/certs/ca-certificates.crt

for suite in "${suites[@]}"; do
  image="localhost/labroom-debian-${suite}:latest"
  if podman image exists "$image"; then
    built_with=$(podman image inspect --format '{{ index .Labels "labroom.packages" }}' "$image")
    if [ "$built_with" = "$packages" ]; then
      echo "image $image: present"
      continue
    fi
    # An image of an older version of this script (no label, or another list): rebuilt under
    # the same name. Containers that still run the old one keep it.
    echo "image $image: outdated (packages: ${built_with:-unknown}), rebuilding"
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
  # The package list goes into the image as a label, for the check above on the next run.
  old_id=$(podman image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)
  tar -C "$rootfs" -c . | podman import --quiet --change "LABEL labroom.packages=$packages" - "$image" >/dev/null
  # The outdated image, now untagged, goes too, unless a container still uses it.
  if [ -n "$old_id" ]; then
    podman rmi "$old_id" >/dev/null 2>&1 || true
  fi
  rm -rf "$rootfs" "$rootfs.log"
  trap - EXIT
  echo "image $image: built in $((SECONDS - start)) s"
done

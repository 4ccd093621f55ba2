#!/usr/bin/env bash
# Install what the Molecule room needs on the test machine (Debian/Ubuntu, as root):
# podman and runc to run the systemd containers, debootstrap to build their images.
set -euo pipefail
missing=()
for pkg in podman runc debootstrap; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "host packages: podman, runc, debootstrap present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "host packages missing: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "host packages: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null

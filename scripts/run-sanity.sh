#!/usr/bin/env bash
# ansible-test sanity for the collection, offline and without containers:
#   scripts/run-sanity.sh [extra ansible-test sanity options, e.g. --test pep8]
#
# ansible-test only runs inside <dir>/ansible_collections/<namespace>/<name>, so the collection's
# files (what git tracks, plus new files git does not ignore: no .venv, .ansible, .git, caches)
# are copied into such a tree under a temporary directory and tested there.
#
# --requirements makes ansible-test create one virtual environment per sanity test and install
# that test's pinned requirements into it. It starts each one by running a pip bootstrap script
# (get-pip-<version>.py) that it downloads from ci-files.testing.ansible.com and caches as
# ~/.ansible/test/cache/get_pip_<version>.py. That host is not reachable from the lab's network
# (nor from CI), so this script puts a stand-in there first: it installs pip from the Python's
# own ensurepip and then upgrades it to the version ansible-test asks for, from the package
# index pip is configured with. Settings: PYTHON_VERSION (default: the .venv's Python).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.venv/bin
started=$(date +%s)
report_time() { echo "sanity: $(( $(date +%s) - started )) s"; }
trap report_time EXIT

[ -x "$BIN/ansible-test" ] || { echo "sanity: $BIN/ansible-test missing; run make test-venv" >&2; exit 1; }
export PATH=$BIN:$PATH
PYTHON_VERSION=${PYTHON_VERSION:-$("$BIN/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}
namespace=$(sed -n 's/^namespace: *//p' "$ROOT/galaxy.yml")
name=$(sed -n 's/^name: *//p' "$ROOT/galaxy.yml")

## Host programs -----------------------------------------------------------------------------
# The virtual environments are created by the real interpreter behind .venv; its standard
# library must have ensurepip (on Debian: the python3.X-venv package). The shellcheck sanity
# test needs shellcheck; without it ansible-test skips the test with a mere warning.
missing=()
"$BIN/python" -c 'import ensurepip' 2>/dev/null || missing+=("python$PYTHON_VERSION-venv")
command -v shellcheck > /dev/null || missing+=(shellcheck)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "sanity: installing ${missing[*]}"
    # make test runs this beside scripts/install-host-packages.sh: wait for its apt lock.
    apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)
    export DEBIAN_FRONTEND=noninteractive
    "${apt[@]}" install "${missing[@]}" > /dev/null \
      || { "${apt[@]}" update && "${apt[@]}" install "${missing[@]}" > /dev/null; }
  else
    echo "sanity: missing ${missing[*]}; install them (Debian packages) and run again" >&2
    exit 1
  fi
fi

## The pip bootstrap stand-in -----------------------------------------------------------------
# The pip version ansible-test bootstraps (24.2 for ansible-core 2.19), read from the installed
# ansible-test so that an upgrade of ansible-core cannot leave a stand-in of the wrong name.
pip_version=$("$BIN/python" - "$PYTHON_VERSION" <<'EOF'
import sys
from ansible_test._internal.host_configs import NativePythonConfig
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(NativePythonConfig(version=sys.argv[1]))["pip"])
EOF
)
cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -e "$cache" ] || grep -q '^# labroom.mlflow stand-in' "$cache"; then
  mkdir -p "$(dirname "$cache")"
  cat > "$cache" <<EOF
# labroom.mlflow stand-in for get-pip-$pip_version.py, written by scripts/run-sanity.sh.
# ansible-test runs it (in a new virtual environment without pip) with pip's install options,
# for example: --disable-pip-version-check pip==$pip_version --no-setuptools --no-wheel
import subprocess
import sys

options = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + options)
if "--no-setuptools" in sys.argv:
    # Python 3.11's ensurepip also installs setuptools; get-pip.py would not have.
    subprocess.check_call([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", "setuptools"])
EOF
fi

## The collection, in the layout ansible-test requires -------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/labroom-sanity.XXXXXX")
trap 'rm -rf "$work"; report_time' EXIT
dest=$work/ansible_collections/$namespace/$name
mkdir -p "$dest"
git -C "$ROOT" ls-files -z --cached --others --exclude-standard \
  | (cd "$ROOT" && while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done) \
  | tar -C "$ROOT" --null -T - -cf - | tar -C "$dest" -xf -

## The sanity tests --------------------------------------------------------------------------
# Every sanity test runs (none is skipped with --skip-test). What cannot be fixed on this branch
# is listed, each with its reason, in tests/sanity/ignore-<ansible-core version>.txt.
cd "$dest"
ansible-test sanity --python "$PYTHON_VERSION" --requirements --color no "$@"

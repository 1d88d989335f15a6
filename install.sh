#!/usr/bin/env bash
# Install TrackerBox.
#
#   ./install.sh --local   try TrackerBox on this machine: a virtual environment in .venv,
#                          data in ./instance, the server on http://127.0.0.1:8000
#
# The --local mode needs Python 3.11 or newer with the venv module. Run as root, it also
# installs the Debian/Ubuntu packages it needs (python3-venv and the Pango libraries
# that PDF rendering uses). Run as another user, it prints which packages are missing.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")"

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

say() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_system_packages() {
  local missing=()
  "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    die "missing packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
  fi
}

install_local() {
  PYTHON=$(find_python) || die "Python 3.11 or newer not found; install it with: sudo apt-get install python3 python3-venv"
  ensure_system_packages
  if [ ! -x .venv/bin/python ]; then
    say "Creating the virtual environment in .venv"
    "$PYTHON" -m venv .venv
  fi
  say "Installing TrackerBox and its pinned dependencies"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
  say "Preparing keys, database and the first administrator"
  .venv/bin/trackerbox setup
  say "Starting TrackerBox on http://127.0.0.1:8000 (Ctrl+C stops it; run .venv/bin/trackerbox serve to start it again)"
  exec .venv/bin/trackerbox serve --host 127.0.0.1 --port 8000
}

case "${1:-}" in
  --local) install_local ;;
  -h|--help) usage ;;
  "") usage; die "choose a mode, for example: ./install.sh --local" ;;
  *) usage; die "unknown option ${1}" ;;
esac

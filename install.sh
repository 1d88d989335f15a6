#!/usr/bin/env bash
# Install TrackerBox.
#
#   ./install.sh --local        try TrackerBox on this machine: a virtual environment in .venv,
#                               data in ./instance, the server on http://127.0.0.1:8000
#   sudo ./install.sh [OPTIONS] install TrackerBox as the office server on Debian 12 or
#                               Ubuntu 24.04; run again to upgrade in place
#   sudo ./install.sh --uninstall [--purge]
#                               remove the services; --purge also deletes data, keys and the user
#
# Server install options (asked for when missing, unless --unattended):
#   --server-name NAME          host name the office types in the browser, e.g. tracker.office.lan
#   --lan CIDRS                 comma-separated ranges allowed to reach HTTPS, e.g. 192.168.1.0/24
#   --admin-ranges CIDRS        comma-separated ranges allowed to reach SSH, e.g. 192.168.1.10/32
#   --admin-login LOGIN         login of the first administrator (default: admin)
#   --cert FILE --key FILE      import this certificate and key instead of creating a local CA
#   --unattended                ask nothing; fail when a required option is missing
#   --no-systemd                write the unit files but do not start or enable services
#   --no-firewall               do not load the nftables firewall
#
# The --local mode needs Python 3.11 or newer with the venv module. Run as root, it also
# installs the Debian/Ubuntu packages it needs (python3-venv and the Pango libraries
# that PDF rendering uses). Run as another user, it prints which packages are missing.
set -euo pipefail

SOURCE_DIR=$(dirname "$(readlink -f "$0")")
cd "$SOURCE_DIR"

usage() {
  sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
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
  --local)
    [ $# -eq 1 ] || die "--local takes no other options; run: ./install.sh --local"
    install_local
    ;;
  -h|--help) usage ;;
  *)
    # shellcheck source=appliance/installer/system.sh
    . "$SOURCE_DIR/appliance/installer/system.sh"
    system_main "$@"
    ;;
esac

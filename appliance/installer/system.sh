# shellcheck shell=bash
# Server install, upgrade and uninstall for install.sh, which sources this file after
# defining say, die and SOURCE_DIR. Every path the server uses is named here.

TB_PREFIX=/opt/trackerbox
TB_RELEASES=$TB_PREFIX/releases
TB_CURRENT=$TB_PREFIX/current
TB_DATA=/var/lib/trackerbox
TB_ETC=/etc/trackerbox
TB_KEYS=$TB_ETC/keys
TB_TLS=$TB_ETC/tls
TB_CONF=$TB_ETC/trackerbox.conf
TB_STATE=$TB_ETC/install.conf
TB_BACKUPS=/var/backups/trackerbox
TB_BACKUP_IDENTITY=$TB_KEYS/backup_identity.txt
TB_USER=trackerbox
TB_LINK=/usr/local/sbin/trackerbox
TB_UNITS=(trackerbox-web.service trackerbox-scheduler.service)
UNIT_DIR=/etc/systemd/system
NGINX_SITE=/etc/nginx/sites-available/trackerbox
NGINX_LINK=/etc/nginx/sites-enabled/trackerbox
WEB_ADDRESS=127.0.0.1:8000
# The nftables table that `trackerbox firewall apply` loads: family and name.
NFT_FAMILY=inet NFT_TABLE=trackerbox
# The trackerbox command groups that the install steps call.
REQUIRED_COMMANDS=(setup db cert proxy firewall scheduler backup)
# Releases kept in $TB_RELEASES after an upgrade: the running one and the one before it.
KEEP_RELEASES=2

SERVER_PACKAGES=(
  python3 python3-venv          # the virtual environment of each release
  nginx nftables openssl curl ca-certificates
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core   # PDF rendering
)

SERVER_NAME="" LAN_RANGES="" ADMIN_RANGES="" ADMIN_LOGIN="" CERT_FILE="" KEY_FILE=""
UNATTENDED=0 USE_SYSTEMD=1 USE_FIREWALL=1 UNINSTALL=0 PURGE=0

# --- options and their checks -------------------------------------------------------

option_value() {
  # $1 option name, $2 number of remaining arguments, $3 the value
  if [ "$2" -lt 2 ] || [ -z "$3" ] || [ "${3#--}" != "$3" ]; then
    die "$1 needs a value; see ./install.sh --help"
  fi
}

parse_options() {
  while [ $# -gt 0 ]; do
    local name=$1 value=""
    case "$name" in
      --*=*) value=${name#*=}; name=${name%%=*}; set -- "$name" "$value" "${@:2}" ;;
    esac
    case "$name" in
      --server-name|--lan|--admin-ranges|--admin-login|--cert|--key)
        option_value "$name" $# "${2:-}"
        case "$name" in
          --server-name) SERVER_NAME=$2 ;;
          --lan) LAN_RANGES=$2 ;;
          --admin-ranges) ADMIN_RANGES=$2 ;;
          --admin-login) ADMIN_LOGIN=$2 ;;
          --cert) CERT_FILE=$2 ;;
          --key) KEY_FILE=$2 ;;
        esac
        shift 2 ;;
      --unattended) UNATTENDED=1; shift ;;
      --no-systemd) USE_SYSTEMD=0; shift ;;
      --no-firewall) USE_FIREWALL=0; shift ;;
      --uninstall) UNINSTALL=1; shift ;;
      --purge) PURGE=1; shift ;;
      --local) die "--local cannot be combined with other options; run: ./install.sh --local" ;;
      *) die "unknown option $name; see ./install.sh --help" ;;
    esac
  done
  if [ "$PURGE" -eq 1 ] && [ "$UNINSTALL" -eq 0 ]; then
    die "--purge only goes with --uninstall; run: sudo ./install.sh --uninstall --purge"
  fi
}

server_name_problem() {
  local name=$1 label='[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?'
  [ ${#name} -le 253 ] || { echo "is longer than 253 characters"; return; }
  [[ $name =~ ^$label(\.$label)*$ ]] && return
  echo "is not a host name; use letters, digits, dashes and dots, for example tracker.office.lan"
}

ipv4_problem() {
  local address=$1 octet
  [[ $address =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || { echo "is not an IPv4 address"; return; }
  IFS=. read -r -a octets <<<"$address"
  for octet in "${octets[@]}"; do
    [ "$((10#$octet))" -le 255 ] || { echo "has a part above 255"; return; }
  done
}

ipv6_problem() {
  local address=$1
  [[ $address =~ ^[0-9a-f:.]+$ ]] || { echo "is not an IPv6 address"; return; }
  [[ $address == *::*::* ]] && { echo "has '::' more than once"; return; }
  [[ $address =~ [0-9a-f]{5} ]] && { echo "has a group of more than four hex digits"; return; }
  local groups=${address//[^:]/}
  [ ${#groups} -ge 2 ] && [ ${#groups} -le 7 ] || echo "is not an IPv6 address"
}

# Prints why one range is invalid, or nothing when it is a valid address or CIDR range.
range_problem() {
  local range=$1 address prefix max problem
  address=${range%/*}
  if [[ $range == */* ]]; then prefix=${range#*/}; else prefix=""; fi
  if [[ $address == *:* ]]; then
    max=128; problem=$(ipv6_problem "$address")
  else
    max=32; problem=$(ipv4_problem "$address")
  fi
  if [ -z "$problem" ] && [ -n "$prefix" ]; then
    if ! [[ $prefix =~ ^[0-9]{1,3}$ ]] || [ "$((10#$prefix))" -gt "$max" ]; then
      problem="has the prefix length /$prefix; use 0 to $max"
    fi
  fi
  [ -z "$problem" ] || echo "$range $problem"
}

# Normalises a comma or space separated list of ranges to "a,b,c"; prints problems to stderr.
normalize_ranges() {
  local list=$1 range problem result="" failed=0
  for range in ${list//,/ }; do
    range=${range,,}
    problem=$(range_problem "$range")
    if [ -n "$problem" ]; then echo "$problem" >&2; failed=1; fi
    result=${result:+$result,}$range
  done
  [ -n "$result" ] || { echo "the list is empty" >&2; return 1; }
  [ "$failed" -eq 0 ] || return 1
  echo "$result"
}

login_problem() {
  [[ ${1,,} =~ ^[a-z0-9][a-z0-9._@-]{1,79}$ ]] ||
    echo "is not a valid login; use 2 to 80 lower-case letters, digits, dots, dashes, @ or underscores"
}

# Checks every option value given on the command line; exits with the reasons.
validate_given_options() {
  local problem normalized
  if [ -n "$SERVER_NAME" ]; then
    SERVER_NAME=${SERVER_NAME,,}
    problem=$(server_name_problem "$SERVER_NAME")
    [ -z "$problem" ] || die "--server-name $SERVER_NAME $problem"
  fi
  if [ -n "$LAN_RANGES" ]; then
    normalized=$(normalize_ranges "$LAN_RANGES" 2>&1) ||
      die "--lan $LAN_RANGES is invalid: ${normalized//$'\n'/; }; give CIDR ranges such as 192.168.1.0/24"
    LAN_RANGES=$normalized
  fi
  if [ -n "$ADMIN_RANGES" ]; then
    normalized=$(normalize_ranges "$ADMIN_RANGES" 2>&1) ||
      die "--admin-ranges $ADMIN_RANGES is invalid: ${normalized//$'\n'/; }; give CIDR ranges such as 192.168.1.10/32"
    ADMIN_RANGES=$normalized
  fi
  if [ -n "$ADMIN_LOGIN" ]; then
    problem=$(login_problem "$ADMIN_LOGIN")
    [ -z "$problem" ] || die "--admin-login $ADMIN_LOGIN $problem"
    ADMIN_LOGIN=${ADMIN_LOGIN,,}
  fi
  if [ -n "$CERT_FILE$KEY_FILE" ]; then
    if [ -z "$CERT_FILE" ] || [ -z "$KEY_FILE" ]; then
      die "--cert and --key go together; give both files or neither"
    fi
    [ -r "$CERT_FILE" ] || die "--cert $CERT_FILE is not a readable file"
    [ -r "$KEY_FILE" ] || die "--key $KEY_FILE is not a readable file"
    CERT_FILE=$(readlink -f "$CERT_FILE")
    KEY_FILE=$(readlink -f "$KEY_FILE")
  fi
}

# --- questions ------------------------------------------------------------------------

# ask VARIABLE "question" DEFAULT CHECK: asks until CHECK prints nothing for the answer.
ask() {
  local variable=$1 question=$2 default=$3 check=$4 answer problem attempt
  for attempt in 1 2 3; do
    read -r -p "$question${default:+ [$default]}: " answer || die "no answer to: $question"
    answer=${answer:-$default}
    problem=$($check "$answer")
    if [ -z "$problem" ]; then
      printf -v "$variable" '%s' "$answer"
      return 0
    fi
    echo "  $answer $problem (attempt $attempt of 3)" >&2
  done
  die "no valid answer to: $question"
}

ranges_check() { { normalize_ranges "$1" >/dev/null; } 2>&1 || true; }
server_name_check() { server_name_problem "${1,,}"; }

detected_lan() {
  command -v ip >/dev/null 2>&1 || return 0
  ip -o -4 route show scope link 2>/dev/null | awk '$1 ~ /\// {print $1}' | paste -sd, -
}

ask_missing_options() {
  local missing=()
  [ -n "$SERVER_NAME" ] || missing+=(--server-name)
  if [ "$USE_FIREWALL" -eq 1 ]; then
    [ -n "$LAN_RANGES" ] || missing+=(--lan)
    [ -n "$ADMIN_RANGES" ] || missing+=(--admin-ranges)
  fi
  [ ${#missing[@]} -gt 0 ] || { ADMIN_LOGIN=${ADMIN_LOGIN:-admin}; return 0; }
  if [ "$UNATTENDED" -eq 1 ]; then
    die "--unattended needs ${missing[*]}; for example: --server-name tracker.office.lan --lan 192.168.1.0/24 --admin-ranges 192.168.1.10/32"
  fi
  [ -t 0 ] || die "no terminal to ask on; pass --unattended with ${missing[*]}"
  [ -n "$SERVER_NAME" ] || ask SERVER_NAME "Server name the office types in the browser" "$(hostname -f 2>/dev/null || true)" server_name_check
  SERVER_NAME=${SERVER_NAME,,}
  if [ "$USE_FIREWALL" -eq 1 ]; then
    [ -n "$LAN_RANGES" ] || ask LAN_RANGES "LAN ranges allowed to use TrackerBox (comma-separated CIDR)" "$(detected_lan)" ranges_check
    LAN_RANGES=$(normalize_ranges "$LAN_RANGES")
    [ -n "$ADMIN_RANGES" ] || ask ADMIN_RANGES "Ranges allowed to reach SSH (comma-separated CIDR)" "$LAN_RANGES" ranges_check
    ADMIN_RANGES=$(normalize_ranges "$ADMIN_RANGES")
  fi
  [ -n "$ADMIN_LOGIN" ] || ask ADMIN_LOGIN "Login of the first administrator" admin login_problem
  ADMIN_LOGIN=${ADMIN_LOGIN,,}
}

# --- helpers ------------------------------------------------------------------------

CURRENT_STEP=""
step() { CURRENT_STEP=$1; say "$1"; }

on_error() {
  local code=$?
  printf 'install.sh: the step "%s" failed (exit code %s); see the messages above.\n' "$CURRENT_STEP" "$code" >&2
}

# Runs a trackerbox command of release $1 as root.
tb_root() { local release=$1; shift; "$release/bin/trackerbox" "$@"; }

# Runs a trackerbox command of release $1 as the service user, from a folder it may read.
tb_user() { local release=$1; shift; (cd / && runuser -u "$TB_USER" -- "$release/bin/trackerbox" "$@"); }

# Deletes release $1 and stops when it lacks a command that a later step calls, so
# a release that cannot finish the install is never switched to.
check_release_commands() {
  local release=$1 available group missing=()
  if ! available=$("$release/bin/python" -c 'from app.cli import cli; print(*cli.commands)'); then
    rm -rf "$release"
    die "the new release cannot load its trackerbox command; see the Python error above (the new release folder was removed)"
  fi
  available=" $available "
  for group in "${REQUIRED_COMMANDS[@]}"; do
    [[ $available == *" $group "* ]] || missing+=("'trackerbox $group'")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  rm -rf "$release"
  die "this TrackerBox version lacks ${missing[*]}, which the install needs; use a version that has it (the new release folder was removed)"
}

# Fails with a clear message when release $1 lacks the command group $2.
require_command() {
  "$1/bin/trackerbox" "$2" --help >/dev/null 2>&1 ||
    die "this TrackerBox version has no 'trackerbox $2' command, which the step \"$CURRENT_STEP\" needs; install a version that has it"
}

systemd_running() { [ -d /run/systemd/system ]; }

check_os() {
  [ -r /etc/os-release ] || die "cannot read /etc/os-release; TrackerBox installs on Debian 12 or Ubuntu 24.04"
  local id version pretty
  id=$(. /etc/os-release && echo "${ID:-}")
  version=$(. /etc/os-release && echo "${VERSION_ID:-}")
  pretty=$(. /etc/os-release && echo "${PRETTY_NAME:-$id $version}")
  case "$id $version" in
    "debian 12"|"ubuntu 24.04") ;;
    *) die "TrackerBox installs on Debian 12 or Ubuntu 24.04, not on $pretty" ;;
  esac
}

save_state() {
  install -m 0600 -o root -g root /dev/null "$TB_STATE.new"
  {
    echo "# Answers of the last install.sh run, reused by upgrades."
    echo "server_name=$SERVER_NAME"
    echo "lan=$LAN_RANGES"
    echo "admin_ranges=$ADMIN_RANGES"
    echo "admin_login=$ADMIN_LOGIN"
    echo "firewall=$USE_FIREWALL"
  } >"$TB_STATE.new"
  mv "$TB_STATE.new" "$TB_STATE"
}

load_state() {
  local key value
  [ -r "$TB_STATE" ] || return 0
  while IFS='=' read -r key value; do
    case "$key" in
      server_name) SERVER_NAME=${SERVER_NAME:-$value} ;;
      lan) LAN_RANGES=${LAN_RANGES:-$value} ;;
      admin_ranges) ADMIN_RANGES=${ADMIN_RANGES:-$value} ;;
      admin_login) ADMIN_LOGIN=${ADMIN_LOGIN:-$value} ;;
    esac
  done <"$TB_STATE"
}

# --- install steps --------------------------------------------------------------------

install_packages() {
  step "Installing the system packages"
  local packages=() package
  for package in "${SERVER_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || packages+=("$package")
  done
  [ ${#packages[@]} -gt 0 ] || return 0
  say "Installing ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
}

create_user() {
  step "Creating the system user $TB_USER"
  id -u "$TB_USER" >/dev/null 2>&1 && return 0
  useradd --system --user-group --home-dir "$TB_DATA" --no-create-home --shell /usr/sbin/nologin "$TB_USER"
}

create_folders() {
  step "Creating $TB_DATA, $TB_ETC and $TB_PREFIX"
  install -d -m 0700 -o "$TB_USER" -g "$TB_USER" "$TB_DATA" "$TB_ETC" "$TB_KEYS" "$TB_BACKUPS"
  install -d -m 0700 -o root -g root "$TB_TLS"
  install -d -m 0755 -o root -g root "$TB_PREFIX" "$TB_RELEASES"
}

write_config() {
  step "Writing $TB_CONF"
  if [ -e "$TB_CONF" ]; then
    say "Keeping the existing $TB_CONF"
    return 0
  fi
  install -m 0600 -o "$TB_USER" -g "$TB_USER" /dev/null "$TB_CONF"
  cat >"$TB_CONF" <<EOF
# TrackerBox settings; the keys are described in the README's Configuration section.
[trackerbox]
data_dir = $TB_DATA
key_dir = $TB_KEYS
tls_dir = $TB_TLS
backup_identity_file = $TB_BACKUP_IDENTITY
# nginx on this machine is the only proxy whose X-Forwarded-For is believed.
trusted_proxy = 127.0.0.1, ::1
# The firewall lets these ranges reach HTTPS (lan_ranges) and SSH (admin_ranges).
lan_ranges = $LAN_RANGES
admin_ranges = $ADMIN_RANGES
EOF
}

# Builds a new release folder with its own virtual environment; prints its path.
build_release() {
  local release source
  release=$TB_RELEASES/$(date -u +%Y%m%dT%H%M%SZ)-$$
  source=$(mktemp -d)
  tar -C "$SOURCE_DIR" --exclude=./.venv --exclude=./.git --exclude=./instance --exclude=./build \
      --exclude='*.egg-info' --exclude=__pycache__ --exclude=./test-artifacts -cf - . | tar -C "$source" -xf -
  if ! python3 -m venv "$release" >&2 ||
     ! "$release/bin/python" -m pip install --quiet --no-warn-script-location "$source" >&2; then
    rm -rf "$release" "$source"
    return 1
  fi
  install -d -m 0755 "$release/share"
  cp -a "$source/appliance" "$release/share/appliance"
  rm -rf "$source"
  echo "$release"
}

# Points $TB_CURRENT at release $1 in one rename, so no reader sees a missing link.
switch_release() {
  ln -sfn "$1" "$TB_CURRENT.new"
  mv -T "$TB_CURRENT.new" "$TB_CURRENT"
  ln -sfn "$TB_CURRENT/bin/trackerbox" "$TB_LINK"
}

prepare_database() {
  step "Migrating the database and creating the first administrator"
  tb_user "$1" setup --admin-login "$ADMIN_LOGIN"
}

create_certificate() {
  step "Setting up the TLS certificate"
  if [ -n "$CERT_FILE" ]; then
    tb_root "$1" cert import "$CERT_FILE" "$KEY_FILE" --name "$SERVER_NAME" --no-reload
  elif [ -s "$TB_TLS/server.crt" ]; then
    say "Keeping the existing certificate in $TB_TLS (trackerbox cert status shows it)"
  else
    tb_root "$1" cert create --name "$SERVER_NAME" --no-reload
  fi
}

write_nginx_site() {
  step "Writing the nginx site $NGINX_SITE"
  local static
  # nginx serves the static files through the current link, so a release switch moves them too.
  static=$(cd "$1" && echo lib/python3*/site-packages/app/static)
  [ -d "$1/$static" ] || die "no app/static folder in $1; the release is incomplete, run ./install.sh again"
  tb_root "$1" proxy render --server-name "$SERVER_NAME" --upstream "$WEB_ADDRESS" \
    --static-dir "$TB_CURRENT/$static" --output "$NGINX_SITE.new"
  mv "$NGINX_SITE.new" "$NGINX_SITE"
  ln -sfn "$NGINX_SITE" "$NGINX_LINK"
  rm -f /etc/nginx/sites-enabled/default
  nginx -t -q || die "nginx rejects the configuration; see the message above and $NGINX_SITE"
}

install_units() {
  step "Installing the systemd units"
  local unit
  for unit in "${TB_UNITS[@]}"; do
    install -m 0644 -o root -g root "$1/share/appliance/files/systemd/$unit" "$UNIT_DIR/$unit"
  done
  if [ "$USE_SYSTEMD" -eq 1 ]; then
    systemctl daemon-reload
  fi
}

init_backup_identity() {
  step "Creating the backup identity"
  if [ -e "$TB_BACKUP_IDENTITY" ]; then
    say "Keeping the existing backup identity $TB_BACKUP_IDENTITY"
    return 0
  fi
  # backup init prints the recovery sheet, with the identity, once.
  tb_user "$1" backup init
}

start_services() {
  [ "$USE_SYSTEMD" -eq 1 ] || { say "Not starting services (--no-systemd)"; return 0; }
  step "Starting the services"
  systemctl enable --quiet "${TB_UNITS[@]}" nginx
  systemctl restart "${TB_UNITS[@]}"
  systemctl reload-or-restart nginx
  wait_until_healthy || die "the web server did not respond at http://$WEB_ADDRESS/healthz within 60 seconds; see: journalctl -u trackerbox-web"
}

wait_until_healthy() {
  local attempt
  for attempt in $(seq 1 60); do
    curl -fsS -o /dev/null --max-time 2 "http://$WEB_ADDRESS/healthz" 2>/dev/null && return 0
    [ "$attempt" -lt 60 ] && sleep 1
  done
  return 1
}

apply_firewall() {
  [ "$USE_FIREWALL" -eq 1 ] || { say "Not loading the firewall (--no-firewall)"; return 0; }
  step "Loading the firewall"
  tb_root "$1" firewall apply
  if [ "$UNATTENDED" -eq 1 ]; then
    tb_root "$1" firewall confirm
    return 0
  fi
  local answer=""
  read -r -p "The firewall is active. Can you still reach this server over SSH and https://$SERVER_NAME/ ? [yes/NO] " answer || true
  if [ "$answer" = "yes" ]; then
    tb_root "$1" firewall confirm
  else
    tb_root "$1" firewall rollback
    die "firewall rolled back; check --lan and --admin-ranges and run ./install.sh again"
  fi
}

print_summary() {
  cat <<EOF

TrackerBox is installed: https://$SERVER_NAME/
  Sign in as '$ADMIN_LOGIN' with the one-time password printed above.
  Data: $TB_DATA   settings and keys: $TB_ETC   code: $TB_CURRENT

Next steps:
  - Store the backup recovery sheet printed above offline: without it no backup can be read.
  - Install $TB_TLS/ca.crt as a trusted root on each office computer, unless you
    imported a company certificate; trackerbox cert status shows the served certificate.
  - Add backup targets under Administration and keep a copy of $TB_KEYS away from
    this server: without password_hmac.key nobody can sign in.
  - To upgrade, run the install.sh of the new version as root.
EOF
}

# --- modes ----------------------------------------------------------------------------

fresh_install() {
  install_packages
  create_user
  create_folders
  write_config
  step "Installing the code and its virtual environment in $TB_RELEASES"
  local release
  release=$(build_release) || die "could not build the virtual environment; see the pip messages above"
  check_release_commands "$release"
  switch_release "$release"
  prepare_database "$TB_CURRENT"
  create_certificate "$TB_CURRENT"
  write_nginx_site "$TB_CURRENT"
  install_units "$TB_CURRENT"
  init_backup_identity "$TB_CURRENT"
  start_services
  apply_firewall "$TB_CURRENT"
  # From here on a new run upgrades; until here it repeats the install.
  save_state
  print_summary
}

upgrade() {
  local old new
  old=$(readlink -f "$TB_CURRENT")
  load_state
  [ -n "$SERVER_NAME" ] || die "$TB_STATE names no server; run with --server-name NAME"
  ADMIN_LOGIN=${ADMIN_LOGIN:-admin}
  say "Upgrading the TrackerBox in $old"
  install_packages
  step "Backing up before the upgrade"
  require_command "$old" backup
  local archive
  archive=$TB_BACKUPS/before-upgrade-$(date -u +%Y%m%dT%H%M%SZ).tar.age
  install -d -m 0700 -o "$TB_USER" -g "$TB_USER" "$TB_BACKUPS"
  tb_user "$old" backup create --output "$archive" ||
    die "the backup failed, so nothing was changed; fix the backup and run ./install.sh again"

  step "Installing the new code beside $old"
  new=$(build_release) || die "could not build the new virtual environment, so nothing was changed; see the pip messages above"
  check_release_commands "$new"
  step "Migrating the database with the new version"
  if ! tb_user "$new" db upgrade; then
    rm -rf "$new"
    die "the migration failed; $old still runs; restore the backup made above if the database is damaged"
  fi
  create_certificate "$new"
  write_nginx_site "$new"
  install_units "$new"
  switch_release "$new"
  if [ "$USE_SYSTEMD" -eq 1 ] && ! (start_services); then
    say "The new version did not start; switching back to $old"
    switch_release "$old"
    systemctl restart "${TB_UNITS[@]}" || true
    die "the upgrade failed and $old runs again; see: journalctl -u trackerbox-web"
  fi
  prune_releases
  save_state
  say "Upgraded to $new"
}

prune_releases() {
  local current release count=0
  current=$(readlink -f "$TB_CURRENT")
  while read -r release; do
    count=$((count + 1))
    [ "$count" -le "$KEEP_RELEASES" ] || [ "$release" = "$current" ] || rm -rf "$release"
  done < <(find "$TB_RELEASES" -mindepth 1 -maxdepth 1 -type d | sort -r)
}

uninstall() {
  if [ "$PURGE" -eq 1 ] && [ "$UNATTENDED" -eq 0 ] && [ -t 0 ]; then
    local answer=""
    read -r -p "Delete $TB_DATA, $TB_ETC and the user $TB_USER for good? Type purge: " answer || true
    [ "$answer" = "purge" ] || die "purge cancelled; nothing was removed"
  fi
  step "Removing the services"
  local unit
  if [ "$USE_SYSTEMD" -eq 1 ] && systemd_running; then
    systemctl disable --now --quiet "${TB_UNITS[@]}" 2>/dev/null || true
  fi
  for unit in "${TB_UNITS[@]}"; do rm -f "$UNIT_DIR/$unit"; done
  if [ "$USE_SYSTEMD" -eq 1 ] && systemd_running; then systemctl daemon-reload; fi

  step "Removing the nginx site"
  rm -f "$NGINX_LINK" "$NGINX_SITE"
  if [ "$USE_SYSTEMD" -eq 1 ] && systemd_running && systemctl is-active --quiet nginx; then
    systemctl reload nginx || true
  fi
  if [ "$USE_FIREWALL" -eq 1 ] && command -v nft >/dev/null 2>&1 && nft list table "$NFT_FAMILY" "$NFT_TABLE" >/dev/null 2>&1; then
    step "Removing the firewall table $NFT_TABLE"
    nft delete table "$NFT_FAMILY" "$NFT_TABLE"
  fi

  step "Removing the code in $TB_PREFIX"
  rm -rf "$TB_PREFIX"
  rm -f "$TB_LINK"
  if [ "$PURGE" -eq 1 ]; then
    step "Deleting data, settings, keys and the user"
    rm -rf "$TB_DATA" "$TB_ETC"
    if id -u "$TB_USER" >/dev/null 2>&1; then userdel "$TB_USER"; fi
    say "TrackerBox is removed, with its data. Backups in $TB_BACKUPS are kept; delete them by hand when no longer needed."
  else
    say "TrackerBox is removed. Data in $TB_DATA, settings and keys in $TB_ETC and backups in $TB_BACKUPS are kept; --purge deletes all but the backups."
  fi
}

system_main() {
  parse_options "$@"
  validate_given_options
  [ "$(id -u)" -eq 0 ] || die "the server install must run as root: sudo ./install.sh (or try it as a user: ./install.sh --local)"
  if [ "$UNINSTALL" -eq 1 ]; then
    uninstall
    return 0
  fi
  local installed=0
  if [ -L "$TB_CURRENT" ] && [ -e "$TB_STATE" ]; then installed=1; fi
  [ "$installed" -eq 1 ] || ask_missing_options
  check_os
  if [ "$USE_SYSTEMD" -eq 1 ] && ! systemd_running; then
    die "systemd is not running here; pass --no-systemd to write the units without starting them"
  fi
  set -E
  trap on_error ERR
  if [ "$installed" -eq 1 ]; then
    upgrade
  else
    fresh_install
  fi
}

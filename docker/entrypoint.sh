#!/bin/bash
# Entry point of the TrackerBox image. The first argument picks the part to run:
#
#   web          prepare keys and database (trackerbox setup), then serve on 0.0.0.0:8000
#   scheduler    run the scheduler (backups and other timed jobs)
#   proxy        render the nginx site from the same template as install.sh, make a
#                certificate when none exists, then run nginx on ports 80 and 443
#   self-check   check that the image is complete: imports, PDF libraries, nginx, folders
#   healthcheck [URL]   exit 0 when URL (default http://127.0.0.1:8000/healthz) responds with 200
#
# Anything else runs as a trackerbox command, for example: user list, db upgrade.
#
# Environment: TRACKERBOX_SERVER_NAME (proxy; the host name office browsers use),
# TRACKERBOX_UPSTREAM (proxy; default web:8000), TRACKERBOX_ADMIN_LOGIN (web; first
# administrator, default admin), TRACKERBOX_WEB_THREADS (web; default 8), and every
# TRACKERBOX_* setting of the README's Configuration section.
set -euo pipefail

NGINX_RUN=/tmp/nginx

die() { printf 'trackerbox-entrypoint: %s\n' "$*" >&2; exit 1; }

static_dir() {
  python3 -c 'import pathlib, app; print(pathlib.Path(app.__file__).parent / "static")'
}

run_web() {
  trackerbox setup --admin-login "${TRACKERBOX_ADMIN_LOGIN:-admin}"
  exec trackerbox serve --host 0.0.0.0 --port 8000 --threads "${TRACKERBOX_WEB_THREADS:-8}"
}

run_scheduler() {
  trackerbox scheduler --help >/dev/null 2>&1 ||
    die "this image has no 'trackerbox scheduler' command; build it from a TrackerBox version that has one"
  exec trackerbox scheduler
}

# Writes the main nginx.conf for an unprivileged master: every path it writes is under /tmp.
write_nginx_main() {
  mkdir -p "$NGINX_RUN"
  cat >"$NGINX_RUN/nginx.conf" <<EOF
worker_processes auto;
pid $NGINX_RUN/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    # An unprivileged nginx cannot reopen /dev/stdout when the container runtime owns that
    # pipe, and nginx writes access logs only to files; so they are off, errors go to stderr.
    access_log off;
    sendfile on;
    client_body_temp_path $NGINX_RUN/body;
    proxy_temp_path $NGINX_RUN/proxy;
    fastcgi_temp_path $NGINX_RUN/fastcgi;
    uwsgi_temp_path $NGINX_RUN/uwsgi;
    scgi_temp_path $NGINX_RUN/scgi;
    include $NGINX_RUN/site.conf;
}
EOF
}

run_proxy() {
  local name=${TRACKERBOX_SERVER_NAME:-}
  [ -n "$name" ] || die "TRACKERBOX_SERVER_NAME is not set; set it to the host name office browsers use, e.g. tracker.office.lan"
  if [ ! -s "$TRACKERBOX_TLS_DIR/server.crt" ]; then
    trackerbox cert create --name "$name" --no-reload
  fi
  write_nginx_main
  trackerbox proxy render --server-name "$name" --upstream "${TRACKERBOX_UPSTREAM:-web:8000}" \
    --static-dir "$(static_dir)" --output "$NGINX_RUN/site.conf"
  exec nginx -e stderr -c "$NGINX_RUN/nginx.conf" -g 'daemon off;'
}

run_healthcheck() {
  python3 - "${1:-http://127.0.0.1:8000/healthz}" <<'EOF'
import ssl
import sys
import urllib.request

# The proxy's certificate is for the office's name, not for 127.0.0.1; only liveness counts here.
context = ssl._create_unverified_context()
try:
    with urllib.request.urlopen(sys.argv[1], timeout=4, context=context) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:
    print(f"healthcheck: {sys.argv[1]} failed: {exc}", file=sys.stderr)
    sys.exit(1)
EOF
}

# Each check prints one line; the exit code is the number of failed checks (0: all passed).
run_self_check() {
  local failed=0 static
  check() {
    local label=$1; shift
    if output=$("$@" 2>&1); then
      printf 'ok      %s\n' "$label"
    else
      printf 'FAILED  %s: %s\n' "$label" "$(printf '%s' "$output" | tail -n 3)"
      failed=$((failed + 1))
    fi
  }
  check "trackerbox command and its subcommands" trackerbox --help
  check "settings load" python3 -c 'from app.config import load_settings; load_settings()'
  check "PDF rendering libraries (WeasyPrint and Pango)" python3 -c 'import weasyprint'
  check "migrations are packaged" python3 -c 'from app import migrate; assert migrate.head_revision()'
  check "nginx is installed" nginx -v
  static=$(static_dir) || static=/nonexistent
  # shellcheck disable=SC2016 # $1 expands in the inner shell
  check "static files are packaged" sh -c 'ls -A "$1" | grep -q .' sh "$static"
  check "the nginx site renders" trackerbox proxy render --server-name self-check.invalid \
    --static-dir "$static" --tls-dir "$(mktemp -d)"
  local folder
  for folder in "$TRACKERBOX_DATA_DIR" /var/backups/trackerbox "$TRACKERBOX_TLS_DIR"; do
    check "$folder is writable" test -w "$folder"
  done
  if [ "$failed" -eq 0 ]; then echo "self-check passed"; else echo "self-check: $failed check(s) failed"; fi
  return "$failed"
}

command=${1:-web}
[ $# -eq 0 ] || shift
case "$command" in
  web) run_web ;;
  scheduler) run_scheduler ;;
  proxy) run_proxy ;;
  self-check) run_self_check ;;
  healthcheck) run_healthcheck "$@" ;;
  *) exec trackerbox "$command" "$@" ;;
esac

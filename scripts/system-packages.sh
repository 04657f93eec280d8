#!/usr/bin/env bash
# The system packages `make test` and `make run` need, on Debian/Ubuntu: Chromium for the
# Playwright browser tests, gettext (msgfmt) for the translations, poppler-utils
# (pdftotext) for the PDF tests, fonts and WeasyPrint's Pango/HarfBuzz for PDF rendering,
# the PostgreSQL client (pg_dump/pg_restore) for backups, and Node/npm when the project
# declares front-end packages. apt-get runs only when something is missing, as root or
# through `sudo -n`; otherwise the missing packages are named and the script fails.
#
#   scripts/system-packages.sh                   install what is missing
#   scripts/system-packages.sh --start-services  also start PostgreSQL and Redis when
#                                                installed but down (CI machines)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# package:command pairs; a package counts as present if its command is (whatever package
# provided it), else if dpkg knows it.
wanted=(chromium:chromium gettext:msgfmt poppler-utils:pdftotext postgresql-client:pg_dump
  fonts-noto-core: libpango-1.0-0: libpangoft2-1.0-0: libharfbuzz0b:)
if [ -f package.json ]; then wanted+=(nodejs:node npm:npm); fi

missing=()
for item in "${wanted[@]}"; do
  pkg=${item%%:*} cmd=${item#*:}
  if [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 1; fi
}

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages: ${missing[*]} (no apt-get here: install them with your package manager)." >&2
    exit 1
  fi
  echo "Installing system packages: ${missing[*]}"
  if ! { as_root apt-get update -q && as_root apt-get install -y -q --no-install-recommends "${missing[@]}"; }; then
    echo "Could not install ${missing[*]}: run as root, allow sudo without a password, or run" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ "${1:-}" = "--start-services" ]; then
  if ! pg_isready -q 2>/dev/null && command -v pg_ctlcluster >/dev/null 2>&1; then
    for cluster in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
      as_root pg_ctlcluster "${cluster%/*}" "${cluster#*/}" start || true
    done
  fi
  if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 >/dev/null
  fi
fi

#!/usr/bin/env bash
# Installs what numaudit needs on Debian 12 (as root), then builds and
# installs the extension with PGXS. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/../.."

packages=(postgresql-15 postgresql-server-dev-15 postgresql-15-cron postgresql-15-plproxy libboost-dev
          libgtest-dev googletest cmake make g++ clang-format gnuplot-nox python3-psycopg2)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "numaudit setup: missing packages: ${missing[*]} (run as root to install)" >&2
        exit 1
    fi
    echo "numaudit setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q "${missing[@]}" >/dev/null
fi
# Debian's postgresql package may start a default cluster; numaudit's tests
# use their own throwaway clusters and leave it alone.

export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
make -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >/dev/null
make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
echo "numaudit setup: built and installed into $("$PG_CONFIG" --pkglibdir)"

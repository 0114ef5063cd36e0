#!/usr/bin/env bash
# Runs the pg_regress and isolation suites against a server running under
# valgrind memcheck, and fails if any error valgrind reports has a frame in
# numaudit.so. PostgreSQL's own known false positives are suppressed by
# test/valgrind/postgres.supp. Slow (about 5 to 9 minutes): ctest `valgrind`
# runs it in the full suite, not in the quick tier.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${NUMAUDIT_VG_DIR:-/tmp/numaudit-pg-valgrind}
port=${NUMAUDIT_VG_PORT:-54360}
bindir=$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)
supp=$PWD/test/valgrind/postgres.supp

command -v valgrind >/dev/null || apt-get install -y -q valgrind >/dev/null
bash test/scripts/setup.sh

rm -rf "$dir" && mkdir -p "$dir/vg" && chown -R postgres: "$dir"
runuser -u postgres -- "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null
cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
max_connections = 30
CONF
runuser -u postgres -- valgrind --quiet --error-limit=no --leak-check=no \
    --suppressions="$supp" --xml=yes --xml-file="$dir/vg/%p.xml" \
    "$bindir/postgres" -D "$dir/data" >"$dir/server.log" 2>&1 &
for _ in $(seq 1 120); do
    "$bindir/pg_isready" -q -h "$dir" -p "$port" && break
    sleep 1
done
export PGHOST=$dir PGPORT=$port PGUSER=postgres
status=0
start=$(date +%s)
test/scripts/installcheck.sh regress >"$dir/regress.log" 2>&1 || status=1
test/scripts/installcheck.sh isolation >"$dir/isolation.log" 2>&1 || status=1
runuser -u postgres -- "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 600 stop >/dev/null || true
echo "valgrind: suites ran in $(( $(date +%s) - start )) s (regress: $(tail -3 "$dir/regress.log" | grep -o 'All [0-9]* tests passed\|[0-9]* of [0-9]* tests failed' || echo '?'); isolation: $(tail -3 "$dir/isolation.log" | grep -o 'All [0-9]* tests passed\|[0-9]* of [0-9]* tests failed' || echo '?'))"

python3 - "$dir/vg" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
total = ours = files = 0
for path in glob.glob(sys.argv[1] + "/*.xml"):
    files += 1
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        # a process still writing at shutdown: read what is complete
        text = open(path, errors="replace").read()
        cut = text.rfind("</error>")
        if cut < 0:
            continue
        root = ET.fromstring(text[:cut + 8] + "</valgrindoutput>")
    for err in root.iter("error"):
        total += 1
        objs = [o.text or "" for o in err.iter("obj")]
        if any("numaudit" in o for o in objs):
            ours += 1
            print("numaudit error:", err.findtext("kind"), err.findtext("what") or "")
            for fr in err.iter("frame"):
                print("   ", fr.findtext("fn"), fr.findtext("file") or fr.findtext("obj"), fr.findtext("line") or "")
print(f"valgrind: {files} processes, {total} errors reported, {ours} attributable to numaudit")
sys.exit(1 if ours else 0)
PY
[ $? = 0 ] || status=1
exit $status

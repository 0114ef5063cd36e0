#!/usr/bin/env bash
# The fleet benchmark's tables, derived figures and plot from its CSV
# (test/bench/fleet.sh writes it, then calls this):
#   bash test/bench/fleet_report.sh test/bench/results/fleet.csv [plot.png]
# Medians over the repetitions of each fleet, case and number of sessions.
set -euo pipefail
CSV=${1:?fleet.csv}
PLOT=${2:-}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# fleet case sessions median n customers numbers entries wal_mb commits cpu
awk -F, 'NR > 1 && ($5 == "full" || $5 == "incr_noop" || $5 == "incr_change") {print $1, $5, $6, $8, $2, $3, $4, $13, $14, $15}' "$CSV" |
    sort -k1,1 -k2,2 -k3,3n -k4,4g |
    awk '
    function flush() {
        if (key == "") return
        m = (c % 2) ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
        wm = (c % 2) ? w[(c + 1) / 2] : w[c / 2]; xm = (c % 2) ? x[(c + 1) / 2] : x[c / 2]; um = (c % 2) ? u[(c + 1) / 2] : u[c / 2]
        print key, m, c, meta, wm, xm, um
    }
    {
        k = $1 " " $2 " " $3
        if (k != key) { flush(); key = k; c = 0; meta = $5 " " $6 " " $7 }
        c++; v[c] = $4; w[c] = $8; x[c] = $9; u[c] = $10
    }
    END { flush() }' >"$TMP/med"

echo
echo "Fleet sweeps: medians (seconds per sweep; WAL, commits and CPU of the median sweep)"
echo
echo "| fleet | sweep | sessions | reps | seconds | per customer (ms) | customers / hour | numbers / hour | WAL MB | commits | CPU % (both cores) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
awk '{
    printf "| %s | %s | %d | %d | %.2f | %.2f | %s | %s | %s | %s | %s |\n", $1, $2, $3, $5, $4,
        1000 * $4 / $6, big(3600 * $6 / $4), big(3600 * $7 / $4), $9, $10, $11
}
function big(x,   s, r) { s = sprintf("%.0f", x); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } return s r }
' "$TMP/med"

echo
echo "Two sessions against one (target: <= 0.6 on 2 cores)"
echo
echo "| fleet | sweep | 1 session (s) | 2 sessions (s) | ratio | target |"
echo "|---|---|---|---|---|---|"
awk '{t[$1 " " $2 " " $3] = $4; if (!seen[$1 " " $2]++) ord[++n] = $1 " " $2}
     END {
        for (i = 1; i <= n; i++) {
            k = ord[i]; a = t[k " 1"]; b = t[k " 2"]
            if (a == "" || b == "") continue
            split(k, f, " ")
            r = b / a
            printf "| %s | %s | %.2f | %.2f | %.2f | %s |\n", f[1], f[2], a, b, r, (r <= 0.6 ? "met" : "not met")
        }
     }' "$TMP/med"

echo
echo "Capacity of one server (this machine; medians): full sweep = the whole fleet re-checked; incremental after 0.1% changed"
echo
awk '{t[$1 " " $2 " " $3] = $4; cu[$1] = $6; nu[$1] = $7; if (!seen[$1]++) ord[++n] = $1}
     function big(x,   s, r) { s = sprintf("%.0f", x); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } return s r }
     END {
        for (i = 1; i <= n; i++) {
            f = ord[i]
            for (s = 1; s <= 2; s++) {
                line = ""
                split("full incr_change incr_noop", cs, " ")
                for (j = 1; j <= 3; j++) {
                    v = t[f " " cs[j] " " s]
                    if (v == "") continue
                    line = line sprintf("  %s %.1f s = %s customers/h, %s numbers/h, %.2f ms/customer;", cs[j], v,
                                        big(3600 * cu[f] / v), big(3600 * nu[f] / v), 1000 * v / cu[f])
                }
                printf "%s, %d session(s):%s\n", f, s, line
            }
        }
     }' "$TMP/med"

if [ -n "$PLOT" ] && [ "$PLOT" != /dev/null ] && command -v gnuplot >/dev/null; then
    # one row per fleet: full 1, full 2, incr_change 1, incr_change 2, incr_noop 1, incr_noop 2
    awk '{t[$1 " " $2 " " $3] = $4; if (!seen[$1]++) ord[++n] = $1}
         END {
            for (i = 1; i <= n; i++) {
                f = ord[i]; split(f, p, "x")
                printf "\"%s customers\\nx %s numbers\"", p[1], p[2]
                split("full incr_change incr_noop", cs, " ")
                for (j = 1; j <= 3; j++) for (s = 1; s <= 2; s++) { v = t[f " " cs[j] " " s]; printf " %s", (v == "" ? "NaN" : v) }
                printf "\n"
            }
         }' "$TMP/med" >"$TMP/plot.dat"
    # only the series measured (a partial run has empty columns)
    titles=("" "" "full, 1 session" "full, 2 sessions" "incremental (0.1% changed), 1 session"
            "incremental (0.1% changed), 2 sessions" "incremental, nothing changed, 1 session"
            "incremental, nothing changed, 2 sessions")
    colors=("" "" "#1f4e99" "#6f9ee8" "#b35900" "#f0a04b" "#3a7a3a" "#8fcf8f")
    plot=""
    for col in 2 3 4 5 6 7; do
        awk -v c="$col" -F'" ' '{split($2, v, " "); if (v[c - 1] != "NaN") ok = 1} END {exit !ok}' "$TMP/plot.dat" || continue
        src=$([ -z "$plot" ] && echo "\"$TMP/plot.dat\" using $col:xtic(1)" || echo "\"\" using $col")
        plot="$plot${plot:+, }$src title \"${titles[$col]}\" lc rgb \"${colors[$col]}\""
    done
    # the log axis from the power of ten below the shortest sweep
    ymin=$(awk -F'" ' '{n = split($2, v, " "); for (i = 1; i <= n; i++) if (v[i] != "NaN" && (m == "" || v[i] + 0 < m)) m = v[i] + 0}
                       END {print (m > 0) ? 10 ^ int(log(m) / log(10) - (m < 1 ? 1 : 0)) : 0.01}' "$TMP/plot.dat")
    gnuplot <<GP || echo "fleet_report: gnuplot failed; no plot"
set terminal pngcairo size 1000,560 font ",10" noenhanced
set bmargin 4
set output "$PLOT"
set title "CALL numaudit.audit_all: seconds per sweep by fleet (median; log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "seconds per sweep"
set logscale y
set yrange [$ymin:*]
set grid ytics
set key top right
set xtics nomirror
plot $plot
GP
    echo
    echo "plot: $PLOT"
fi

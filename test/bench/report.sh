#!/usr/bin/env bash
# Turns the benchmark's results.csv into the figures of docs/PERFORMANCE.md:
# a markdown table of ratios per size (printed) and OUT/performance.png
# (time against size for each contender and case, drawn with gnuplot).
#   bash test/bench/report.sh results.csv OUT
set -euo pipefail
CSV=$1
OUT=$2

# time SIZE CONTENDER SCOPE CASE
awk -F, '
NR == 1 { next }
{ t[$1 "," $2 "," $3 "," $4] = $5; m[$1 "," $2 "," $3 "," $4] = $10; sizes[$1] = 1 }
function r(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
function v(x) { return x == "" ? "-" : x }
END {
    n = 0
    for (x in sizes) order[++n] = x + 0
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && order[j - 1] > order[j]; j--) { tmp = order[j]; order[j] = order[j - 1]; order[j - 1] = tmp }
    print "| entries | case | run customer (s) | set-based SQL customer (s) | ratio (target) | run site (s) | set-based SQL site (s) | ratio | row-by-row site (s) | rbr / run site | audit() site (s) | audit / run site (target 1.5) | peak MB run customer / site / audit() |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    split("first drift noop", cases, " ")
    target["first"] = "0.6"; target["drift"] = "0.3"; target["noop"] = "-"
    for (i = 1; i <= n; i++) {
        s = order[i]
        for (c = 1; c <= 3; c++) {
            k = cases[c]
            rc = t[s ",numaudit_run,customer," k]; sc = t[s ",set_based_sql,customer," k]
            rs = t[s ",numaudit_run,site," k]; ss = t[s ",set_based_sql,site," k]
            rb = t[s ",row_by_row,site," k]; au = t[s ",numaudit_audit,site," k]
            rbr = (rb == "" || rs == "") ? "-" : sprintf("%.0f", rb / (rs > 0 ? rs : 0.001))
            printf "| %s | %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s |\n",
                s, k, v(rc), v(sc), r(rc, sc), target[k], v(rs), v(ss), r(rs, ss), v(rb), rbr,
                v(au), r(au, rs), v(m[s ",numaudit_run,customer," k]), v(m[s ",numaudit_run,site," k]),
                v(m[s ",numaudit_audit,site," k])
        }
    }
    print ""
    print "| entries | scan floor (s) | no-op run customer / floor (target 2.5) | no-op run site / floor |"
    print "|---|---|---|---|"
    for (i = 1; i <= n; i++) {
        s = order[i]; f = t[s ",scan_floor,-,read"]
        printf "| %s | %s | %s | %s |\n", s, v(f), r(t[s ",numaudit_run,customer,noop"], f),
            r(t[s ",numaudit_run,site,noop"], f)
    }
    if (n > 1) {
        print ""
        print "| contender | case | time(10x entries) / time (target 11) |"
        print "|---|---|---|"
        split("numaudit_run,customer numaudit_run,site numaudit_audit,site set_based_sql,customer set_based_sql,site", cs, " ")
        for (j = 1; j <= 5; j++)
            for (c = 1; c <= 3; c++) {
                line = ""
                for (i = 2; i <= n; i++) {
                    a = t[order[i] "," cs[j] "," cases[c]]; b = t[order[i-1] "," cs[j] "," cases[c]]
                    line = line (line == "" ? "" : ", ") order[i-1] "->" order[i] ": " r(a, b)
                }
                printf "| %s | %s | %s |\n", cs[j], cases[c], line
            }
    }
}' "$CSV"

command -v gnuplot >/dev/null || { echo "(gnuplot not installed: no plot)"; exit 0; }
dat=$(mktemp -d)
for series in numaudit_run,customer numaudit_run,site numaudit_audit,site set_based_sql,customer set_based_sql,site row_by_row,site; do
    for c in first drift noop; do
        awk -F, -v s="$series" -v c="$c" 'NR > 1 && ($2 "," $3) == s && $4 == c { print $1, $5 }' "$CSV" \
            >"$dat/${series/,/_}_$c.dat"
    done
done
awk -F, 'NR > 1 && $2 == "scan_floor" { print $1, $5 }' "$CSV" >"$dat/floor.dat"
{
    echo 'set terminal pngcairo size 1500,500 font ",10"'
    echo "set output \"$OUT/performance.png\""
    echo 'set multiplot layout 1,3 title "numaudit benchmark: wall time against entries (log-log, lower is better)"'
    echo 'set logscale xy; set xlabel "entries"; set ylabel "seconds"; set key top left font ",8"; set grid'
    for c in first drift noop; do
        case $c in
        first) echo 'set title "first audit (empty inventory)"' ;;
        drift) echo 'set title "5% drift"' ;;
        noop) echo 'set title "no-op (second run)"' ;;
        esac
        echo "plot \"$dat/numaudit_run_customer_$c.dat\" w lp lw 2 t \"numaudit.run customer\", \\"
        echo "     \"$dat/numaudit_run_site_$c.dat\" w lp lw 2 t \"numaudit.run site\", \\"
        echo "     \"$dat/numaudit_audit_site_$c.dat\" w lp lw 2 t \"CALL numaudit.audit site\", \\"
        echo "     \"$dat/set_based_sql_customer_$c.dat\" w lp dt 2 t \"set-based SQL customer\", \\"
        echo "     \"$dat/set_based_sql_site_$c.dat\" w lp dt 2 t \"set-based SQL site\", \\"
        [ -s "$dat/row_by_row_site_$c.dat" ] &&
            echo "     \"$dat/row_by_row_site_$c.dat\" w lp dt 3 t \"row-by-row PL/pgSQL site\", \\"
        echo "     \"$dat/floor.dat\" w lp dt 4 t \"scan floor\""
    done
    echo 'unset multiplot'
} | gnuplot
rm -rf "$dat"
echo "plot: $OUT/performance.png"

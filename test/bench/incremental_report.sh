#!/usr/bin/env bash
# Turns incremental.sh's incremental.csv into the tables of docs/PERFORMANCE.md
# ("Incremental audits"; medians of the repetitions, printed) and the curve of
# audit time against the fraction of numbers changed (PLOT, by gnuplot).
#   bash test/bench/incremental_report.sh incremental.csv PLOT.png
set -euo pipefail
CSV=$1
PLOT=$2
dat=$(mktemp -d)
trap 'rm -rf "$dat"' EXIT

# Medians per (part, case, variant): part|case|variant|median|n|mode|marks|rows
awk -F, 'NR > 1 {
    k = $2 "|" $3 "|" $4; n[k]++; v[k, n[k]] = $6 + 0; mode[k] = $8; marks[k] = $9; rows[k] = $10
    if (!(k in seen)) { seen[k] = 1; order[++m] = k }
}
END {
    for (i = 1; i <= m; i++) {
        k = order[i]; c = n[k]
        for (a = 2; a <= c; a++)
            for (b = a; b > 1 && v[k, b - 1] > v[k, b]; b--) { t = v[k, b]; v[k, b] = v[k, b - 1]; v[k, b - 1] = t }
        med = (c % 2) ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2
        printf "%s|%.6g|%d|%s|%s|%s\n", k, med, c, mode[k], marks[k], rows[k]
    }
}' "$CSV" >"$dat/med"
SIZE=$(awk -F, 'NR == 2 {print $1}' "$CSV")
med() { awk -F'|' -v p="$1" -v c="$2" -v w="$3" '$1 == p && $2 == c && $3 == w {print $4}' "$dat/med"; }
col() { awk -F'|' -v p="$1" -v c="$2" -v w="$3" -v i="$4" '$1 == p && $2 == c && $3 == w {print $i}' "$dat/med"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b == 0) print "-"; else printf "%.3f", a / b}'; }
ms() { awk -v a="$1" 'BEGIN {if (a == "") print "-"; else printf "%.1f", a * 1000}'; }
verdict() { awk -v x="$1" -v t="$2" 'BEGIN {if (x == "-" || x == "") print "-"; else print (x + 0 <= t + 0) ? "met" : "not met"}'; }

noop_full=$(med noop noop full)
echo "Medians of the repetitions at $SIZE numbers (seconds unless said)."
echo
echo "| target | measured | |"
echo "|---|---|---|"
i01=$(med curve 0.001 incremental)
r=$(ratio "$i01" "$noop_full")
echo "| 0.1% changed: incremental ≤ 0.05 × full no-op | $(ms "$i01") ms / $(ms "$noop_full") ms = $r | $(verdict "$r" 0.05) |"
echo "| 0.1% changed: incremental < 100 ms | $(ms "$i01") ms | $(verdict "$(ms "$i01")" 99.999) |"
w01=$(med curve 0.001 incremental_warm)
r=$(ratio "$w01" "$noop_full")
echo "| … the session's second audit (a pooled connection) | $(ms "$w01") ms / $(ms "$noop_full") ms = $r | $(verdict "$r" 0.05), $(verdict "$(ms "$w01")" 99.999) under 100 ms |"
d_i=$(med drift5 drift5 incremental)
d_s=$(med drift5 drift5 set_based_sql)
d_f=$(med drift5 drift5 full)
r=$(ratio "$d_i" "$d_s")
echo "| 5% drift by DML: incremental ≤ 0.3 × set-based SQL (full) | $d_i / $d_s = $r (numaudit full: $d_f) | $(verdict "$r" 0.3) |"
d_w=$(med drift5 drift5 incremental_warm)
r=$(ratio "$d_w" "$d_s")
echo "| … the session's second audit | $d_w / $d_s = $r | $(verdict "$r" 0.3) |"
d_x=$(med drift5 drift5 incremental_forced)
r=$(ratio "$d_x" "$d_s")
echo "| … incremental whatever the marks (numaudit.incremental_share = 1) | $d_x / $d_s = $r (mode $(col drift5 drift5 incremental_forced 6)) | $(verdict "$r" 0.3) |"
for m in insert_select copy; do
    for b in with without; do
        on=$(med load "$m $b baseline" "tracking on")
        off=$(med load "$m $b baseline" "tracking off")
        r=$(ratio "$on" "$off")
        echo "| bulk load of $(col load "$m $b baseline" "tracking on" 8) lines, $m, $b baseline: tracking ≤ 1.3 × none | $on / $off = $r | $(verdict "$r" 1.3) |"
    done
done
for s in line_insert line_update line_delete entry_insert entry_update entry_delete; do
    on=$(med latency "$s" "tracking on")
    off=$(med latency "$s" "tracking off")
    d=$(awk -v a="$on" -v b="$off" 'BEGIN {if (a == "" || b == "") print "-"; else printf "%+.3f", a - b}')
    echo "| one-row $s: tracking ≤ +0.3 ms | $on ms vs $off ms: $d ms | $(verdict "$d" 0.3) |"
done
u=$(med uses uses -)
echo "| uses() median ≤ 5 ms | $u ms | $(verdict "$u" 5) |"
echo
echo "| changed | marks | full (s) | incremental (s) | incremental / full | incremental's mode | incremental, second in its session (s) | forced incremental (s) | forced / full | rows |"
echo "|---|---|---|---|---|---|---|---|---|---|"
echo "| none (no-op) | $(col noop noop incremental 7) | $noop_full | $(med noop noop incremental) | $(ratio "$(med noop noop incremental)" "$noop_full") | $(col noop noop incremental 6) | $(med noop noop incremental_warm) | - | - | $(col noop noop incremental 8) |"
echo "| 5% drift (entries) | $(col drift5 drift5 incremental 7) | $d_f | $d_i | $(ratio "$d_i" "$d_f") | $(col drift5 drift5 incremental 6) | $d_w | $d_x | $(ratio "$d_x" "$d_f") | $(col drift5 drift5 incremental 8) |"
: >"$dat/curve"
for f in $(awk -F'|' '$1 == "curve" {print $2}' "$dat/med" | sort -gu); do
    fu=$(med curve "$f" full)
    in=$(med curve "$f" incremental)
    fo=$(med curve "$f" incremental_forced)
    pct=$(awk -v f="$f" 'BEGIN {printf "%g", f * 100}')
    echo "| $pct% of the numbers (lines) | $(col curve "$f" incremental 7) | $fu | $in | $(ratio "$in" "$fu") | $(col curve "$f" incremental 6) | $(med curve "$f" incremental_warm) | ${fo:--} | $(ratio "$fo" "$fu") | $(col curve "$f" incremental 8) |"
    # the curve: the forced incremental audit where measured (it is the
    # incremental one below the switch), else the incremental audit
    if [ -n "$fo" ]; then
        echo "$pct $fu $fo $(col curve "$f" incremental 7) $(col curve "$f" incremental_forced 6) $in" >>"$dat/curve"
    else
        echo "$pct $fu $in $(col curve "$f" incremental 7) $(col curve "$f" incremental 6) $in" >>"$dat/curve"
    fi
done
echo
# The crossover: where incremental / full reaches 1 (log-linear between
# points), over the points the incremental audit ran incremental.
awk '$5 == "incremental" {r = $3 / $2; if (NR > 1 && pr < 1 && r >= 1) {
        x = exp(log(px) + (log($1) - log(px)) * (1 - pr) / (r - pr)); m = pm + (px == $1 ? 0 : ($4 - pm) * (x - px) / ($1 - px))
        printf "Crossover: the incremental audit costs as much as the full one at about %.3g%% of the numbers changed (about %d marks).\n", x, m; found = 1 }
      px = $1; pr = r; pm = $4 }
     END { if (!found) printf "Crossover: none up to %s%% of the numbers changed (incremental / full %.2f there).\n", px, pr }' "$dat/curve"

[ "$PLOT" != /dev/null ] || exit 0
command -v gnuplot >/dev/null || { echo "(gnuplot not installed: no plot)"; exit 0; }
{
    echo 'set terminal pngcairo size 900,550 font ",10"'
    echo "set output \"$PLOT\""
    echo "set title \"numaudit: audit time against the share of numbers changed ($SIZE numbers, scope customer; medians)\""
    echo 'set logscale xy; set grid; set key top left'
    echo 'set xlabel "numbers changed by DML since the baseline (%)"; set ylabel "seconds"'
    echo "set format x '%g'"
    echo "plot \"$dat/curve\" using 1:2 with linespoints lw 2 title 'full audit', \\"
    echo "     \"$dat/curve\" using 1:3 with linespoints lw 2 title 'incremental audit (forced past the switch)', \\"
    echo "     \"$dat/curve\" using 1:6 with points pt 7 ps 1.2 title 'incremental => true as shipped (full past the switch)', \\"
    echo "     $noop_full with lines dt 2 title 'full no-op audit'"
} | gnuplot
echo "(plot: $PLOT)"

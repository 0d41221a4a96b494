#!/usr/bin/env bash
# jobs/bench.sh on tiny sizes, without peers: it runs every case and task
# (the gaussian ones and the binomial bintall and binsparse) at 1 and 2 ranks
# and lariat_bench, and writes the comparison CSV with the expected columns
# and rows, the limits CSV with every figure, and the Markdown for docs/performance.md;
# a failing lariat makes it fail.
source "$(dirname "$0")/common.sh"

BENCH_TOOL="$(dirname "$LARIAT")/jobs/bench/lariat_bench"
[ -x "$BENCH_TOOL" ] || fail "no lariat_bench next to lariat ($BENCH_TOOL)"
bench() {
    rc=0
    SIZE=tiny REPEATS=1 RANKS="1 2" PEERS=none LARIAT="$LARIAT" BENCH_TOOL="$BENCH_TOOL" OUT="$WORK/b" \
        timeout 100 bash "$LARIAT_SOURCE_DIR/jobs/bench.sh" >"$WORK/out" 2>"$WORK/err" || rc=$?
}

bench
expect 0 "bench.sh on tiny sizes"
header="case,task,n,p,nnz,alpha,ranks,lariat_s,lariat_load_s,glmnet_s,sklearn_s,lariat_over_glmnet,lariat_over_sklearn,speedup_vs_1_rank"
header="$header,family,lariat_nonzero,lariat_nonzero_path,glmnet_nonzero,glmnet_nonzero_path,sklearn_nonzero,sklearn_nonzero_path,lariat_peak_rss_mb"
header="$header,speedup_paired"
[ "$(head -1 b.csv)" = "$header" ] || fail "bench CSV header is '$(head -1 b.csv)'"
# 6 cases x 2 tasks x 2 rank counts, every lariat time positive, the peers
# absent (NA), the speed-ups of a 1-rank row exactly 1 (paired too), the family the case's,
# lariat's nonzero counts positive integers and its peak RSS positive.
[ "$(tail -n +2 b.csv | wc -l)" -eq 24 ] || fail "bench CSV has $(tail -n +2 b.csv | wc -l) rows, expected 24"
for c in tall wide ridge sparse bintall binsparse; do
    for t in fit cv; do
        [ "$(grep -c "^$c,$t," b.csv)" -eq 2 ] || fail "bench CSV: not 2 rows for $c $t"
    done
done
awk -F, 'NR > 1 && !(NF == 23 && $8 > 0 && $9 > 0 && $10 == "NA" && $12 == "NA" && ($7 != 1 || ($14 == 1 && $23 == 1)) &&
    $15 == ($1 ~ /^bin/ ? "binomial" : "gaussian") && $16 ~ /^[0-9]+$/ && $16 > 0 && $17 ~ /^[0-9]+$/ && $17 >= $16 &&
    $18 == "NA" && $19 == "NA" && $20 == "NA" && $21 == "NA" && $22 > 0 && $23 > 0) {
    print "bad row " NR ": " $0; bad = 1 } END { exit bad }' b.csv >&2 || fail "bench CSV rows"
# The same model at 1 and 2 ranks: the nonzero counts summed over the path
# agree to 1% (a coefficient at the edge of the active set may differ).
awk -F, 'NR > 1 { k = $1 "," $2; if (k in s) { d = $17 - s[k]; if (d < 0) d = -d; if (d > 0.01 * s[k]) {
    print "nonzero over the path differ across ranks: " k ": " s[k] " and " $17; bad = 1 } } else s[k] = $17 }
    END { exit bad }' b.csv >&2 || fail "bench CSV nonzero counts across rank counts"
# Every figure of the limits, numeric and positive, for both data sets at both rank counts.
for f in loader_mb_s_per_rank bandwidth_gb_s_per_rank fista_ratio sweep_ratio gram_ratio allreduce_latency_s; do
    for r in 1 2; do
        awk -F, -v f="$f" -v r="$r" '$1 == f && $2 == "tall" && $3 == r && $4 > 0 { ok = 1 } END { exit !ok }' \
            b-limits.csv || fail "limits CSV: no positive $f for tall at $r ranks"
    done
done
awk -F, '$1 == "model_iteration_s_at_1024" && $3 == 2 && $4 > 0 { ok = 1 } END { exit !ok }' b-limits.csv ||
    fail "limits CSV: no communication model prediction at 1024 ranks"
grep -q '^| case | task | n x p |' b.md || fail "bench Markdown has no comparison table"
grep -q '^| 1024 |' b.md || fail "bench Markdown has no model prediction"
cmp -s out b.md || fail "bench.sh does not print its Markdown"
[ ! -e b.d ] || fail "bench.sh left its data folder behind"

# A lariat that fails stops the benchmark with a message.
LARIAT=/bin/false bench
[ "$rc" -ne 0 ] || fail "bench.sh with a failing lariat exited 0"
grep -q 'no lariat binary\|failed' err || fail "bench.sh with a failing lariat said nothing"
echo "bench: ok"

#!/usr/bin/env bash
# lariat gen and info: the same bytes at 1 and 3 ranks; a fit on generated
# data finds the true coefficients; info reports the shape of the data.
source "$(dirname "$0")/common.sh"

for fmt in csv libsvm; do
    run 1 gen --rows 301 --features 7 --nonzero 3 --density 0.6 --seed 5 --format "$fmt" --out "g1.$fmt"
    expect 0 "gen $fmt at 1 rank"
    run 3 gen --rows 301 --features 7 --nonzero 3 --density 0.6 --seed 5 --format "$fmt" --out "g3.$fmt"
    expect 0 "gen $fmt at 3 ranks"
    cmp "g1.$fmt" "g3.$fmt" || fail "gen $fmt: different bytes at 1 and 3 ranks"
    cmp "g1.coef.csv" "g3.coef.csv" || fail "gen $fmt: different true coefficients at 1 and 3 ranks"
done
[ "$(wc -l <g1.csv)" -eq 302 ] || fail "gen csv: $(wc -l <g1.csv) lines for 301 rows and a header"
[ "$(wc -l <g1.coef.csv)" -eq 7 ] || fail "gen: $(wc -l <g1.coef.csv) true coefficients for 7 features"
run 1 gen --rows 301 --features 7 --seed 6 --out other.csv
cmp -s g1.csv other.csv && fail "gen: another seed gave the same data"

# A fit with a small lambda and little noise recovers the true coefficients.
run 2 gen --rows 400 --features 6 --nonzero 3 --noise 0.01 --seed 11 --out easy.csv
expect 0 "gen easy data"
run 3 fit --data easy.csv --lambda 1e-4 --out easy.json
expect 0 "fit generated data"
jq -r '.coef[]' easy.json >got.txt
d=$(max_rel_diff got.txt easy.coef.csv)
close_enough "$d" 0.01 || fail "fit on generated data is $d (relative) from the true coefficients"
jq -e '(.intercept - 1 | fabs) < 0.01' easy.json >/dev/null || fail "intercept $(jq .intercept easy.json) is not about 1"

# Usage errors of gen.
run 1 gen --rows 10 --features 3
expect_error 1 "--out" "gen without --out"
run 1 gen --rows 10 --features 3 --format parquet --out x.h5
expect_error 1 "--format" "gen to an unknown format"
run 3 gen --rows 10 --features 3 --density 0 --out x.csv
expect_error 1 "--density" "gen with density 0"
[ ! -e x.csv ] || fail "gen left a file after an error"

# info: the shape of the data at 1 and 3 ranks.
for np in 1 3; do
    run "$np" info --data "$DIABETES"
    expect 0 "info at $np ranks"
    grep -Eq '^ +rows +442$' out || fail "info: rows"
    grep -Eq '^ +features +10 ' out || fail "info: features"
    grep -Eq 'nonzeros +4420 ' out || fail "info: nonzeros"
    [ "$(grep -c '^ *rank ' out)" -eq "$np" ] || fail "info: not one line per rank"
done
run 3 info --data g1.libsvm --format libsvm
expect 0 "info on libsvm"
grep -q 'sparse' out || fail "info: libsvm data not stored sparse"
echo "gen: ok"

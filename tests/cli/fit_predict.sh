#!/usr/bin/env bash
# lariat fit and predict end to end on the diabetes data (442 x 10):
# the same model at 1 and 3 ranks; predictions equal intercept + X coef
# computed here from the CSV; --test-fraction, --penalty-factor, --lower and
# --strict do what they say.
source "$(dirname "$0")/common.sh"

coefs() { jq -r '.coef[]' "$1"; }
path_coefs() { jq -r '.path[].coef[], .path[].intercept' "$1"; }

# The whole default path, and one lambda of an elastic net, at 1 and 3 ranks.
run 1 fit --data "$DIABETES" --out path1.json --quiet
expect 0 "fit the path at 1 rank"
grep -q 'lambda' out || fail "no summary on stdout"
run 3 fit --data "$DIABETES" --out path3.json --quiet
expect 0 "fit the path at 3 ranks"
[ "$(jq '.path | length' path1.json)" = 100 ] || fail "the default path has not 100 lambdas"
[ "$(jq .ranks path3.json)" = 3 ] || fail "ranks not recorded"
path_coefs path1.json >a.txt
path_coefs path3.json >b.txt
d=$(max_rel_diff b.txt a.txt)
close_enough "$d" 1e-9 || fail "path at 3 ranks differs from 1 rank by $d (relative)"

run 1 fit --data "$DIABETES" --alpha 0.5 --lambda 0.3 --out one1.json
expect 0 "elastic net at 1 rank"
run 3 fit --data "$DIABETES" --alpha 0.5 --lambda 0.3 --out one3.json
expect 0 "elastic net at 3 ranks"
coefs one1.json >a.txt
coefs one3.json >b.txt
d=$(max_rel_diff b.txt a.txt)
close_enough "$d" 1e-9 || fail "coefficients at 3 ranks differ from 1 rank by $d (relative)"
[ "$(jq .converged one3.json)" = true ] || fail "the fit did not converge"

# Predictions, in parallel to a file and gathered to stdout, against awk.
run 3 predict --model one3.json --data "$DIABETES" --out pred.csv
expect 0 "predict at 3 ranks"
[ "$(head -1 pred.csv)" = prediction ] || fail "predictions have no 'prediction' header"
[ "$(wc -l <pred.csv)" -eq 443 ] || fail "predictions: $(wc -l <pred.csv) lines, expected 443"
run 3 predict --model one3.json --data "$DIABETES"
expect 0 "predict to stdout at 3 ranks"
cmp -s out pred.csv || fail "predictions on stdout differ from the file"
b0=$(jq -r .intercept one3.json)
jq -r '.coef | map(tostring) | join(" ")' one3.json >coef.txt
awk -F, -v b0="$b0" 'NR == FNR { n = split($0, b, " "); next }
    FNR > 1 { s = b0; for (j = 1; j <= n; j++) s += $(j + 1) * b[j]; printf "%.17g\n", s }' \
    coef.txt "$DIABETES" >expected.txt
tail -n +2 pred.csv >got.txt
d=$(max_rel_diff got.txt expected.txt)
close_enough "$d" 1e-12 || fail "predictions differ from intercept + X coef by $d (relative)"

# --test-fraction: fewer training rows, metrics recorded and consistent.
run 3 fit --data "$DIABETES" --lambda 0.5 --test-fraction 0.25 --seed 3 --out test.json
expect 0 "fit with a test fraction"
ntrain=$(jq .n_samples test.json)
[ "$ntrain" -gt 250 ] && [ "$ntrain" -lt 400 ] || fail "n_samples $ntrain with test-fraction 0.25"
jq -e '.test_metrics | (.rmse * .rmse - .mse | fabs) < 1e-9 * .mse and .r2 < 1 and .mae > 0' test.json >/dev/null ||
    fail "test metrics inconsistent: $(jq -c .test_metrics test.json)"
grep -q 'test' out || fail "no test metrics in the summary"

# --penalty-factor: above lambda_max only the unpenalized column moves.
printf '1\n1\n0\n1\n1\n1\n1\n1\n1\n1\n' >pf.txt
run 3 fit --data "$DIABETES" --lambda 1000 --penalty-factor pf.txt --out pf.json
expect 0 "fit with penalty factors"
jq -e '[.coef[] | select(. != 0)] | length == 1' pf.json >/dev/null || fail "not exactly one nonzero with penalty factors"
jq -e '.coef[2] != 0' pf.json >/dev/null || fail "the unpenalized column 2 is zero"
head -9 pf.txt >pf9.txt
run 3 fit --data "$DIABETES" --penalty-factor pf9.txt --out bad.json
expect_error 2 "pf9.txt" "a penalty-factor file of 9 numbers for 10 features"
printf '1\n1\n-1\n1\n1\n1\n1\n1\n1\n1\n' >pfneg.txt
run 1 fit --data "$DIABETES" --penalty-factor pfneg.txt --out bad.json
expect_error 2 "pfneg.txt:3:" "a negative penalty factor"
[ ! -e bad.json ] || fail "a model was written after a bad penalty-factor file"

# --lower 0: non-negative coefficients, some at the bound.
run 3 fit --data "$DIABETES" --lambda 0.1 --lower 0 --out lower.json
expect 0 "fit with --lower 0"
jq -e 'all(.coef[]; . >= 0) and any(.coef[]; . == 0)' lower.json >/dev/null || fail "--lower 0 not respected"

# --lower/--upper on standardized data: a coefficient at its bound is reported
# as the bound, never an ulp past it (c / s of c = 30 s was 30.000000000000004
# at 27 of these 30 lambdas, in the model and its path).
run 3 fit --data "$DIABETES" --lower -30 --upper 30 --nlambda 30 --out bounds.json
expect 0 "fit with --lower -30 --upper 30"
jq -e '[.coef[], .path[].coef[]] | all(. >= -30 and . <= 30)' bounds.json >/dev/null ||
    fail "coefficients outside [-30, 30]: $(jq -c '[.path[].coef[] | select(. > 30 or . < -30)] | unique' bounds.json)"
jq -e '[.path[].coef[] | select(. == 30 or . == -30)] | length > 0' bounds.json >/dev/null ||
    fail "no coefficient at a bound of 30"

# --strict: not converging is status 3, after writing the model.
run 1 fit --data "$DIABETES" --lambda 0.01 --solver fista --max-iter 2 --strict --out strict.json
expect_error 3 "did not converge" "--strict without convergence"
[ "$(jq .converged strict.json)" = false ] || fail "--strict: the model does not record converged: false"
run 1 fit --data "$DIABETES" --lambda 0.01 --solver fista --max-iter 2 --out loose.json
expect 0 "not converging without --strict"

# A model whose feature count differs from the data is bad input.
cut -d, -f1-10 "$DIABETES" >nine.csv
run 3 predict --model one3.json --data nine.csv --out p.csv
expect_error 2 "nine.csv" "predict on data with 9 features for a model of 10"
[ ! -e p.csv ] || fail "predictions written for mismatched data"
echo "fit_predict: ok"

#!/usr/bin/env bash
# Cross-validation of the classification families end to end (SPEC.md
# sections 3 and 9): the same CV curve at 1 and 3 ranks; the measure named by
# the model ("type_measure"), the CV table and the plot; auc maximized and
# plotted upward;
# held-out metrics of the refit; predictions from the refit model.
source "$(dirname "$0")/common.sh"

run 2 gen --rows 400 --features 6 --nonzero 3 --family binomial --seed 4 --out b.csv
expect 0 "gen binomial"
run 2 gen --rows 400 --features 6 --nonzero 3 --family multinomial --classes 3 --seed 4 --out m.csv
expect 0 "gen multinomial"

# Binomial, deviance (the default), at 1 and 3 ranks: the same curve.
for np in 1 3; do
    run "$np" cv --data b.csv --family binomial --nfolds 5 --nlambda 20 --out "b$np.json" --cv-out "b$np.csv" \
        --plot "b$np.svg"
    expect 0 "cv binomial at $np ranks"
done
jq -e '.family == "binomial" and .cv.type_measure == "deviance" and .cv.lambda_1se >= .cv.lambda_min' b3.json \
    >/dev/null || fail "binomial cv model: $(jq -c .cv b3.json | cut -c1-300)"
[ "$(head -1 b3.csv)" = "alpha,lambda,cvm,cvsd,nonzero,measure" ] || fail "CV table header '$(head -1 b3.csv)'"
[ "$(tail -n +2 b3.csv | cut -d, -f6 | sort -u)" = deviance ] || fail "the CV table does not name the measure"
grep -q 'Binomial deviance' b3.svg || fail "the plot does not name the measure"
grep -q 'cv error  deviance' out || fail "the summary does not name the measure"
tail -n +2 b1.csv | cut -d, -f3 >a.txt
tail -n +2 b3.csv | cut -d, -f3 >c.txt
d=$(max_rel_diff c.txt a.txt)
close_enough "$d" 1e-6 || fail "cvm at 3 ranks differs from 1 rank by $d (relative)"

# auc: maximized (lambda_min has the largest cvm), and class.
run 3 cv --data b.csv --family binomial --nfolds 5 --nlambda 20 --type-measure auc --out auc.json --plot auc.svg
expect 0 "cv binomial auc"
# The plot's axis is named AUC and reads upward: the y axis's tick labels
# (right-aligned at the axis) rise as they go up the picture (y falls).
grep -q '>AUC</text>' auc.svg || fail "the auc plot does not name the measure"
ticks=$(grep -o "<text x='[0-9.]*' y='[0-9.]*' text-anchor='end'[^>]*>[0-9.]*</text>" auc.svg |
    sed "s/.* y='\([0-9.]*\)'.*>\([0-9.]*\)<.*/\1 \2/")
[ "$(echo "$ticks" | wc -l)" -ge 3 ] || fail "the auc plot has no y ticks: $ticks"
echo "$ticks" | sort -n | awk 'NR > 1 && $2 >= prev { bad = 1 } { prev = $2 } END { exit bad }' ||
    fail "the auc plot does not read upward: $ticks"
jq -e '.cv.type_measure == "auc"' auc.json >/dev/null || fail "auc model: $(jq -c .cv.type_measure auc.json)"
jq -e '([.cv.table[].cvm] | max) as $m | ([.cv.table[] | select(.cvm == $m) | .lambda] | max) == .cv.lambda_min' \
    auc.json >/dev/null || fail "auc: lambda_min is not the largest AUC's lambda"
jq -e 'all(.cv.table[]; .cvm > 0.5 and .cvm <= 1)' auc.json >/dev/null || fail "auc values out of (0.5, 1]"
run 3 cv --data b.csv --family binomial --nfolds 5 --nlambda 20 --type-measure class --out class.json
expect 0 "cv binomial class"
jq -e '.cv.type_measure == "class" and all(.cv.table[]; .cvm >= 0 and .cvm <= 1)' class.json >/dev/null ||
    fail "class model"

# Multinomial with a test fraction, then predictions from the refit.
run 3 cv --data m.csv --family multinomial --nfolds 5 --nlambda 15 --test-fraction 0.25 --out mcv.json
expect 0 "cv multinomial"
jq -e '.family == "multinomial" and .cv.type_measure == "deviance" and (.coef | length) == 3 and
       (.test_metrics | keys) == ["brier", "class_error", "deviance"]' mcv.json >/dev/null ||
    fail "multinomial cv model: $(jq -c 'del(.path, .cv.table)' mcv.json | cut -c1-400)"
run 3 predict --model mcv.json --data m.csv --type class --out mclass.csv
expect 0 "predict from a cv model"
[ "$(tail -n +2 mclass.csv | sort -u | tr '\n' ' ')" = "0 1 2 " ] || fail "class predictions are not the labels"
echo "classify_cv: ok"

#!/usr/bin/env bash
# The classification families end to end (SPEC.md section 9) without
# cross-validation (classify_cv.sh): gen writes the same bytes at 1 and 3
# ranks; fit gives the same model at 1 and 3 ranks and writes the model keys
# of section 9, read back by predict; predictions of every --type have the
# right header and agree with each other (probabilities in [0, 1] summing to
# 1, the link through the logistic or softmax gives the probabilities, the
# class is a label value); the summary's training accuracy is that of the
# predicted classes; the default path stops at glmnet's devmax on
# separable data; bad labels and options fail with one message naming the
# line or the option, and write nothing.
source "$(dirname "$0")/common.sh"

# The rows of a CSV of predictions without its header, and its header.
body() { tail -n +2 "$1"; }
header() { head -1 "$1"; }

# --- gen: byte-identical at 1 and 3 ranks; labels of each family.
for np in 1 3; do
    run "$np" gen --rows 400 --features 6 --nonzero 3 --family binomial --seed 4 --out "b$np.csv"
    expect 0 "gen binomial at $np ranks"
    run "$np" gen --rows 400 --features 6 --nonzero 3 --family multinomial --classes 3 --seed 4 --out "m$np.csv"
    expect 0 "gen multinomial at $np ranks"
    run "$np" gen --rows 300 --features 5 --family binomial --density 0.7 --seed 2 --out "s$np.svm"
    expect 0 "gen binomial libsvm at $np ranks"
done
for f in b m; do
    cmp "${f}1.csv" "${f}3.csv" || fail "gen $f: different bytes at 1 and 3 ranks"
    cmp "${f}1.coef.csv" "${f}3.coef.csv" || fail "gen $f: different coefficients at 1 and 3 ranks"
done
cmp s1.svm s3.svm || fail "gen binomial libsvm: different bytes at 1 and 3 ranks"
[ "$(tail -n +2 b1.csv | cut -d, -f1 | sort -u | tr '\n' ' ')" = "0 1 " ] || fail "gen binomial: labels are not 0 and 1"
[ "$(tail -n +2 m1.csv | cut -d, -f1 | sort -u | tr '\n' ' ')" = "0 1 2 " ] || fail "gen multinomial: labels are not 0..2"
[ "$(cut -d' ' -f1 s1.svm | sort -u | tr '\n' ' ')" = "-1 1 " ] || fail "gen libsvm binomial: labels are not -1 and 1"
[ "$(awk -F, '{ print NF }' m1.coef.csv | sort -u)" = 3 ] || fail "gen multinomial: the coefficient file has not 3 columns"
run_plain gen --rows 10 --features 3 --classes 4 --out x.csv
expect_error 1 "--classes" "gen --classes with --family gaussian"
run_plain gen --rows 10 --features 3 --family binomial --classes 3 --out x.csv
expect_error 1 "--classes 3: binomial data has two classes" "gen --classes 3 with --family binomial"
run 3 gen --rows 400 --features 6 --nonzero 3 --family binomial --classes 2 --seed 4 --out b2.csv
expect 0 "gen --family binomial --classes 2"
cmp b1.csv b2.csv || fail "gen binomial: --classes 2 changed the data"
run_plain gen --rows 10 --features 3 --family binomial --noise 2 --out x.csv
expect_error 1 "--noise" "gen --noise with --family binomial"

# --- fit at 1 and 3 ranks: the same model, with the keys of section 9.
for np in 1 3; do
    run "$np" fit --data b1.csv --family binomial --nlambda 20 --out "bfit$np.json"
    expect 0 "fit binomial at $np ranks"
    run "$np" fit --data m1.csv --family multinomial --nlambda 20 --out "mfit$np.json"
    expect 0 "fit multinomial at $np ranks"
done
grep -q '^  family    multinomial (ungrouped): 3 classes 0, 1, 2$' out || fail "the summary does not name the family"
for f in bfit mfit; do
    jq -r '.path[] | (.intercept | if type == "array" then .[] else . end), (.coef | flatten | .[])' "${f}1.json" >a.txt
    jq -r '.path[] | (.intercept | if type == "array" then .[] else . end), (.coef | flatten | .[])' "${f}3.json" >b.txt
    d=$(max_rel_diff b.txt a.txt)
    close_enough "$d" 1e-6 || fail "$f: the path at 3 ranks differs from 1 rank by $d (relative)"
done
jq -e '.family == "binomial" and .classes == [0, 1] and (.intercept | type) == "number" and
       (.coef | length) == 6 and (.dev_ratio > 0 and .dev_ratio < 1) and (.path | length) == 20 and
       all(.path[]; has("dev_ratio")) and (has("multinomial") | not) and (has("path_stop") | not)' bfit3.json \
    >/dev/null || fail "binomial model keys: $(jq -c 'del(.path)' bfit3.json)"
jq -e '.family == "multinomial" and .classes == [0, 1, 2] and .multinomial == "ungrouped" and
       (.intercept | length) == 3 and ((.intercept | add) | fabs) < 1e-9 and (.coef | length) == 3 and
       all(.coef[]; length == 6) and all(.path[]; (.coef | length) == 3 and (.intercept | length) == 3 and
       has("dev_ratio"))' mfit3.json >/dev/null || fail "multinomial model keys: $(jq -c 'del(.path)' mfit3.json)"
# A lambda above lambda_max: no coefficient, the null model, whose deviance
# ratio is 0 exactly (its loss summed anew once printed 1.1e-16 and 2.2e-16).
for fam in binomial:b1.csv multinomial:m1.csv; do
    run 3 fit --data "${fam#*:}" --family "${fam%%:*}" --lambda 100,50 --out null.json
    expect 0 "fit ${fam%%:*} above lambda_max"
    jq -e '[.path[] | .dev_ratio == 0 and .nonzero == 0] | all' null.json >/dev/null ||
        fail "${fam%%:*}: the null model's dev_ratio is not 0: $(jq -c '[.path[] | .dev_ratio]' null.json)"
done
# lambda = 0 after a step of a path: its gap is an estimate while the
# gradient is not zero, which the warm start once made negative (-0.035
# with N0 = 1.1 on the multinomial), so that the step before's solution was
# taken for it.
# The path's last solution must be the one lambda = 0 alone gives.
for fam in binomial:b1.csv multinomial:m1.csv; do
    run 3 fit --data "${fam#*:}" --family "${fam%%:*}" --alpha 0.5 --lambda 0.01,0 --out zero2.json
    expect 0 "fit ${fam%%:*} at lambda 0.01 then 0"
    run 3 fit --data "${fam#*:}" --family "${fam%%:*}" --alpha 0.5 --lambda 0 --out zero1.json
    expect 0 "fit ${fam%%:*} at lambda 0"
    jq -e --slurpfile one zero1.json '.path[1].duality_gap >= 0 and .path[1].objective - $one[0].objective < 1e-9'         zero2.json >/dev/null || fail "${fam%%:*}: lambda 0 after 0.01: $(jq -c '.path[1] | {objective, duality_gap,
        iterations}' zero2.json), alone $(jq -c '{objective, duality_gap, iterations}' zero1.json)"
done
run 3 fit --data m1.csv --family multinomial --multinomial grouped --lambda 0.05 --out grouped.json
expect 0 "fit grouped multinomial"
jq -e '.multinomial == "grouped" and ([range(6) as $j | [.coef[][$j] != 0] | (all or (any | not))] | all)' \
    grouped.json >/dev/null || fail "grouped: a feature is in for some classes only"
grep -q '^  family    multinomial (grouped): 3 classes 0, 1, 2$' out || fail "the summary does not say grouped"
grep -q 'deviance explained' out || fail "the summary does not give the deviance explained"
# The same options as config keys (family, multinomial; predict's type): the same model and classes.
printf 'data = m1.csv\nfamily = multinomial\nmultinomial = grouped\nlambda = 0.05\n' >grouped.conf
run 3 fit --config grouped.conf --out grouped_conf.json
expect 0 "fit grouped multinomial from a config"
[ "$(jq -c '.coef, .intercept' grouped_conf.json)" = "$(jq -c '.coef, .intercept' grouped.json)" ] ||
    fail "the config's grouped fit differs from the command line's"
printf 'type = class\n' >class.conf
run 3 predict --config class.conf --model grouped.json --data m1.csv --out grouped_conf.csv
expect 0 "predict --type class from a config"
run 3 predict --model grouped.json --data m1.csv --type class --out grouped_cli.csv
expect 0 "predict --type class"
[ "$(header grouped_conf.csv)" = class ] && cmp -s grouped_conf.csv grouped_cli.csv ||
    fail "predict's config key type = class differs from --type class"

# --- predict: every type, from a model read back, at 3 ranks.
for t in response link class; do
    run 3 predict --model bfit3.json --data b1.csv --type "$t" --out "bp_$t.csv"
    expect 0 "predict binomial --type $t"
    run 3 predict --model mfit3.json --data m1.csv --type "$t" --out "mp_$t.csv"
    expect 0 "predict multinomial --type $t"
    [ "$(wc -l <"bp_$t.csv")" -eq 401 ] && [ "$(wc -l <"mp_$t.csv")" -eq 401 ] || fail "--type $t: not one line per row"
done
[ "$(header bp_response.csv)" = probability ] || fail "binomial response header '$(header bp_response.csv)'"
[ "$(header bp_link.csv)" = link ] || fail "binomial link header '$(header bp_link.csv)'"
[ "$(header bp_class.csv)" = class ] || fail "binomial class header '$(header bp_class.csv)'"
[ "$(header mp_response.csv)" = probability_0,probability_1,probability_2 ] ||
    fail "multinomial response header '$(header mp_response.csv)'"
[ "$(header mp_link.csv)" = link_0,link_1,link_2 ] || fail "multinomial link header '$(header mp_link.csv)'"
[ "$(header mp_class.csv)" = class ] || fail "multinomial class header '$(header mp_class.csv)'"
run 1 predict --model bfit3.json --data b1.csv
expect 0 "predict binomial to stdout at 1 rank"
cmp -s out bp_response.csv || fail "the default --type is not response"
# The checks of the numbers, in Python: probabilities, link through the
# inverse link, classes as labels and as the most probable class.
python3 - bp_response.csv bp_link.csv bp_class.csv mp_response.csv mp_link.csv mp_class.csv <<'PY' ||
import csv, math, sys
def rows(path):
    with open(path) as f:
        return [[float(v) for v in r] for r in list(csv.reader(f))[1:]]
bp, bl, bc, mp, ml, mc = (rows(p) for p in sys.argv[1:])
for (p,), (e,), (c,) in zip(bp, bl, bc):
    assert 0.0 <= p <= 1.0, p
    assert abs(1.0 / (1.0 + math.exp(-e)) - p) <= 1e-12, (e, p)
    assert c == (1.0 if p > 0.5 else 0.0), (p, c)
for p, e, (c,) in zip(mp, ml, mc):
    assert all(0.0 <= v <= 1.0 for v in p) and abs(sum(p) - 1.0) <= 1e-12, p
    m = max(e)
    z = sum(math.exp(v - m) for v in e)
    assert all(abs(math.exp(v - m) / z - q) <= 1e-12 for v, q in zip(e, p)), (e, p)
    assert c in (0.0, 1.0, 2.0) and p[int(c)] == max(p), (p, c)
PY
    fail "predictions of the three types do not agree (see the Python traceback above)"

# LIBSVM -1/+1 labels: classes -1 and 1, class predictions are those labels.
run 3 fit --data s1.svm --family binomial --lambda 0.01 --out svm.json
expect 0 "fit binomial on libsvm -1/+1"
jq -e '.classes == [-1, 1]' svm.json >/dev/null || fail "libsvm classes $(jq -c .classes svm.json)"
run 3 predict --model svm.json --data s1.svm --type class --out sc.csv
expect 0 "predict class on libsvm"
[ "$(body sc.csv | sort -u | tr '\n' ' ')" = "-1 1 " ] || fail "libsvm class predictions are not -1 and 1"
run 1 predict --model svm.json --data s1.svm --type link --out sl.csv
expect 0 "predict link on libsvm"

# --- the summary's accuracy on the training rows is that of predict --type class.
for f in b m; do
    fam=binomial
    [ "$f" = m ] && fam=multinomial
    run 3 fit --data "${f}1.csv" --family "$fam" --lambda 0.02 --out "acc_$f.json"
    expect 0 "fit $fam for its accuracy"
    said=$(sed -n 's/^  accuracy  \([0-9.]*\) on the 400 training rows (class error [0-9.]*)$/\1/p' out)
    run 3 predict --model "acc_$f.json" --data "${f}1.csv" --type class --out "acc_$f.csv"
    expect 0 "predict $fam classes"
    want=$(paste -d, <(body "${f}1.csv" | cut -d, -f1) <(body "acc_$f.csv") |
        awk -F, '{ n++; ok += ($1 == $2) } END { printf "%.4f", ok / n }')
    [ -n "$said" ] && [ "$said" = "$want" ] || fail "$fam: the summary's accuracy '$said' is not predict's $want"
done

# --test-fraction: the metrics of the family.
run 3 fit --data b1.csv --family binomial --lambda 0.01 --test-fraction 0.3 --out btest.json
expect 0 "binomial with a test fraction"
jq -e '.test_metrics | keys == ["auc", "brier", "class_error", "deviance"] and .auc > 0.5 and .auc <= 1 and
       .class_error >= 0 and .class_error < 0.5 and .deviance > 0 and .brier > 0' btest.json >/dev/null ||
    fail "binomial test metrics $(jq -c .test_metrics btest.json)"
grep -q 'auc' out || fail "no test auc in the summary"
run 1 fit --data b1.csv --family binomial --lambda 0.01 --test-fraction 0.3 --out btest1.json
expect 0 "binomial with a test fraction at 1 rank"
d=$(jq -n --slurpfile a btest.json --slurpfile b btest1.json '[$a[0].test_metrics[] ] as $x | [$b[0].test_metrics[]] as $y | [range(4) | ($x[.] - $y[.]) | fabs] | max')
close_enough "$d" 1e-8 || fail "test metrics at 3 ranks differ from 1 rank by $d"
run 3 fit --data m1.csv --family multinomial --lambda 0.01 --test-fraction 0.3 --out mtest.json
expect 0 "multinomial with a test fraction"
jq -e '.test_metrics | keys == ["brier", "class_error", "deviance"]' mtest.json >/dev/null ||
    fail "multinomial test metrics $(jq -c .test_metrics mtest.json)"

# --- separable data: the default path stops at devmax, and says so. The
# label is the sign of x1, on the rows with |x1| > 1: a margin, so that the
# path reaches the devmax well before its end.
awk -F, 'NR == 1 { print; next } $2 > 1 || $2 < -1 { $1 = ($2 > 0) ? 1 : 0; print }' OFS=, b1.csv >sep.csv
run 3 fit --data sep.csv --family binomial --out sep.json
expect 0 "fit separable data"
jq -e '.path_stop.after_lambda == (.path | length) - 1 and (.path | length) < 100 and .path_stop.dev_ratio > 0.999 and
       .path_stop.reason == "deviance ratio above 0.999 (glmnet'"'"'s devmax)" and .path_stop.lambda == .lambda' sep.json \
    >/dev/null || fail "no path_stop on separable data: $(jq -c '.path_stop, (.path | length)' sep.json)"
grep -Eq '^  path +stopped after lambda [0-9]+/100: deviance ratio 0\.999[0-9]* > 0\.999' out ||
    fail "the summary does not say where the path stopped"
run 1 fit --data sep.csv --family binomial --lambda 0.1,0.01,0.001,0.0001 --out given.json
expect 0 "fit separable data with given lambdas"
jq -e '(.path | length) == 4 and (has("path_stop") | not)' given.json >/dev/null || fail "a given lambda list was cut"

# --- bounds on standardized data: a coefficient at its bound is reported as the
# bound, never an ulp past it (binomial -3.0000000000000004, multinomial
# -0.7000000000000001 before the unscaled coefficients were clamped).
FIX="$LARIAT_SOURCE_DIR/tests/fixtures"
run 3 fit --data "$FIX/class_breast.csv" --family binomial --lower -3 --upper 3 --nlambda 30 \
    --lambda-min-ratio 1e-3 --out bb.json
expect 0 "binomial fit with --lower -3 --upper 3"
jq -e '[.coef[], .path[].coef[]] | all(. >= -3 and . <= 3)' bb.json >/dev/null ||
    fail "binomial coefficients outside [-3, 3]: $(jq -c '[.path[].coef[] | select(. > 3 or . < -3)] | unique' bb.json)"
jq -e '[.path[].coef[] | select(. == 3 or . == -3)] | length > 0' bb.json >/dev/null ||
    fail "no binomial coefficient at a bound of 3"
run 3 fit --data "$FIX/class_wine.csv" --family multinomial --lower -0.7 --upper 0.7 --nlambda 30 \
    --lambda-min-ratio 1e-3 --out mb.json
expect 0 "multinomial fit with --lower -0.7 --upper 0.7"
jq -e '[.coef[][], .path[].coef[][]] | all(. >= -0.7 and . <= 0.7)' mb.json >/dev/null ||
    fail "multinomial coefficients outside [-0.7, 0.7]: $(jq -c '[.path[].coef[][] | select(. > 0.7 or . < -0.7)] | unique' mb.json)"
jq -e '[.path[].coef[][] | select(. == 0.7 or . == -0.7)] | length > 0' mb.json >/dev/null ||
    fail "no multinomial coefficient at a bound of 0.7"

# --- a nearly separated rare class (tests/fixtures/class_rare.csv): the
# multinomial Newton steps converge at every lambda of the default path, in
# few steps, grouped and not, at 1 and 3 ranks (before the inner solve's
# Newton steps, 4 grouped lambdas ended at max_iter = 10000 steps).
for np in 1 3; do
    for g in grouped ungrouped; do
        run "$np" fit --data "$FIX/class_rare.csv" --weights w --family multinomial --multinomial "$g" \
            --nlambda 30 --out rare.json
        expect 0 "multinomial $g fit of class_rare.csv at $np ranks"
        jq -e '.converged and ([.path[].iterations] | max) <= 300' rare.json >/dev/null ||
            fail "class_rare.csv, $g at $np ranks: converged $(jq .converged rare.json), steps $(jq -c '[.path[].iterations] | max' rare.json)"
    done
done

# --- bad labels: one message naming FILE:LINE and the value, nothing written.
# A third binomial value on line 301 (a blank line before it counts).
awk 'NR == 5 { print "" } NR == 300 { sub(/^[01]/, "7") } { print }' b1.csv >third.csv
awk 'NR == 201 { sub(/^[012]/, "1.5") } { print }' m1.csv >frac.csv
for np in 1 3; do
    if [ "$np" = 1 ]; then run_plain fit --data third.csv --family binomial --out bad.json
    else run "$np" fit --data third.csv --family binomial --out bad.json; fi
    expect_error 2 "third.csv:301: label 7 " "a third binomial label at $np ranks"
    [ ! -e bad.json ] || fail "a model was written after a bad label"
    if [ "$np" = 1 ]; then run_plain fit --data frac.csv --family multinomial --out bad.json
    else run "$np" fit --data frac.csv --family multinomial --out bad.json; fi
    expect_error 2 "frac.csv:201: label 1.5 " "a non-integer multinomial label at $np ranks"
    [ ! -e bad.json ] || fail "a model was written after a non-integer label"
done
# The odd value first: the message names it, not the majority value after it.
awk 'NR == 2 { sub(/^[01]/, "7") } { print }' b1.csv >first7.csv
run 3 fit --data first7.csv --family binomial --out bad.json
expect_error 2 "first7.csv:2: label 7 " "a third binomial label on the first row"
awk 'NR == 1 || NR > 3' b1.csv | awk -F, 'NR == 1 || $1 == 1' >oneclass.csv
run 3 fit --data oneclass.csv --family binomial --out bad.json
expect_error 2 "oneclass.csv" "a binomial file of one class"
# A class of one row: the message names its line and the class.
awk -F, 'NR == 1 || $1 != 2 || n++ < 1' m1.csv >lone.csv
lone_line=$(awk -F, 'NR > 1 && $1 == 2 { print NR; exit }' lone.csv)
for np in 1 3; do
    run "$np" cv --data lone.csv --family multinomial --nfolds 3 --out bad.json
    expect_error 2 "lone.csv:$lone_line: class 2 has 1 row of positive weight" "a class of one row at $np ranks"
done
[ ! -e bad.json ] || fail "a model was written for a class of one row"
# A class of two rows that the test split holds out: the message says that its
# count is of the training rows (the file has two).
awk -F, 'NR == 1 || $1 != 2 || n++ < 2' m1.csv >rare.csv
run 3 fit --data rare.csv --family multinomial --test-fraction 0.99 --seed 3 --out bad.json
expect_error 2 "counted in the training rows: --test-fraction 0.99" "a class held out by the test split"
[ ! -e bad.json ] || fail "a model was written without a class's training rows"

# --distributed-gram serves the gaussian family only: the summary says so
# rather than dropping it.
run 2 fit --data b1.csv --family binomial --distributed-gram --nlambda 5 --out dg.json
expect 0 "binomial fit with --distributed-gram"
grep -q '^  solver    gram (.*--distributed-gram serves the gaussian family only)$' out ||
    fail "--distributed-gram with binomial: the summary does not say why it is not used"

# --- usage errors: exit 1 naming the option, before reading the data.
run 3 cv --data b1.csv --type-measure auc --out bad.json
expect_error 1 "--type-measure" "auc with gaussian"
run_plain cv --data m1.csv --family multinomial --type-measure auc --out bad.json
expect_error 1 "--type-measure" "auc with multinomial"
run 3 fit --data m1.csv --family multinomial --solver admm --out bad.json
expect_error 1 "--solver" "admm with multinomial"
grep 'error' err | grep -q 'gram' && grep 'error' err | grep -q 'fista' || fail "admm with multinomial: gram and fista not named"
run_plain fit --data b1.csv --multinomial grouped --family binomial --out bad.json
expect_error 1 "--multinomial" "--multinomial with binomial"
# fit and cv checkpoint every family: a run with a checkpoint file equals one without.
run 2 cv --data b1.csv --family binomial --nfolds 4 --nlambda 12 --checkpoint ckcv.bin --out ckcv.json
expect 0 "cv --checkpoint with binomial"
run 2 cv --data b1.csv --family binomial --nfolds 4 --nlambda 12 --out nockcv.json
expect 0 "cv without a checkpoint"
[ "$(jq -c '[.cv, .coef, .intercept]' ckcv.json)" = "$(jq -c '[.cv, .coef, .intercept]' nockcv.json)" ] ||
    fail "cv with a checkpoint file differs from cv without"
run 2 fit --data b1.csv --family binomial --nlambda 12 --checkpoint ckfit.bin --out ck.json
expect 0 "fit --checkpoint with binomial"
run 2 fit --data b1.csv --family binomial --nlambda 12 --out nock.json
expect 0 "fit without a checkpoint"
[ "$(jq -c '[.path[] | .coef, .intercept]' ck.json)" = "$(jq -c '[.path[] | .coef, .intercept]' nock.json)" ] ||
    fail "fit with a checkpoint file differs from fit without"
[ ! -e bad.json ] || fail "a model was written after a usage error"
run 1 fit --data b1.csv --lambda 0.1 --out gauss.json
expect 0 "gaussian fit of 0/1 labels"
jq -e '.family == "gaussian" and has("dev_ratio") and (has("classes") | not)' gauss.json >/dev/null ||
    fail "gaussian model keys"
run 3 predict --model gauss.json --data b1.csv --type class --out bad.csv
expect_error 1 "--type" "--type class of a gaussian model"
[ ! -e bad.csv ] || fail "predictions written after a usage error"
echo "classify: ok"

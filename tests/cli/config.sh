#!/usr/bin/env bash
# Config files (SPEC.md section 6): `key = value` lines and `#` comments;
# relative paths are relative to the config's folder; the command line
# overrides the file; unknown keys and bad values exit 1 naming file:line,
# once, at 1 and 3 ranks.
source "$(dirname "$0")/common.sh"

mkdir -p conf/data elsewhere
cp "$DIABETES" conf/data/diabetes.csv
cat >conf/run.conf <<'CONF'
# A lasso at one lambda on the diabetes data.
data = data/diabetes.csv   # relative to this file's folder
label = 0
alpha = 0.5
lambda = 2
out = model.json
no-intercept = false
CONF

# Run from another folder: data and out resolve against conf/.
cd elsewhere
run 3 fit --config ../conf/run.conf
expect 0 "fit with a config"
cd ..
[ -f conf/model.json ] || fail "out = model.json in conf/run.conf did not land in conf/"
[ "$(jq .alpha conf/model.json)" = "0.5" ] || fail "alpha from the config not used"
[ "$(jq .lambda conf/model.json)" = "2" ] || fail "lambda from the config not used"
[ "$(jq .n_samples conf/model.json)" = "442" ] || fail "data from the config not read"

# The command line overrides the file (also for paths: relative to the cwd).
run 1 fit --config conf/run.conf --alpha 1 --out cli.json
expect 0 "fit with a config and overrides"
[ "$(jq .alpha cli.json)" = "1" ] || fail "--alpha on the command line did not override the config"

# A flag as a key.
printf 'data = data/diabetes.csv\nlambda = 1\nno-intercept = true\nout = noint.json\n' >conf/flag.conf
run 1 fit --config conf/flag.conf
expect 0 "no-intercept = true"
[ "$(jq .fit_intercept conf/noint.json)" = "false" ] || fail "no-intercept = true not applied"
[ "$(jq .intercept conf/noint.json)" = "0" ] || fail "intercept not 0 without an intercept"

# Errors name the file and the line, once, at 1 and 3 ranks.
printf '# comment\ndata = data/diabetes.csv\n\nalpah = 0.5\n' >conf/badkey.conf
printf 'data = data/diabetes.csv\nnlambda = 0\n' >conf/badvalue.conf
printf 'data = data/diabetes.csv\nthis line has no equals sign\n' >conf/syntax.conf
printf 'data = data/diabetes.csv\n[fit]\nalpha = 1\n' >conf/section.conf
printf 'data = data/diabetes.csv\nalpha = 0.2,0.5\n' >conf/alphas.conf
for np in 1 3; do
    run "$np" fit --config conf/badkey.conf --out m.json
    expect_error 1 "conf/badkey.conf:4:" "unknown key at $np ranks"
    grep -qF "alpah" err || fail "the unknown key is not named"
    run "$np" fit --config conf/badvalue.conf --out m.json
    expect_error 1 "conf/badvalue.conf:2: nlambda" "bad value at $np ranks"
    run "$np" fit --config conf/syntax.conf --out m.json
    expect_error 1 "conf/syntax.conf:2:" "syntax error at $np ranks"
    run "$np" fit --config conf/section.conf --out m.json
    expect_error 1 "conf/section.conf:3:" "section at $np ranks"
    run "$np" fit --config conf/alphas.conf --out m.json
    expect_error 1 "conf/alphas.conf:2: alpha" "several alphas for fit at $np ranks"
    [ ! -e m.json ] || fail "a model was written after a config error"
done
# A bad value in the file is an error even when the command line overrides it.
run 1 fit --config conf/badvalue.conf --nlambda 5 --out m.json
expect_error 1 "conf/badvalue.conf:2: nlambda" "bad overridden value"
run 3 fit --config conf/missing.conf
expect_error 1 "conf/missing.conf" "missing config file"
echo "config: ok"

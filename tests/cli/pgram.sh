#!/usr/bin/env bash
# The distributed Gram end to end. --distributed-gram: the gram solver with
# its Gram spread over 4 ranks says so in the summary, records "gram" in the
# model, and gives the replicated gram solver's ridge path (1e-9), lasso
# (1e-6) and ridge CV curve (1e-8); the config key works too. --max-memory:
# a Gram that does not fit one rank's limit is refused at 1 rank and spread
# by itself over 4 (gram asked for, or chosen by auto).
source "$(dirname "$0")/common.sh"

path_coefs() { jq -r '.path[].coef[], .path[].intercept' "$1"; }

run 1 gen --rows 240 --features 30 --nonzero 8 --corr 0.4 --seed 5 --out w.csv
expect 0 "gen"

# A ridge path: one tridiagonal reduction on the distributed Gram.
run 4 fit --data w.csv --alpha 0 --nlambda 20 --solver gram --out rep.json --quiet
expect 0 "replicated ridge path"
run 4 fit --data w.csv --alpha 0 --nlambda 20 --solver gram --distributed-gram --out dist.json --quiet
expect 0 "distributed ridge path"
grep -q 'solver *gram (distributed Gram' out || fail "the summary does not say the Gram is distributed: $(grep solver out)"
[ "$(jq -r .solver dist.json)" = gram ] || fail "model solver is $(jq -r .solver dist.json), expected gram"
path_coefs rep.json >a.txt
path_coefs dist.json >b.txt
d=$(max_rel_diff b.txt a.txt)
close_enough "$d" 1e-9 || fail "distributed ridge path differs from the replicated one by $d (relative)"

# One lasso lambda by ADMM on the Cholesky factor, from a config file.
lambda=$(jq '.path[12].lambda' rep.json)
printf 'distributed-gram = true\nsolver = gram\n' >dist.conf
run 4 fit --data w.csv --alpha 1 --lambda "$lambda" --tol 1e-10 --solver gram --out lrep.json --quiet
expect 0 "replicated lasso"
run 4 fit --config dist.conf --data w.csv --alpha 1 --lambda "$lambda" --tol 1e-10 --out ldist.json --quiet
expect 0 "distributed lasso from a config"
grep -q 'distributed Gram' out || fail "the config key did not switch to the distributed Gram"
jq -r '.coef[], .intercept' lrep.json >a.txt
jq -r '.coef[], .intercept' ldist.json >b.txt
d=$(max_rel_diff b.txt a.txt)
close_enough "$d" 1e-6 || fail "distributed lasso differs from the replicated one by $d (relative)"
[ "$(jq .converged ldist.json)" = true ] || fail "the distributed lasso did not converge"

# Ridge CV at 3 ranks: each fold's path from its own tridiagonal reduction.
run 3 cv --data w.csv --alpha 0 --nfolds 4 --nlambda 12 --solver gram --cv-out rep.csv --out crep.json --quiet
expect 0 "replicated ridge cv"
run 3 cv --data w.csv --alpha 0 --nfolds 4 --nlambda 12 --solver gram --distributed-gram --cv-out dist.csv \
    --out cdist.json --quiet
expect 0 "distributed ridge cv"
tail -n +2 rep.csv | cut -d, -f3 >a.txt
tail -n +2 dist.csv | cut -d, -f3 >b.txt
d=$(max_rel_diff b.txt a.txt)
close_enough "$d" 1e-8 || fail "distributed CV error curve differs from the replicated one by $d (relative)"
jq .cv.lambda_min crep.json >a.txt
jq .cv.lambda_min cdist.json >b.txt
d=$(max_rel_diff b.txt a.txt)
close_enough "$d" 1e-12 || fail "lambda_min differs by $d (relative)"

# 100 x 300: the 0.72 MB Gram is more than a quarter of 2 MiB, a quarter of
# it is not.
run 1 gen --rows 100 --features 300 --nonzero 8 --seed 6 --out wide.csv
expect 0 "gen wide"
run 1 fit --data wide.csv --alpha 0 --nlambda 10 --solver gram --max-memory 2M --out none.json
expect_error 1 "--max-memory" "a Gram over the limit on one rank"
run 4 fit --data wide.csv --alpha 0 --nlambda 10 --solver gram --max-memory 2M --out mrep.json --quiet
expect 0 "gram under --max-memory at 4 ranks"
grep -q 'distributed Gram: the 0.72 MB Gram exceeds a quarter' out ||
    fail "no switch to the distributed Gram under --max-memory: $(grep solver out)"
run 4 fit --data wide.csv --alpha 0 --nlambda 10 --solver gram --out wrep.json --quiet
expect 0 "replicated wide ridge"
if grep -q 'distributed' out; then fail "switched to the distributed Gram without a memory limit"; fi
path_coefs wrep.json >a.txt
path_coefs mrep.json >b.txt
d=$(max_rel_diff b.txt a.txt)
close_enough "$d" 1e-9 || fail "ridge path under --max-memory differs from the replicated one by $d (relative)"
run 4 fit --data wide.csv --alpha 1 --nlambda 5 --max-memory 2M --out auto.json --quiet
expect 0 "auto under --max-memory"
grep -q 'solver *gram (distributed Gram' out || fail "auto did not spread the Gram: $(grep solver out)"
exit 0

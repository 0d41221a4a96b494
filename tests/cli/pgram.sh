#!/usr/bin/env bash
# --distributed-gram end to end: the gram solver with its Gram spread over 4
# ranks says so in the summary, records "gram" in the model, and gives the
# replicated gram solver's ridge path (1e-9), lasso (1e-6) and ridge CV
# curve (1e-8); the config key works too.
source "$(dirname "$0")/common.sh"

path_coefs() { jq -r '.path[].coef[], .path[].intercept' "$1"; }

run 1 gen --rows 240 --features 30 --nonzero 8 --corr 0.4 --seed 5 --out w.csv
expect 0 "gen"

# A ridge path: one eigendecomposition on the distributed Gram.
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

# One lasso lambda by ADMM on the eigenvectors, from a config file.
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

# Ridge CV at 3 ranks: each fold's path from its own eigendecomposition.
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
exit 0

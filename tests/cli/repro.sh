#!/bin/bash
# One answer at any rank count, bit for bit (SPEC.md section 3, docs/reproducibility.md):
# with gram and fista, the model file (but for the fields that describe the
# run: ranks, timings_s, peak_rss_mb), the CV table and every number of the
# summary are the same bytes at 1, 2, 3 and 4 ranks, with 2 and 3 CV
# groups, from CSV and from HDF5 of the same numbers, dense and sparse, with
# weights, for the gaussian (wide ridge's kernel too), binomial and
# multinomial families, and from one run to the next.
source "$(dirname "$0")/common.sh"

# The issue's case: 20,000 x 40, --alpha 0.5,1 --nfolds 5 --nlambda 30.
"$LARIAT" gen --rows 20000 --features 40 --corr 0.3 --out dense.csv >/dev/null
"$LARIAT" gen --rows 20000 --features 40 --corr 0.3 --out dense.h5 >/dev/null
"$LARIAT" gen --rows 20000 --features 60 --density 0.05 --out sparse.svm >/dev/null
# Weights from the row number, in a column of their own.
awk -F, 'NR == 1 { print $0 ",w"; next } { print $0 "," 0.25 + (NR % 7) / 4 }' dense.csv >weighted.csv

# model FILE: the model without the run's own record.
model() { jq -S 'del(.ranks, .timings_s, .peak_rss_mb)' "$1"; }
# summary: stdout without the lines and words that name the file, ranks, groups or times.
summary() {
    grep -v -E '^  (data|time|memory|wrote) ' "$WORK/out" | sed -E -e '1s/: .*/:/' -e 's/, [0-9]+ rank groups?;/;/'
}

# same TAG NP ARGS...: runs lariat at NP ranks and keeps its outputs as TAG.
same() {
    local tag=$1 np=$2
    shift 2
    run "$np" "$@" --out "$tag.json"
    expect 0 "$tag: $*"
    model "$tag.json" >"$tag.model"
    summary >"$tag.summary"
}

# check BASE TAG: TAG's model, summary and CV table (if any) equal BASE's, byte for byte.
check() {
    cmp -s "$1.model" "$2.model" || { diff "$1.model" "$2.model" | head -5 >&2 || true; fail "$2: model differs from $1"; }
    cmp -s "$1.summary" "$2.summary" || { diff "$1.summary" "$2.summary" >&2 || true; fail "$2: summary differs from $1"; }
    if [ -f "$1.csv" ]; then
        cmp -s "$1.csv" "$2.csv" || { diff "$1.csv" "$2.csv" | head -5 >&2 || true; fail "$2: CV table differs from $1"; }
    fi
}

for solver in gram fista; do
    # Paths: every rank count, CSV and HDF5, sparse, weighted.
    for data in dense.csv dense.h5 sparse.svm weighted.csv; do
        wopt=()
        [ "$data" = weighted.csv ] && wopt=(--weights w)
        base="fit-$solver-${data/./-}"
        for np in 1 2 3 4; do
            same "$base-$np" "$np" fit --data "$data" "${wopt[@]}" --solver "$solver" --alpha 0.5 --nlambda 30
        done
        for np in 2 3 4; do check "$base-1" "$base-$np"; done
    done
    # HDF5 gives what CSV gives.
    check "fit-$solver-dense-csv-1" "fit-$solver-dense-h5-1"

    # Cross-validation: ranks and groups.
    for data in dense.csv sparse.svm; do
        base="cv-$solver-${data/./-}"
        cvargs=(cv --data "$data" --solver "$solver" --alpha 0.5,1 --nfolds 5 --nlambda 30)
        # fista's CV is slower: fewer lambdas keep each run well inside run's timeout.
        [ "$solver" = fista ] && cvargs=(cv --data "$data" --solver fista --alpha 0.5 --nfolds 5 --nlambda 12)
        same "$base-1" 1 "${cvargs[@]}" --cv-out "$base-1.csv"
        same "$base-2" 2 "${cvargs[@]}" --cv-out "$base-2.csv"
        same "$base-3" 3 "${cvargs[@]}" --cv-out "$base-3.csv"
        same "$base-4" 4 "${cvargs[@]}" --cv-out "$base-4.csv"
        same "$base-4g2" 4 "${cvargs[@]}" --cv-groups 2 --cv-out "$base-4g2.csv"
        same "$base-3g3" 3 "${cvargs[@]}" --cv-groups 3 --cv-out "$base-3g3.csv"
        for tag in 2 3 4 4g2 3g3; do check "$base-1" "$base-$tag"; done
    done
done

# A Gram above gram.c's GRAM_SHARED_BYTES (800 x 800, 5 MB): its descent is
# split over the ranks, each updating its own slab of the gradient, with the
# block's corrections made alike on every rank; the folds of a CV on two
# groups of two ranks split theirs too.
"$LARIAT" gen --rows 3000 --features 800 --density 0.02 --out widesparse.svm >/dev/null
for np in 1 2 3 4; do
    same "fit-split-$np" "$np" fit --data widesparse.svm --solver gram --alpha 0.5 --nlambda 20
done
for np in 2 3 4; do check fit-split-1 "fit-split-$np"; done
cvargs=(cv --data widesparse.svm --solver gram --alpha 0.5 --nfolds 4 --nlambda 12)
same cv-split-1 1 "${cvargs[@]}" --cv-out cv-split-1.csv
same cv-split-4g2 4 "${cvargs[@]}" --cv-groups 2 --cv-out cv-split-4g2.csv
check cv-split-1 cv-split-4g2

# Ridge on more features than rows: auto's kernel (kernel_ridge.c), every
# rank computing alike from the gathered rows; weighted and sparse; its CV
# on the rows of every fold, across ranks and groups.
"$LARIAT" gen --rows 150 --features 400 --corr 0.3 --out wideridge.csv >/dev/null
# And 25 rows: a kernel smaller than LAPACK's block, whose reflectors apply
# unblocked (DLARF), up to the last nonzero column of a block of lambdas.
"$LARIAT" gen --rows 25 --features 60 --corr 0.3 --out widesmall.csv >/dev/null
"$LARIAT" gen --rows 150 --features 400 --density 0.1 --out wideridge.svm >/dev/null
awk -F, 'NR == 1 { print $0 ",w"; next } { print $0 "," 0.5 + (NR % 5) / 4 }' wideridge.csv >wideridge_w.csv
for data in wideridge.csv wideridge.svm wideridge_w.csv widesmall.csv; do
    wopt=()
    [ "$data" = wideridge_w.csv ] && wopt=(--weights w)
    base="fit-kernel-${data/./-}"
    for np in 1 2 3 4; do
        same "$base-$np" "$np" fit --data "$data" "${wopt[@]}" --alpha 0 --nlambda 30
    done
    grep -q "n x n kernel" "$WORK/out" || fail "$data: auto did not take the kernel for wide ridge"
    for np in 2 3 4; do check "$base-1" "$base-$np"; done
done
# Ridge on p >= 300 < n: gram's one tridiagonal reduction for the path, its
# solutions brought back a block of lambdas at a time (at several ranks each
# rank takes a block of the path's lambdas: other blocks, the same bits).
"$LARIAT" gen --rows 1500 --features 320 --corr 0.3 --out ridge320.csv >/dev/null
for np in 1 2 3 4; do
    same "fit-ridge320-$np" "$np" fit --data ridge320.csv --alpha 0 --nlambda 30
done
for np in 2 3 4; do check fit-ridge320-1 "fit-ridge320-$np"; done
cvargs=(cv --data wideridge.csv --alpha 0 --nfolds 5 --nlambda 30)
same cv-kernel-1 1 "${cvargs[@]}" --cv-out cv-kernel-1.csv
same cv-kernel-3 3 "${cvargs[@]}" --cv-out cv-kernel-3.csv
same cv-kernel-4g2 4 "${cvargs[@]}" --cv-groups 2 --cv-out cv-kernel-4g2.csv
for tag in 3 4g2; do check cv-kernel-1 "cv-kernel-$tag"; done

# The classification families: paths at every rank count, and the
# multinomial CV across ranks and groups (folds fit on the rows).
"$LARIAT" gen --family binomial --rows 8000 --features 20 --out bin.csv >/dev/null
"$LARIAT" gen --family multinomial --classes 3 --rows 8000 --features 15 --out multi.csv >/dev/null
for solver in gram fista; do
    for fam in binomial:bin.csv multinomial:multi.csv; do
        base="fit-$solver-${fam%%:*}"
        for np in 1 2 3 4; do
            same "$base-$np" "$np" fit --data "${fam#*:}" --family "${fam%%:*}" --solver "$solver" --alpha 0.5 \
                --nlambda 20
        done
        for np in 2 3 4; do check "$base-1" "$base-$np"; done
    done
done
# cv_across BASE ARGS...: the CV at 1 rank, at 3, and at 4 in 2 groups, compared.
cv_across() {
    local base=$1
    shift
    same "$base-1" 1 cv "$@" --cv-out "$base-1.csv"
    same "$base-3" 3 cv "$@" --cv-out "$base-3.csv"
    same "$base-4g2" 4 cv "$@" --cv-groups 2 --cv-out "$base-4g2.csv"
    for tag in 3 4g2; do check "$base-1" "$base-$tag"; done
}
# Binomial CV on dense rows: the lockstep of the all-rows and fold models.
cv_across cv-binomial --data bin.csv --family binomial --alpha 0.5 --nfolds 5 --nlambda 15 --type-measure auc
# Sparse binomial (LIBSVM, labels -1/+1): a path, a CV fold by fold (fista) and in lockstep (gram).
"$LARIAT" gen --family binomial --rows 8000 --features 40 --density 0.1 --out bin.svm >/dev/null
for np in 1 2 3 4; do
    same "fit-binsparse-$np" "$np" fit --data bin.svm --family binomial --alpha 0.5 --nlambda 15
done
for np in 2 3 4; do check fit-binsparse-1 "fit-binsparse-$np"; done
cvargs=(cv --data bin.svm --family binomial --alpha 0.5 --nfolds 4 --nlambda 10 --solver fista)
same cv-binsparse-1 1 "${cvargs[@]}" --cv-out cv-binsparse-1.csv
same cv-binsparse-4g2 4 "${cvargs[@]}" --cv-groups 2 --cv-out cv-binsparse-4g2.csv
check cv-binsparse-1 cv-binsparse-4g2
# Over 512 features: the fit's descent split over the ranks (glm_batch.c's
# sweep_split), each rank updating its own entries of the model's gradient.
"$LARIAT" gen --family binomial --rows 3000 --features 1100 --density 0.02 --out binwide.svm >/dev/null
for np in 1 2 3 4; do
    same "fit-binsplit-$np" "$np" fit --data binwide.svm --family binomial --alpha 0.5 --nlambda 12 --verbose
    [ "$np" = 1 ] || grep -q "descent split over $np ranks" "$WORK/err" || fail "binwide.svm: no split descent at $np ranks"
done
for np in 2 3 4; do check fit-binsplit-1 "fit-binsplit-$np"; done
# And with gram: the lockstep on CSR rows, its models' steps shared out over the ranks.
cv_across cv-binsparse-lockstep --data bin.svm --family binomial --alpha 0.5 --nfolds 4 --nlambda 10
cv_across cv-multinomial --data multi.csv --family multinomial --alpha 0.5 --nfolds 4 --nlambda 15 \
    --type-measure deviance

# From one run to the next at the same rank count.
same again-a 2 cv --data dense.h5 --alpha 0.5 --nfolds 5 --nlambda 30 --cv-out again-a.csv
same again-b 2 cv --data dense.h5 --alpha 0.5 --nfolds 5 --nlambda 30 --cv-out again-b.csv
check again-a again-b
echo "PASS"

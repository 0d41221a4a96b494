#!/usr/bin/env bash
# Reliability (SPEC.md section 8), table-driven: every bad input, option and
# output below, at 1 and 3 ranks under a timeout, must end with the status of
# its row on EVERY rank (each rank records its own; mpirun is told not to
# kill the others when one exits non-zero), one error line on stderr that
# names the culprit, and no file in the output folder (no model, no table, no
# temporary). Then the awkward but valid inputs must fit, with the answers
# the mathematics says (constant y: all coefficients 0; a duplicated column:
# the elastic net splits it evenly and the lasso keeps the sum; columns
# rescaled by 1e-6..1e6: the same standardized model).
source "$(dirname "$0")/common.sh"

# Every rank runs to its own end, so each can report its status.
export OMPI_MCA_orte_abort_on_non_zero_status=0

# run_all NP ARGS...: lariat at NP ranks, each rank writing its exit status to
# status/RANK; writes out and err, and sets $rc to the highest status of a
# rank (124 when the run was stopped after 30 s). One rank runs without
# mpirun, as `lariat ...` run plainly (SPEC.md section 4).
run_all() {
    local np=$1
    shift
    rm -rf status && mkdir status
    rc=0
    local launch=("$MPIEXEC" -n "$np")
    [ "$np" -gt 1 ] || launch=()
    timeout 30 "${launch[@]}" sh -c \
        '"$0" "$@"; s=$?; echo $s >"status/${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-$$}}"; exit $s' \
        "$LARIAT" "$@" </dev/null >out 2>err || rc=$?
    if [ "$rc" -ne 124 ]; then
        rc=$(cat status/* 2>/dev/null | sort -n | tail -1)
        rc=${rc:-255}
    fi
}

# same_status NP STATUS WHAT: NP ranks each reported STATUS.
same_status() {
    [ "$rc" -ne 124 ] || fail "$3: still running after 30 s (a hang)"
    local n
    n=$(cat status/* 2>/dev/null | grep -cx "$2" || true)
    [ "$n" -eq "$1" ] || fail "$3: $n of $1 ranks exited with $2 (statuses: $(cat status/* 2>/dev/null | tr '\n' ' '))"
}

# ---------------------------------------------------------------- inputs
# The bad row of each CSV is its last line, which the last rank reads: the
# others have finished their parts and would wait in the next collective.
good_rows() { sed -n '2,60p' "$DIABETES"; }
header=$(head -1 "$DIABETES")
with_last() { { echo "$header"; good_rows; printf '%s\n' "$2"; } >"$1"; }
with_last ragged_short.csv "151,59,2,32.1,101,157,93.2,38,4,4.86"
with_last ragged_long.csv "151,59,2,32.1,101,157,93.2,38,4,4.86,87,5"
with_last word.csv "151,59,2,32.1,101,157,93.2,abc,4,4.86,87"
with_last nan.csv "151,59,2,32.1,101,nan,93.2,38,4,4.86,87"
with_last inf.csv "151,59,2,32.1,101,-Inf,93.2,38,4,4.86,87"
with_last overflow.csv "151,59,2,32.1,101,157,1e999,38,4,4.86,87"
with_last empty_field.csv "151,59,2,32.1,,157,93.2,38,4,4.86,87"
: >empty.csv
echo "$header" >header_only.csv
printf '\n\r\n\n' >blank.csv
# A program given as data: the lariat binary itself.
head -c 8192 "$LARIAT" >garbage.csv
tail -c 8192 "$LARIAT" >garbage.svm
{ printf 'y,a,b,w\n'; for i in $(seq 1 30); do echo "$i,$((i % 7)),$((i % 5)),1"; done; echo "3,1,2,-0.5"; } >negw.csv
{ printf 'y,a,b,w\n'; for i in $(seq 1 30); do echo "$i,$((i % 7)),$((i % 5)),0"; done; } >zerow.csv
svm_rows() { for i in $(seq 1 40); do echo "$((i % 3)) 1:$i 2:$((i % 5)) 4:1.5"; done; }
{ svm_rows; echo "1 0:1 2:3"; } >zero_index.svm
{ svm_rows; echo "1 3:1 2:3"; } >decreasing.svm
{ svm_rows; echo "1 x:1 2:3"; } >word_index.svm
{ svm_rows; echo "1 1:1 2:nan"; } >nan_value.svm
n=$(($(wc -l <"$DIABETES") - 1))
seq 1 $((n - 1)) | awk '{ print $1 % 5 + 1 }' >short.fold
seq 1 $((n + 1)) | awk '{ print $1 % 5 + 1 }' >long.fold
seq 1 "$n" | awk '{ print NR == 300 ? 0 : $1 % 5 + 1 }' >zero.fold
seq 1 "$n" | awk '{ print NR == 300 ? "1e300" : $1 % 5 + 1 }' >huge.fold
seq 1 "$n" | awk '{ print NR == 300 ? 2.5 : $1 % 5 + 1 }' >half.fold
seq 1 "$n" | awk '{ print $1 % 2 ? 1 : 3 }' >gap.fold
seq 1 "$n" | awk '{ print 1 }' >one.fold
head -6 "$DIABETES" >six.csv
printf 'data = %s\nalpah = 0.5\n' "$DIABETES" >badkey.conf
printf 'data = %s\n\nalpha 0.5\n' "$DIABETES" >malformed.conf
printf 'data = %s\nnfolds = 1\n' "$DIABETES" >badvalue.conf
touch afile
seq 1 4 >pf4.txt
seq 1 "$(($(head -1 "$DIABETES" | tr ',' '\n' | wc -l) - 1))" | awk '{ print 0 }' >pf0.txt

# ------------------------------------------------------------ the table
# STATUS|CULPRIT|COMMAND ARGS (words; ";" = the output folder o/, "@" = the
# diabetes data). CULPRIT is a fixed string the one error line must contain.
cases=$(
    cat <<'TABLE'
2|missing.csv:|fit --data missing.csv --out ;model.json
2|empty.csv: no data rows|fit --data empty.csv --out ;model.json
2|header_only.csv: no data rows|fit --data header_only.csv --out ;model.json
2|blank.csv: no data rows|fit --data blank.csv --out ;model.json
2|ragged_short.csv:61:11:|fit --data ragged_short.csv --out ;model.json
2|ragged_long.csv:61:12:|fit --data ragged_long.csv --out ;model.json
2|word.csv:61:8:|fit --data word.csv --out ;model.json
2|nan.csv:61:6:|fit --data nan.csv --out ;model.json
2|inf.csv:61:6:|cv --data inf.csv --out ;model.json --cv-out ;cv.csv
2|overflow.csv:61:7:|fit --data overflow.csv --out ;model.json
2|empty_field.csv:61:5:|fit --data empty_field.csv --out ;model.json
2|garbage.csv|fit --data garbage.csv --out ;model.json
2|garbage.svm|fit --data garbage.svm --out ;model.json
2|label column 11 is out of range|fit --data @ --label 11 --out ;model.json
2|no column named 'target'|fit --data @ --label target --out ;model.json
2|no column named 'w'|fit --data @ --weights w --out ;model.json
2|negw.csv:32:4: negative weight|fit --data negw.csv --weights w --out ;model.json
2|zerow.csv: the weights are all zero|fit --data zerow.csv --weights w --out ;model.json
2|zero_index.svm:41:2:|fit --data zero_index.svm --out ;model.json
2|decreasing.svm:41:3:|fit --data decreasing.svm --out ;model.json
2|word_index.svm:41:2:|fit --data word_index.svm --out ;model.json
2|nan_value.svm:41:3:|fit --data nan_value.svm --out ;model.json
2|short.fold|cv --data @ --foldid short.fold --out ;model.json
2|long.fold:443:|cv --data @ --foldid long.fold --out ;model.json
2|zero.fold:300:|cv --data @ --foldid zero.fold --out ;model.json
2|huge.fold:300:|cv --data @ --foldid huge.fold --out ;model.json
2|half.fold:300:|cv --data @ --foldid half.fold --out ;model.json
2|gap.fold: no row is in fold 2|cv --data @ --foldid gap.fold --out ;model.json
2|one.fold|cv --data @ --foldid one.fold --out ;model.json
2|pf4.txt|fit --data @ --penalty-factor pf4.txt --out ;model.json
1|every penalty factor is 0|fit --data @ --penalty-factor pf0.txt --out ;model.json
1|--alpha|fit --data @ --alpha 1.5 --out ;model.json
1|--alpha|cv --data @ --alpha 0.5,-0.1 --out ;model.json
1|--lambda|fit --data @ --lambda -1 --out ;model.json
1|--nfolds|cv --data @ --nfolds 1 --out ;model.json
2|--nfolds: 10 folds is more than the 5 rows|cv --data six.csv --out ;model.json
1|--cv-groups|cv --data @ --cv-groups 4 --out ;model.json
1|--alpah|fit --data @ --alpah 0.5 --out ;model.json
1|badkey.conf:2:|fit --config badkey.conf --out ;model.json
1|malformed.conf:3:|fit --config malformed.conf --out ;model.json
1|badvalue.conf:2: nfolds|cv --config badvalue.conf --out ;model.json
1|--max-memory|fit --data @ --max-memory 2K --out ;model.json
1|--max-memory|fit --data @ --max-memory 12X --out ;model.json
3|afile/model.json|fit --data @ --out afile/model.json
3|--cv-out|cv --data @ --out ;model.json --cv-out afile/cv.csv
3|--plot|cv --data @ --out ;model.json --plot afile/cv.svg
3|--plot|fit --data @ --out ;model.json --plot afile/fit.svg
TABLE
)

checked=0
while IFS='|' read -r status culprit command; do
    [ -n "$status" ] || continue
    command=${command//@/$DIABETES}
    command=${command//;/o\/}
    for np in 1 3; do
        what="'$command' at $np ranks"
        rm -rf o && mkdir o
        # shellcheck disable=SC2086 # the words of the table are the arguments
        run_all "$np" $command
        same_status "$np" "$status" "$what"
        expect_error "$status" "$culprit" "$what"
        [ -z "$(ls -A o)" ] || fail "$what left files behind: $(ls -A o | tr '\n' ' ')"
        ls ./*.tmp.* >/dev/null 2>&1 && fail "$what left a temporary: $(ls ./*.tmp.*)"
        checked=$((checked + 1))
    done
done <<<"$cases"
echo "reliability: $checked failing runs ended with their status on every rank and one message"

# -------------------------------------------------- awkward but valid
# coef FILE: the coefficients of a model, one per line.
coef() { jq -r '.coef[]' "$1"; }
# fit_ok NP ARGS...: the fit succeeds on every rank.
fit_ok() {
    local np=$1
    shift
    run_all "$np" "$@"
    same_status "$np" 0 "lariat $* at $np ranks"
}

for np in 1 3; do
    fit_ok "$np" fit --data "$DIABETES" --lambda 1 --tol 1e-10 --out ref.json

    # CRLF line endings and no final newline: the same numbers as the original.
    sed 's/$/\r/' "$DIABETES" >crlf.csv
    head -c -1 "$DIABETES" >no_newline.csv
    for f in crlf.csv no_newline.csv; do
        fit_ok "$np" fit --data "$f" --lambda 1 --tol 1e-10 --out awk.json
        [ "$(jq .n_samples awk.json)" = "$n" ] || fail "$f at $np ranks: $(jq .n_samples awk.json) rows, expected $n"
        d=$(max_rel_diff <(coef awk.json) <(coef ref.json))
        close_enough "$d" 1e-12 || fail "$f at $np ranks: coefficients differ from the plain file's by $d"
    done

    # Constant y: lambda_max is 0 and every coefficient is 0; the intercept is y.
    awk -F, -v OFS=, 'NR > 1 { $1 = 7 } { print }' "$DIABETES" >const_y.csv
    fit_ok "$np" fit --data const_y.csv --out const_y.json
    [ "$(coef const_y.json | sort -u)" = "0" ] || fail "constant y at $np ranks: nonzero coefficients"
    [ "$(jq .intercept const_y.json)" = "7" ] || fail "constant y at $np ranks: intercept $(jq .intercept const_y.json)"

    # A constant column gets 0 and a warning; a duplicated column (bmi) is
    # split evenly by the elastic net (alpha < 1 is strictly convex in the
    # pair) and its sum equals the single column's coefficient for the lasso.
    awk -F, -v OFS=, 'NR == 1 { print $0, "const", "bmi2"; next } { print $0, 3, $4 }' "$DIABETES" >dup.csv
    fit_ok "$np" fit --data dup.csv --alpha 0.5 --lambda 0.5 --tol 1e-12 --out dup.json
    grep -q 'const' err || fail "no warning about the constant column at $np ranks"
    [ "$(jq '.coef[10]' dup.json)" = "0" ] || fail "the constant column's coefficient is not 0 at $np ranks"
    awk -v a="$(jq '.coef[2]' dup.json)" -v b="$(jq '.coef[11]' dup.json)" \
        'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != 0 && d <= 1e-6 * (a < 0 ? -a : a)) }' ||
        fail "elastic net at $np ranks split bmi as $(jq -c '[.coef[2], .coef[11]]' dup.json), not evenly"
    cut -d, -f1-11 dup.csv >single.csv
    fit_ok "$np" fit --data dup.csv --alpha 1 --lambda 0.5 --tol 1e-12 --out dup1.json
    fit_ok "$np" fit --data single.csv --alpha 1 --lambda 0.5 --tol 1e-12 --out single1.json
    awk -v a="$(jq '.coef[2]' dup1.json)" -v b="$(jq '.coef[11]' dup1.json)" -v c="$(jq '.coef[2]' single1.json)" \
        'BEGIN { d = a + b - c; if (d < 0) d = -d; exit !(d <= 1e-6 * (c < 0 ? -c : c)) }' ||
        fail "lasso at $np ranks: bmi + bmi2 = $(jq '.coef[2] + .coef[11]' dup1.json), single bmi $(jq '.coef[2]' single1.json)"

    # Columns rescaled by 10^-6 .. 10^6: standardization makes the model the
    # same, with coefficients divided by the scales.
    awk -F, -v OFS=, 'NR == 1 { print; next }
        { for (j = 2; j <= NF; j++) $j = sprintf("%.17g", $j * 10 ^ (-6 + 12 * (j - 2) / (NF - 2))); print }' \
        "$DIABETES" >scaled.csv
    fit_ok "$np" fit --data scaled.csv --lambda 1 --tol 1e-10 --out scaled.json
    jq -r '.coef | to_entries[] | .value * pow(10; -6 + 12 * .key / 9)' scaled.json >unscaled.txt
    d=$(max_rel_diff unscaled.txt <(coef ref.json))
    close_enough "$d" 1e-6 || fail "columns scaled by 1e-6..1e6 at $np ranks: coefficients differ by $d"
done

# Fewer rows than ranks: 2 rows at 4 ranks (two ranks hold none).
head -3 "$DIABETES" >two.csv
fit_ok 4 fit --data two.csv --lambda 1 --out two.json
[ "$(jq .n_samples two.json)" = "2" ] || fail "2 rows at 4 ranks: n_samples $(jq .n_samples two.json)"

# Lines of about 1 MB (55000 features on 5 rows): every rank's byte range
# starts inside a line. The few iterations give the same iterate at any
# rank count; the memory check counts the whole first line, so gram's
# 55000 x 55000 Gram is refused before anything is read.
awk 'BEGIN { srand(3); for (i = 0; i < 5; i++) { x = rand(); printf "%.17g,%.17g", 3 * x, x;
             for (j = 1; j < 55000; j++) printf ",%.17g", rand(); printf "\n" } }' >wide.csv
fit_ok 1 fit --data wide.csv --lambda 0.05 --max-iter 50 --out wide1.json
fit_ok 3 fit --data wide.csv --lambda 0.05 --max-iter 50 --out wide3.json
[ "$(jq .n_features wide3.json)" = "55000" ] || fail "wide lines: $(jq .n_features wide3.json) features"
d=$(max_rel_diff <(coef wide3.json) <(coef wide1.json))
close_enough "$d" 1e-9 || fail "wide lines: 1 and 3 ranks differ by $d"
run_all 3 fit --data wide.csv --solver gram --max-memory 4G --out o/model.json
same_status 3 1 "gram on 55000 features under --max-memory 4G"
expect_error 1 "--max-memory" "gram on 55000 features under --max-memory 4G"
grep -q -- "--solver fista" err || fail "the memory refusal does not suggest --solver fista"

# --max-memory large enough passes (and suffixes parse).
fit_ok 3 fit --data "$DIABETES" --lambda 1 --max-memory 1G --out big.json
echo "reliability: ok"

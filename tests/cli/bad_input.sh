#!/usr/bin/env bash
# Bad data (SPEC.md sections 5 and 8): a ragged row, a field that is not a
# number and a NaN each exit 2 with one message naming file:line:column, at 1
# and 3 ranks, wherever the bad row falls, and leave no output file.
source "$(dirname "$0")/common.sh"

# bad_copy NAME LINE TEXT: the diabetes data with line LINE replaced by TEXT.
bad_copy() {
    awk -v n="$2" -v t="$3" 'NR == n { print t; next } { print }' "$DIABETES" >"$1"
}
for line in 3 440; do
    bad_copy "ragged$line.csv" "$line" "151,59,2,32.1,101,157,93.2,38,4,4.86"
    bad_copy "word$line.csv" "$line" "151,59,2,32.1,101,157,93.2,abc,4,4.86,87"
    bad_copy "nan$line.csv" "$line" "151,59,2,32.1,101,nan,93.2,38,4,4.86,87"
done
for np in 1 3; do
    for line in 3 440; do
        for kind in ragged word nan; do
            f="$kind$line.csv"
            run "$np" fit --data "$f" --out model.json
            expect_error 2 "$f:$line:" "$kind at line $line, $np ranks"
            grep '^lariat: error:' err | grep -E "$f:$line:[0-9]+" >/dev/null || fail "$kind: no column in the message"
            [ ! -e model.json ] || fail "$kind: a model was left behind"
            [ -z "$(ls | grep 'model.json.tmp' || true)" ] || fail "$kind: a temporary was left behind"
        done
    done
    run "$np" fit --data "$DIABETES" --lambda 1 --out good.json
    expect 0 "fit for predict"
    run "$np" predict --model good.json --data word440.csv --out pred.csv
    expect_error 2 "word440.csv:440:" "predict on bad data, $np ranks"
    [ ! -e pred.csv ] || fail "predict left a file after bad data"
    printf '{"format": "lariat-model", "version": 1' >broken.json
    run "$np" predict --model broken.json --data "$DIABETES" --out pred.csv
    expect_error 2 "broken.json" "predict with a broken model, $np ranks"
    [ ! -e pred.csv ] || fail "predict left a file after a bad model"
done
echo "bad_input: ok"

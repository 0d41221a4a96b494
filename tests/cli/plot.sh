#!/usr/bin/env bash
# The pictures (fit --plot, cv --plot) are well-formed SVG, and fit's
# coefficient paths draw what the model says: for each family (gaussian,
# binomial, multinomial: one panel per class), one line per coefficient that
# is nonzero somewhere on the path, each with a point per lambda, and the
# counts along the top equal the model's nonzero counts at their lambdas.
# Feature names that are not XML-safe are escaped; a plot that cannot be
# written is an error naming it, with nothing left behind.
source "$(dirname "$0")/common.sh"
command -v xmllint >/dev/null || fail "xmllint is missing (Debian: libxml2-utils)"

FIXTURES="$LARIAT_SOURCE_DIR/tests/fixtures"

# xpath FILE EXPR: the XPath 1.0 expression's value (names by local-name(),
# since the elements are in the SVG namespace).
xpath() { xmllint --xpath "$2" "$1" 2>/dev/null || true; }
el() { printf "*[local-name()='%s']" "$1"; }

# well_formed SVG: parses as XML and its root is an svg element.
well_formed() {
    xmllint --noout "$1" 2>xml.err || fail "$1 is not well-formed XML: $(head -5 xml.err)"
    [ "$(xpath "$1" 'local-name(/*)')" = svg ] || fail "$1: the root element is not <svg>"
}

# check_paths MODEL SVG WHAT: the panels of SVG against the path of MODEL.
check_paths() {
    local model=$1 svg=$2 what=$3
    well_formed "$svg"
    local K n p
    K=$(jq 'if (.coef[0] | type) == "array" then (.coef | length) else 1 end' "$model")
    n=$(jq '.path | length' "$model")
    p=$(jq .n_features "$model")
    [ "$(xpath "$svg" "count(//$(el g)[@class='panel'])")" = "$K" ] || fail "$what: not $K panels"
    grep -qF 'log(λ)' "$svg" || fail "$what: no log(λ) axis label"
    grep -qF '>coefficients<' "$svg" || fail "$what: no 'coefficients' axis label"
    local c
    for ((c = 0; c < K; c++)); do
        local panel="//$(el g)[@class='panel'][@data-class='$c']"
        # jq: predictor c's coefficients in every path entry.
        local coefs="def panel: if (.coef[0] | type) == \"array\" then .coef[$c] else .coef end; [.path[] | panel]"
        # The lines: exactly the coefficients that are nonzero somewhere (in
        # any order: the named ones are drawn last, on top).
        local expected got
        expected=$(jq -r "$coefs as \$P | [range(0; $p) | select(. as \$j | any(\$P[]; .[\$j] != 0))] | map(tostring) | join(\" \")" "$model")
        got=$(xpath "$svg" "$panel//$(el polyline)[@class='coef']/@data-feature" | grep -o '[0-9]*' | sort -n | tr '\n' ' ' | sed 's/ $//')
        [ -n "$expected" ] || fail "$what, panel $c: the model has no nonzero coefficient"
        [ "$got" = "$expected" ] || fail "$what, panel $c: lines for features '$got', expected '$expected'"
        local lines
        lines=$(xpath "$svg" "count($panel//$(el polyline)[@class='coef'])")
        [ "$lines" = "$(wc -w <<<"$expected")" ] || fail "$what, panel $c: $lines lines"
        # Each line has one point per lambda (all > 0 on the default path).
        xpath "$svg" "$panel//$(el polyline)[@class='coef']/@points" | grep -o 'points="[^"]*"' |
            awk -v n="$n" '{ gsub(/points="|"/, ""); if (split($0, a, " ") != n) bad++ } END { exit bad > 0 }' ||
            fail "$what, panel $c: a line has not $n points"
        [ "$(xpath "$svg" "count($panel/$(el line)[@class='zero'])")" = 1 ] || fail "$what, panel $c: no zero line"
        # The top axis: each count equals the model's at its lambda (the
        # model's "nonzero" with one predictor; the class's own count with K).
        local counts
        if [ "$K" = 1 ]; then
            counts=$(jq -r '[.path[].nonzero] | map(tostring) | join(" ")' "$model")
        else
            counts=$(jq -r "$coefs | map(map(select(. != 0)) | length | tostring) | join(\" \")" "$model")
        fi
        local shown
        shown=$(xpath "$svg" "$panel//$(el g)[@class='nonzero-axis']/$(el text)" |
            grep -o 'data-index="[0-9]*">[0-9]*<' | sed 's/data-index="\([0-9]*\)">\([0-9]*\)</\1 \2/')
        [ "$(wc -l <<<"$shown")" -ge 5 ] || fail "$what, panel $c: fewer than 5 counts along the top: '$shown'"
        awk -v counts="$counts" 'BEGIN { m = split(counts, want, " ") }
            { if ($1 + 1 > m || want[$1 + 1] != $2) { print "at path index " $1 ": " $2 ", model " want[$1 + 1]; bad = 1 } }
            END { exit bad }' <<<"$shown" >awk.out || fail "$what, panel $c: top-axis counts differ: $(cat awk.out)"
    done
}

# Gaussian (the diabetes data), binomial and multinomial, at 3 ranks.
run 3 fit --data "$DIABETES" --out g.json --plot g.svg --quiet
expect 0 "gaussian fit --plot"
check_paths g.json g.svg "gaussian"
run 3 fit --data "$FIXTURES/class_breast.csv" --label y --family binomial --out b.json --plot b.svg --quiet
expect 0 "binomial fit --plot"
check_paths b.json b.svg "binomial"
grep -qF 'log-odds of class 1 against 0' b.svg || fail "binomial: the plot does not say which class the coefficients favour"
run 3 fit --data "$FIXTURES/class_wine.csv" --label y --family multinomial --out m.json --plot m.svg --quiet
expect 0 "multinomial fit --plot"
check_paths m.json m.svg "multinomial"
for c in 0 1 2; do
    grep -qF "Coefficient paths: class $c<" m.svg || fail "multinomial: no panel titled class $c"
done
ls ./*.tmp.* >/dev/null 2>&1 && fail "a temporary was left behind: $(ls ./*.tmp.*)"

# Names that XML must not see raw (&, <, a byte that is not UTF-8) are
# escaped; a name is a line's tooltip and, for the largest few, its label.
{
    printf 'y,a&b,"<x>",caf\xc3\xa9,bad\xff,a_very_long_feature_name_indeed\n'
    tail -n +2 "$DIABETES" | cut -d, -f1-6
} >odd.csv
run 1 fit --data odd.csv --out odd.json --plot odd.svg --quiet
expect 0 "fit --plot with odd feature names"
well_formed odd.svg
[ "$(xpath odd.svg "string(//$(el polyline)[@data-feature='0']/$(el title))")" = 'a&b' ] || fail "the name a&b was not kept"
[ "$(xpath odd.svg "string(//$(el polyline)[@data-feature='1']/$(el title))")" = '<x>' ] || fail "the name <x> was not kept"

# One lambda: still a picture, a dot per nonzero coefficient.
run 1 fit --data "$DIABETES" --lambda 0.3 --out one.json --plot one.svg --quiet
expect 0 "fit --plot at one lambda"
well_formed one.svg
[ "$(xpath one.svg "count(//$(el circle))")" = "$(jq '[.coef[] | select(. != 0)] | length' one.json)" ] ||
    fail "one lambda: not one dot per nonzero coefficient"

# The CV plot is well-formed too.
run 3 cv --data "$DIABETES" --nfolds 3 --out cv.json --plot cv.svg --quiet
expect 0 "cv --plot"
well_formed cv.svg

# A plot that cannot be written: checked before reading, the message names
# the option and the file, no model is written.
touch afile
run 3 fit --data "$DIABETES" --out nomodel.json --plot afile/p.svg
expect_error 3 "afile/p.svg" "fit --plot into a file that is not a folder"
grep '^lariat: error:' err | grep -qF -- "--plot" || fail "the error does not name --plot"
[ ! -e nomodel.json ] || fail "a model was written although the plot cannot be"

echo "plot: ok"

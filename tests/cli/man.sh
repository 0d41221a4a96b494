#!/usr/bin/env bash
# lariat(1): man/lariat.1 is what `lariat help-options --man` writes from the
# option and command tables (regenerate it with
# `build/lariat help-options --man > man/lariat.1`), it lists every option,
# and groff and man render it without a warning.
source "$(dirname "$0")/common.sh"

page="$LARIAT_SOURCE_DIR/man/lariat.1"
run_plain help-options --man
expect 0 "lariat help-options --man"
cp out generated.1
diff -u generated.1 "$page" > man.diff ||
    fail "man/lariat.1 differs from 'lariat help-options --man': $(head -20 man.diff)"

# Every option of the table, and every command, is in the page.
run_plain help-options --markdown
expect 0 "lariat help-options --markdown"
for opt in $(sed -n 's/^| `--\([a-z-]*\).*/\1/p' out); do
    grep -qF -- "\\fB$(printf '%s' "--$opt" | sed 's/-/\\-/g')\\fR" "$page" || fail "--$opt is not in man/lariat.1"
done
for cmd in fit cv predict gen info; do
    grep -qx ".B $cmd" "$page" || fail "command $cmd is not in the COMMANDS of man/lariat.1"
done

# Rendered at a fixed width, with every groff warning on: nothing on stderr.
groff -man -ww -z "$page" 2> groff.err || fail "groff failed on man/lariat.1: $(cat groff.err)"
[ ! -s groff.err ] || fail "groff -ww warns about man/lariat.1: $(head -20 groff.err)"
MANWIDTH=80 man --warnings -l "$page" > man.txt 2> man.err ||
    fail "man -l failed on man/lariat.1: $(cat man.err)"
[ ! -s man.err ] || fail "man -l warns about man/lariat.1: $(head -20 man.err)"
grep -q '^LARIAT(1) ' man.txt || fail "man -l rendered no LARIAT(1) header"
grep -q -- '--alpha A\[,A\.\.\.\]' man.txt || fail "man -l rendered no --alpha entry"
awk 'length > 80 { bad = 1 } END { exit bad }' man.txt || fail "man -l at MANWIDTH=80 wrote lines longer than 80"

echo "man: ok"

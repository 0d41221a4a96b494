#!/usr/bin/env bash
# The command line (SPEC.md sections 4 and 8): help and version exit 0;
# unknown options, options of another command and bad values exit 1 with one
# message naming the option, at 1 and 3 ranks.
source "$(dirname "$0")/common.sh"

run 1 --help
expect 0 "lariat --help"
grep -q '^usage:' out || fail "lariat --help prints no usage"
cp out help.txt
for cmd in fit predict gen info; do
    grep -q "lariat $cmd" help.txt || fail "lariat --help does not list $cmd"
    run 1 "$cmd" --help
    expect 0 "lariat $cmd --help"
    grep -q "^usage: lariat $cmd" out || fail "lariat $cmd --help prints no usage"
done
run 2 fit --help
expect 0 "lariat fit --help at 2 ranks"
[ "$(grep -c '^usage:' out)" -eq 1 ] || fail "help printed by more than one rank"

version=$(sed -n 's/^#define LARIAT_VERSION "\(.*\)"/\1/p' "$LARIAT_SOURCE_DIR/include/lariat.h")
# --version: the version on the first line, then what lariat was built with,
# each as the library itself reports it (ompi_info's way), printed once.
run 2 --version
expect 0 "lariat --version"
[ "$(head -1 out)" = "lariat $version" ] || fail "lariat --version printed '$(head -1 out)', expected 'lariat $version'"
[ "$(grep -c '^lariat ' out)" -eq 1 ] || fail "lariat --version printed by more than one rank"
for key in compiler MPI BLAS LAPACK ScaLAPACK HDF5 cJSON; do
    grep -q "^  $key: *[^ ]" out || fail "lariat --version has no '$key:' line: $(cat out)"
done
mpi_version=$("$MPIEXEC" --version 2>/dev/null | sed -n 's/^mpi[a-z]* (Open MPI) \([0-9.]*\).*/\1/p')
if [ -n "$mpi_version" ]; then
    grep -q "^  MPI: *Open MPI v$mpi_version," out || fail "lariat --version does not name Open MPI $mpi_version: $(grep MPI: out)"
fi
if pkg-config --exists hdf5-openmpi; then
    grep -q "^  HDF5: *$(pkg-config --modversion hdf5-openmpi) (parallel)$" out ||
        fail "lariat --version does not name parallel HDF5 $(pkg-config --modversion hdf5-openmpi): $(grep HDF5: out)"
fi
grep -q "^  BLAS: *OpenBLAS [0-9]" out || fail "lariat --version does not name OpenBLAS: $(grep BLAS: out)"

# Every option of a command's help is in the markdown table, and the table
# has one row per option.
run 1 help-options --markdown
expect 0 "lariat help-options --markdown"
cp out table.md
head -1 table.md | grep -q '^| option | meaning | default | commands |$' || fail "markdown table header"
for cmd in fit predict gen info; do
    run 1 "$cmd" --help
    for opt in $(grep -o '^  --[a-z-]*' out | tr -d ' ' | grep -v '^--help$'); do
        grep -q "^| \`$opt[ \`]" table.md || fail "$opt of lariat $cmd --help is not in the markdown table"
    done
done

for np in 1 3; do
    run "$np" fit --data "$DIABETES" --alpah 0.5
    expect_error 1 "--alpah" "unknown option at $np ranks"
    grep -qF -- "--alpha" err || fail "no suggestion of --alpha for --alpah"
done
run 1 fit --data "$DIABETES" --nfolds 5
expect_error 1 "--nfolds" "an option of cv given to fit"
run 1 frobnicate
expect_error 1 "frobnicate" "unknown command"
run 1
expect_error 1 "no command" "no command"
run 1 fit
expect_error 1 "--data" "fit without --data"
run 1 fit --data
expect_error 1 "--data" "--data without a value"
run 1 fit --data "$DIABETES" stray
expect_error 1 "stray" "a stray argument"

# Bad values: each exits 1 naming the option (and nothing is written).
while IFS='|' read -r opt value; do
    for np in 1 3; do
        [ "$np" -eq 3 ] && [ "$opt" != "--alpha" ] && continue
        run "$np" fit --data "$DIABETES" --out m.json "$opt" "$value"
        expect_error 1 "$opt" "bad value $opt $value at $np ranks"
        [ ! -e m.json ] || fail "a model was written after bad value $opt $value"
    done
done <<'VALUES'
--alpha|1.5
--alpha|-0.1
--alpha|0.5,1
--alpha|abc
--alpha|nan
--lambda|-1
--lambda|1,,2
--lambda|inf
--nlambda|0
--nlambda|2.5
--lambda-min-ratio|0
--lambda-min-ratio|1
--tol|0
--tol|1e-7x
--max-iter|0
--max-iter|1e12
--solver|newton
--header|maybe
--delimiter|ab
--lower|1
--upper|-1
--rho|-1
--test-fraction|1
--seed|-3
--format|xls
VALUES

# Data problems are status 2, usage problems status 1: a missing data file is 2.
run 3 fit --data "$WORK/missing.csv"
expect_error 2 "missing.csv" "missing data file"
# The options table of docs/cli.md is the one the option table generates
# (between the options-table markers; regenerate it with
# `build/lariat help-options --markdown`).
"$LARIAT" help-options --markdown > "$WORK/options.md"
page="$LARIAT_SOURCE_DIR/docs/cli.md"
[ "$(grep -c '^<!-- options-table' "$page")" -eq 1 ] && [ "$(grep -c '^<!-- /options-table -->' "$page")" -eq 1 ] ||
    fail "docs/cli.md has not exactly one pair of options-table markers"
sed -n '/^<!-- options-table/,/^<!-- \/options-table -->/p' "$page" | sed '1d;$d' > "$WORK/doc-options.md"
diff -u "$WORK/options.md" "$WORK/doc-options.md" > "$WORK/options.diff" ||
    fail "docs/cli.md's options table differs from 'lariat help-options --markdown': $(head -20 "$WORK/options.diff")"

echo "usage: ok"

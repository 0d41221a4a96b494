# Shared by the tests/cli scripts (sourced): a scratch folder, a runner that
# captures the status, stdout and stderr of `lariat` at K ranks under a
# timeout, and assertions that print what went wrong.
set -euo pipefail
: "${LARIAT:?set by ctest}" "${MPIEXEC:?set by ctest}" "${LARIAT_SOURCE_DIR:?set by ctest}"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

DIABETES="$LARIAT_SOURCE_DIR/configs/data/diabetes.csv"

fail() {
    echo "FAIL: $*" >&2
    if [ -f "$WORK/err" ]; then
        echo "--- stderr of the last run:" >&2
        cat "$WORK/err" >&2
    fi
    exit 1
}

# run K ARGS...: lariat at K ranks; sets $rc, writes $WORK/out and $WORK/err.
run() {
    local np=$1
    shift
    rc=0
    timeout 60 "$MPIEXEC" -n "$np" "$LARIAT" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
}

# run_plain ARGS...: lariat without a launcher (one rank, an MPI singleton), as
# run sets $rc and the outputs. Quicker than mpiexec for a run that fails:
# mpiexec takes seconds to wind down after a non-zero exit.
run_plain() {
    rc=0
    timeout 60 "$LARIAT" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
}

# expect STATUS WHAT: the last run exited with STATUS.
expect() {
    [ "$rc" -eq "$1" ] || fail "$2: exit status $rc, expected $1"
}

# expect_error STATUS TEXT WHAT: the last run exited with STATUS and printed
# exactly one error line, which contains TEXT (a fixed string).
expect_error() {
    expect "$1" "$3"
    local n
    # Status 4 (stopped by a signal after a checkpoint) is not labelled an error.
    local pattern='^lariat: error:'
    [ "$1" != 4 ] || pattern='^lariat: stopped by '
    n=$(grep -c "$pattern" "$WORK/err" || true)
    [ "$n" -eq 1 ] || fail "$3: $n error lines on stderr, expected exactly 1"
    grep "$pattern" "$WORK/err" | grep -F -- "$2" >/dev/null || fail "$3: the error does not mention '$2'"
}

# max_rel_diff FILE_A FILE_B: max |a - b| / max(1, max |b|) over the numbers
# of two files with one number per line (and the same line count).
max_rel_diff() {
    paste "$1" "$2" | awk '
        NF != 2 { bad = 1 }
        { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d;
          s = $2 < 0 ? -$2 : $2; if (s > scale) scale = s; n++ }
        END { if (bad || n == 0) { print "inf"; exit }
              if (scale < 1) scale = 1; printf "%.3e\n", m / scale }'
}

# close_enough VALUE TOL: VALUE <= TOL (numbers as awk reads them).
close_enough() {
    awk -v v="$1" -v t="$2" 'BEGIN { exit !(v != "inf" && v + 0 <= t + 0) }'
}

#!/usr/bin/env bash
# Checkpoint and restart end to end (SPEC.md section 7): `lariat cv` at 3
# ranks stopped mid-CV by SIGUSR1 sent to mpirun (which forwards it) exits 4
# on every rank with one message, leaves the checkpoint and no model, and
# resumed with --resume writes a model identical, field for field, to an
# uninterrupted run's; stopped by SIGTERM sent to the ranks themselves (as
# Slurm does) and resumed at 2 ranks, the model agrees to 1e-9. A resume with
# other options, without --checkpoint, or without the file is refused.
source "$(dirname "$0")/common.sh"

"$LARIAT" gen --rows 20000 --features 40 --seed 5 --out data.csv --quiet || fail "gen"
OPTS=(cv --data data.csv --solver fista --nfolds 4 --nlambda 20)

# model_fields FILE: the model without what differs between two equal runs.
model_fields() { jq -S 'del(.timings_s, .peak_rss_mb)' "$1"; }
numbers() { jq -r '.coef[], .intercept, .lambda, (.cv.table[] | .cvm, .cvsd)' "$1"; }

# start K ARGS...: lariat in the background; $pid is mpirun's.
start() {
    local np=$1
    shift
    "$MPIEXEC" -n "$np" "$LARIAT" "$@" >"$WORK/out" 2>"$WORK/err" &
    pid=$!
}

# wait_progress N: until rank 0 has logged N solved lambdas (--verbose), so
# that the signal lands mid-CV however fast the machine is.
wait_progress() {
    for _ in $(seq 600); do
        [ "$(grep -c '^lariat: lambda ' "$WORK/err" || true)" -ge "$1" ] && return 0
        kill -0 "$pid" 2>/dev/null || fail "the run ended before it was signalled"
        sleep 0.05
    done
    fail "no progress within 30 s"
}

# finish: waits for the background run; sets $rc.
finish() {
    rc=0
    wait "$pid" || rc=$?
}

run 3 "${OPTS[@]}" --cv-groups 1 --out ref.json --quiet
expect 0 "the uninterrupted CV"

# SIGUSR1 to mpirun, during the second fold's path (one group: every lambda is a boundary).
start 3 "${OPTS[@]}" --cv-groups 1 --out m.json --checkpoint ck.bin --verbose
wait_progress 50
kill -USR1 "$pid"
finish
expect_error 4 "stopped by SIGUSR1 after writing checkpoint ck.bin" "CV signalled with SIGUSR1"
[ -s ck.bin ] || fail "no checkpoint after SIGUSR1"
[ ! -e m.json ] || fail "a model was written by the stopped run"

run 3 "${OPTS[@]}" --cv-groups 1 --out m.json --checkpoint ck.bin --resume
expect 0 "the resumed CV"
grep -q 'resuming from checkpoint ck.bin at alpha 1 (1 of 1): the all-rows path done' err ||
    fail "the resume does not say where it resumes: $(grep resuming err)"
cmp -s <(model_fields m.json) <(model_fields ref.json) || fail "the resumed model differs from the uninterrupted one"

# SIGTERM to the ranks (not to mpirun, which would kill them within a
# second), with the folds trained by groups of ranks; resumed at 2 ranks.
start 3 "${OPTS[@]}" --cv-groups 3 --out t.json --checkpoint ck3.bin --verbose
# Just past the all-rows path's 20 lambdas, into rank 0's first fold: at 30 the
# rest of the run was short enough, on a busy host, to end before the signal.
wait_progress 22
kill -TERM $(pgrep -P "$pid")
finish
expect_error 4 "stopped by SIGTERM after writing checkpoint ck3.bin" "CV signalled with SIGTERM"
[ ! -e t.json ] || fail "a model was written by the run stopped by SIGTERM"
run 2 "${OPTS[@]}" --cv-groups 2 --out t.json --checkpoint ck3.bin --resume
expect 0 "the CV resumed at 2 ranks"
grep -q 'written at 3 ranks and is resumed at 2' err || fail "no note of the rank count"
numbers t.json >a.txt
numbers ref.json >b.txt
d=$(max_rel_diff a.txt b.txt)
close_enough "$d" 1e-9 || fail "the model resumed at 2 ranks differs by $d (relative)"

# Refusals: other options, --resume alone, no file.
run 3 "${OPTS[@]}" --alpha 0.5 --out x.json --checkpoint ck.bin --resume
expect_error 1 "was made with alpha 1, but this run has alpha 0.5" "resume with another alpha"
run 1 "${OPTS[@]}" --out x.json --resume
expect_error 1 "--resume needs --checkpoint FILE" "--resume without --checkpoint"
run 1 "${OPTS[@]}" --out x.json --checkpoint none.bin --resume
expect_error 2 "cannot resume from checkpoint none.bin" "--resume without the file"
[ ! -e x.json ] || fail "a model was written by a refused resume"

# fit saving at every lambda (--checkpoint-every 0) writes the model of a plain fit.
run 2 fit --data "$DIABETES" --out plain.json --quiet
run 2 fit --data "$DIABETES" --out saved.json --checkpoint fit.bin --checkpoint-every 0 --quiet
expect 0 "fit with a checkpoint at every lambda"
[ -s fit.bin ] || fail "no checkpoint written by fit"
cmp -s <(model_fields saved.json) <(model_fields plain.json) || fail "saving checkpoints changed the fit"
echo "checkpoint: ok"

#!/usr/bin/env bash
# The shipped Slurm batch scripts (jobs/*.sbatch) under a real single-node
# Slurm: munge, slurmctld and slurmd are started here in a temporary folder
# (PLATFORM.md's recipe, with a private munge socket and free ports so that
# nothing else on the machine is touched), each script is submitted unchanged
# with `sbatch --wait` (small data through its environment overrides), and
# its exit status and outputs are checked. The daemons are stopped by their
# pid files on every exit. Needs root (daemons as root, SlurmUser=root):
# otherwise exits 77, which ctest reports as skipped.
source "$(dirname "$0")/common.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIPPED: the Slurm test starts munge and Slurm daemons, which needs root"
    exit 77
fi
for prog in munged slurmctld slurmd sbatch srun sinfo jq; do
    command -v "$prog" >/dev/null || [ -x "/usr/sbin/$prog" ] || fail "$prog is not installed (.ci/setup installs it)"
done
JOBS="$LARIAT_SOURCE_DIR/jobs"

# munged checks that its folders are not writable by others: its own folder,
# owned by the munge user, outside the test's private (0700) scratch folder.
MUNGE_DIR=$(mktemp -d /tmp/lariat-munge.XXXXXX)
SLURM_DIR="$WORK/slurm"
mkdir -p "$SLURM_DIR/state" "$SLURM_DIR/spool" "$SLURM_DIR/tmp"

# stop PIDFILE: ends the daemon whose pid is in PIDFILE and waits (5 s at
# most) until it is gone, then kills it outright.
stop() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 0
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
    stop "$SLURM_DIR/slurmd.pid"
    stop "$SLURM_DIR/slurmctld.pid"
    stop "$MUNGE_DIR/munged.pid"
    rm -rf "$WORK" "$MUNGE_DIR"
}
trap cleanup EXIT
# A timeout (ctest, timeout(1)) sends TERM: exit so that the daemons stop too.
trap 'exit 143' INT TERM
# Up to 4 tasks share 2 cores under the CPUs=4 override: ranks that poll for
# messages without yielding make MPI jobs many times slower (60 s, not 3 s,
# for a fista CV), so every job here yields when idle.
export OMPI_MCA_mpi_yield_when_idle=1

# free_port: a TCP port no one listens on (Slurm's defaults may be taken by
# another Slurm on the machine).
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
    done
}
HOST=$(hostname -s)
CTLD_PORT=$(free_port)
SLURMD_PORT=$(free_port)
[ "$CTLD_PORT" != "$SLURMD_PORT" ] || SLURMD_PORT=$((CTLD_PORT + 1))

chown munge:munge "$MUNGE_DIR"
chmod 0755 "$MUNGE_DIR"
runuser -u munge -- /usr/sbin/munged --socket="$MUNGE_DIR/munge.socket" --pid-file="$MUNGE_DIR/munged.pid" \
    --log-file="$MUNGE_DIR/munged.log" --seed-file="$MUNGE_DIR/munged.seed" ||
    fail "munged did not start: $(cat "$MUNGE_DIR/munged.log" 2>/dev/null)"

# CPUs=4 with config_overrides: the jobs ask for 4 tasks on a machine with
# fewer cores. MinJobAge=4: with 6 or more, `sbatch --wait` can miss the
# job's end and return 0 (PLATFORM.md).
export SLURM_CONF="$SLURM_DIR/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=lariat-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_DIR/munge.socket
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
TmpFS=$SLURM_DIR/tmp
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/slurmctld.log
SlurmdLogFile=$SLURM_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SlurmdParameters=config_overrides
MinJobAge=4
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MailProg=/bin/true
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
/usr/sbin/slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start: $(tail -5 "$SLURM_DIR/slurmctld.log")"
/usr/sbin/slurmd -f "$SLURM_CONF" -N "$HOST" || fail "slurmd did not start: $(tail -5 "$SLURM_DIR/slurmd.log")"
state=""
for _ in $(seq 150); do
    state=$(sinfo -h -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.2
done
[ "$state" = idle ] || fail "the Slurm node is '$state', not idle, after 30 s: $(tail -5 "$SLURM_DIR/slurmd.log")"

# submit WHAT ARGS...: sbatch --wait from the source folder, as a user types
# `sbatch jobs/fit.sbatch` in a clone, so the scripts' defaults (configs/...)
# are what is tested; the job log goes to $WORK, and every test run sets OUT
# (and DATA) there too, so nothing is written into the source folder. Sets
# $rc and $job; sbatch's own messages go to $WORK/err.
submit() {
    local what=$1
    shift
    rc=0
    (cd "$LARIAT_SOURCE_DIR" && timeout 120 sbatch --parsable --wait --output="$WORK/%x-%j.out" "$@") \
        >"$WORK/sbatch.out" 2>"$WORK/err" || rc=$?
    job=$(head -n 1 "$WORK/sbatch.out" | cut -d';' -f1)
    [ -n "$job" ] || fail "$what: sbatch gave no job id"
}
# job_log NAME: the job's output file (NAME is the job's name).
job_log() { cat "$WORK/$1-$job.out" 2>/dev/null || true; }

# Every shipped script runs its work with srun, sets the BLAS threads from
# --cpus-per-task, asks for a warning signal before the time limit, and reads
# a config from configs/.
for script in "$JOBS"/*.sbatch; do
    name=$(basename "$script")
    grep -Eq '(^|[[:space:]])srun ' "$script" || fail "$name: does not use srun"
    grep -q 'OPENBLAS_NUM_THREADS=.*SLURM_CPUS_PER_TASK' "$script" || fail "$name: BLAS threads not from --cpus-per-task"
    grep -q '^#SBATCH --signal=' "$script" || fail "$name: no --signal"
    grep -q 'CONFIG="${CONFIG:-configs/' "$script" || fail "$name: no default config from configs/"
done

# fit: the whole lasso path of configs/diabetes-fit.conf on 4 ranks (LARIAT,
# the binary under test, is in the environment that sbatch passes on).
OUT="$WORK/fit" submit fit jobs/fit.sbatch
[ "$rc" -eq 0 ] || fail "fit.sbatch: exit status $rc; log: $(job_log lariat-fit)"
jq -e '.format == "lariat-model" and .n_samples == 442 and .n_features == 10 and .ranks == 4 and
       (.path | length) == 100 and .converged' "$WORK/fit.json" >/dev/null ||
    fail "fit.sbatch: unexpected model $(head -c 300 "$WORK/fit.json")"
job_log lariat-fit | grep -q "wrote.*fit.json" || fail "fit.sbatch: no summary in the job log"

# cv: configs/diabetes.conf (4 alphas, 10 folds) on 4 ranks, with the
# script's pass-through options.
OUT="$WORK/cv" submit cv jobs/cv.sbatch --nfolds 5
[ "$rc" -eq 0 ] || fail "cv.sbatch: exit status $rc; log: $(job_log lariat-cv)"
jq -e '.cv.nfolds == 5 and .ranks == 4 and .n_samples == 442 and (.cv.table | length) > 4' "$WORK/cv.json" \
    >/dev/null || fail "cv.sbatch: unexpected model"
[ "$(head -n 1 "$WORK/cv.csv")" = "alpha,lambda,cvm,cvsd,nonzero" ] || fail "cv.sbatch: bad CV table header"
[ "$(cut -d, -f1 "$WORK/cv.csv" | tail -n +2 | sort -u | wc -l)" -eq 4 ] || fail "cv.sbatch: not 4 alphas in the table"
grep -q '<svg' "$WORK/cv.svg" || fail "cv.sbatch: no SVG plot"

# classify: configs/breast-cancer.conf (binomial, 2 alphas) on 4 ranks, then
# predict's classes and probabilities of every row.
OUT="$WORK/classify" submit classify jobs/classify.sbatch --nfolds 5
[ "$rc" -eq 0 ] || fail "classify.sbatch: exit status $rc; log: $(job_log lariat-classify)"
jq -e '.family == "binomial" and .classes == [0, 1] and .cv.nfolds == 5 and .cv.type_measure == "deviance" and
       .n_samples == 569 and .ranks == 4' "$WORK/classify.json" >/dev/null ||
    fail "classify.sbatch: unexpected model $(head -c 300 "$WORK/classify.json")"
[ "$(head -n 1 "$WORK/classify-class.csv")" = "class" ] || fail "classify.sbatch: bad class header"
[ "$(tail -n +2 "$WORK/classify-class.csv" | sort -u | tr '\n' ' ')" = "0 1 " ] || fail "classify.sbatch: classes not 0/1"
[ "$(head -n 1 "$WORK/classify-probability.csv")" = "probability" ] || fail "classify.sbatch: bad probability header"
[ "$(tail -n +2 "$WORK/classify-probability.csv" | wc -l)" -eq 569 ] || fail "classify.sbatch: not 569 predictions"

# A failing job fails sbatch --wait with lariat's exit status (2: bad data).
printf 'data = no-such-file.csv\n' >"$WORK/missing.conf"
CONFIG="$WORK/missing.conf" OUT="$WORK/bad" submit "failing fit" jobs/fit.sbatch
[ "$rc" -eq 2 ] || fail "fit.sbatch on a missing data file: sbatch --wait returned $rc, expected 2"
job_log lariat-fit | grep -q "no-such-file.csv" || fail "fit.sbatch: the error is not in the job log"
[ ! -e "$WORK/bad.json" ] || fail "fit.sbatch: a failed fit left a model"

# path: makes its HDF5 data with gen (small, through the environment), then
# fits the path of configs/path.conf; 2 ranks x 2 BLAS threads.
DATA="$WORK/big.h5" ROWS=3000 FEATURES=40 NONZERO=5 OUT="$WORK/path" submit path -n 2 -c 2 jobs/path.sbatch
[ "$rc" -eq 0 ] || fail "path.sbatch: exit status $rc; log: $(job_log lariat-path)"
[ -s "$WORK/big.h5" ] || fail "path.sbatch: made no data file"
jq -e '.n_samples == 3000 and .n_features == 40 and .ranks == 2 and .alpha == 0.5 and (.path | length) == 100' \
    "$WORK/path.json" >/dev/null || fail "path.sbatch: unexpected model"
job_log lariat-path | grep -q "2 ranks x 2 BLAS threads" || fail "path.sbatch: BLAS threads not from -c 2"

# scaling in a 3-task job: strong and weak at 1, 2 (the powers of two below
# the task count) and 3 ranks, with options passed on to lariat cv.
OUT="$WORK/scaling" ROWS=2000 FEATURES=20 ROWS_PER_RANK=500 submit scaling -n 3 jobs/scaling.sbatch --nlambda 10 \
    --nfolds 3
[ "$rc" -eq 0 ] || fail "scaling.sbatch: exit status $rc; log: $(job_log lariat-scaling)"
csv="$WORK/scaling.csv"
[ "$(head -n 1 "$csv")" = "kind,ranks,threads,n,p,load_s,prepare_s,solve_s,cv_s,total_s" ] || fail "scaling: bad header"
expected="strong,1,1,2000,20 strong,2,1,2000,20 strong,3,1,2000,20 weak,1,1,500,20 weak,2,1,1000,20 weak,3,1,1500,20"
got=$(tail -n +2 "$csv" | cut -d, -f1-5 | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$expected" ] || fail "scaling: rows '$got', expected '$expected'"
tail -n +2 "$csv" | awk -F, '{ for (k = 6; k <= 10; k++) if ($k !~ /^[0-9.e+-]+$/ || $k < 0) exit 1;
                               if ($8 + $9 > $10) exit 1 }' || fail "scaling: bad timings: $(cat "$csv")"
[ -z "$(ls "$WORK/scaling.d"/*.h5 2>/dev/null)" ] || fail "scaling: the data files were not removed"

# The benchmark under Slurm, as docs/performance.md says it runs: sbatch
# jobs/bench.sh in its 2-task allocation (srun for lariat and lariat_bench),
# tiny sizes and no peers; its table and CSV come out as they do locally.
SIZE=tiny REPEATS=1 PEERS=none OUT="$WORK/bench" LARIAT="$LARIAT" BENCH_TOOL="$(dirname "$LARIAT")/jobs/bench/lariat_bench" \
    submit bench jobs/bench.sh
[ "$rc" -eq 0 ] || fail "bench.sh under sbatch: exit status $rc; log: $(job_log lariat-bench)"
# Six cases (four gaussian, two binomial), a fit and a cv row each.
[ "$(tail -n +2 "$WORK/bench.csv" | awk -F, '$7 == 2' | wc -l)" -eq 12 ] ||
    fail "bench.sh under sbatch: not 12 rows at 2 ranks: $(cat "$WORK/bench.csv")"
grep -q '^| 1024 |' "$WORK/bench.md" || fail "bench.sh under sbatch: no model prediction"

# Checkpoints under Slurm (SPEC.md section 7): a CV job signalled mid-CV with
# `scancel --full --signal=USR1` (the batch shell ignores USR1, so the
# tasks get it and the shell lives on) ends with exit status 4, one message
# and a checkpoint; resubmitted with --resume, it writes the model of an
# uninterrupted job, field for field (its ranks yield when idle: see the top).
"$LARIAT" gen --rows 20000 --features 40 --seed 5 --out "$WORK/ck.csv" --quiet || fail "gen for the checkpoint jobs"
printf 'data = ck.csv\nsolver = fista\nalpha = 1\nnfolds = 4\nnlambda = 200\ncv-groups = 1\n' >"$WORK/ck.conf"
CONFIG="$WORK/ck.conf" OUT="$WORK/ckref" submit "uninterrupted cv" jobs/cv.sbatch
[ "$rc" -eq 0 ] || fail "cv.sbatch without a checkpoint: exit status $rc; log: $(job_log lariat-cv)"

# sbatch --wait in the background returns the job's exit status; the job id
# is its first line. The signal goes once rank 0 has logged 30 of the 1,000
# lambdas (inside the first path), however fast the machine: at 50 of 100 a
# quiet machine finished the job before the signal arrived, and so did one
# at 30 of 300 (the whole CV took 0.66 s, less than the signal took to
# arrive through Slurm).
(cd "$LARIAT_SOURCE_DIR" && CONFIG="$WORK/ck.conf" OUT="$WORK/ck" timeout 120 sbatch --parsable --wait \
    --output="$WORK/%x-%j.out" jobs/cv.sbatch --checkpoint "$WORK/cv.ckpt" --verbose) \
    >"$WORK/sbatch.out" 2>"$WORK/err" &
sbatch_pid=$!
job=""
for _ in $(seq 1200); do
    job=$(head -n 1 "$WORK/sbatch.out" | cut -d';' -f1)
    [ -n "$job" ] && [ "$(job_log lariat-cv | grep -c '^lariat: lambda ' || true)" -ge 30 ] && break
    kill -0 "$sbatch_pid" 2>/dev/null || fail "the checkpointing job ended before the signal: $(job_log lariat-cv)"
    sleep 0.05
done
scancel --full --signal=USR1 "$job" || fail "scancel --signal=USR1 $job failed"
rc=0
wait "$sbatch_pid" || rc=$?
[ "$rc" -eq 4 ] || fail "the signalled cv job: sbatch --wait returned $rc, expected 4; log: $(job_log lariat-cv)"
[ "$(job_log lariat-cv | grep -c '^lariat: \(error:\|stopped by\)')" -eq 1 ] ||
    fail "the signalled job did not log exactly one message of its stop"
job_log lariat-cv | grep -q "^lariat: stopped by SIGUSR1 after writing checkpoint $WORK/cv.ckpt" ||
    fail "the signalled job's log: $(job_log lariat-cv | grep -v '^lariat: lambda')"
[ -s "$WORK/cv.ckpt" ] && [ ! -e "$WORK/ck.json" ] || fail "the signalled job left no checkpoint, or a model"

CONFIG="$WORK/ck.conf" OUT="$WORK/ck" submit "resumed cv" jobs/cv.sbatch --checkpoint "$WORK/cv.ckpt" --resume
[ "$rc" -eq 0 ] || fail "the resumed cv job: exit status $rc; log: $(job_log lariat-cv)"
job_log lariat-cv | grep -q "resuming from checkpoint" || fail "the resumed job does not say it resumes"
model_fields() { jq -S 'del(.timings_s, .peak_rss_mb)' "$1"; }
cmp -s <(model_fields "$WORK/ck.json") <(model_fields "$WORK/ckref.json") ||
    fail "the resumed job's model differs from the uninterrupted job's"
echo "slurm: ok"

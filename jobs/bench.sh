#!/bin/bash
# lariat side by side with glmnet and scikit-learn, and against the machine's
# limits, in one run (docs/performance.md). Runs here or under Slurm:
#   jobs/bench.sh                              # mpirun; full sizes; 3 repeats
#   sbatch jobs/bench.sh                       # srun inside a 2-task allocation
#   SIZE=tiny REPEATS=1 PEERS=none jobs/bench.sh   # seconds: the ctest smoke test
# For each case, `lariat gen` writes the data; lariat reads the file (load and
# fit timed apart, from the model's timings_s) and the peers get the same data
# as binary arrays (jobs/bench/to_binary.py) and time their fit alone:
#   tall    100,000 x 100 dense, elastic net (alpha 0.5): path of 100 lambdas, 10-fold CV
#   wide    2,000 x 10,000 dense, lasso: path and 10-fold CV
#   ridge   200,000 x 200 dense, ridge (alpha 0): path and CV
#   sparse  100,000 x 2,000 LIBSVM, 1% nonzero, lasso: path and 10-fold CV
#   bintall   100,000 x 100 dense, binomial (labels 0/1), alpha 0.5: path and 10-fold CV
#   binsparse 100,000 x 2,000 LIBSVM, 1% nonzero, binomial (labels -1/+1),
#             alpha 0.5: path and 10-fold CV
# Every peer solves at lariat's lambda values; glmnet with thresh THRESH,
# scikit-learn with tol TOL / 2 (see jobs/bench/peer_*.*), except
# scikit-learn's binomial CV, LogisticRegressionCV over its own 10 values of
# C (saga, elastic net). The nonzero coefficients at the path's last lambda
# (for scikit-learn's CV, at the C it chose) and summed over the path's
# lambdas are reported beside the times, a check that every tool solved the
# same problem. Each timing is the median of REPEATS runs (the peers':
# of their first PEER_REPEATS), and lariat and its peers alternate inside
# each repeat, so that a busy machine slows them alike. lariat also runs at every
# rank count of RANKS (the speed-up over 1 rank), and lariat_bench measures
# the one-pass floor of a fista iteration, the gram pass against DSYRK, the
# loader's MB/s per rank and the allreduce latency and bandwidth, from which
# it predicts a fista iteration at 16 to 1024 ranks on a 400,000 x 8,000
# problem (Boyd et al. 2011, section 11). lariat_loadbench times each case's
# file (and an HDF5 copy of the tall data) against the page cache: every
# rank reads its share of the file with pread, as cat does, then loads it,
# LOAD_REPS times in one process, alternating; the medians go in the
# loading table (at SIZE=tiny, no HDF5 copy and the most ranks only).
# Writes OUT.csv (the comparison: case,task,n,p,nnz,alpha,ranks,lariat_s,
# lariat_load_s,glmnet_s,sklearn_s,lariat_over_glmnet,lariat_over_sklearn,
# speedup_vs_1_rank,family,lariat_nonzero,lariat_nonzero_path,glmnet_nonzero,
# glmnet_nonzero_path,sklearn_nonzero,sklearn_nonzero_path,lariat_peak_rss_mb:
# the largest over the repeats of the model's peak_rss_mb, itself the largest
# over the ranks, speedup_paired: the median over the repeats of each
# repeat's one-rank time over its time at this rank count),
# OUT-limits.csv (figure,case,ranks,value) and OUT.md (the tables and the
# machine, for docs/performance.md), and prints OUT.md.
# Environment: SIZE (full|tiny), REPEATS (3), PEER_REPEATS (REPEATS: the
# peers run in the first of them only; lariat's runs take seconds, theirs
# minutes), RANKS ("1 2"), CASES (all six;
# e.g. CASES="bintall binsparse" for the binomial cases alone),
# PEERS (auto|none|glmnet|sklearn), TOL (1e-7), THRESH (1e-9), PEER_TIMEOUT
# (300: a peer run stopped then counts as ">300"), PEER_ONCE (120: a peer run
# that took longer, or timed out, is not repeated), OUT (lariat-bench), LARIAT (build/lariat), BENCH_TOOL
# (build/jobs/bench/lariat_bench), LOAD_TOOL (lariat_loadbench next to BENCH_TOOL), LOAD_REPS
# (7; 1 at SIZE=tiny), RSCRIPT (Rscript), PYTHON (/usr/bin/python3),
# MPIEXEC (mpirun), KEEP_DATA=1 keeps OUT.d. Needs jq.
#SBATCH --job-name=lariat-bench
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
#SBATCH --time=03:00:00
#SBATCH --output=lariat-bench-%j.out
set -euo pipefail
if [ -n "${SLURM_JOB_ID:-}" ]; then cd "${SLURM_SUBMIT_DIR:-.}"; fi
# Slurm runs a copy of this script: its helpers are then found from the
# submission folder (the repository).
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/bench/peer_glmnet.R" ] || here="$PWD/jobs"
tools="$here/bench"

SIZE="${SIZE:-full}"
REPEATS="${REPEATS:-3}"
PEER_REPEATS="${PEER_REPEATS:-$REPEATS}"
RANKS="${RANKS:-1 2}"
CASES="${CASES:-tall wide ridge sparse bintall binsparse}"
PEERS="${PEERS:-auto}"
TOL="${TOL:-1e-7}"
THRESH="${THRESH:-1e-9}"
PEER_TIMEOUT="${PEER_TIMEOUT:-300}"
PEER_ONCE="${PEER_ONCE:-120}"
OUT="${OUT:-lariat-bench}"
LARIAT="${LARIAT:-build/lariat}"
BENCH_TOOL="${BENCH_TOOL:-build/jobs/bench/lariat_bench}"
LOAD_TOOL="${LOAD_TOOL:-$(dirname "$BENCH_TOOL")/lariat_loadbench}"
RSCRIPT="${RSCRIPT:-Rscript}"
PYTHON="${PYTHON:-/usr/bin/python3}"
NFOLDS=10
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

die() {
    echo "bench.sh: $*" >&2
    exit 1
}
command -v jq >/dev/null || die "jq is needed to read the models' timings"
[ -x "$LARIAT" ] || die "no lariat binary at $LARIAT (set LARIAT)"
[ -x "$BENCH_TOOL" ] || die "no lariat_bench at $BENCH_TOOL (set BENCH_TOOL)"
[ -x "$LOAD_TOOL" ] || die "no lariat_loadbench at $LOAD_TOOL (set LOAD_TOOL)"
case "$SIZE" in full | tiny) ;; *) die "SIZE must be full or tiny, not '$SIZE'" ;; esac
first_rank=${RANKS%% *}
[ "$first_rank" = 1 ] || die "RANKS must start with 1 (the single-rank comparison), not '$RANKS'"

# The peers that will run: asked for, and installed.
use_glmnet=0
use_sklearn=0
if [ "$PEERS" = auto ] || [ "$PEERS" = glmnet ]; then
    if command -v "$RSCRIPT" >/dev/null && "$RSCRIPT" -e 'library(glmnet)' >/dev/null 2>&1; then use_glmnet=1; fi
fi
if [ "$PEERS" = auto ] || [ "$PEERS" = sklearn ]; then
    if "$PYTHON" -c 'import sklearn' >/dev/null 2>&1; then use_sklearn=1; fi
fi
[ "$PEERS" = glmnet ] && [ $use_glmnet = 0 ] && die "glmnet asked for but not installed (r-cran-glmnet)"
[ "$PEERS" = sklearn ] && [ $use_sklearn = 0 ] && die "scikit-learn asked for but not installed (python3-sklearn)"

# launch RANKS PROGRAM ARGS...: under Slurm with srun, else with mpirun;
# never on the loops' standard input (the launchers read it).
launch() {
    local np=$1
    shift
    if [ -n "${SLURM_JOB_ID:-}" ]; then
        srun -n "$np" "$@" </dev/null
    else
        "${MPIEXEC:-mpirun}" -n "$np" "$@" </dev/null
    fi
}

# The cases: name rows features nonzero corr density alpha extension family.
# lariat gen writes binomial labels as 0/1 in CSV and -1/+1 in LIBSVM.
if [ "$SIZE" = full ]; then
    case_table="tall 100000 100 10 0.5 1 0.5 csv gaussian
wide 2000 10000 20 0.5 1 1 csv gaussian
ridge 200000 200 20 0.5 1 0 csv gaussian
sparse 100000 2000 20 0 0.01 1 svm gaussian
bintall 100000 100 10 0.5 1 0.5 csv binomial
binsparse 100000 2000 20 0 0.01 0.5 svm binomial"
    tool_iters=50
    tool_reps=5
    load_reps=${LOAD_REPS:-7}
    load_hdf5=1
    load_ranks=$RANKS
else
    case_table="tall 400 8 3 0.5 1 0.5 csv gaussian
wide 30 60 5 0.5 1 1 csv gaussian
ridge 400 6 3 0.5 1 0 csv gaussian
sparse 400 50 5 0 0.2 1 svm gaussian
bintall 400 8 3 0.5 1 0.5 csv binomial
binsparse 400 50 5 0 0.2 0.5 svm binomial"
    tool_iters=3
    tool_reps=1
    load_reps=${LOAD_REPS:-1}
    load_hdf5=0 # a 30 KB file measures only HDF5's fixed costs
    load_ranks=${RANKS##* } # one launch: the smoke test has a time limit
fi

work="$OUT.d"
rm -rf "$work"
mkdir -p "$work"
raw="$work/raw.csv" # case,task,tool,ranks,rep,seconds,load_seconds,nonzero,nonzero_path,peak_rss_mb
: >"$raw"
limits="$OUT-limits.csv"
echo "figure,case,ranks,value" >"$limits"

# lariat_run CASE TASK RANKS REP: one lariat run, its row appended to raw.
lariat_run() {
    local name=$1 task=$2 np=$3 rep=$4 data model family classes
    data=$(cat "$work/$name.path")
    family=$(cat "$work/$name.family")
    model="$work/$name-$task-$np.json"
    local folds=()
    [ "$task" = cv ] && folds=(--nfolds "$NFOLDS")
    launch "$np" "$LARIAT" "$task" --data "$data" --family "$family" --alpha "$(cat "$work/$name.alpha")" "${folds[@]}" \
        --tol "$TOL" --out "$model" --quiet >"$work/last.out" 2>"$work/last.err" ||
        die "lariat $task on $name at $np ranks failed: $(cat "$work/last.err")"
    # The family as asked, and the labels as lariat read them: the two values
    # lariat gen wrote, the smaller one class 0 (the peers too take the
    # larger one as class 1).
    [ "$(jq -r '.family' "$model")" = "$family" ] || die "lariat $task on $name: the model's family is not $family"
    if [ "$family" = binomial ]; then
        classes=$(jq -c '.classes' "$model")
        case "$data" in *.svm) want='[-1,1]' ;; *) want='[0,1]' ;; esac
        [ "$classes" = "$want" ] || die "lariat $task on $name read the classes $classes, not $want"
    fi
    # In memory: everything but reading the file and writing the model. The
    # nonzero coefficients of the path on all rows: at its last lambda, and
    # summed over its lambdas. The peak resident set of the run's largest rank.
    jq -r --arg c "$name" --arg t "$task" --arg r "$np" --arg k "$rep" \
        '[$c, $t, "lariat", $r, $k, (.timings_s.total - .timings_s.load - .timings_s.write), .timings_s.load,
          .path[-1].nonzero, ([.path[].nonzero] | add), .peak_rss_mb]
         | map(tostring) | join(",")' "$model" >>"$raw"
    if [ "$task" = fit ] && [ ! -f "$work/$name.lambda" ]; then jq -r '.path[].lambda' "$model" >"$work/$name.lambda"; fi
}

# peer_run CASE TASK TOOL REP: one glmnet or scikit-learn run (NA on
# failure, ">PEER_TIMEOUT" when stopped), unless an earlier repeat of it took
# longer than PEER_ONCE seconds or was stopped.
peer_run() {
    local name=$1 task=$2 tool=$3 rep=$4 secs nz nzp rc=0 alpha family
    awk -F, -v c="$name" -v t="$task" -v o="$tool" -v once="$PEER_ONCE" \
        '$1 == c && $2 == t && $3 == o && ($6 ~ /^>/ || $6 + 0 > once) { found = 1 } END { exit !found }' "$raw" &&
        return 0
    alpha=$(cat "$work/$name.alpha")
    family=$(cat "$work/$name.family")
    cp "$work/$name.lambda" "$work/$name.bin.lambda"
    if [ "$tool" = glmnet ]; then
        timeout "$PEER_TIMEOUT" "$RSCRIPT" "$tools/peer_glmnet.R" "$task" "$work/$name.bin" "$alpha" "$NFOLDS" \
            "$THRESH" "$family" </dev/null >"$work/peer.out" 2>"$work/peer.err" || rc=$?
    else
        timeout "$PEER_TIMEOUT" "$PYTHON" "$tools/peer_sklearn.py" "$task" "$work/$name.bin" "$alpha" "$NFOLDS" \
            "$(awk -v t="$TOL" 'BEGIN { printf "%.6g", t / 2 }')" "$family" </dev/null >"$work/peer.out" 2>"$work/peer.err" || rc=$?
    fi
    secs=$(awk '$1 == "seconds" { print $2 }' "$work/peer.out")
    nz=$(awk '$1 == "nonzero" { print $2 }' "$work/peer.out")
    nzp=$(awk '$1 == "nonzero_path" { print $2 }' "$work/peer.out")
    if [ $rc -eq 124 ]; then
        echo "bench.sh: $tool $task on $name: stopped after $PEER_TIMEOUT s" >&2
        secs=">$PEER_TIMEOUT"
    elif [ $rc -ne 0 ] || [ -z "$secs" ]; then
        echo "bench.sh: $tool $task on $name failed: $(tail -3 "$work/peer.err")" >&2
        secs=NA
    fi
    if [ "$secs" = NA ] || [ "${secs#>}" != "$secs" ]; then
        nz=
        nzp=
    fi
    echo "$name,$task,$tool,1,$rep,$secs,,${nz:-NA},${nzp:-NA}," >>"$raw"
}

# The data: one file per case, written by lariat gen at the largest rank
# count, and binary arrays for the peers.
max_ranks=$(echo "$RANKS" | tr ' ' '\n' | sort -n | tail -1)
while read -r name rows feats nz corr density alpha ext family; do
    case " $CASES " in *" $name "*) ;; *) continue ;; esac
    data="$work/$name.$ext"
    launch "$max_ranks" "$LARIAT" gen --family "$family" --rows "$rows" --features "$feats" --nonzero "$nz" --corr "$corr" \
        --density "$density" --seed 1 --out "$data" --quiet >/dev/null 2>"$work/last.err" ||
        die "lariat gen for $name failed: $(cat "$work/last.err")"
    echo "$data" >"$work/$name.path"
    echo "$alpha" >"$work/$name.alpha"
    # The tall data again as HDF5, for the loading table only.
    if [ "$name" = tall ] && [ "$load_hdf5" = 1 ]; then
        launch "$max_ranks" "$LARIAT" gen --rows "$rows" --features "$feats" --nonzero "$nz" --corr "$corr" \
            --density "$density" --seed 1 --out "$work/tall.h5" --quiet >/dev/null 2>"$work/last.err" ||
            die "lariat gen of the HDF5 copy failed: $(cat "$work/last.err")"
    fi
    echo "$family" >"$work/$name.family"
    echo "$rows $feats" >"$work/$name.shape"
    if [ $use_glmnet = 1 ] || [ $use_sklearn = 1 ]; then
        fmt=csv
        [ "$ext" = svm ] && fmt=libsvm
        "$PYTHON" "$tools/to_binary.py" "$data" "$fmt" "$feats" "$work/$name.bin" </dev/null ||
            die "to_binary.py failed on $data"
    fi
done <<<"$case_table"

# The comparison: every repeat runs every case and task, lariat first at
# one rank (its first fit gives the peers their lambdas) and at once at the
# other rank counts, so that the speed-up over one rank compares runs a few
# seconds apart (with the peers between them, minutes apart, the two cores'
# paces had changed in between: docs/performance.md), then the peers, in
# the first PEER_REPEATS repeats.
for ((rep = 1; rep <= REPEATS; rep++)); do
    while read -r name _; do
        case " $CASES " in *" $name "*) ;; *) continue ;; esac
        for task in fit cv; do
            for np in $RANKS; do
                lariat_run "$name" "$task" "$np" "$rep"
            done
            if [ "$rep" -le "$PEER_REPEATS" ]; then
                [ $use_glmnet = 1 ] && peer_run "$name" "$task" glmnet "$rep"
                [ $use_sklearn = 1 ] && peer_run "$name" "$task" sklearn "$rep"
            fi
        done
        echo "bench.sh: repeat $rep of $REPEATS: $name done" >&2
    done <<<"$case_table"
done

# The machine's limits on the tall (and, at full size, wide) data at every
# rank count; the loader's MB/s per rank from lariat's own fit runs.
for name in tall wide; do
    case " $CASES " in *" $name "*) ;; *) continue ;; esac
    # The gram pass is timed where the gram solver makes it (tall: p = 100).
    gram=1
    [ "$name" = wide ] && gram=0
    for np in $RANKS; do
        launch "$np" "$BENCH_TOOL" --data "$(cat "$work/$name.path")" --iters "$tool_iters" --reps "$tool_reps" --gram "$gram" \
            >"$work/tool-$name-$np.txt" 2>"$work/last.err" || die "lariat_bench on $name at $np ranks failed: $(cat "$work/last.err")"
        awk -v c="$name" -v r="$np" 'NF == 2 { print $1 "," c "," r "," $2 }' "$work/tool-$name-$np.txt" >>"$limits"
        # The model lines: model_ranks_R compute_s X allreduce_s Y iteration_s Z comm_share W.
        awk -v c="$name" -v r="$np" '$1 ~ /^model_ranks_/ {
            R = substr($1, 13); print "model_iteration_s_at_" R "," c "," r "," $7;
            print "model_comm_share_at_" R "," c "," r "," $9 }' "$work/tool-$name-$np.txt" >>"$limits"
    done
done
while read -r name rows feats _ _ _ _ ext _; do
    case " $CASES " in *" $name "*) ;; *) continue ;; esac
    bytes=$(wc -c <"$(cat "$work/$name.path")")
    for np in $RANKS; do
        awk -F, -v c="$name" -v r="$np" -v b="$bytes" '$1 == c && $2 == "fit" && $3 == "lariat" && $4 == r { print $7 }' \
            "$raw" | sort -g | awk -v c="$name" -v r="$np" -v b="$bytes" '{ v[NR] = $1 }
            END { if (NR) { m = v[int((NR + 1) / 2)]; if (m > 0) printf "loader_mb_s_per_rank,%s,%s,%.4g\n", c, r, b / 1e6 / m / r } }' >>"$limits"
    done
done <<<"$case_table"

# Loading against the page cache: each case's file, and the HDF5 copy of
# the tall data, at every rank count (lariat_loadbench's medians). Lines:
# FILE bytes B pagecache_mb_s_per_rank X load_mb_s_per_rank Y load_over_pagecache Z
#      pagecache_cpu_mb_s_per_rank X' load_cpu_mb_s_per_rank Y' fresh_mb_s_per_rank F load_over_fresh Z'
load_files=()
while read -r name _; do
    case " $CASES " in *" $name "*) load_files+=("$(cat "$work/$name.path")") ;; esac
done <<<"$case_table"
[ -f "$work/tall.h5" ] && load_files+=("$work/tall.h5")
for np in $load_ranks; do
    [ ${#load_files[@]} -gt 0 ] || break
    launch "$np" "$LOAD_TOOL" --reps "$load_reps" "${load_files[@]}" >"$work/load-$np.txt" 2>"$work/last.err" ||
        die "lariat_loadbench at $np ranks failed: $(cat "$work/last.err")"
    awk -v r="$np" '{ f = $1; sub(/.*\//, "", f); c = f; sub(/\.[a-z0-9]*$/, "", c); if (f ~ /\.h5$/) c = c "-h5"
        print "loadbench_file_mb," c "," r "," $3 / 1e6
        print "loadbench_pagecache_mb_s_per_rank," c "," r "," $5
        print "loadbench_mb_s_per_rank," c "," r "," $7
        print "loadbench_over_pagecache," c "," r "," $9
        print "loadbench_fresh_mb_s_per_rank," c "," r "," $15
        print "loadbench_over_fresh," c "," r "," $17 }' "$work/load-$np.txt" >>"$limits"
done

# median CASE TASK TOOL RANKS: the median of the repeats; NA if any is NA,
# ">T" if one was stopped at T seconds.
median() {
    awk -F, -v c="$1" -v t="$2" -v o="$3" -v r="$4" '$1 == c && $2 == t && $3 == o && $4 == r { print $6 }' "$raw" |
        middle
}
# middle: the median of the values on standard input, one a line; NA if
# there are none or any is NA, ">T" if one is (a run stopped at T seconds).
middle() {
    sort -g | awk '{ v[NR] = $1; if ($1 == "NA") na = 1; if ($1 ~ /^>/) stopped = $1 }
        END { if (NR == 0 || na) print "NA"; else if (stopped != "") print stopped;
              else if (NR % 2) printf "%.4g\n", v[(NR + 1) / 2];
              else printf "%.4g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
median_load() {
    awk -F, -v c="$1" -v r="$2" '$1 == c && $3 == "lariat" && $4 == r { print $7 }' "$raw" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR) printf "%.4g\n", v[int((NR + 1) / 2)]; else print "NA" }'
}
# peak_rss CASE TASK RANKS: lariat's largest peak RSS (MB) over the repeats.
peak_rss() {
    awk -F, -v c="$1" -v t="$2" -v r="$3" '$1 == c && $2 == t && $3 == "lariat" && $4 == r && $10 != "" {
        if (m == "" || $10 + 0 > m) m = $10 + 0 } END { if (m == "") print "NA"; else printf "%.4g\n", m }' "$raw"
}
# nonzero CASE TASK TOOL RANKS FIELD: a nonzero count the runs reported
# (FIELD 8: at the last lambda, 9: summed over the path), the same in every
# repeat, or the values seen joined by "|"; NA if none.
nonzero() {
    awk -F, -v c="$1" -v t="$2" -v o="$3" -v r="$4" -v f="$5" '$1 == c && $2 == t && $3 == o && $4 == r &&
        $f != "" && $f != "NA" && !seen[$f]++ { v = v (v == "" ? "" : "|") $f } END { print (v == "" ? "NA" : v) }' "$raw"
}
# paired CASE TASK RANKS: the median over the repeats of each repeat's
# lariat time at one rank over its time at RANKS, two runs made back to back
# (NA if a repeat lacks either). The machine's pace drifts over minutes,
# which the ratio of the two medians mixes in (its one-rank median may come
# from a quiet minute and its two-rank one from a busy one); a pair of runs
# seconds apart shares its minute.
paired() {
    awk -F, -v c="$1" -v t="$2" -v r="$3" '$1 == c && $2 == t && $3 == "lariat" && ($4 == 1 || $4 == r) {
            v[$5 "," $4] = $6; reps[$5] = 1 }
        END { for (k in reps) { a = v[k ",1"]; b = v[k "," r]; print (a == "" || b == "" || b + 0 <= 0) ? "NA" : a / b } }' \
        "$raw" | middle
}
# ratio A B: A / B; "<x" when B is a lower bound (">T").
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { lt = ""; if (b ~ /^>/) { lt = "<"; b = substr(b, 2) }
        if (a == "NA" || b == "NA" || b + 0 <= 0) print "NA"; else printf "%s%.4g\n", lt, a / b }'
}

csv="$OUT.csv"
echo "case,task,n,p,nnz,alpha,ranks,lariat_s,lariat_load_s,glmnet_s,sklearn_s,lariat_over_glmnet,lariat_over_sklearn,speedup_vs_1_rank,family,lariat_nonzero,lariat_nonzero_path,glmnet_nonzero,glmnet_nonzero_path,sklearn_nonzero,sklearn_nonzero_path,lariat_peak_rss_mb,speedup_paired" >"$csv"
while read -r name rows feats _ _ density alpha _ family; do
    case " $CASES " in *" $name "*) ;; *) continue ;; esac
    nnz=$(awk -v n="$rows" -v p="$feats" -v d="$density" 'BEGIN { printf "%.0f", n * p * d }')
    for task in fit cv; do
        base=$(median "$name" "$task" lariat 1)
        for np in $RANKS; do
            l=$(median "$name" "$task" lariat "$np")
            g=NA
            s=NA
            gnz=NA,NA
            snz=NA,NA
            if [ "$np" = 1 ]; then
                g=$(median "$name" "$task" glmnet 1)
                s=$(median "$name" "$task" sklearn 1)
                gnz="$(nonzero "$name" "$task" glmnet 1 8),$(nonzero "$name" "$task" glmnet 1 9)"
                snz="$(nonzero "$name" "$task" sklearn 1 8),$(nonzero "$name" "$task" sklearn 1 9)"
            fi
            lnz="$(nonzero "$name" "$task" lariat "$np" 8),$(nonzero "$name" "$task" lariat "$np" 9)"
            echo "$name,$task,$rows,$feats,$nnz,$alpha,$np,$l,$(median_load "$name" "$np"),$g,$s,$(ratio "$l" "$g"),$(ratio "$l" "$s"),$(ratio "$base" "$l"),$family,$lnz,$gnz,$snz,$(peak_rss "$name" "$task" "$np"),$(paired "$name" "$task" "$np")" >>"$csv"
        done
    done
done <<<"$case_table"

# fig FIGURE CASE RANKS: one value of OUT-limits.csv (NA when missing).
fig() {
    awk -F, -v f="$1" -v c="$2" -v r="$3" '$1 == f && $2 == c && $3 == r { v = $4 } END { print (v == "" ? "NA" : v) }' \
        "$limits"
}

# OUT.md: the machine, the comparison and the limits.
{
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`jobs/bench.sh\` (SIZE=$SIZE, medians of $REPEATS runs$([ "$PEER_REPEATS" -lt "$REPEATS" ] && echo " of lariat and $PEER_REPEATS of the peers")) on"
    echo "$(getconf _NPROCESSORS_ONLN) cores of an $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')," \
        "$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) of memory (load average at the end:" \
        "$(cut -d' ' -f1-3 /proc/loadavg)); lariat $("$LARIAT" --version 2>/dev/null | awk '{ print $NF; exit }')," \
        "$([ $use_glmnet = 1 ] && "$RSCRIPT" -e 'cat("glmnet", format(packageVersion("glmnet")))' 2>/dev/null || echo "no glmnet"),"\
        "$([ $use_sklearn = 1 ] && "$PYTHON" -c 'import sklearn; print("scikit-learn", sklearn.__version__)' || echo "no scikit-learn")."
    echo
    echo "| case | task | n x p | alpha | ranks | lariat s | load s | glmnet s | scikit-learn s | lariat / glmnet | lariat / scikit-learn | speed-up over 1 rank | speed-up, paired | load + lariat / faster peer | peak RSS MB per rank | nonzero: lariat / glmnet / scikit-learn |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    # load + lariat / faster peer: lariat end to end (reading the file and
    # fitting) against the faster peer's fit alone (its data already in
    # memory); "<x" when every peer that ran was stopped at its time limit.
    tail -n +2 "$csv" | awk -F, 'function nz(k, s) { return s == "NA" ? k : k " (" s ")" }
        { best = ""; bound = ""
          for (k = 10; k <= 11; k++) {
              if ($k ~ /^>/) { t = substr($k, 2) + 0; if (bound == "" || t < bound) bound = t }
              else if ($k != "NA" && $k + 0 > 0 && (best == "" || $k + 0 < best)) best = $k + 0 }
          e2e = "NA"
          if ($8 != "NA" && $9 != "") {
              if (best != "") e2e = sprintf("%.4g", ($8 + $9) / best)
              else if (bound != "") e2e = sprintf("<%.4g", ($8 + $9) / bound) }
          v = nz($16, $17); if ($7 == 1) v = v " / " nz($18, $19) " / " nz($20, $21)
          printf "| %s | %s | %s x %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
              $1, $2, $3, $4, $6, $7, $8, $9, $10, $11, $12, $13, $14, $23, e2e, $22, v }'
    echo
    echo "Nonzero: the coefficients at the last lambda of the path on all rows (in brackets: summed over the path's lambdas);"
    echo "scikit-learn's CV at the alpha or C it chose. The binomial CV of scikit-learn (LogisticRegressionCV) runs over its own 10 values of C."
    echo "Peak RSS: lariat's largest resident set on any rank (the model's peak_rss_mb), the largest over the repeats."
    echo "Speed-up over 1 rank: the ratio of the two medians; paired: the median over the repeats of each repeat's ratio (its runs at the two rank counts made back to back)."
    # The machine's limits, measured on the tall and wide data only.
    if [[ " $CASES " == *" tall "* || " $CASES " == *" wide "* ]]; then
        echo
        echo "| data | ranks | loader MB/s per rank | memory GB/s per rank | fista iteration / one-pass floor | fused sweep / floor | gram pass / DSYRK | allreduce latency s | allreduce GB/s |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        for name in tall wide; do
            case " $CASES " in *" $name "*) ;; *) continue ;; esac
            for np in $RANKS; do
                echo "| $name | $np | $(fig loader_mb_s_per_rank "$name" "$np") | $(fig bandwidth_gb_s_per_rank "$name" "$np") |" \
                    "$(fig fista_ratio "$name" "$np") | $(fig sweep_ratio "$name" "$np") | $(fig gram_ratio "$name" "$np") |" \
                    "$(fig allreduce_latency_s "$name" "$np") | $(fig allreduce_gb_s "$name" "$np") |"
            done
        done
    fi
    echo
    echo "Loading (lariat_loadbench, medians of $load_reps runs in one process; page cache: every rank reading its share of the file with pread into one 4 MiB buffer, as cat does; fresh memory: the same reads into a new array, as a loader fills one):"
    echo
    echo "| data | file MB | ranks | load MB/s per rank | page cache MB/s per rank | into fresh memory MB/s per rank | load time / page-cache time | load time / fresh-memory time |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
    for name in $CASES tall-h5; do
        for np in $RANKS; do
            grep -q "^loadbench_mb_s_per_rank,$name,$np," "$limits" || continue
            echo "| $name | $(fig loadbench_file_mb "$name" "$np") | $np | $(fig loadbench_mb_s_per_rank "$name" "$np") |" \
                "$(fig loadbench_pagecache_mb_s_per_rank "$name" "$np") | $(fig loadbench_fresh_mb_s_per_rank "$name" "$np") |" \
                "$(fig loadbench_over_pagecache "$name" "$np") | $(fig loadbench_over_fresh "$name" "$np") |"
        done
    done
    # The model from the widest data's run at the most ranks.
    mcase=tall
    case " $CASES " in *" wide "*) mcase=wide ;; esac
    if [ "$max_ranks" -gt 1 ] && grep -q "^model_iteration_s_at_16,$mcase,$max_ranks," "$limits"; then
        echo
        echo "Predicted fista iteration, 400,000 x 8,000 dense (from the $mcase data at $max_ranks ranks):"
        echo
        echo "| ranks | iteration s | allreduce share |"
        echo "| --- | --- | --- |"
        for ((r = 16; r <= 1024; r *= 2)); do
            echo "| $r | $(fig "model_iteration_s_at_$r" "$mcase" "$max_ranks") | $(fig "model_comm_share_at_$r" "$mcase" "$max_ranks") |"
        done
    fi
} >"$OUT.md"
cat "$OUT.md"
[ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$work"

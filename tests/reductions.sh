#!/bin/bash
# Every floating-point sum over rows goes through data/tiles.h (one answer at
# any rank count: docs/reproducibility.md). This checks that only the files
# below reduce doubles by MPI_SUM, each for a reason that keeps its answer
# independent of the reduction order, or that is block-dependent by design.
# Integer sums (counts; data/stats.c's fixed-point Grams) are exact in any
# order and are not checked here.
# Usage: reductions.sh SOURCE_DIR
set -euo pipefail
src="$1/src"
# file: why its sums may go through lariat_allreduce_sum.
allowed="core/ctx.c: the definition
cv/cv.c: nonzero counts, integers below 2^53
cv/score.c: class and row counts, integers below 2^53
solvers/admm.c: consensus ADMM over the row blocks, block-dependent by design
solvers/glm_admm.c: consensus ADMM over the row blocks, block-dependent by design
solvers/pgram.c: the distributed Gram, ScaLAPACK's order per process grid
linalg/distgram.c: the distributed Gram, ScaLAPACK's order per process grid"
status=0
while IFS= read -r file; do
    rel=${file#"$src"/}
    if ! grep -q "^$rel:" <<<"$allowed"; then
        echo "FAIL: $rel calls lariat_allreduce_sum; sum over tiles of rows instead (data/tiles.h)" >&2
        grep -n "lariat_allreduce_sum(" "$file" >&2
        status=1
    fi
done < <(grep -rl "lariat_allreduce_sum(" "$src" --include=*.c)
# Raw MPI sums of doubles: only the wrapper, and one broadcast of a single
# rank's label (glm.c: every other rank adds 0).
while IFS= read -r hit; do
    case "$hit" in
    "$src/core/ctx.c:"* | "$src/solvers/glm.c:"*"&val, 1, MPI_DOUBLE, MPI_SUM"*) ;;
    *)
        echo "FAIL: a raw MPI sum of doubles: ${hit#"$src"/}" >&2
        status=1
        ;;
    esac
done < <(grep -rn "MPI_DOUBLE, MPI_SUM" "$src" --include=*.c)
[ "$status" -eq 0 ] && echo PASS
exit "$status"

#!/usr/bin/env bash
# The Python package from an installed tree: `cmake --install` into a
# temporary prefix, then, from a folder outside the sources and with only
# PYTHONPATH pointing into the prefix, `import lariat` must load the
# prefix's liblariat (not the build tree's) and fit at 2 ranks, the same
# model on both.
#
# usage: install.sh CMAKE BUILD_DIR PYTHON   (PYTHON empty: skipped, 77)
set -euo pipefail
: "${MPIEXEC:?set by ctest}"
cmake=$1
build=$2
python=${3:-}
if [ -z "$python" ]; then
    echo "no python3 with numpy, scipy, mpi4py and pytest: skipped"
    exit 77
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
fail() {
    echo "FAIL (python install): $*" >&2
    exit 1
}
prefix="$WORK/prefix"
"$cmake" --install "$build" --prefix "$prefix" > install.log 2>&1 || fail "cmake --install: $(tail -20 install.log)"
pkg="$prefix/lib/python3/dist-packages"
for f in __init__.py _capi.py _core.py _base.py linear.py logistic.py model.py; do
    [ -f "$pkg/lariat/$f" ] || fail "lariat/$f is not installed in $pkg"
done
unset LARIAT_LIBRARY LARIAT_BUILD_DIR
export PYTHONPATH="$pkg" OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1 OPENBLAS_NUM_THREADS=1
cat > fit.py <<'PY'
import os, sys
import numpy as np
from mpi4py import MPI
import lariat

comm = MPI.COMM_WORLD
prefix = os.path.realpath(sys.argv[1])
lib = os.path.realpath(lariat.library_path)
assert lib.startswith(prefix + os.sep), "liblariat loaded from %s, not from %s" % (lib, prefix)
assert os.path.realpath(lariat.__file__).startswith(prefix + os.sep), lariat.__file__
rng = np.random.default_rng(1)
X = rng.standard_normal((100, 5))
y = X @ [1.0, -2.0, 0.0, 0.0, 0.5] + 0.1 * rng.standard_normal(100)
rows = slice(0, 30) if comm.rank == 0 else slice(30, 100)
m = lariat.ElasticNetCV(alpha=0.5, nfolds=5).fit(X[rows], y[rows])
coefs = comm.allgather(m.coef_.tobytes())
assert all(c == coefs[0] for c in coefs), "the ranks hold different models"
assert m.converged_ and abs(m.coef_[1] + 2.0) < 0.2, m.coef_
if comm.rank == 0:
    print("python install: lariat %s from %s, coef %s" % (lariat.__version__, lib, np.round(m.coef_, 3)))
PY
timeout 120 "$MPIEXEC" -n 2 "$python" fit.py "$prefix" > fit.txt 2>&1 || fail "mpirun -n 2 $python fit.py: $(cat fit.txt)"
cat fit.txt

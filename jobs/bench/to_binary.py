"""Converts a data file made by `lariat gen` to raw binary arrays that the peer
benchmarks (peer_glmnet.R, peer_sklearn.py) load in a moment, so that their
timings cover the fit alone, never the parsing of text.

    python3 to_binary.py FILE csv|libsvm P PREFIX

CSV: a header line, then y,x1,...,xp per row. LIBSVM: `y idx:value ...`
with 1-based indices, P features. Writes PREFIX.meta ("n p nnz sparse"),
PREFIX.y (n float64), and PREFIX.X (n x p float64, row-major) for CSV or
PREFIX.indptr (n + 1 int32), PREFIX.indices (nnz int32, 0-based) and
PREFIX.data (nnz float64) for LIBSVM (compressed sparse rows). All little
endian, as numpy writes them on x86.
"""
import sys

import numpy as np


def main():
    if len(sys.argv) != 5 or sys.argv[2] not in ("csv", "libsvm"):
        sys.exit("usage: to_binary.py FILE csv|libsvm P PREFIX")
    path, fmt, p, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if fmt == "csv":
        a = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        if a.shape[1] != p + 1:
            sys.exit("to_binary.py: %s has %d columns, expected %d" % (path, a.shape[1], p + 1))
        y = np.ascontiguousarray(a[:, 0])
        np.ascontiguousarray(a[:, 1:]).tofile(prefix + ".X")
        n, nnz, sparse = a.shape[0], a.shape[0] * p, 0
    else:
        from sklearn.datasets import load_svmlight_file

        X, y = load_svmlight_file(path, n_features=p, zero_based=False)
        X = X.tocsr()
        X.sort_indices()
        if X.nnz >= 2**31:
            sys.exit("to_binary.py: %d nonzeros do not fit int32 offsets" % X.nnz)
        X.indptr.astype(np.int32).tofile(prefix + ".indptr")
        X.indices.astype(np.int32).tofile(prefix + ".indices")
        X.data.astype(np.float64).tofile(prefix + ".data")
        n, nnz, sparse = X.shape[0], X.nnz, 1
    np.asarray(y, dtype=np.float64).tofile(prefix + ".y")
    with open(prefix + ".meta", "w") as f:
        f.write("%d %d %d %d\n" % (n, p, nnz, sparse))


if __name__ == "__main__":
    main()

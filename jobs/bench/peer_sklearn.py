"""scikit-learn's side of jobs/bench.sh: times one fit on data already in memory.

    python3 peer_sklearn.py fit|cv PREFIX ALPHA NFOLDS TOL

PREFIX.* are the arrays of to_binary.py; PREFIX.lambda holds lariat's lambda
sequence. scikit-learn's objective is lariat's without standardization
(alpha = lambda, l1_ratio = alpha), so the columns are scaled to unit
population standard deviation first (and, for the paths, which fit no
intercept, x and y centered), outside the timing: then it solves lariat's
problem at the same lambda values.

- fit, alpha > 0: enet_path over the lambda sequence (Gram-based when n > p,
  as scikit-learn chooses).
- cv, alpha > 0: ElasticNetCV(l1_ratio=alpha, alphas=lambda, cv=NFOLDS).
- fit, alpha = 0 (ridge, which enet_path does not do reliably):
  Ridge(alpha = n lambda, solver="cholesky").fit for each lambda (Ridge
  minimizes ||y - Xb||^2 + a ||b||^2, i.e. 2n times lariat's objective).
- cv, alpha = 0: RidgeCV(alphas = n lambda), scikit-learn's efficient
  leave-one-out over all lambdas at once (its 10-fold GridSearch would refit
  1000 times).

TOL is passed to the coordinate descent as is: scikit-learn stops when its
duality gap, which is n times lariat's, is below TOL ||y - mean(y)||^2, i.e.
when lariat's gap is below 2 TOL N0; jobs/bench.sh passes half of lariat's tol.
Prints "seconds S" (time.perf_counter around the call) and "nonzero K".
"""
import sys
import time
import warnings

import numpy as np


def load(prefix):
    n, p, nnz, sparse = (int(v) for v in open(prefix + ".meta").read().split())
    y = np.fromfile(prefix + ".y", dtype=np.float64, count=n)
    if sparse:
        import scipy.sparse as sp

        indptr = np.fromfile(prefix + ".indptr", dtype=np.int32, count=n + 1)
        indices = np.fromfile(prefix + ".indices", dtype=np.int32, count=nnz)
        data = np.fromfile(prefix + ".data", dtype=np.float64, count=nnz)
        X = sp.csr_matrix((data, indices, indptr), shape=(n, p))
    else:
        X = np.fromfile(prefix + ".X", dtype=np.float64, count=n * p).reshape(n, p)
    return X, y, bool(sparse)


def standardized(X, sparse):
    """Columns scaled to unit population standard deviation; dense columns
    also centered. Constant columns are left as they are."""
    if sparse:
        import scipy.sparse as sp

        mean = np.asarray(X.mean(axis=0)).ravel()
        var = np.asarray(X.multiply(X).mean(axis=0)).ravel() - mean**2
        s = np.sqrt(np.maximum(var, 0.0))
        s[s == 0.0] = 1.0
        return sp.csc_matrix(X @ sp.diags(1.0 / s))
    s = X.std(axis=0)
    s[s == 0.0] = 1.0
    return np.asfortranarray((X - X.mean(axis=0)) / s)


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ("fit", "cv"):
        sys.exit("usage: peer_sklearn.py fit|cv PREFIX ALPHA NFOLDS TOL")
    task, prefix = sys.argv[1], sys.argv[2]
    alpha, nfolds, tol = float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    from sklearn.linear_model import ElasticNetCV, Ridge, RidgeCV, enet_path

    X, y, sparse = load(prefix)
    lam = np.loadtxt(prefix + ".lambda", ndmin=1)
    n = X.shape[0]
    Xs = standardized(X, sparse)
    yc = y - y.mean()
    warnings.simplefilter("ignore")  # convergence warnings are reported by "nonzero", not here
    start = time.perf_counter()
    # Sparse columns cannot be centered in place: the path takes their means.
    offset = {}
    if sparse:
        offset = {"X_offset": np.asarray(Xs.mean(axis=0)).ravel(), "X_scale": np.ones(Xs.shape[1])}
    if alpha > 0 and task == "fit":
        _, coefs, _ = enet_path(Xs, yc, l1_ratio=alpha, alphas=lam, tol=tol, max_iter=10000, **offset)
        last = coefs[:, -1]
    elif alpha > 0:
        model = ElasticNetCV(l1_ratio=alpha, alphas=lam, cv=nfolds, tol=tol, max_iter=10000).fit(Xs, y)
        last = model.coef_
    elif task == "fit":
        for a in lam:
            model = Ridge(alpha=n * a, solver="cholesky").fit(Xs, y)
        last = model.coef_
    else:
        model = RidgeCV(alphas=n * lam).fit(Xs, y)
        last = model.coef_
    secs = time.perf_counter() - start
    print("seconds %.6f\nnonzero %d" % (secs, int(np.count_nonzero(last))))


if __name__ == "__main__":
    main()

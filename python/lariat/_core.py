"""The collective machinery under the estimators: the error type, agreement
on errors across ranks, each rank's rows handed to liblariat, and one fit or
cross-validation run from a context to numpy results.

Every function here that takes a communicator is collective on it: every rank
calls it, in the same order. A failure found on one rank (a bad array, a
label) is agreed on before the next collective step, so that every rank
raises the same LariatError instead of one rank raising while the others
wait in MPI.
"""

import ctypes

import numpy as np

from . import _capi

try:
    from mpi4py import MPI  # initializes MPI (MPI_Init_thread) on import
except ImportError as e:  # pragma: no cover - the package needs mpi4py
    raise ImportError("lariat needs mpi4py (Debian: apt-get install python3-mpi4py): %s" % e) from e

_lib = _capi.load()


class LariatError(Exception):
    """An error reported by lariat: the message of liblariat (lariat_errmsg),
    or of this package for what it checks itself, the same on every rank of
    the communicator.

    Attributes: ``status`` (the lariat_status code, e.g. 2 for bad input
    data), ``status_name`` ("EDATA") and ``exit_code`` (what the command line
    would exit with, SPEC.md section 8).
    """

    def __init__(self, message, status=_capi.EUSAGE):
        super().__init__(message)
        self.status = int(status)
        self.status_name = (_capi.STATUS_NAMES[status] if 0 <= status < len(_capi.STATUS_NAMES)
                            else "unknown")
        self.exit_code = int(_lib.lariat_status_exit_code(int(status)))


class ConvergenceWarning(UserWarning):
    """A fit stopped at max_iter before its duality gap reached tol * N0
    (recorded in ``converged_``; not an error, as in the command line)."""


def resolve_comm(comm):
    """The mpi4py communicator to run on: comm, or MPI.COMM_WORLD for None."""
    if comm is None:
        return MPI.COMM_WORLD
    if not isinstance(comm, MPI.Comm):
        raise LariatError("comm must be an mpi4py communicator or None, not %r" % (comm,))
    return comm


def agree(comm, error):
    """Collective. error is None or (message, status) on this rank. Raises on
    every rank the error of the lowest rank that has one (as lariat_agree,
    which also lets the most severe status win)."""
    errors = comm.allgather(error)
    bad = [(e[1], -r, e[0]) for r, e in enumerate(errors) if e is not None]
    if bad:
        status, _, message = max(bad)
        raise LariatError(message, status)


class Local:
    """Collects the first error this rank finds (not collective)."""

    def __init__(self):
        self.error = None

    def fail(self, message, status=_capi.EUSAGE):
        if self.error is None:
            self.error = (message, status)


def rank_error(comm, what):
    """A message about this rank's arrays, naming the rank."""
    return "%s (rank %d of %d)" % (what, comm.Get_rank(), comm.Get_size())


# ---------------------------------------------------------------------------
# This rank's rows.

def is_sparse(X):
    try:
        import scipy.sparse as sp
    except ImportError:
        return False
    return sp.issparse(X)


class Rows:
    """This rank's rows as liblariat wants them: X dense (C-contiguous
    float64) or CSR (int64 row pointers, int32 sorted column indices, float64
    values), y and w float64. Built without any collective call; ``error``
    says what is wrong with them, if anything."""

    def __init__(self, comm, X, y=None, sample_weight=None, n_features=None):
        self.error = None
        self.sparse = False
        self.X = self.y = self.w = None
        self.indptr = self.indices = self.data = None
        local = Local()
        try:
            self._convert(comm, X, y, sample_weight, n_features, local)
        except (TypeError, ValueError, OverflowError, MemoryError) as e:
            local.fail(rank_error(comm, "cannot use the arrays: %s" % e), _capi.EDATA)
        self.error = local.error

    def _convert(self, comm, X, y, sample_weight, n_features, local):
        if is_sparse(X):
            X = X.tocsr()
            if X.ndim != 2:
                local.fail(rank_error(comm, "X must be 2-D"), _capi.EDATA)
                return
            if not X.has_canonical_format:
                X = X.copy()
                X.sum_duplicates()  # sorts the indices too
            if X.shape[1] >= 2**31:
                local.fail(rank_error(comm, "sparse X has %d columns; lariat takes fewer than 2^31" % X.shape[1]))
                return
            self.sparse = True
            self.indptr = np.ascontiguousarray(X.indptr, dtype=np.int64)
            self.indices = np.ascontiguousarray(X.indices, dtype=np.int32)
            self.data = np.ascontiguousarray(X.data, dtype=np.float64)
            self.n, self.p = X.shape
        else:
            X = np.asarray(X)
            if X.ndim != 2:
                local.fail(rank_error(comm, "X must be a 2-D array (this rank's rows), not %d-D" % X.ndim),
                           _capi.EDATA)
                return
            self.X = np.ascontiguousarray(X, dtype=np.float64)
            self.n, self.p = self.X.shape
        if n_features is not None and self.p != n_features:
            local.fail(rank_error(comm, "X has %d features; the model has %d" % (self.p, n_features)),
                       _capi.EDATA)
        if y is not None:
            y = np.asarray(y)
            if y.ndim != 1 or y.shape[0] != self.n:
                local.fail(rank_error(comm, "y must be 1-D with one value per row of X (%d), not of shape %s"
                                      % (self.n, y.shape)), _capi.EDATA)
            else:
                self.y = y
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
            if w.ndim != 1 or w.shape[0] != self.n:
                local.fail(rank_error(comm, "sample_weight must be 1-D with one value per row of X (%d), not of "
                                      "shape %s" % (self.n, w.shape)), _capi.EDATA)
            else:
                self.w = np.ascontiguousarray(w)


def _dptr(a):
    return None if a is None else a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


def _raise_ctx(ctx, rc):
    """Raises the agreed error of a collective call (same on every rank)."""
    msg = _lib.lariat_errmsg(ctx)
    msg = msg.decode("utf-8", "replace") if msg else ""
    raise LariatError(msg or _lib.lariat_status_string(rc).decode(), rc)


class Session:
    """A lariat context on comm and what was made with it, freed together
    (collective: ``with Session(comm) as s:`` on every rank). Nothing that
    needs MPI outlives it: the estimators keep only numpy arrays, so that
    garbage collection never runs a collective call."""

    def __init__(self, comm, verbose=0):
        self.comm = comm
        self.ctx = ctypes.c_void_p()
        self.data = ctypes.c_void_p()
        self.fit = None
        self.cv = None
        rc = _lib.lariat_ctx_create_f(comm.py2f(), ctypes.byref(self.ctx))
        if rc != _capi.OK:
            raise LariatError("cannot create a lariat context: %s" % _lib.lariat_status_string(rc).decode(), rc)
        _lib.lariat_ctx_set_verbosity(self.ctx, {0: _capi.LOG_QUIET, 1: _capi.LOG_NORMAL}.get(int(verbose),
                                                                                             _capi.LOG_VERBOSE))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.cv is not None:
            _lib.lariat_cv_destroy(self.cv)
        if self.fit is not None:
            _lib.lariat_fit_destroy(self.fit)
        _lib.lariat_data_destroy(self.data)
        _lib.lariat_ctx_destroy(self.ctx)
        return False

    def set_data(self, rows, y):
        """Collective. The dataset of this rank's rows with labels y (float64)."""
        y = np.ascontiguousarray(y, dtype=np.float64)
        if rows.sparse:
            rc = _lib.lariat_data_from_csr(
                self.ctx, rows.n, rows.p, rows.indptr.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)),
                rows.indices.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), _dptr(rows.data), _dptr(y),
                _dptr(rows.w), ctypes.byref(self.data))
        else:
            rc = _lib.lariat_data_from_dense(self.ctx, rows.n, rows.p, _dptr(rows.X), _dptr(y), _dptr(rows.w),
                                             ctypes.byref(self.data))
        if rc != _capi.OK:
            _raise_ctx(self.ctx, rc)

    def fit_path(self, pb, st):
        """Collective. lariat_fit_path; the lariat_fit (freed with the session)."""
        out = ctypes.POINTER(_capi.Fit)()
        rc = _lib.lariat_fit_path(self.ctx, self.data, None, ctypes.byref(pb), ctypes.byref(st), ctypes.byref(out))
        if out:
            self.fit = out
        if rc != _capi.OK:
            _raise_ctx(self.ctx, rc)
        return out.contents

    def cross_validate(self, pb, st, cvs):
        """Collective. lariat_cv; the lariat_cv_result (freed with the session)."""
        out = ctypes.POINTER(_capi.CvResult)()
        rc = _lib.lariat_cv(self.ctx, self.data, None, ctypes.byref(pb), ctypes.byref(st), ctypes.byref(cvs),
                            ctypes.byref(out))
        if out:
            self.cv = out
        if rc != _capi.OK:
            _raise_ctx(self.ctx, rc)
        return out.contents


# ---------------------------------------------------------------------------
# Results: copies of a fit into numpy arrays (nothing keeps C memory).

def _array(ptr, n, dtype=np.float64):
    if n == 0:
        return np.zeros(0, dtype=dtype)
    return np.ctypeslib.as_array(ptr, shape=(n,)).astype(dtype, copy=True)


def fit_arrays(fit):
    """The path of a lariat_fit as numpy arrays:
    lambdas (L,), coef (L, K, p), intercept (L, K), and per solution the gap,
    iterations, converged, nonzero, objective and dev_ratio (L,); K = nlin."""
    L, p = fit.nlambda, fit.p
    K = fit.nlin if fit.nlin > 0 else 1
    out = {
        "lambdas": np.empty(L), "coef": np.empty((L, K, p)), "intercept": np.empty((L, K)),
        "duality_gap": np.empty(L), "iterations": np.empty(L, dtype=np.int64),
        "converged": np.empty(L, dtype=bool), "nonzero": np.empty(L, dtype=np.int64),
        "objective": np.empty(L), "dev_ratio": np.empty(L),
    }
    for k in range(L):
        s = fit.path[k]
        out["lambdas"][k] = s.lambda_
        out["coef"][k] = _array(s.coef, K * p).reshape(K, p)
        out["intercept"][k] = _array(s.intercepts, K) if K > 1 else s.intercept
        out["duality_gap"][k] = s.duality_gap
        out["iterations"][k] = s.iterations
        out["converged"][k] = bool(s.converged)
        out["nonzero"][k] = s.nonzero
        out["objective"][k] = s.objective
        out["dev_ratio"][k] = s.dev_ratio
    out["family"] = {v: k for k, v in _capi.FAMILY.items()}[fit.family]
    out["classes"] = _array(fit.classes, fit.nclass) if fit.nclass > 0 else None
    out["solver"] = fit.solver_name.decode() if fit.solver_name else ""
    out["solver_reason"] = fit.solver_reason.decode("utf-8", "replace")
    out["null_objective"] = fit.null_objective
    out["lambda_max"] = fit.lambda_max
    out["n_zero_variance"] = fit.n_zero_variance
    out["path_stopped"] = bool(fit.path_stopped)
    out["alpha"] = fit.alpha
    return out


CV_TABLE_DTYPE = np.dtype([("alpha", np.float64), ("lambda", np.float64), ("cvm", np.float64),
                           ("cvsd", np.float64), ("nonzero", np.int64)])


def cv_arrays(res):
    """A lariat_cv_result: the table (CV_TABLE_DTYPE, one row per (alpha,
    lambda) as the command line's --cv-out), the best curve's fit arrays,
    the selected index and the chosen values."""
    rows = []
    for a in range(res.nalpha):
        c = res.curves[a]
        lam, cvm, cvsd = _array(c.lambda_, c.nlambda), _array(c.cvm, c.nlambda), _array(c.cvsd, c.nlambda)
        nz = _array(c.nonzero, c.nlambda, np.int64)
        for i in range(c.nlambda):
            rows.append((c.alpha, lam[i], cvm[i], cvsd[i], nz[i]))
    best = res.curves[res.best]
    measure = {v: k for k, v in _capi.MEASURE.items()}[res.measure]
    return {
        "table": np.array(rows, dtype=CV_TABLE_DTYPE), "fit": fit_arrays(best.fit.contents),
        "selected": res.selected, "alpha_min": res.alpha_min, "lambda_min": res.lambda_min,
        "lambda_1se": res.lambda_1se, "nfolds": res.nfolds, "groups": res.groups, "measure": measure,
    }

"""What the four estimators share: scikit-learn's parameter protocol
(get_params / set_params, without needing scikit-learn), the problem and
settings built from the parameters, and the collective fit.

Choice: the estimators do not subclass sklearn.base.BaseEstimator, so the
package imports without scikit-learn; they follow its conventions (keyword
parameters stored unchanged by __init__, fitted attributes ending in "_",
_estimator_type) closely enough for sklearn.base.clone, is_classifier and
the metrics to accept them.
"""

import inspect
import numbers
import warnings

import numpy as np
from mpi4py import MPI

from . import _capi
from ._core import (ConvergenceWarning, LariatError, Local, Rows, Session, _lib, agree, cv_arrays, fit_arrays, is_sparse,
                    resolve_comm)

_UNSET = object()


class _Params:
    """get_params / set_params / __repr__ from the __init__ signature.

    ``lambda_`` is both a parameter (Python reserves ``lambda``) and, as the
    issue asks, the fitted lambda: reading it after fit gives the lambda of
    coef_, while get_params() and the next fit keep the value given (None =
    the whole path)."""

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self, deep=True):
        """The constructor's parameters, as given (scikit-learn's protocol)."""
        return {name: (self._lambda_param if name == "lambda_" else getattr(self, name))
                for name in self._param_names()}

    def set_params(self, **params):
        """Sets constructor parameters; returns self."""
        names = self._param_names()
        for key, value in params.items():
            if key not in names:
                raise ValueError("invalid parameter %r for %s; valid parameters are %s"
                                 % (key, type(self).__name__, sorted(names)))
            setattr(self, key, value)
        return self

    @property
    def lambda_(self):
        fitted = self.__dict__.get("_lambda_fitted", _UNSET)
        return self._lambda_param if fitted is _UNSET else fitted

    @lambda_.setter
    def lambda_(self, value):
        self._lambda_param = value
        self.__dict__.pop("_lambda_fitted", None)

    def __repr__(self):
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = []
        for name, value in self.get_params().items():
            d = defaults.get(name, _UNSET)
            same = value is d or (isinstance(value, (str, numbers.Number, type(None))) and
                                  isinstance(d, (str, numbers.Number, type(None))) and value == d)
            if not same:
                shown.append("%s=%r" % (name, value))
        return "%s(%s)" % (type(self).__name__, ", ".join(shown))


def _check_choice(local, name, value, choices):
    if not isinstance(value, str) or value not in choices:
        local.fail("%s must be one of %s, not %r" % (name, ", ".join(repr(c) for c in choices), value))
        return False
    return True


def _per_feature(local, name, value, p):
    """None, a scalar (every feature) or p values, as float64, or None."""
    if value is None:
        return None
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        local.fail("%s must be a number or %d numbers, not %r" % (name, p, value))
        return None
    if a.ndim == 0:
        return np.full(p, float(a))
    if a.shape != (p,):
        local.fail("%s must be a number or %d numbers (one per feature), not of shape %s" % (name, p, a.shape))
        return None
    return np.ascontiguousarray(a)


class _LariatBase(_Params):
    """The fit of every estimator: parameters to lariat_problem and
    lariat_settings (and lariat_cv_settings), the collective call, and the
    fitted attributes."""

    _cv = False
    _default_measure = "mse"

    def _settings(self, local, p, family):
        """(problem, settings, arrays kept alive while the C structs point at them)."""
        keep = []
        pb = _capi.Problem()
        st = _capi.Settings()
        _lib.lariat_problem_default(pb)
        _lib.lariat_settings_default(st)
        if not isinstance(self.alpha, numbers.Real) or isinstance(self.alpha, bool):
            local.fail("alpha (the elastic-net mixing, glmnet's alpha, scikit-learn's l1_ratio) must be a number "
                       "in [0, 1], not %r" % (self.alpha,))
        else:
            pb.alpha = float(self.alpha)
        pb.standardize = 1 if self.standardize else 0
        pb.intercept = 1 if self.fit_intercept else 0
        pb.family = _capi.FAMILY[family]
        if family == "multinomial":
            if _check_choice(local, "multinomial", self.multinomial, ("ungrouped", "grouped")):
                pb.grouped = 1 if self.multinomial == "grouped" else 0
        for name in ("penalty_factor", "lower", "upper"):
            a = _per_feature(local, name, getattr(self, name), p)
            if a is not None:
                keep.append(a)
                setattr(pb, name, a.ctypes.data_as(_capi._c_double_p))
        if _check_choice(local, "solver", self.solver, tuple(_capi.SOLVER)):
            st.solver = _capi.SOLVER[self.solver]
        try:
            st.tol = float(self.tol)
            st.max_iter = int(self.max_iter)
            st.nlambda = int(self.nlambda)
            st.lambda_min_ratio = 0.0 if self.lambda_min_ratio is None else float(self.lambda_min_ratio)
        except (TypeError, ValueError, OverflowError) as e:
            local.fail("tol, max_iter, nlambda and lambda_min_ratio must be numbers: %s" % e)
        if not (st.tol > 0):
            local.fail("tol must be > 0, not %r" % (self.tol,))
        if st.max_iter < 1:
            local.fail("max_iter must be at least 1, not %r" % (self.max_iter,))
        if self.lambda_min_ratio is not None and not (0 < st.lambda_min_ratio < 1):
            local.fail("lambda_min_ratio must be in (0, 1) or None, not %r" % (self.lambda_min_ratio,))
        lam = self._lambda_param
        if lam is not None:
            try:
                a = np.atleast_1d(np.asarray(lam, dtype=np.float64)).ravel()
            except (TypeError, ValueError):
                a = None
            if a is None or a.size == 0:
                local.fail("lambda_ must be None (the path), a number or a list of numbers, not %r" % (lam,))
            else:
                a = np.ascontiguousarray(a)
                keep.append(a)
                st.lambda_ = a.ctypes.data_as(_capi._c_double_p)
                st.n_lambda_given = a.size
        return pb, st, keep

    def _cv_settings(self, local, keep):
        cvs = _capi.CvSettings()
        _lib.lariat_cv_settings_default(cvs)
        try:
            cvs.nfolds = int(self.nfolds)
            cvs.seed = int(self.seed)
            cvs.groups = 0 if self.cv_groups is None else int(self.cv_groups)
        except (TypeError, ValueError, OverflowError) as e:
            local.fail("nfolds, seed and cv_groups must be integers: %s" % e)
        if cvs.groups < 0:
            local.fail("cv_groups must be None (automatic) or at least 1, not %r" % (self.cv_groups,))
        if _check_choice(local, "select", self.select, tuple(_capi.SELECT)):
            cvs.select = _capi.SELECT[self.select]
        measure = self.type_measure if self.type_measure is not None else self._default_measure
        if _check_choice(local, "type_measure", measure, ("mse", "mae", "deviance", "class", "auc")):
            cvs.measure = _capi.MEASURE[measure]
        if self.alphas is not None:
            try:
                a = np.ascontiguousarray(np.atleast_1d(np.asarray(self.alphas, dtype=np.float64)).ravel())
            except (TypeError, ValueError):
                a = np.zeros(0)
            if a.size == 0:
                local.fail("alphas must be None or a list of mixing values in [0, 1], not %r" % (self.alphas,))
            else:
                keep.append(a)
                cvs.alphas = a.ctypes.data_as(_capi._c_double_p)
                cvs.nalpha = a.size
        return cvs

    def _foldid(self, local, comm, n_local, keep):
        if self.foldid is None:
            return None
        try:
            f = np.asarray(self.foldid)
            if f.ndim != 1 or f.shape[0] != n_local:
                raise ValueError("shape %s" % (f.shape,))
            if f.size and (not np.all(np.isfinite(f.astype(np.float64))) or np.any(f != np.round(f))):
                raise ValueError("the folds must be whole numbers")
            f = np.ascontiguousarray(f, dtype=np.intc)
        except (TypeError, ValueError, OverflowError) as e:
            local.fail("foldid must hold one fold 1..K for each of this rank's %d rows (%s) (rank %d)"
                       % (n_local, e, comm.Get_rank()), _capi.EDATA)
            return None
        keep.append(f)
        return f

    def _run(self, X, y, sample_weight, family_of=None):
        """Collective. Checks everything on every rank, agrees, then fits (or
        cross-validates) on a fresh context; returns the result arrays and
        the labels' transform (for the classifiers)."""
        comm = resolve_comm(self.comm)
        rows = Rows(comm, X, y, sample_weight)
        local = Local()
        if rows.error is not None:
            local.fail(*rows.error)
        # Every rank knows p once the arrays are agreed on: lariat checks that
        # all ranks pass the same p.
        agree(comm, local.error)
        p = rows.p
        labels = None
        family = "gaussian"
        if family_of is not None:
            family, labels = family_of(comm, rows)  # collective; raises on every rank
        else:
            try:
                rows.y = np.asarray(rows.y, dtype=np.float64)
            except (TypeError, ValueError) as e:
                local.fail("y must hold numbers: %s (rank %d)" % (e, comm.Get_rank()), _capi.EDATA)
        pb, st, keep = self._settings(local, p, family)
        cvs = None
        if self._cv:
            cvs = self._cv_settings(local, keep)
            f = self._foldid(local, comm, rows.n, keep)
            if f is not None:
                cvs.foldid = f.ctypes.data_as(_capi.ctypes.POINTER(_capi.ctypes.c_int))
        agree(comm, local.error)
        with Session(comm, self.verbose) as s:
            s.set_data(rows, labels if labels is not None else rows.y)
            if self._cv:
                res = cv_arrays(s.cross_validate(pb, st, cvs))
                fit, sel = res["fit"], res["selected"]
            else:
                res = None
                fit = fit_arrays(s.fit_path(pb, st))
                sel = len(fit["lambdas"]) - 1
        del keep
        self._set_fitted(fit, sel, res, p)
        return fit, sel, res

    def _set_fitted(self, fit, sel, res, p):
        self.n_features_in_ = p
        self.lambdas_ = fit["lambdas"]
        self._lambda_fitted = float(fit["lambdas"][sel])
        self.duality_gap_ = float(fit["duality_gap"][sel])
        self.n_iter_ = int(fit["iterations"][sel])
        self.converged_ = bool(fit["converged"][sel])
        self.dev_ratio_ = float(fit["dev_ratio"][sel])
        self.objective_ = float(fit["objective"][sel])
        self.null_objective_ = float(fit["null_objective"])
        self.lambda_max_ = float(fit["lambda_max"])
        self.duality_gaps_ = fit["duality_gap"]
        self.n_iters_ = fit["iterations"]
        self.nonzero_ = fit["nonzero"]
        self.solver_ = fit["solver"]
        self.solver_reason_ = fit["solver_reason"]
        self.path_stopped_ = fit["path_stopped"]
        if res is not None:
            self.lambda_min_ = float(res["lambda_min"])
            self.lambda_1se_ = float(res["lambda_1se"])
            self.alpha_ = float(res["alpha_min"])
            self.cv_table_ = res["table"]
            self.type_measure_ = res["measure"]
            self.nfolds_ = int(res["nfolds"])
            self.cv_groups_ = int(res["groups"])
        if fit["n_zero_variance"] > 0:
            warnings.warn("%d feature(s) are constant over the rows in use: their coefficients are 0"
                          % fit["n_zero_variance"], UserWarning, stacklevel=3)
        bad = int(np.sum(~fit["converged"])) if res is None else int(not fit["converged"][sel])
        if bad:
            warnings.warn("%d of %d fits did not reach duality gap tol * N0 within max_iter=%d iterations"
                          % (bad, len(fit["converged"]) if res is None else 1, int(self.max_iter)),
                          ConvergenceWarning, stacklevel=3)

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise LariatError("this %s is not fitted yet: call fit first (or read_model)" % type(self).__name__)

    def _rows_for_predict(self, X):
        """This rank's rows for a prediction (not collective)."""
        self._check_fitted()
        if is_sparse(X):
            X = X.tocsr()
        else:
            X = np.asarray(X, dtype=np.float64)
            if X.ndim != 2:
                raise LariatError("X must be a 2-D array (this rank's rows), not %d-D" % X.ndim, _capi.EDATA)
        if X.shape[1] != self.n_features_in_:
            raise LariatError("X has %d features; the model has %d" % (X.shape[1], self.n_features_in_),
                              _capi.EDATA)
        return X


    def _score_inputs(self, X, y, sample_weight, ydtype):
        """Collective on comm. (comm, y, this rank's predictions, weights),
        checked on every rank and agreed, for score."""
        comm = resolve_comm(self.comm)
        err = y_out = pred = w = None
        try:
            pred = self.predict(X)
            y_out = np.asarray(y) if ydtype is None else np.asarray(y, dtype=ydtype)
            w = np.ones(len(pred)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
            if y_out.shape != (len(pred),) or w.shape != (len(pred),):
                raise ValueError("y and sample_weight must have one value per row of X (%d)" % len(pred))
        except LariatError as e:
            err = (str(e), e.status)
        except (TypeError, ValueError) as e:
            err = ("%s (rank %d)" % (e, comm.Get_rank()), _capi.EDATA)
        agree(comm, err)
        return comm, y_out, pred, w


def collective_sums(comm, values):
    """Collective. The sums over ranks of a few local numbers (float64)."""
    v = np.asarray(values, dtype=np.float64)
    out = np.empty_like(v)
    comm.Allreduce(v, out, op=MPI.SUM)
    return out

"""Penalized logistic regression (the binomial and multinomial families):
LogisticRegression and LogisticRegressionCV."""

import numpy as np

from . import _capi
from ._base import _LariatBase, collective_sums
from ._core import LariatError, Local

# Beyond this many distinct labels on one rank, y is not gathered: it is
# passed to lariat as multinomial labels, and lariat says what is wrong.
_MAX_GATHERED_LABELS = 10000

_MAPPING = """
    The objective (SPEC.md section 9), over all ranks' rows with weights w_i
    (W = sum w_i), for K classes (eta_ik = b0k + x_i'b_k; binomial has one
    predictor)::

        1/W sum_i w_i (log sum_k exp(eta_ik) - sum_k y_ik eta_ik)
          + lambda_ sum_j f_j sum_k ((1 - alpha)/2 (s_j b_jk)^2 + alpha |s_j b_jk|)

    the negative log-likelihood over W (glmnet's deviance / 2W) plus the
    elastic-net penalty on the standardized coefficients.

    The family follows from the labels: labels all in [0, 1] are binomial
    (0 and 1 the classes, a value between a proportion of successes with the
    row's weight its number of trials); otherwise two distinct labels are
    binomial (the smaller is class 0) and more are multinomial (numeric
    labels must then be whole numbers). Labels that are not numbers (strings)
    are mapped to their sorted order. classes_ lists the labels in order.

    Names: ``alpha`` is glmnet's alpha, the MIXING (1 lasso, 0 ridge;
    scikit-learn's l1_ratio); ``lambda_`` is glmnet's lambda. scikit-learn's
    LogisticRegression(C=c) minimizes c * sum_i loss_i + penalty, which is
    this objective at ``lambda_ = 1 / (c W)`` (W = n without weights) for
    the pure cases: penalty="l1" is alpha=1, penalty="l2" alpha=0, and
    elasticnet's l1_ratio is alpha, all with ``standardize=False`` (the
    multinomial penalty of scikit-learn is the ungrouped one).
"""

_FITTED = """
    Attributes (after fit; each the same on every rank)
    ----------
    classes_ : (K,) the labels, in order
    coef_ : (1, p) for two classes, (K, p) for more, on the original scale
    intercept_ : (1,) or (K,) (multinomial intercepts sum to 0, as glmnet's)
    family_ : "binomial" or "multinomial"
    lambda_, lambdas_, duality_gap_, n_iter_, converged_, dev_ratio_,
    objective_, duality_gaps_, n_iters_, nonzero_, null_objective_,
    lambda_max_, solver_, solver_reason_, n_features_in_ : as ElasticNet's
    coef_path_ : (1 or K, p, L); intercept_path_ : (1 or K, L)
    path_stopped_ : True when the default path stopped early because the
        deviance ratio passed 0.999 (glmnet's devmax; separable data)
"""


class _Classifier(_LariatBase):
    _estimator_type = "classifier"

    def _family_of(self, comm, rows):
        """Collective. The family and the labels as lariat's numbers, from
        every rank's labels (one allgather)."""
        local = Local()
        y = rows.y
        payload = None
        try:
            pos = y if rows.w is None else y[rows.w > 0]
            numeric = y.dtype.kind in "biuf"
            if numeric:
                yf = pos.astype(np.float64)
                lo = float(yf.min()) if yf.size else np.inf
                hi = float(yf.max()) if yf.size else -np.inf
                u = np.unique(yf)
                payload = ("number", lo, hi, u if u.size <= _MAX_GATHERED_LABELS else None, None)
            else:
                u_all = np.unique(y)
                u_pos = np.unique(pos)
                if u_all.size > _MAX_GATHERED_LABELS:
                    raise ValueError("%d distinct labels on one rank" % u_all.size)
                payload = ("label", None, None, u_pos, u_all)
        except (TypeError, ValueError) as e:
            local.fail("y: cannot use the labels: %s (rank %d)" % (e, comm.Get_rank()), _capi.EDATA)
        gathered = comm.allgather((local.error, payload))
        errors = [(e[1], -r, e[0]) for r, (e, _) in enumerate(gathered) if e is not None]
        if errors:
            status, _, message = max(errors)
            raise LariatError(message, status)
        kinds = {g[1][0] for g in gathered}
        if len(kinds) > 1:
            raise LariatError("y holds numbers on some ranks and other labels on others", _capi.EDATA)
        self._label_values = None
        self._label_dtype = y.dtype
        if kinds == {"number"}:
            lo = min(g[1][1] for g in gathered)
            hi = max(g[1][2] for g in gathered)
            if any(g[1][3] is None for g in gathered):
                family = "multinomial"
            elif lo >= 0.0 and hi <= 1.0:
                family = "binomial"
            else:
                distinct = np.unique(np.concatenate([g[1][3] for g in gathered]))
                family = "binomial" if distinct.size <= 2 else "multinomial"
            return family, np.ascontiguousarray(y, dtype=np.float64)
        try:
            values = np.unique(np.concatenate([g[1][4] for g in gathered]))
            distinct = np.unique(np.concatenate([g[1][3] for g in gathered]))
        except TypeError as e:
            raise LariatError("y: labels of different kinds cannot be ordered: %s" % e, _capi.EDATA) from None
        self._label_values = values
        family = "binomial" if distinct.size <= 2 else "multinomial"
        return family, np.searchsorted(values, y).astype(np.float64)

    def fit(self, X, y, sample_weight=None):
        """Collective on comm: every rank calls fit with its own rows.

        X : (n_local, p) array or scipy.sparse CSR matrix; y : (n_local,)
        labels; sample_weight : (n_local,) weights >= 0 or None. A rank may
        hold no rows. Errors raise LariatError with the same message on every
        rank.
        """
        fit, sel, res = self._run(X, y, sample_weight, family_of=self._family_of)
        self.family_ = fit["family"]
        classes = fit["classes"]
        if self._label_values is not None:
            self.classes_ = self._label_values[classes.astype(np.int64)]
        elif self._label_dtype.kind in "biu" and np.all(classes == np.round(classes)):
            self.classes_ = classes.astype(self._label_dtype)
        else:
            self.classes_ = classes
        coef = fit["coef"]  # (L, K', p)
        self.coef_path_ = np.ascontiguousarray(np.transpose(coef, (1, 2, 0)))
        self.intercept_path_ = np.ascontiguousarray(fit["intercept"].T)
        self.coef_ = coef[sel].copy()
        self.intercept_ = fit["intercept"][sel].copy()
        return self

    def decision_function(self, X):
        """This rank's linear predictors (not collective): (n,) for two
        classes (the log-odds of classes_[1]), (n, K) for more."""
        X = self._rows_for_predict(X)
        eta = np.asarray(X @ self.coef_.T, dtype=np.float64) + self.intercept_
        return eta[:, 0].copy() if self.coef_.shape[0] == 1 else eta

    def predict_proba(self, X):
        """This rank's class probabilities (n, K), columns in classes_ order
        (not collective)."""
        eta = self.decision_function(X)
        if eta.ndim == 1:
            p1 = _expit(eta)
            return np.column_stack([1.0 - p1, p1])
        e = np.exp(eta - eta.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """log of predict_proba (not collective)."""
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """This rank's predicted labels (not collective): the most probable
        class (for two classes, classes_[1] when its probability exceeds 0.5,
        as ``lariat predict --type class``)."""
        eta = self.decision_function(X)
        if eta.ndim == 1:
            return self.classes_[(_expit(eta) > 0.5).astype(np.int64)]
        return self.classes_[np.argmax(eta, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Collective on comm: the (weighted) fraction of ALL ranks' rows
        whose label predict gets right, the same number on every rank."""
        comm, y, pred, w = self._score_inputs(X, y, sample_weight, None)
        s = collective_sums(comm, [(w * (pred == y)).sum(), w.sum()])
        return float(s[0] / s[1]) if s[1] > 0 else 0.0


def _expit(eta):
    """1 / (1 + exp(-eta)) without overflow, by the formula of
    src/family/predict.c (so that the 0.5 threshold falls the same way)."""
    out = np.empty_like(eta)
    pos = eta >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-eta[pos]))
    e = np.exp(eta[~pos])
    out[~pos] = e / (1.0 + e)
    return out


_PARAMS = """
    Parameters
    ----------
    alpha, lambda_, nlambda, lambda_min_ratio, standardize, fit_intercept,
    penalty_factor, lower, upper, solver, tol, max_iter, comm, verbose :
        as lariat.ElasticNet (solver "admm" serves binomial only).
    multinomial : "ungrouped" (default) or "grouped"
        glmnet's type.multinomial: with "grouped" a feature enters or leaves
        for all classes at once.
"""


class LogisticRegression(_Classifier):
    __doc__ = ("""Penalized logistic regression fitted by lariat on the rows spread over the
    ranks of an MPI communicator (glmnet's binomial and multinomial families).
""" + _MAPPING + _PARAMS + _FITTED)

    def __init__(self, alpha=1.0, lambda_=None, nlambda=100, lambda_min_ratio=None, standardize=True,
                 fit_intercept=True, penalty_factor=None, lower=None, upper=None, solver="auto", tol=1e-7,
                 max_iter=10000, comm=None, multinomial="ungrouped", verbose=0):
        self.alpha = alpha
        self.lambda_ = lambda_
        self.nlambda = nlambda
        self.lambda_min_ratio = lambda_min_ratio
        self.standardize = standardize
        self.fit_intercept = fit_intercept
        self.penalty_factor = penalty_factor
        self.lower = lower
        self.upper = upper
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.comm = comm
        self.multinomial = multinomial
        self.verbose = verbose


class LogisticRegressionCV(_Classifier):
    __doc__ = ("""Cross-validated penalized logistic regression (glmnet's cv.glmnet with
    family binomial or multinomial): K-fold CV of the lambda path (for each of
    ``alphas``), then the fit on all rows at the selected lambda.
""" + _MAPPING + _PARAMS + """    nfolds, foldid, seed, select, alphas, cv_groups : as lariat.ElasticNetCV
    type_measure : "deviance" (default), "class", "mse", "mae", or "auc"
        (binomial only, maximized)
""" + _FITTED + """    lambda_min_, lambda_1se_, alpha_, cv_table_, type_measure_, nfolds_,
    cv_groups_ : as lariat.ElasticNetCV
""")

    _cv = True
    _default_measure = "deviance"

    def __init__(self, alpha=1.0, lambda_=None, nlambda=100, lambda_min_ratio=None, standardize=True,
                 fit_intercept=True, penalty_factor=None, lower=None, upper=None, solver="auto", tol=1e-7,
                 max_iter=10000, comm=None, multinomial="ungrouped", nfolds=10, foldid=None, seed=1,
                 select="1se", alphas=None, cv_groups=None, type_measure="deviance", verbose=0):
        self.alpha = alpha
        self.lambda_ = lambda_
        self.nlambda = nlambda
        self.lambda_min_ratio = lambda_min_ratio
        self.standardize = standardize
        self.fit_intercept = fit_intercept
        self.penalty_factor = penalty_factor
        self.lower = lower
        self.upper = upper
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.comm = comm
        self.multinomial = multinomial
        self.nfolds = nfolds
        self.foldid = foldid
        self.seed = seed
        self.select = select
        self.alphas = alphas
        self.cv_groups = cv_groups
        self.type_measure = type_measure
        self.verbose = verbose

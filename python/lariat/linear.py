"""Elastic-net linear regression (the gaussian family): ElasticNet and
ElasticNetCV."""

import numpy as np

from ._base import _LariatBase, collective_sums

_MAPPING = """
    The objective (SPEC.md section 1), over all ranks' rows with weights w_i
    (W = sum w_i)::

        1/(2W) sum_i w_i (y_i - b0 - x_i'b)^2
          + lambda_ sum_j f_j ((1 - alpha)/2 (s_j b_j)^2 + alpha |s_j b_j|)

    subject to lower_j <= b_j <= upper_j, with s_j the column's standard
    deviation when ``standardize`` (1 otherwise) and f_j the penalty factors.

    Names: ``alpha`` is glmnet's alpha, the MIXING of the penalties (1 lasso,
    0 ridge), which scikit-learn calls ``l1_ratio``; ``lambda_`` is glmnet's
    lambda, the penalty's STRENGTH, which scikit-learn calls ``alpha``. So
    ``lariat.ElasticNet(alpha=a, lambda_=l, standardize=False)`` solves the
    problem of ``sklearn.linear_model.ElasticNet(alpha=l, l1_ratio=a)``
    (scikit-learn does not standardize; its sample_weight is normalized to
    the same 1/(2W)). y is never rescaled (glmnet rescales it for alpha < 1).
"""

_PARAMS = """
    Parameters
    ----------
    alpha : float in [0, 1], default 1.0
        Elastic-net mixing (glmnet's alpha, scikit-learn's l1_ratio).
    lambda_ : None, float or list of floats, default None
        Penalty strength (glmnet's lambda, scikit-learn's alpha). None fits
        the path of ``nlambda`` values from lambda_max down; a list fits
        those values (in decreasing order, warm-started); a number one model.
    nlambda : int, default 100
    lambda_min_ratio : float or None, default None
        The path's floor over lambda_max; None is 1e-4 when n >= p, else 1e-2.
    standardize : bool, default True
    fit_intercept : bool, default True
    penalty_factor : None or p floats >= 0
        glmnet's penalty.factor (0 = never penalized), used as given.
    lower, upper : None, float or p floats
        Bounds on the coefficients (lower <= 0 <= upper; lower=0 for
        non-negative coefficients).
    solver : "auto", "gram", "admm" or "fista", default "auto"
    tol : float, default 1e-7
        Converged when the duality gap is at most tol * N0 (N0 the objective
        at b = 0).
    max_iter : int, default 10000
    comm : mpi4py communicator or None (MPI.COMM_WORLD)
        The ranks that fit together; each passes its own rows to fit.
    verbose : int, default 0
        0 quiet; 1 lariat's progress and warnings on rank 0's stderr; 2 more.
"""

_CV_PARAMS = """
    nfolds : int, default 10
    foldid : None or ints 1..K, one per row of this rank
        glmnet's foldid (overrides nfolds and seed).
    seed : int, default 1
        Folds are a function of (seed, n, K, global row) only: the same for
        any number of ranks.
    select : "1se" or "min", default "1se"
        The refit's lambda: lambda_1se (glmnet's default for coef) or
        lambda_min.
    alphas : None or list of floats
        Mixing values to cross-validate (each with its own path); the best
        (alpha, lambda) wins. None = [alpha].
    cv_groups : None or int
        Groups of ranks that train different folds at once (None automatic).
    type_measure : str
        The CV measure (glmnet's type.measure).
"""

_FITTED = """
    Attributes (after fit; each the same on every rank)
    ----------
    coef_ : (p,) array, on the original scale of X
    intercept_ : float
    lambda_ : float, the lambda of coef_ (the last of the path, or the one
        given; after CV the selected one)
    lambdas_ : (L,) the lambdas fitted, decreasing
    coef_path_ : (p, L); intercept_path_ : (L,)
    duality_gap_, n_iter_, converged_, dev_ratio_, objective_ : of coef_'s fit
    duality_gaps_, n_iters_, nonzero_ : (L,) the same along the path
    null_objective_ : N0; lambda_max_ : the path's start
    solver_ : the solver used ("gram", "admm", "fista"); solver_reason_
    n_features_in_ : p
"""

_CV_FITTED = """
    lambda_min_, lambda_1se_ : the lambdas of smallest CV error and glmnet's
        one-standard-error rule
    alpha_ : the chosen mixing (of the smallest CV error over alphas)
    cv_table_ : structured array with fields alpha, lambda, cvm, cvsd,
        nonzero: one row per (alpha, lambda), as ``lariat cv --cv-out``
    type_measure_, nfolds_, cv_groups_ : as used
"""


class _Regressor(_LariatBase):
    _estimator_type = "regressor"

    def fit(self, X, y, sample_weight=None):
        """Collective on comm: every rank calls fit with its own rows.

        X : (n_local, p) array, best C-contiguous float64 (other dtypes and
            layouts are converted first), or a scipy.sparse matrix (kept
            sparse, as CSR); y : (n_local,) targets; sample_weight :
            (n_local,) weights >= 0 or None. A rank may hold no rows (shape
            (0, p)). lariat copies the rows: the arrays may change after fit.
        Errors raise LariatError with the same message on every rank.
        """
        fit, sel, res = self._run(X, y, sample_weight)
        coef = fit["coef"][:, 0, :]  # (L, p)
        self.coef_path_ = np.ascontiguousarray(coef.T)
        self.intercept_path_ = fit["intercept"][:, 0].copy()
        self.coef_ = coef[sel].copy()
        self.intercept_ = float(fit["intercept"][sel, 0])
        return self

    def predict(self, X):
        """This rank's predictions b0 + X b (not collective)."""
        X = self._rows_for_predict(X)
        return np.asarray(X @ self.coef_, dtype=np.float64).ravel() + self.intercept_

    def score(self, X, y, sample_weight=None):
        """Collective on comm: the coefficient of determination R^2 of the
        predictions over ALL ranks' rows (each rank passes its own), the same
        number on every rank (scikit-learn's r2_score, weighted)."""
        comm, y, pred, w = self._score_inputs(X, y, sample_weight, np.float64)
        s = collective_sums(comm, [w.sum(), (w * y).sum()])
        ybar = s[1] / s[0] if s[0] > 0 else 0.0
        t = collective_sums(comm, [(w * (y - pred) ** 2).sum(), (w * (y - ybar) ** 2).sum()])
        if t[1] == 0:
            return 1.0 if t[0] == 0 else 0.0
        return float(1.0 - t[0] / t[1])


class ElasticNet(_Regressor):
    __doc__ = ("""Elastic-net linear regression fitted by lariat on the rows spread over
    the ranks of an MPI communicator (the gaussian family).
""" + _MAPPING + _PARAMS + _FITTED)

    def __init__(self, alpha=1.0, lambda_=None, nlambda=100, lambda_min_ratio=None, standardize=True,
                 fit_intercept=True, penalty_factor=None, lower=None, upper=None, solver="auto", tol=1e-7,
                 max_iter=10000, comm=None, verbose=0):
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
        self.verbose = verbose


class ElasticNetCV(_Regressor):
    __doc__ = ("""Cross-validated elastic-net linear regression (glmnet's cv.glmnet): K-fold
    CV of the lambda path (for each of ``alphas``), then the fit on all rows at
    the selected lambda.
""" + _MAPPING + _PARAMS + _CV_PARAMS + """        "mse" (default) or "mae".
""" + _FITTED + _CV_FITTED)

    _cv = True
    _default_measure = "mse"

    def __init__(self, alpha=1.0, lambda_=None, nlambda=100, lambda_min_ratio=None, standardize=True,
                 fit_intercept=True, penalty_factor=None, lower=None, upper=None, solver="auto", tol=1e-7,
                 max_iter=10000, comm=None, nfolds=10, foldid=None, seed=1, select="1se", alphas=None,
                 cv_groups=None, type_measure="mse", verbose=0):
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
        self.nfolds = nfolds
        self.foldid = foldid
        self.seed = seed
        self.select = select
        self.alphas = alphas
        self.cv_groups = cv_groups
        self.type_measure = type_measure
        self.verbose = verbose

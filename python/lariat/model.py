"""read_model: the model JSON written by ``lariat fit`` and ``lariat cv``
(SPEC.md sections 5 and 9) as the fitted estimator it describes."""

import json

import numpy as np

from . import _capi
from ._core import CV_TABLE_DTYPE, LariatError
from .linear import ElasticNet, ElasticNetCV
from .logistic import LogisticRegression, LogisticRegressionCV


def _fail(path, what):
    raise LariatError("%s: %s" % (path, what), _capi.EDATA)


def read_model(path, comm=None):
    """Reads a lariat model file into a fitted estimator: ElasticNet or
    ElasticNetCV (family gaussian), LogisticRegression or
    LogisticRegressionCV (binomial, multinomial); the CV classes when the
    file has a "cv" block. predict, predict_proba and decision_function then
    work as after fit, and the parameters are the file's (alpha, lambda_,
    standardize, fit_intercept, and the CV settings).

    Not collective: every rank that calls it reads the file itself. comm
    (an mpi4py communicator, None = MPI.COMM_WORLD) is the estimator's for
    what is collective afterwards (score, a new fit).

    Numbers come back bit-exact (the file is written with 17 significant
    digits). Raises LariatError (status EDATA) when the file cannot be read
    or is not a lariat model.
    """
    try:
        with open(path, "r", encoding="utf-8") as f:
            m = json.load(f)
    except OSError as e:
        _fail(path, "cannot read the model: %s" % e.strerror)
    except ValueError as e:
        _fail(path, "not JSON: %s" % e)
    if not isinstance(m, dict) or m.get("format") != "lariat-model":
        _fail(path, 'not a lariat model (no "format": "lariat-model")')
    if m.get("version") != 1:
        _fail(path, "model version %r; this package reads version 1" % (m.get("version"),))
    try:
        return _build(m, comm)
    except (KeyError, TypeError, ValueError) as e:
        _fail(path, "malformed model: %s: %s" % (type(e).__name__, e))


def _coef(entry, K, p):
    """(coef (K', p), intercepts (K',)) of one solution; K' = 1 unless multinomial."""
    if K > 1:
        coef = np.array(entry["coef"], dtype=np.float64).reshape(K, p)
        icpt = np.array(entry["intercept"], dtype=np.float64).reshape(K)
    else:
        coef = np.array(entry["coef"], dtype=np.float64).reshape(1, p)
        icpt = np.array([entry["intercept"]], dtype=np.float64)
    return coef, icpt


def _build(m, comm):
    family = m.get("family", "gaussian")
    if family not in _capi.FAMILY:
        raise ValueError("unknown family %r" % family)
    p = int(m["n_features"])
    classes = np.array(m["classes"], dtype=np.float64) if family != "gaussian" else None
    K = len(classes) if family == "multinomial" else 1
    cv = m.get("cv")
    params = dict(alpha=float(m["alpha"]), standardize=bool(m["standardize"]),
                  fit_intercept=bool(m["fit_intercept"]), comm=comm)
    path = m.get("path")
    if path is None:
        params["lambda_"] = float(m["lambda"])  # one lambda was fit
    if family == "multinomial":
        params["multinomial"] = m.get("multinomial", "ungrouped")
    if cv is not None:
        table = np.array([(r["alpha"], r["lambda"], r["cvm"], r["cvsd"], r["nonzero"]) for r in cv["table"]],
                         dtype=CV_TABLE_DTYPE)
        alphas = list(dict.fromkeys(float(a) for a in table["alpha"]))
        params.update(nfolds=int(cv["nfolds"]), seed=int(cv["seed"]), select=cv["select"],
                      type_measure=cv.get("type_measure", "mse" if family == "gaussian" else "deviance"))
        if len(alphas) > 1:
            params["alphas"] = alphas
        cls = ElasticNetCV if family == "gaussian" else LogisticRegressionCV
    else:
        cls = ElasticNet if family == "gaussian" else LogisticRegression
    est = cls(**params)

    # The fitted attributes, as fit sets them.
    coef, icpt = _coef(m, K, p)
    entries = path if path is not None else [dict(m, nonzero=None)]
    L = len(entries)
    cpath = np.empty((coef.shape[0], p, L))
    ipath = np.empty((coef.shape[0], L))
    for k, e in enumerate(entries):
        c, i = _coef(e, K, p)
        cpath[:, :, k] = c
        ipath[:, k] = i
    est.lambdas_ = np.array([float(e["lambda"]) for e in entries])
    est.duality_gaps_ = np.array([float(e["duality_gap"]) for e in entries])
    est.n_iters_ = np.array([int(e["iterations"]) for e in entries], dtype=np.int64)
    if path is not None:
        est.nonzero_ = np.array([int(e["nonzero"]) for e in entries], dtype=np.int64)
    else:
        est.nonzero_ = np.array([int(np.count_nonzero(np.any(coef != 0, axis=0)))], dtype=np.int64)
    est._lambda_fitted = float(m["lambda"])
    est.duality_gap_ = float(m["duality_gap"])
    est.n_iter_ = int(m["iterations"])
    est.converged_ = bool(m["converged"])
    est.objective_ = float(m["objective"])
    if "dev_ratio" in m:
        est.dev_ratio_ = float(m["dev_ratio"])
    est.solver_ = m.get("solver", "")
    est.n_features_in_ = p
    est.feature_names_ = list(m.get("feature_names", []))
    est.n_samples_ = int(m.get("n_samples", 0))
    est.path_stopped_ = "path_stop" in m
    if family == "gaussian":
        est.coef_ = coef[0]
        est.intercept_ = float(icpt[0])
        est.coef_path_ = cpath[0]
        est.intercept_path_ = ipath[0]
    else:
        est.family_ = family
        est.classes_ = classes.astype(np.int64) if np.all(classes == np.round(classes)) else classes
        est.coef_ = coef
        est.intercept_ = icpt
        est.coef_path_ = cpath
        est.intercept_path_ = ipath
    if cv is not None:
        est.lambda_min_ = float(cv["lambda_min"])
        est.lambda_1se_ = float(cv["lambda_1se"])
        est.alpha_ = float(cv["alpha_min"])
        est.cv_table_ = table
        est.type_measure_ = params["type_measure"]
        est.nfolds_ = int(cv["nfolds"])
    return est

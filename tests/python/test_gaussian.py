"""ElasticNet and ElasticNetCV against the 1-rank fit, the command line's
own results on the same data, and scikit-learn."""

import os

import numpy as np
import pytest
from mpi4py import MPI

import lariat
from mpitest import (COMM, FIXTURES, RANK, SIZE, check, load_csv, rel_diff, run_cli, same_on_every_rank,
                     uneven_split, write_csv)

DIABETES = os.path.join(FIXTURES, "diabetes.csv")


def _data(n=120, p=8, seed=3, weights=False):
    """The same rows on every rank (made from the seed); each rank then takes its share."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.uniform(-1, 1, p)
    beta = np.zeros(p)
    beta[: p // 2] = rng.uniform(-2, 2, p // 2)
    y = 0.5 + X @ beta + rng.standard_normal(n)
    w = rng.uniform(0.2, 2.0, n) if weights else None
    return X, y, w


def _mine(b, e, *arrays):
    return [None if a is None else a[b:e] for a in arrays]


@pytest.mark.parametrize("empty", [None, 1])
def test_path_same_on_every_rank_and_as_one_rank(empty):
    """Each rank passes its own rows (unevenly split; with empty=1, rank 1
    passes none): every rank holds the same model, and it is the fit of all
    rows on one rank (COMM_SELF) to round-off (both solved to a gap of
    1e-12 N0, so that where each stops does not hide it)."""
    if empty is not None and SIZE < 2:
        pytest.skip("needs 2 ranks")
    X, y, w = _data(weights=True)
    b, e = uneven_split(len(y), empty=empty)
    Xm, ym, wm = _mine(b, e, X, y, w)
    m = lariat.ElasticNet(alpha=0.5, nlambda=30, tol=1e-12).fit(Xm, ym, sample_weight=wm)
    one = lariat.ElasticNet(alpha=0.5, nlambda=30, tol=1e-12, comm=MPI.COMM_SELF).fit(X, y, sample_weight=w)
    check(m.coef_path_.shape == (8, 30) and m.lambdas_.shape == (30,), "shapes")
    for name in ("coef_path_", "intercept_path_", "lambdas_", "coef_", "duality_gaps_"):
        check(same_on_every_rank(getattr(m, name)), name + " is the same on every rank")
    check(rel_diff(m.coef_path_, one.coef_path_) < 1e-9, "coef_path_ as one rank's: %g"
          % rel_diff(m.coef_path_, one.coef_path_))
    check(rel_diff(m.intercept_path_, one.intercept_path_) < 1e-9, "intercepts as one rank's")
    check(rel_diff(m.lambdas_, one.lambdas_) < 1e-12, "lambdas as one rank's")
    check(m.converged_ and m.duality_gap_ <= 1e-12 * m.null_objective_, "certificate")
    check(m.solver_ in ("gram", "admm", "fista"), "solver_ %r" % m.solver_)


@pytest.mark.parametrize("solver", ["gram", "admm", "fista"])
def test_solvers_and_sparse_rows(solver):
    """The same model from every solver, with X dense or scipy.sparse CSR."""
    sp = pytest.importorskip("scipy.sparse")
    X, y, _ = _data(n=90, p=6, seed=4)
    X[np.abs(X) < 0.8] = 0.0
    b, e = uneven_split(len(y))
    lam = [0.3, 0.1, 0.03]
    dense = lariat.ElasticNet(alpha=0.7, lambda_=lam, solver=solver, tol=1e-10).fit(X[b:e], y[b:e])
    sparse = lariat.ElasticNet(alpha=0.7, lambda_=lam, solver=solver, tol=1e-10).fit(sp.csr_matrix(X[b:e]), y[b:e])
    ref = lariat.ElasticNet(alpha=0.7, lambda_=lam, solver="gram", tol=1e-12, comm=MPI.COMM_SELF).fit(X, y)
    check(dense.solver_ == solver and sparse.solver_ == solver, "solver used")
    check(rel_diff(dense.coef_path_, ref.coef_path_) < 1e-5, "dense %s = gram: %g" % (solver, rel_diff(dense.coef_path_, ref.coef_path_)))
    check(rel_diff(sparse.coef_path_, ref.coef_path_) < 1e-5, "CSR %s = gram" % solver)
    pd = dense.predict(X[b:e])
    check(rel_diff(dense.predict(sp.csr_matrix(X[b:e])), pd) < 1e-12 and pd.shape == (e - b,), "sparse predict")


@pytest.mark.parametrize("alpha,weights,bounds", [(0.5, False, False), (1.0, True, False), (0.3, True, True)])
def test_against_sklearn(alpha, weights, bounds):
    """lariat.ElasticNet(alpha=a, lambda_=l, standardize=False) solves
    sklearn's ElasticNet(alpha=l, l1_ratio=a) (weights normalized the same
    way; lower=0 is positive=True)."""
    lm = pytest.importorskip("sklearn.linear_model")
    X, y, w = _data(n=150, p=7, seed=5, weights=weights)
    b, e = uneven_split(len(y))
    lam = 0.08
    m = lariat.ElasticNet(alpha=alpha, lambda_=lam, standardize=False, tol=1e-12,
                          lower=0.0 if bounds else None).fit(X[b:e], y[b:e], sample_weight=None if w is None else w[b:e])
    ref = lm.ElasticNet(alpha=lam, l1_ratio=alpha, tol=1e-13, max_iter=1000000, positive=bounds)
    ref.fit(X, y, sample_weight=w)
    d = rel_diff(m.coef_, ref.coef_)
    check(d < 1e-6 and abs(m.intercept_ - ref.intercept_) < 1e-6 * max(1, abs(ref.intercept_)),
          "coef as sklearn: %g (%s / %s)" % (d, m.coef_, ref.coef_))
    if bounds:
        check(np.all(m.coef_ >= 0) and np.any(m.coef_ == 0), "lower=0 keeps coefficients >= 0")
    # score: sklearn's weighted R^2 over all rows, on every rank.
    from sklearn.metrics import r2_score
    s = m.score(X[b:e], y[b:e], sample_weight=None if w is None else w[b:e])
    r = r2_score(y, m.predict(X), sample_weight=w)
    check(abs(s - r) < 1e-12 and same_on_every_rank(np.float64(s)), "score %r = r2_score %r" % (s, r))


def test_fit_as_command_line_and_read_model(shared_dir):
    """`lariat fit` on the file and ElasticNet on each rank's rows of it
    give the same path; read_model of the file predicts what `lariat
    predict` writes."""
    X, y = load_csv(DIABETES)
    b, e = uneven_split(len(y))
    pf = np.ones(X.shape[1])
    pf[[0, 3]] = [0.0, 2.0]
    pf_file = os.path.join(shared_dir, "pf.txt")
    if RANK == 0:
        np.savetxt(pf_file, pf)
    model = os.path.join(shared_dir, "fit.json")
    run_cli(["fit", "--data", DIABETES, "--alpha", "0.5", "--nlambda", "25", "--penalty-factor", pf_file,
             "--upper", "30", "--out", model, "--quiet"], ranks=2)
    m = lariat.ElasticNet(alpha=0.5, nlambda=25, penalty_factor=pf, upper=30.0).fit(X[b:e], y[b:e])
    r = lariat.read_model(model)
    check(type(r) is lariat.ElasticNet and r.get_params()["alpha"] == 0.5, "read_model makes an ElasticNet")
    check(rel_diff(m.lambdas_, r.lambdas_) < 1e-12, "lambdas as the command line's")
    check(rel_diff(m.coef_path_, r.coef_path_) < 1e-7, "path as the command line's: %g"
          % rel_diff(m.coef_path_, r.coef_path_))
    check(rel_diff(m.coef_, r.coef_) < 1e-7 and abs(m.intercept_ - r.intercept_) < 1e-6 * abs(r.intercept_),
          "model as the command line's")
    check(m.solver_ == r.solver_ and r.converged_ and r.n_features_in_ == 10, "solver and certificate")
    # The bound holds to round-off (lariat applies it on the standardized scale).
    check(np.max(r.coef_path_) <= 30.0 * (1 + 1e-14) and np.sum(r.coef_path_ >= 30.0 * (1 - 1e-14)) > 0,
          "upper bound reached and kept: %r" % np.max(r.coef_path_))
    preds = os.path.join(shared_dir, "fit-pred.csv")
    run_cli(["predict", "--model", model, "--data", DIABETES, "--out", preds])
    ref = np.loadtxt(preds, skiprows=1)
    check(rel_diff(r.predict(X[b:e]), ref[b:e]) < 1e-12, "predict = lariat predict")
    check(rel_diff(m.predict(X[b:e]), ref[b:e]) < 1e-7, "the fitted model predicts the same")


def test_cv_as_command_line(shared_dir):
    """ElasticNetCV on each rank's rows = `lariat cv` on the file: the CV
    table, lambda_min, lambda_1se, the chosen alpha and the refit; with the
    seed's folds and with a foldid."""
    X, y, w = _data(n=160, p=9, seed=7, weights=True)
    data = os.path.join(shared_dir, "cv.csv")
    write_csv(data, X, y, w)
    b, e = uneven_split(len(y))
    model, table = os.path.join(shared_dir, "cv.json"), os.path.join(shared_dir, "cv-table.csv")
    run_cli(["cv", "--data", data, "--weights", "w", "--alpha", "0.5,1", "--nfolds", "5", "--seed", "3",
             "--nlambda", "30", "--select", "min", "--out", model, "--cv-out", table, "--quiet"], ranks=2)
    m = lariat.ElasticNetCV(alphas=[0.5, 1.0], nfolds=5, seed=3, nlambda=30, select="min")
    m.fit(X[b:e], y[b:e], sample_weight=w[b:e])
    ref = np.genfromtxt(table, delimiter=",", names=True)
    t = m.cv_table_
    check(t.dtype.names == ("alpha", "lambda", "cvm", "cvsd", "nonzero") and len(t) == len(ref), "table shape")
    for col in ("alpha", "lambda", "cvm", "cvsd", "nonzero"):
        check(rel_diff(t[col], ref[col]) < 1e-8, "cv table %s as --cv-out: %g" % (col, rel_diff(t[col], ref[col])))
    r = lariat.read_model(model)
    check(type(r) is lariat.ElasticNetCV and r.get_params()["alphas"] == [0.5, 1.0], "read_model: ElasticNetCV")
    for name in ("lambda_min_", "lambda_1se_", "alpha_", "lambda_"):
        check(abs(getattr(m, name) - getattr(r, name)) <= 1e-10 * abs(getattr(r, name)), "%s as the file's" % name)
    check(m.lambda_ == m.lambda_min_, "select=min refits at lambda_min")
    check(rel_diff(m.coef_, r.coef_) < 1e-7, "refit as the file's: %g" % rel_diff(m.coef_, r.coef_))
    check(rel_diff(t["cvm"], r.cv_table_["cvm"]) < 1e-8, "read_model's cv_table_")
    for name in ("coef_", "cv_table_", "lambda_1se_"):
        check(same_on_every_rank(getattr(m, name)), name + " is the same on every rank")

    # Folds given: glmnet's foldid, one per row, each rank its own rows'.
    foldid = 1 + (np.arange(len(y)) * 7) % 4
    fold_file = os.path.join(shared_dir, "foldid.txt")
    if RANK == 0:
        np.savetxt(fold_file, foldid, fmt="%d")
    COMM.Barrier()
    run_cli(["cv", "--data", data, "--weights", "w", "--alpha", "0.5", "--foldid", fold_file, "--nlambda", "30",
             "--out", model, "--quiet"])
    m = lariat.ElasticNetCV(alpha=0.5, foldid=foldid[b:e], nlambda=30).fit(X[b:e], y[b:e], sample_weight=w[b:e])
    r = lariat.read_model(model)
    check(m.nfolds_ == 4 and r.nfolds_ == 4, "K from foldid")
    check(rel_diff(m.cv_table_["cvm"], r.cv_table_["cvm"]) < 1e-8 and m.lambda_1se_ == pytest.approx(r.lambda_1se_,
                                                                                                     rel=1e-10),
          "foldid CV as the command line's")

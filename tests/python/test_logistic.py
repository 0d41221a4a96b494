"""LogisticRegression and LogisticRegressionCV against scikit-learn, the
1-rank fit and the command line's own results."""

import os
import warnings

import numpy as np
import pytest
from mpi4py import MPI

import lariat
from mpitest import (COMM, FIXTURES, SIZE, check, load_csv, on_root, rel_diff, run_cli, same_on_every_rank,
                     uneven_split)

BREAST = os.path.join(FIXTURES, "class_breast.csv")  # 300 rows, 10 features, labels 0/1
WINE = os.path.join(FIXTURES, "class_wine.csv")  # 178 rows, 13 features, labels 0/1/2


def _scaled(path):
    """The fixture with its columns scaled to unit standard deviation, so
    that scikit-learn (which does not standardize) converges tightly."""
    X, y = load_csv(path)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def _sklearn(make, X, y):
    """scikit-learn's fit of all rows, made on rank 0 only (each rank would
    make the same) and sent to every rank: coef_, intercept_, classes_ and
    predict_proba, predict and score on all rows."""
    def fit():
        ref = make()
        with warnings.catch_warnings():
            # newton-cg warns at max_iter below tol=1e-12, 1e-9 (binomial) and
            # 4e-8 (multinomial) from lariat's, whose objective is the lower.
            warnings.simplefilter("ignore")
            ref.fit(X, y)
        return dict(coef=ref.coef_, intercept=ref.intercept_, classes=ref.classes_, proba=ref.predict_proba(X),
                    predict=ref.predict(X), score=ref.score(X, y))
    return on_root(fit)


@pytest.mark.parametrize("penalty,alpha", [("l2", 0.0), ("l1", 1.0), ("elasticnet", 0.4)])
def test_binomial_against_sklearn(penalty, alpha):
    """LogisticRegression(alpha=a, lambda_=1/(C n), standardize=False) is
    scikit-learn's LogisticRegression(C, penalty, l1_ratio=a)."""
    lm = pytest.importorskip("sklearn.linear_model")
    X, y = _scaled(BREAST)
    b, e = uneven_split(len(y))
    C = 0.5
    lam = 1.0 / (C * len(y))
    m = lariat.LogisticRegression(alpha=alpha, lambda_=lam, standardize=False, tol=1e-12).fit(X[b:e], y[b:e])
    if penalty == "l2":
        # newton-cg: lbfgs stops at an objective 2e-10 above lariat's (coefficients 1e-4 away).
        ref = _sklearn(lambda: lm.LogisticRegression(C=C, penalty="l2", solver="newton-cg", tol=1e-12,
                                                     max_iter=50), X, y)
    else:
        ref = _sklearn(lambda: lm.LogisticRegression(C=C, penalty=penalty, solver="saga", tol=1e-12,
                                                     max_iter=200000,
                                                     l1_ratio=alpha if penalty == "elasticnet" else None), X, y)
    check(m.coef_.shape == (1, 10) and m.intercept_.shape == (1,) and m.family_ == "binomial", "shapes")
    check(rel_diff(m.coef_, ref["coef"]) < 1e-6 and rel_diff(m.intercept_, ref["intercept"]) < 1e-6,
          "%s coef as sklearn's: %g" % (penalty, rel_diff(m.coef_, ref["coef"])))
    P = m.predict_proba(X[b:e])
    check(rel_diff(P, ref["proba"][b:e]) < 1e-6 and P.shape == (e - b, 2), "probabilities")
    check(np.array_equal(m.classes_, ref["classes"]) and m.classes_.dtype.kind == "f", "classes_")
    check(abs(m.score(X[b:e], y[b:e]) - ref["score"]) < 0.01, "accuracy over all rows")


def test_multinomial_against_sklearn():
    """Ungrouped ridge multinomial = scikit-learn's multinomial l2 (its
    coefficients also sum to 0 over the classes)."""
    lm = pytest.importorskip("sklearn.linear_model")
    X, y = _scaled(WINE)
    y = y.astype(int)
    b, e = uneven_split(len(y))
    C = 0.2
    m = lariat.LogisticRegression(alpha=0.0, lambda_=1.0 / (C * len(y)), standardize=False, tol=1e-12)
    m.fit(X[b:e], y[b:e])
    ref = _sklearn(lambda: lm.LogisticRegression(C=C, multi_class="multinomial", solver="newton-cg", tol=1e-12,
                                                 max_iter=50), X, y)
    check(m.family_ == "multinomial" and m.coef_.shape == (3, 13) and m.intercept_.shape == (3,), "shapes")
    check(np.array_equal(m.classes_, [0, 1, 2]) and m.classes_.dtype == y.dtype, "integer classes_")
    check(rel_diff(m.coef_, ref["coef"]) < 1e-6, "coef as sklearn's: %g" % rel_diff(m.coef_, ref["coef"]))
    check(rel_diff(m.predict_proba(X[b:e]), ref["proba"][b:e]) < 1e-7, "probabilities")
    check(np.array_equal(m.predict(X[b:e]), ref["predict"][b:e]), "classes predicted")
    d = m.decision_function(X[b:e])
    check(d.shape == (e - b, 3) and rel_diff(np.log(m.predict_proba(X[b:e])), d - np.log(np.exp(d).sum(1))[:, None])
          < 1e-12, "decision_function")


@pytest.mark.parametrize("empty", [None, 1])
def test_same_on_every_rank_and_as_one_rank(empty):
    """String labels, weights, a grouped multinomial path; with empty=1
    rank 1 has no rows. Every rank holds the same model, the one-rank fit of
    all rows."""
    if empty is not None and SIZE < 2:
        pytest.skip("needs 2 ranks")
    X, y = load_csv(WINE)
    labels = np.array(["barolo", "grignolino", "barbera"])[y.astype(int)]
    w = 0.5 + (np.arange(len(y)) % 5) / 4.0
    b, e = uneven_split(len(y), empty=empty)
    kw = dict(alpha=0.5, nlambda=20, multinomial="grouped", tol=1e-12)
    m = lariat.LogisticRegression(**kw).fit(X[b:e], labels[b:e], sample_weight=w[b:e])
    one = lariat.LogisticRegression(comm=MPI.COMM_SELF, **kw).fit(X, labels, sample_weight=w)
    check(list(m.classes_) == ["barbera", "barolo", "grignolino"], "classes_ sorted: %r" % (m.classes_,))
    check(m.coef_path_.shape == (3, 13, len(m.lambdas_)), "coef_path_ shape")
    for name in ("coef_path_", "intercept_path_", "lambdas_", "coef_"):
        check(same_on_every_rank(getattr(m, name)), name + " is the same on every rank")
    check(rel_diff(m.coef_path_, one.coef_path_) < 1e-8, "path as one rank's: %g"
          % rel_diff(m.coef_path_, one.coef_path_))
    # grouped: a feature is in or out for all classes at once
    nz = m.coef_ != 0
    check(np.all(nz.all(axis=0) | ~nz.any(axis=0)), "grouped penalty")
    check(abs(np.sum(m.intercept_)) < 1e-10, "intercepts centred")
    check(np.array_equal(m.predict(X[b:e]), one.predict(X[b:e])), "predicted labels")
    acc = m.score(X[b:e], labels[b:e], sample_weight=w[b:e])
    ref = np.sum(w * (one.predict(X) == labels)) / np.sum(w)
    check(abs(acc - ref) < 1e-12, "weighted accuracy over all ranks")


def test_labels():
    """-1/+1 labels are binomial with integer classes; labels in [0, 1] are
    proportions (binomial); a single class is lariat's error on every rank."""
    X, y = load_csv(BREAST)
    b, e = uneven_split(len(y))
    pm = np.where(y[b:e] > 0, 1, -1)
    m = lariat.LogisticRegression(lambda_=0.01).fit(X[b:e], pm)
    check(m.family_ == "binomial" and np.array_equal(m.classes_, [-1, 1]) and m.classes_.dtype.kind == "i",
          "classes_ %r" % (m.classes_,))
    check(set(np.unique(m.predict(X[b:e]))) <= {-1, 1}, "predict gives labels")
    ref = lariat.LogisticRegression(lambda_=0.01).fit(X[b:e], y[b:e])
    check(rel_diff(m.coef_, ref.coef_) < 1e-12, "the same model as 0/1")
    prop = np.clip(y[b:e] * 0.8 + 0.1, 0, 1)
    m = lariat.LogisticRegression(lambda_=0.01).fit(X[b:e], prop)
    check(m.family_ == "binomial" and np.array_equal(m.classes_, [0.0, 1.0]), "proportions")
    try:
        lariat.LogisticRegression().fit(X[b:e], np.zeros(e - b))
        err = None
    except lariat.LariatError as ex:
        err = str(ex)
    msgs = COMM.allgather(err)
    check(err is not None and len(set(msgs)) == 1, "one class: %r" % msgs)


def test_fit_and_predict_as_command_line(shared_dir):
    """LogisticRegression on each rank's rows = `lariat fit --family
    multinomial` on the file; read_model's predict_proba, predict and
    decision_function = `lariat predict --type response|class|link`."""
    X, y = load_csv(WINE)
    b, e = uneven_split(len(y))
    model = os.path.join(shared_dir, "wine.json")
    run_cli(["fit", "--data", WINE, "--family", "multinomial", "--alpha", "0.8", "--nlambda", "15",
             "--out", model, "--quiet"])
    m = lariat.LogisticRegression(alpha=0.8, nlambda=15).fit(X[b:e], y[b:e])
    r = lariat.read_model(model)
    check(type(r) is lariat.LogisticRegression and r.family_ == "multinomial", "read_model: LogisticRegression")
    check(rel_diff(m.coef_path_, r.coef_path_) < 1e-6 and rel_diff(m.intercept_path_, r.intercept_path_) < 1e-6,
          "path as the command line's: %g" % rel_diff(m.coef_path_, r.coef_path_))
    check(np.array_equal(r.classes_, m.classes_), "classes")
    out = {}
    for kind in ("response", "class", "link"):
        path = os.path.join(shared_dir, "wine-%s.csv" % kind)
        run_cli(["predict", "--model", model, "--data", WINE, "--type", kind, "--out", path])
        out[kind] = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)[b:e]
    check(rel_diff(r.predict_proba(X[b:e]), out["response"]) < 1e-12, "predict_proba = --type response")
    check(rel_diff(r.decision_function(X[b:e]), out["link"]) < 1e-12, "decision_function = --type link")
    check(np.array_equal(r.predict(X[b:e]), out["class"][:, 0]), "predict = --type class")
    check(rel_diff(m.predict_proba(X[b:e]), out["response"]) < 1e-6, "the fitted model's probabilities")


@pytest.mark.parametrize("measure", ["deviance", "auc"])
def test_cv_as_command_line(shared_dir, measure):
    """LogisticRegressionCV = `lariat cv --family binomial` on the file
    (the command line at one rank: a binomial CV is latency-bound, and the
    test machines share two cores)."""
    X, y = load_csv(BREAST)
    b, e = uneven_split(len(y))
    model = os.path.join(shared_dir, "breast-%s.json" % measure)
    table = os.path.join(shared_dir, "breast-%s.csv" % measure)
    run_cli(["cv", "--data", BREAST, "--family", "binomial", "--alpha", "1", "--nfolds", "5", "--seed", "2",
             "--nlambda", "40", "--type-measure", measure, "--out", model, "--cv-out", table, "--quiet"])
    m = lariat.LogisticRegressionCV(nfolds=5, seed=2, nlambda=40, type_measure=measure).fit(X[b:e], y[b:e])
    r = lariat.read_model(model)
    ref = np.genfromtxt(table, delimiter=",", names=True, dtype=None, encoding="utf-8")
    check(type(r) is lariat.LogisticRegressionCV and r.type_measure_ == measure == m.type_measure_, "measure")
    check(len(m.cv_table_) == len(ref) and rel_diff(m.cv_table_["cvm"], ref["cvm"]) < 1e-7
          and rel_diff(m.cv_table_["cvsd"], ref["cvsd"]) < 1e-7, "cv table as --cv-out: %g"
          % rel_diff(m.cv_table_["cvm"], ref["cvm"]))
    check(abs(m.lambda_min_ - r.lambda_min_) <= 1e-10 * r.lambda_min_
          and abs(m.lambda_1se_ - r.lambda_1se_) <= 1e-10 * r.lambda_1se_, "lambda_min_, lambda_1se_")
    check(rel_diff(m.coef_, r.coef_) < 1e-6, "refit as the file's: %g" % rel_diff(m.coef_, r.coef_))
    check(same_on_every_rank(m.cv_table_) and same_on_every_rank(m.coef_), "the same on every rank")

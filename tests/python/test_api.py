"""The package itself: the C structs it mirrors, the parameter protocol,
and errors that every rank raises alike."""

import json
import os
import re
import subprocess

import numpy as np
import pytest
from mpi4py import MPI

import lariat
from lariat import _capi
from mpitest import COMM, RANK, SIZE, check, on_root, rel_diff, uneven_split


def test_abi_layout():
    """Every struct mirrored in lariat/_capi.py has the C compiler's size
    and field offsets (tests/python/abi_layout.c prints them)."""
    exe = os.environ.get("LARIAT_ABI_LAYOUT")
    check(exe is not None and os.path.exists(exe), "LARIAT_ABI_LAYOUT names the layout program")
    c = on_root(lambda: json.loads(subprocess.run([exe], capture_output=True, text=True, check=True).stdout))
    problems = []
    check(set(c) == set(_capi.STRUCTS), "the same structs in C and Python: %s / %s" % (sorted(c), sorted(_capi.STRUCTS)))
    for name, cls in _capi.STRUCTS.items():
        fields = {_capi.C_FIELD_NAMES.get(f[0], f[0]): getattr(cls, f[0]).offset for f in cls._fields_}
        if fields != c[name]["fields"]:
            problems.append("%s fields: ctypes %s, C %s" % (name, fields, c[name]["fields"]))
        if _capi.ctypes.sizeof(cls) != c[name]["size"]:
            problems.append("%s size: ctypes %d, C %d" % (name, _capi.ctypes.sizeof(cls), c[name]["size"]))
    check(not problems, "; ".join(problems))


def test_versions_agree():
    """The package's version and SONAME are the library's (lariat.h,
    CMakeLists.txt) and python/pyproject.toml's."""
    from mpitest import SOURCE_DIR
    with open(os.path.join(SOURCE_DIR, "include", "lariat.h")) as f:
        header = re.search(r'#define LARIAT_VERSION "([^"]+)"', f.read()).group(1)
    with open(os.path.join(SOURCE_DIR, "python", "pyproject.toml")) as f:
        project = re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)
    major, minor = header.split(".")[:2]
    soname = "liblariat.so." + (major if major != "0" else major + "." + minor)
    check(lariat.__version__ == header == project and _capi.SONAME == soname,
          "versions: package %s, lariat.h %s, pyproject %s; SONAME %s, expected %s"
          % (lariat.__version__, header, project, _capi.SONAME, soname))


def test_library_found_in_build_tree():
    build = os.environ.get("LARIAT_BUILD_DIR")
    if build is None:
        pytest.skip("not run by ctest")
    where = os.path.realpath(os.path.dirname(lariat.library_path))
    check(where == os.path.realpath(build), "liblariat loaded from %s, not the build tree %s" % (where, build))


def test_params_protocol():
    m = lariat.ElasticNetCV(alpha=0.5, nfolds=5, lambda_=[0.3, 0.1])
    p = m.get_params()
    check(p["alpha"] == 0.5 and p["nfolds"] == 5 and p["lambda_"] == [0.3, 0.1] and p["comm"] is None
          and p["type_measure"] == "mse" and p["select"] == "1se", "get_params: %r" % p)
    check(repr(m) == "ElasticNetCV(alpha=0.5, lambda_=[0.3, 0.1], nfolds=5)", "repr: %r" % m)
    m.set_params(alpha=0.25, select="min")
    check(m.alpha == 0.25 and m.select == "min", "set_params")
    with pytest.raises(ValueError):
        m.set_params(l1_ratio=0.5)
    names = set(lariat.LogisticRegressionCV().get_params())
    want = {"alpha", "lambda_", "nlambda", "lambda_min_ratio", "standardize", "fit_intercept", "penalty_factor",
            "lower", "upper", "solver", "tol", "max_iter", "comm", "multinomial", "nfolds", "foldid", "seed",
            "select", "alphas", "cv_groups", "type_measure", "verbose"}
    check(names == want, "LogisticRegressionCV parameters: %s" % sorted(names ^ want))


def test_lambda_param_and_fitted_value():
    """lambda_=None fits the path; reading lambda_ after fit gives the fitted
    lambda, while get_params and the next fit keep None."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 3))
    y = X @ [1.0, -1.0, 0.5] + 0.1 * rng.standard_normal(40)
    b, e = uneven_split(40)
    m = lariat.ElasticNet(nlambda=10).fit(X[b:e], y[b:e])
    check(m.lambda_ == m.lambdas_[-1] and m.get_params()["lambda_"] is None and len(m.lambdas_) == 10,
          "fitted lambda_")
    m.fit(X[b:e], y[b:e])
    check(len(m.lambdas_) == 10, "the second fit is a path again")
    m.set_params(lambda_=0.05).fit(X[b:e], y[b:e])
    check(m.lambda_ == 0.05 and len(m.lambdas_) == 1, "one lambda given")


def test_sklearn_clone_and_metrics():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone, is_classifier, is_regressor
    m = lariat.LogisticRegressionCV(alpha=0.5, nfolds=4, lambda_=0.1)
    c = clone(m)
    check(c is not m and c.get_params() == m.get_params(), "clone")
    check(is_classifier(m) and is_regressor(lariat.ElasticNet()), "estimator types (%s)" % sklearn.__version__)


def test_errors_agree_across_ranks():
    """A failure that one rank sees is raised on every rank, with the same
    message: lariat's own (a NaN, named by its global row), this package's
    (arrays that do not match), and a bad parameter."""
    n, p = 30, 4
    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    b, e = uneven_split(n)
    last = SIZE - 1

    def raised(fn):
        try:
            fn()
        except lariat.LariatError as err:
            return err
        return None

    # A NaN in the last rank's first row: lariat names the global row.
    Xn = X[b:e].copy()
    if RANK == last:
        Xn[0, 1] = np.nan
    err = raised(lambda: lariat.ElasticNet().fit(Xn, y[b:e]))
    msgs = COMM.allgather(str(err) if err else None)
    check(err is not None and err.status_name == "EDATA" and err.exit_code == 2, "NaN is EDATA: %r" % msgs)
    check(len(set(msgs)) == 1 and ("row %d (global, 0-based)" % b) in msgs[0] if RANK == last else True,
          "the NaN's row is named: %r" % msgs)
    check(len(set(msgs)) == 1, "the same message on every rank: %r" % msgs)

    # y one value short on the last rank: this package's check, agreed.
    yb = y[b:e] if RANK != last else y[b:e - 1]
    err = raised(lambda: lariat.ElasticNet().fit(X[b:e], yb))
    msgs = COMM.allgather(str(err) if err else None)
    check(err is not None and len(set(msgs)) == 1 and ("rank %d" % last) in msgs[0], "short y: %r" % msgs)

    # Another feature count on the last rank: lariat's check.
    Xp = X[b:e] if RANK != last else X[b:e, :p - 1]
    if SIZE > 1:
        err = raised(lambda: lariat.ElasticNet().fit(Xp, y[b:e]))
        msgs = COMM.allgather(str(err) if err else None)
        check(err is not None and len(set(msgs)) == 1 and "different feature counts" in msgs[0], "p: %r" % msgs)

    # Parameters: lariat's message for alpha, this package's for solver.
    err = raised(lambda: lariat.ElasticNet(alpha=2.0).fit(X[b:e], y[b:e]))
    check(err is not None and "alpha must be in [0, 1]" in str(err) and err.status_name == "EUSAGE",
          "alpha=2: %s" % err)
    err = raised(lambda: lariat.ElasticNet(solver="newton").fit(X[b:e], y[b:e]))
    check(err is not None and "solver must be one of" in str(err), "solver: %s" % err)
    err = raised(lambda: lariat.LogisticRegression(solver="admm").fit(X[b:e], np.arange(e - b) % 3))
    check(err is not None and "admm" in str(err), "admm multinomial: %s" % err)
    err = raised(lambda: lariat.ElasticNetCV(nfolds=n + 1).fit(X[b:e], y[b:e]))
    check(err is not None and "folds is more than" in str(err), "too many folds: %s" % err)
    err = raised(lambda: lariat.ElasticNet().predict(X))
    check(err is not None and "not fitted" in str(err), "predict before fit: %s" % err)
    # After every failure the ranks are still in step: a fit works.
    m = lariat.ElasticNet(lambda_=0.1).fit(X[b:e], y[b:e])
    check(m.coef_.shape == (p,), "a fit after the failures")


def test_comm_argument():
    with pytest.raises(lariat.LariatError):
        lariat.ElasticNet(comm="world").fit(np.zeros((2, 1)), np.zeros(2))


def test_sub_communicator():
    """Two groups of ranks (MPI_Comm_split) fit different problems side by
    side; each group's model is the one-rank fit of its rows."""
    group = COMM.Split(RANK % 2, RANK)
    try:
        rng = np.random.default_rng(10 + RANK % 2)
        X = rng.standard_normal((50, 4))
        y = X @ [1.0, 0.0, -1.0, 2.0] * (1 + RANK % 2) + 0.1 * rng.standard_normal(50)
        b, e = uneven_split(50, group.Get_size(), group.Get_rank())
        m = lariat.ElasticNet(alpha=0.5, nlambda=10, tol=1e-12, comm=group).fit(X[b:e], y[b:e])
        one = lariat.ElasticNet(alpha=0.5, nlambda=10, tol=1e-12, comm=MPI.COMM_SELF).fit(X, y)
        check(rel_diff(m.coef_path_, one.coef_path_) < 1e-9, "the group's model")
        check(abs(m.score(X[b:e], y[b:e]) - one.score(X, y)) < 1e-12, "score over the group's rows")
    finally:
        group.Free()


def test_read_model_errors(shared_dir):
    bad = os.path.join(shared_dir, "not-a-model-%d.json" % RANK)
    with open(bad, "w") as f:
        f.write('{"format": "something else"}')
    with pytest.raises(lariat.LariatError, match="not a lariat model"):
        lariat.read_model(bad)
    with pytest.raises(lariat.LariatError, match="cannot read the model"):
        lariat.read_model(bad + ".missing")

"""lariat: distributed ridge, lasso and elastic-net regression (gaussian,
binomial and multinomial families) on MPI, from Python.

The estimators follow scikit-learn's conventions; each rank passes its own
rows, and every rank ends with the same fitted model:

    from mpi4py import MPI
    import lariat
    model = lariat.ElasticNetCV(alpha=0.5, nfolds=5).fit(X_mine, y_mine)
    y_hat = model.predict(X_mine)                  # this rank's rows

``fit`` and ``score`` are collective on the estimator's communicator
(``comm``, default MPI.COMM_WORLD); ``predict``, ``predict_proba`` and
``decision_function`` are not. The package is ctypes over liblariat (no
compiled extension); it needs numpy and mpi4py, and scipy for sparse X.
See docs/python.md.
"""

from ._capi import VERSION as __version__
from ._core import ConvergenceWarning, LariatError, _lib
from .linear import ElasticNet, ElasticNetCV
from .logistic import LogisticRegression, LogisticRegressionCV
from .model import read_model

library_path = _lib.lariat_path
"""The path of the liblariat that was loaded (see docs/python.md)."""

__all__ = ["ElasticNet", "ElasticNetCV", "LogisticRegression", "LogisticRegressionCV", "read_model",
           "LariatError", "ConvergenceWarning", "library_path", "__version__"]

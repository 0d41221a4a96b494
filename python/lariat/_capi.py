"""The C library seen through ctypes: finding liblariat, the structs of
include/lariat.h mirrored field by field, and the prototypes of the functions
the package calls.

The structs below must match lariat.h exactly; tests/python/abi_layout.c
prints the C compiler's sizes and offsets and the test suite compares them
with these (test_abi_layout), so a field added in C without its mirror here
fails a test instead of corrupting memory.
"""

import ctypes
import ctypes.util
import glob
import os
import sysconfig

# The ABI this package speaks: liblariat's SONAME is liblariat.so.MAJOR.MINOR
# while the major version is 0 (CMakeLists.txt), and the structs change only
# with it.
VERSION = "0.1.0"
SONAME = "liblariat.so.0.1"

# lariat_status (LARIAT_STATUS_TABLE): the name of each code, in order.
STATUS_NAMES = ("OK", "EUSAGE", "EDATA", "ENUMERIC", "EIO", "ENOMEM", "EMPI", "ESIGNAL")
OK, EUSAGE, EDATA = 0, 1, 2

FAMILY = {"gaussian": 0, "binomial": 1, "multinomial": 2}
SOLVER = {"auto": 0, "gram": 1, "admm": 2, "fista": 3}
SELECT = {"1se": 0, "min": 1}
MEASURE = {"default": 0, "mse": 1, "mae": 2, "deviance": 3, "class": 4, "auc": 5}
LOG_QUIET, LOG_NORMAL, LOG_VERBOSE = 0, 1, 2

_c_double_p = ctypes.POINTER(ctypes.c_double)


class Problem(ctypes.Structure):
    """lariat_problem."""
    _fields_ = [
        ("alpha", ctypes.c_double),
        ("penalty_factor", _c_double_p),
        ("lower", _c_double_p),
        ("upper", _c_double_p),
        ("standardize", ctypes.c_int),
        ("intercept", ctypes.c_int),
        ("family", ctypes.c_int),
        ("grouped", ctypes.c_int),
    ]


class Settings(ctypes.Structure):
    """lariat_settings."""
    _fields_ = [
        ("solver", ctypes.c_int),
        ("tol", ctypes.c_double),
        ("max_iter", ctypes.c_int),
        ("rho", ctypes.c_double),
        ("adapt_rho", ctypes.c_int),
        ("nlambda", ctypes.c_int),
        ("lambda_min_ratio", ctypes.c_double),
        ("lambda_", _c_double_p),
        ("n_lambda_given", ctypes.c_int),
        ("checkpoint", ctypes.c_char_p),
        ("checkpoint_every", ctypes.c_double),
        ("resume", ctypes.c_int),
        ("distributed_gram", ctypes.c_int),
        ("max_memory", ctypes.c_double),
        ("curvature", ctypes.c_int),
    ]


class Solution(ctypes.Structure):
    """lariat_solution."""
    _fields_ = [
        ("lambda_", ctypes.c_double),
        ("intercept", ctypes.c_double),
        ("coef", _c_double_p),
        ("nonzero", ctypes.c_int64),
        ("objective", ctypes.c_double),
        ("duality_gap", ctypes.c_double),
        ("iterations", ctypes.c_int),
        ("converged", ctypes.c_int),
        ("dev_ratio", ctypes.c_double),
        ("intercepts", _c_double_p),
    ]


class Fit(ctypes.Structure):
    """lariat_fit."""
    _fields_ = [
        ("p", ctypes.c_int64),
        ("alpha", ctypes.c_double),
        ("nlambda", ctypes.c_int),
        ("path", ctypes.POINTER(Solution)),
        ("null_objective", ctypes.c_double),
        ("lambda_max", ctypes.c_double),
        ("solver_name", ctypes.c_char_p),
        ("solver_reason", ctypes.c_char * 160),
        ("n_zero_variance", ctypes.c_int),
        ("family", ctypes.c_int),
        ("nlin", ctypes.c_int),
        ("grouped", ctypes.c_int),
        ("nclass", ctypes.c_int),
        ("classes", _c_double_p),
        ("path_stopped", ctypes.c_int),
    ]


class CvSettings(ctypes.Structure):
    """lariat_cv_settings."""
    _fields_ = [
        ("nfolds", ctypes.c_int),
        ("seed", ctypes.c_uint64),
        ("foldid", ctypes.POINTER(ctypes.c_int)),
        ("groups", ctypes.c_int),
        ("select", ctypes.c_int),
        ("alphas", _c_double_p),
        ("nalpha", ctypes.c_int),
        ("measure", ctypes.c_int),
    ]


class CvCurve(ctypes.Structure):
    """lariat_cv_curve."""
    _fields_ = [
        ("alpha", ctypes.c_double),
        ("nlambda", ctypes.c_int),
        ("lambda_", _c_double_p),
        ("cvm", _c_double_p),
        ("cvsd", _c_double_p),
        ("nonzero", ctypes.POINTER(ctypes.c_int64)),
        ("index_min", ctypes.c_int),
        ("index_1se", ctypes.c_int),
        ("fit", ctypes.POINTER(Fit)),
    ]


class CvResult(ctypes.Structure):
    """lariat_cv_result."""
    _fields_ = [
        ("nfolds", ctypes.c_int),
        ("seed", ctypes.c_uint64),
        ("select", ctypes.c_int),
        ("groups", ctypes.c_int),
        ("nalpha", ctypes.c_int),
        ("curves", ctypes.POINTER(CvCurve)),
        ("best", ctypes.c_int),
        ("alpha_min", ctypes.c_double),
        ("lambda_min", ctypes.c_double),
        ("lambda_1se", ctypes.c_double),
        ("selected", ctypes.c_int),
        ("measure", ctypes.c_int),
    ]


# The structs and their C names, for the layout test.
STRUCTS = {
    "lariat_problem": Problem,
    "lariat_settings": Settings,
    "lariat_solution": Solution,
    "lariat_fit": Fit,
    "lariat_cv_settings": CvSettings,
    "lariat_cv_curve": CvCurve,
    "lariat_cv_result": CvResult,
}

# Fields renamed here because their C names are Python keywords.
C_FIELD_NAMES = {"lambda_": "lambda"}


def _candidates():
    """Where liblariat is looked for, in order:

    1. the file named by the environment variable LARIAT_LIBRARY;
    2. the build tree of a source checkout: BUILD/liblariat.so* where BUILD is
       the folder named by LARIAT_BUILD_DIR, or build/ beside python/ (the
       folder .ci/setup builds in);
    3. the installed prefix: cmake --install puts this package in
       PREFIX/lib/python3/dist-packages (see docs/python.md), so the library
       is in PREFIX/lib, PREFIX/lib64 or PREFIX/lib/<multiarch>;
    4. the dynamic loader's own search (LD_LIBRARY_PATH, the ldconfig cache,
       /usr/lib...), by SONAME, then by ctypes.util.find_library.
    """
    env = os.environ.get("LARIAT_LIBRARY")
    if env:
        yield env, "LARIAT_LIBRARY"
        return
    here = os.path.dirname(os.path.abspath(__file__))
    builds = []
    if os.environ.get("LARIAT_BUILD_DIR"):
        builds.append(os.environ["LARIAT_BUILD_DIR"])
    builds.append(os.path.join(here, "..", "..", "build"))
    prefix = os.path.normpath(os.path.join(here, "..", "..", "..", ".."))
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    dirs = builds + [os.path.join(prefix, "lib"), os.path.join(prefix, "lib64")]
    if multiarch:
        dirs.append(os.path.join(prefix, "lib", multiarch))
    for d in dirs:
        for name in (SONAME, "liblariat.so"):
            path = os.path.join(d, name)
            if os.path.exists(path):
                yield os.path.normpath(path), d
        for path in sorted(glob.glob(os.path.join(d, "liblariat.so.*"))):
            yield os.path.normpath(path), d
    yield SONAME, "the dynamic loader"
    found = ctypes.util.find_library("lariat")
    if found:
        yield found, "ctypes.util.find_library"


def load():
    """Loads liblariat and declares the functions the package calls."""
    tried = []
    for path, origin in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s): %s" % (path, origin, e))
            continue
        if not hasattr(lib, "lariat_ctx_create_f"):
            tried.append("%s (%s): no lariat_ctx_create_f (an older liblariat)" % (path, origin))
            continue
        _declare(lib)
        lib.lariat_path = path
        return lib
    raise ImportError("lariat: cannot load liblariat; set LARIAT_LIBRARY to its path (tried: %s)"
                      % "; ".join(tried))


def _declare(lib):
    c_int, c_int64, vp = ctypes.c_int, ctypes.c_int64, ctypes.c_void_p
    P = ctypes.POINTER
    protos = {
        "lariat_status_exit_code": (c_int, [c_int]),
        "lariat_status_string": (ctypes.c_char_p, [c_int]),
        # MPI_Fint is a C int in Open MPI and MPICH.
        "lariat_ctx_create_f": (c_int, [c_int, P(vp)]),
        "lariat_ctx_destroy": (None, [vp]),
        "lariat_ctx_rank": (c_int, [vp]),
        "lariat_ctx_size": (c_int, [vp]),
        "lariat_ctx_set_verbosity": (None, [vp, c_int]),
        "lariat_errmsg": (ctypes.c_char_p, [vp]),
        "lariat_data_from_dense": (c_int, [vp, c_int64, c_int64, _c_double_p, _c_double_p, _c_double_p, P(vp)]),
        "lariat_data_from_csr": (c_int, [vp, c_int64, c_int64, P(c_int64), P(ctypes.c_int32), _c_double_p,
                                         _c_double_p, _c_double_p, P(vp)]),
        "lariat_data_destroy": (None, [vp]),
        "lariat_problem_default": (None, [P(Problem)]),
        "lariat_settings_default": (None, [P(Settings)]),
        "lariat_cv_settings_default": (None, [P(CvSettings)]),
        "lariat_fit_path": (c_int, [vp, vp, _c_double_p, P(Problem), P(Settings), P(P(Fit))]),
        "lariat_fit_destroy": (None, [P(Fit)]),
        "lariat_cv": (c_int, [vp, vp, _c_double_p, P(Problem), P(Settings), P(CvSettings), P(P(CvResult))]),
        "lariat_cv_destroy": (None, [P(CvResult)]),
    }
    for name, (restype, argtypes) in protos.items():
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = argtypes

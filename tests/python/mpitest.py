"""Helpers for tests that run on every rank of MPI.COMM_WORLD.

Every assertion about a collective result goes through check(): each rank
says whether the condition holds on it, the ranks agree, and all fail
together (STYLE.md: a failure on one rank must not strand the others).
"""

import os
import subprocess
import time

import numpy as np
from mpi4py import MPI

COMM = MPI.COMM_WORLD
RANK = COMM.Get_rank()
SIZE = COMM.Get_size()
SOURCE_DIR = os.environ.get("LARIAT_SOURCE_DIR",
                            os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..")))
FIXTURES = os.path.join(SOURCE_DIR, "tests", "fixtures")


def check(cond, what="", comm=COMM):
    """Collective. Asserts cond on every rank, failing on all if it fails on any."""
    flags = comm.allgather(bool(cond))
    bad = [r for r, f in enumerate(flags) if not f]
    assert not bad, "%s: fails on rank%s %s" % (what or "check", "s" if len(bad) > 1 else "",
                                               ", ".join(map(str, bad)))


def rel_diff(a, b):
    """max |a - b| / max(1, max |b|): a scale-free difference."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return np.inf
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def same_on_every_rank(value, comm=COMM):
    """Collective. True on every rank when value (arrays, numbers, strings) is
    bit for bit the same on all ranks."""
    mine = np.ascontiguousarray(value).tobytes() if not isinstance(value, str) else value.encode()
    return all(v == mine for v in comm.allgather(mine))


def uneven_split(n, size=SIZE, rank=RANK, empty=None):
    """This rank's [begin, end) of n rows: rank r gets a share proportional to
    r + 1 (uneven at 3 ranks: 1/6, 2/6, 3/6), or none when rank == empty."""
    shares = np.array([0 if r == empty else r + 1 for r in range(size)], dtype=float)
    bounds = np.concatenate([[0], np.round(np.cumsum(shares) / shares.sum() * n)]).astype(int)
    return int(bounds[rank]), int(bounds[rank + 1])


def on_root(fn, comm=COMM):
    """Collective. Runs fn() on rank 0 and returns its result on every rank;
    an exception there is raised on every rank. The other ranks wait without
    spinning (they share the cores with what rank 0 starts)."""
    result = error = None
    if comm.Get_rank() == 0:
        try:
            result = fn()
        except Exception as e:  # re-raised on every rank below
            error = "%s: %s" % (type(e).__name__, e)
    req = comm.Ibarrier()
    while not req.Test():
        time.sleep(0.005)
    result, error = comm.bcast((result, error), root=0)
    if error is not None:
        raise AssertionError("on rank 0: " + error)
    return result


def cli_env():
    """The environment for running the lariat program from inside an MPI
    job: without the variables that would make it join this job."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMIX_", "OPAL_", "PRTE_"))}
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OPENBLAS_NUM_THREADS="1")
    return env


def lariat_program():
    path = os.environ.get("LARIAT") or os.path.join(SOURCE_DIR, "build", "lariat")
    return path


def run_cli(args, ranks=1, comm=COMM):
    """Collective. Runs `lariat ARGS` (under mpirun -n ranks when ranks > 1)
    on rank 0 and returns its stdout on every rank; fails everywhere if it
    fails."""
    def run():
        cmd = [lariat_program()] + [str(a) for a in args]
        if ranks > 1:
            cmd = [os.environ.get("MPIEXEC", "mpirun"), "-n", str(ranks)] + cmd
        r = subprocess.run(cmd, env=cli_env(), capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("%s exited with %d: %s" % (" ".join(cmd), r.returncode, r.stderr.strip()[-2000:]))
        return r.stdout
    return on_root(run, comm)


def load_csv(path, label=0):
    """(X, y) of a lariat CSV with a header, label in column `label`."""
    a = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    y = a[:, label]
    X = np.delete(a, label, axis=1)
    return np.ascontiguousarray(X), y


def write_csv(path, X, y, w=None):
    """Collective. Rank 0 writes y, [w,] X as a lariat CSV with a header."""
    def write():
        cols = [y[:, None]] + ([w[:, None]] if w is not None else []) + [X]
        head = ["y"] + (["w"] if w is not None else []) + ["x%d" % (j + 1) for j in range(X.shape[1])]
        np.savetxt(path, np.hstack(cols), delimiter=",", header=",".join(head), comments="", fmt="%.17g")
    on_root(write)

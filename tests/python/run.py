"""The Python tests under MPI: every rank runs the same pytest session.

    mpirun -n N python3 tests/python/run.py [pytest arguments]

Rank 0 prints pytest's report; the other ranks print only their failures
(on stderr, prefixed by the rank). The tests agree on every assertion across
ranks (mpitest.check), so a failure is seen by all ranks and none is left
waiting in a collective call. Every rank exits with the same status: 0 when
every rank passed, else 1. The last line rank 0 prints says so:

    python tests: N ranks, all passed
    python tests: N ranks, FAILED (ranks 0, 2)
"""

import os
import sys

from mpi4py import MPI

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


class _RankFailures:
    """pytest plugin for ranks other than 0: their failures on stderr."""

    def __init__(self, rank):
        self.rank = rank

    def pytest_runtest_logreport(self, report):
        if report.failed:
            sys.__stderr__.write("rank %d: FAILED %s (%s)\n%s\n" % (self.rank, report.nodeid, report.when,
                                                                     report.longreprtext))
            sys.__stderr__.flush()


def main():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    args = [HERE, "-p", "no:cacheprovider", "-o", "console_output_style=classic", "-rfE", "--color=no"] + sys.argv[1:]
    plugins = []
    saved = sys.stdout
    if rank != 0:
        plugins.append(_RankFailures(rank))
        sys.stdout = open(os.devnull, "w")
    try:
        rc = pytest.main(args, plugins=plugins)
    except BaseException as e:  # a crash of the session itself
        sys.__stderr__.write("rank %d: pytest raised %r\n" % (rank, e))
        rc = 3
    finally:
        if rank != 0:
            sys.stdout.close()
            sys.stdout = saved
    failed = comm.allgather(int(rc) != 0)
    bad = [r for r, f in enumerate(failed) if f]
    if rank == 0:
        if bad:
            print("python tests: %d rank%s, FAILED (rank%s %s)" % (size, "s" if size > 1 else "",
                                                                    "s" if len(bad) > 1 else "",
                                                                    ", ".join(map(str, bad))))
        else:
            print("python tests: %d rank%s, all passed" % (size, "s" if size > 1 else ""))
        sys.stdout.flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""pytest fixtures for the MPI tests (see run.py and mpitest.py)."""

import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpitest  # noqa: E402


@pytest.fixture(scope="session")
def shared_dir():
    """A folder every rank sees (same machine), removed at the end."""
    path = mpitest.on_root(lambda: tempfile.mkdtemp(prefix="lariat-py-"))
    yield path
    mpitest.COMM.Barrier()
    if mpitest.RANK == 0:
        shutil.rmtree(path, ignore_errors=True)

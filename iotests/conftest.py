"""pytest options and fixtures shared by the iotest harness and the CLI tests."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption("--chaincheck", action="store", default=None,
                     help="path of the chaincheck binary (default: build/default/oracle/cli/chaincheck)")
    parser.addoption("--update", action="store_true", default=False,
                     help="rewrite golden .out files from the current output (deliberately)")


@pytest.fixture
def exe(pytestconfig):
    """The chaincheck binary under test."""
    path = pytestconfig.getoption("--chaincheck") or str(ROOT / "build/default/oracle/cli/chaincheck")
    if not os.path.exists(path):
        pytest.fail(f"chaincheck binary not found at {path}: build first (./run build)")
    return path


@pytest.fixture
def tmpdir_env(tmp_path):
    """A private TMPDIR, so 'nothing left behind' can be checked exactly."""
    t = tmp_path / "tmp"
    t.mkdir()
    return t, dict(os.environ, TMPDIR=str(t))

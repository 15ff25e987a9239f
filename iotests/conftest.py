"""pytest options and fixtures shared by the iotest harness and the CLI tests."""
import difflib
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption("--chaincheck", action="store", default=None,
                     help="path of the chaincheck binary (default: build/default/cli/chaincheck)")
    parser.addoption("--update", action="store_true", default=False,
                     help="rewrite golden .out files from the current output (deliberately)")


@pytest.fixture
def exe(pytestconfig):
    """The chaincheck binary under test."""
    path = pytestconfig.getoption("--chaincheck") or str(ROOT / "build/default/cli/chaincheck")
    if not os.path.exists(path):
        pytest.fail(f"chaincheck binary not found at {path}: build first (./run build)")
    return path


@pytest.fixture
def tmpdir_env(tmp_path):
    """A private TMPDIR, so 'nothing left behind' can be checked exactly."""
    t = tmp_path / "tmp"
    t.mkdir()
    return t, dict(os.environ, TMPDIR=str(t))


def check_golden(golden, actual, update):
    """Compare `actual` with the golden file, as qemu-iotests' runner does: with --update the
    golden file is (re)written; otherwise a missing golden file is a failure ("No qualified
    output") and so is any difference. Either failure leaves NAME.out.bad beside it."""
    golden = pathlib.Path(golden)
    bad = golden.with_name(golden.name + ".bad")
    if update:
        golden.write_text(actual)
        bad.unlink(missing_ok=True)
        return
    if not golden.exists():
        bad.write_text(actual)
        pytest.fail(f"No qualified output: {golden.name} is missing (the output is in {bad.name}; "
                    f"run with --update to accept it)")
    expected = golden.read_text()
    if actual != expected:
        bad.write_text(actual)
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            str(golden), str(bad)))
        pytest.fail(f"{golden.name} differs from the output:\n{diff}")
    bad.unlink(missing_ok=True)

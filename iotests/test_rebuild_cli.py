"""`chaincheck rebuild` on the chains in iotests/rebuild/*.json (seed 004): the real rebuild's
output compared with golden output, first differing byte included; bad input exits 2 and
leaves nothing behind."""
import os
import pathlib
import subprocess

import pytest

from conftest import check_golden

HERE = pathlib.Path(__file__).resolve().parent
CHAINS = sorted((HERE / "rebuild").glob("*.json"))


@pytest.mark.parametrize("chain", CHAINS, ids=[c.stem for c in CHAINS])
def test_rebuild_matches_golden_output(exe, chain, pytestconfig, tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    r = subprocess.run([exe, "rebuild", str(chain)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    check_golden(chain.with_suffix(".out"), r.stdout, pytestconfig.getoption("--update"))
    assert list(tmp_path.iterdir()) == []


def test_rebuild_of_broken_json_exits_2_naming_the_line(exe, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x",\n "steps": [\n')
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    r = subprocess.run([exe, "rebuild", str(bad)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2
    assert "line" in r.stderr
    assert list((tmp_path / "tmp").iterdir()) == []


def test_rebuild_without_a_chain_exits_2(exe, tmp_path):
    s = tmp_path / "nochain.json"
    s.write_text('{"name": "x", "steps": [], "queries": []}')
    r = subprocess.run([exe, "rebuild", "--system", "model", str(s)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "no image chain" in r.stderr

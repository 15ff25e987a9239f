"""Runs every iotests/scenarios/*.sh through `chaincheck repro --normalize` and compares the
annotated output with its golden NAME.out (a unified diff on mismatch, a missing NAME.out
fails; either leaves NAME.out.bad; --update rewrites).

Scenario header lines:
  # rule: <one sentence: the rule the scenario covers>        (required)
  # requires: <program> [<program> ...]                      (skipped with the reason if missing)
  # expect: clean | findings [KF-NNN ...]                    (exit status and known ids)
"""
import pathlib
import shutil
import subprocess

import pytest

from conftest import check_golden

HERE = pathlib.Path(__file__).resolve().parent
SCENARIOS = sorted((HERE / "scenarios").glob("*.sh"))


def header(path):
    fields = {}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            continue
        body = line[1:].strip()
        for key in ("rule", "requires", "expect"):
            if body.startswith(key + ":"):
                fields[key] = body[len(key) + 1:].strip()
    return fields


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_scenario(scenario, pytestconfig, exe):
    fields = header(scenario)
    assert "rule" in fields, f"{scenario.name}: every scenario states its rule in a '# rule:' line"
    for program in fields.get("requires", "").split():
        if shutil.which(program) is None:
            pytest.skip(f"needs {program}")
    expect = fields.get("expect", "clean").split()
    proc = subprocess.run([exe, "repro", "--normalize", str(scenario)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), f"chaincheck repro failed ({proc.returncode}):\n{proc.stderr}"
    check_golden(scenario.with_suffix(".out"), proc.stdout, pytestconfig.getoption("--update"))
    if expect[0] == "clean":
        assert proc.returncode == 0, f"expected clean, got findings:\n{proc.stdout[-2000:]}"
    else:
        assert proc.returncode == 1, "expected findings, got a clean verdict"
        for known in expect[1:]:
            assert f"known: {known}" in proc.stdout, f"expected known finding {known}"

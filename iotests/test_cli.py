"""The chaincheck command's failure paths: bad input gets one clear error, exit 2, and
leaves nothing behind; an interrupted campaign leaves no process or workspace."""
import pathlib
import signal
import subprocess
import time

import pytest

from repro_cli import assert_one_clear_error, repro


def descendants(pid):
    out = []
    for p in pathlib.Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(p.name))
    return out


@pytest.mark.parametrize("text,line,fragment", [
    ("qemu-img create -f qcow2 a.qcow2 1M\nrm -rf /tmp\n", 2, "'rm' is not a command chaincheck runs"),
    ("qemu-io -f raw -c \"write 0 512 a.raw\n", 1, "unterminated double quote"),
    ("truncate -s 1M a.raw\nnbdinfo --map nbd://localhost\n", 2, "no qemu-nbd server was started before this line"),
])
def test_repro_bad_transcript_is_one_clear_error(exe, tmpdir_env, tmp_path, text, line, fragment):
    tmp, env = tmpdir_env
    assert_one_clear_error(repro(exe, text, env, tmp_path), tmp, line, fragment)


def test_repro_missing_file(exe, tmpdir_env):
    tmp, env = tmpdir_env
    r = subprocess.run([exe, "repro", "/nonexistent/report.txt"], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "cannot read '/nonexistent/report.txt'" in r.stderr


def test_repro_server_that_fails_to_start(exe, tmpdir_env, tmp_path):
    tmp, env = tmpdir_env
    r = repro(exe, "qemu-nbd -r -t -f qcow2 missing.qcow2 &\nnbdinfo --map nbd://localhost\n", env, tmp_path)
    assert r.returncode == 2
    assert "line 1: qemu-nbd did not start" in r.stderr and "missing.qcow2" in r.stderr, r.stderr
    assert list(tmp.iterdir()) == []


def test_scenario_with_a_bad_field_names_it(exe, tmp_path):
    f = tmp_path / "s.json"
    f.write_text('{"steps": [{"io": {"image": "a", "op": "wrte", "offset": 0, "length": 1}}]}')
    r = subprocess.run([exe, "run", str(f)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "steps[0].io.op: unknown operation 'wrte'" in r.stderr


def test_interrupted_campaign_leaves_nothing_behind(exe, tmpdir_env, tmp_path):
    tmp, env = tmpdir_env
    out = tmp_path / "report"
    p = subprocess.Popen([exe, "campaign", "--system", "qemu", "--time", "60", "-j", "2", "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(3)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=60)
    assert p.returncode in (0, 1), stderr
    assert "interrupted" in stdout
    assert (out / "summary.json").exists()
    assert descendants(p.pid) == []
    assert list(tmp.iterdir()) == [], list(tmp.iterdir())

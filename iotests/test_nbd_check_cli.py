"""chaincheck nbd-check / rounding bad input: one clear error on stderr, exit 2, nothing
left behind."""
import subprocess

import pytest



def run(exe, args, env):
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("uri,fragment", [
    ("http://example.invalid/x", "unknown NBD URI scheme"),        # not an NBD URI
    ("nbd+unix:///?socket=/nonexistent/nbd.sock", "No such file"),  # nothing listening
    ("nbd+unix:///", "cannot parse socket parameter"),              # no socket given
])
def test_nbd_check_bad_uri_is_one_clear_error(exe, tmpdir_env, uri, fragment):
    tmp, env = tmpdir_env
    r = run(exe, ["nbd-check", uri], env)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chaincheck nbd-check: ") and fragment in lines[0], r.stderr
    assert list(tmp.iterdir()) == []


def test_nbd_check_bad_bound_is_refused(exe, tmpdir_env):
    tmp, env = tmpdir_env
    r = run(exe, ["nbd-check", "nbd+unix:///?socket=/x", "--max-queries", "3"], env)
    assert r.returncode == 2 and "--max-queries" in r.stderr, r.stderr


def test_rounding_missing_image_is_one_clear_error(exe, tmpdir_env):
    tmp, env = tmpdir_env
    r = run(exe, ["rounding", "/nonexistent/top.qcow2", "--align", "4096"], env)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.strip() == "chaincheck rounding: '/nonexistent/top.qcow2' is not a file"
    assert list(tmp.iterdir()) == []


def test_rounding_bad_alignment_is_refused(exe, tmpdir_env):
    tmp, env = tmpdir_env
    r = run(exe, ["rounding", "x.qcow2", "--align", "3000"], env)
    assert r.returncode == 2 and "--align" in r.stderr, r.stderr

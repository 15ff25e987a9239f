"""Running `chaincheck repro` on a transcript, and what a rejected transcript must look like:
shared by the CLI tests."""
import subprocess


def repro(exe, text, env, tmp_path, timeout=120):
    f = tmp_path / "report.txt"
    f.write_text(text)
    return subprocess.run([exe, "repro", str(f)], capture_output=True, text=True, env=env, timeout=timeout)


def assert_one_clear_error(r, tmp, line, fragment):
    """Exit 2, one error naming the line and the reason, and nothing left in the private TMPDIR."""
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"line {line}:" in r.stderr and fragment in r.stderr, r.stderr
    assert list(tmp.iterdir()) == []

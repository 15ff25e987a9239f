"""chaincheck repro with QMP lines: an ill-formed QMP line is one clear error naming the
line (exit 2, nothing left behind); a command QEMU refuses, or a daemon that aborts, is
output of the replay, which ends normally and reaps the daemon."""

import pytest

from repro_cli import assert_one_clear_error, repro

DAEMON = ("qemu-storage-daemon --blockdev driver=qcow2,node-name=top,file.driver=file,file.filename=t.qcow2 "
          "--chardev socket,id=m,path=q.sock,server=on,wait=off --monitor chardev=m "
          "--nbd-server addr.type=unix,addr.path=n.sock &\n")
CREATE = "qemu-img create -f qcow2 t.qcow2 1M\n"


@pytest.mark.parametrize("text,line,fragment", [
    (CREATE + "(QEMU) query-block-jobs\n", 2, "without a qemu-storage-daemon --chardev"),
    (CREATE + DAEMON + '{"execute": "quit"\n', 3, "not valid JSON"),
    (CREATE + DAEMON + '-> {"arguments": {"device": "top"}}\n', 3, 'no "execute"'),
    (CREATE + DAEMON + "(QEMU) block-stream device\n", 3, "key=value"),
    (CREATE + DAEMON + "(QEMU) nbd-server-start addr.type=inet\n", 3, "nbd-server-start"),
    (CREATE + DAEMON.replace("wait=off", "wait=on"), 2, "wait=off"),
])
def test_ill_formed_qmp_line_is_one_clear_error(exe, tmpdir_env, tmp_path, text, line, fragment):
    tmp, env = tmpdir_env
    assert_one_clear_error(repro(exe, text, env, tmp_path), tmp, line, fragment)


def test_refused_qmp_command_is_output_and_the_replay_ends_clean(exe, tmpdir_env, tmp_path):
    tmp, env = tmpdir_env
    r = repro(exe, CREATE + DAEMON + "(QEMU) block-stream device=nosuch job-id=j\n(QEMU) query-block-jobs\n",
              env, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert '"class": "GenericError"' in r.stdout or '"class": "DeviceNotFound"' in r.stdout, r.stdout
    assert '{"return": []}' in r.stdout, r.stdout
    assert list(tmp.iterdir()) == []  # the workspace (and the daemon's sockets) are gone

"""Process managers: an Einhorn-style parent (the test process itself: a bound listening socket
handed down as EINHORN_FD_0, the ACK socket at EINHORN_SOCK_PATH) and systemd (socket
activation with LISTEN_PID/LISTEN_FDS on fd 3, READY=1 and STOPPING=1 on NOTIFY_SOCKET).
In both, --bind names a port that must stay unused: the inherited socket replaces it."""

import json
import os
import signal
import socket
import sys
import tempfile
import time

import pytest

import bpwire
from bpwire import READINESS, REPLY, ini_with

INI = ini_with("drain_time = 1 second\nstop_timeout = 2 seconds\n")


@pytest.fixture
def short_tmp():
    """A short directory for UNIX socket paths (sun_path holds 108 bytes)."""
    path = tempfile.mkdtemp(prefix="bpit-")
    yield path
    for name in os.listdir(path):
        os.unlink(os.path.join(path, name))
    os.rmdir(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    return s


def unused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True


def call_ok(port: int, seqid: int, probe=READINESS):
    rep = bpwire.call(port, "header-compact", seqid, write_args=bpwire.v2_args(probe))
    assert (rep.mtype, rep.seqid) == (REPLY, seqid), rep
    return rep.success


# ---------------------------------------------------------------------------------------------
# Einhorn
# ---------------------------------------------------------------------------------------------

def einhorn_env(fd: int, sock_path: str, master_pid: int) -> dict:
    return {"EINHORN_MASTER_PID": str(master_pid), "EINHORN_FD_COUNT": "1",
            "EINHORN_FD_0": str(fd), "EINHORN_SOCK_PATH": sock_path}


def test_einhorn_worker_acks_and_serves_inherited_socket(launch, short_tmp):
    """The test process is the Einhorn master: it binds the socket, listens for the ACK, and
    spawns the worker. The worker sends exactly `{"command": "worker:ack", "pid": PID}\\n`,
    serves on the inherited fd, ignores --bind, and shuts down gracefully on SIGUSR2."""
    lsock = listening_socket()
    ack_path = os.path.join(short_tmp, "einhorn.sock")
    ack_srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ack_srv.bind(ack_path)
    ack_srv.listen(4)
    ack_srv.settimeout(15)
    other_port = free_port()
    fd = lsock.fileno()
    os.set_inheritable(fd, True)
    srv = None
    try:
        srv = launch(INI, bind=f"127.0.0.1:{other_port}", pass_fds=(fd,), wait=False,
                     env_extra=einhorn_env(fd, ack_path, os.getpid()))
        try:
            conn, _ = ack_srv.accept()
        except socket.timeout:
            pytest.fail(f"no connection to EINHORN_SOCK_PATH within 15 s\n{srv.logs()}")
        with conn:
            conn.settimeout(5)
            data = b""
            while True:          # the worker closes after the ACK
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        assert data == f'{{"command": "worker:ack", "pid": {srv.pid}}}\n'.encode(), data
        assert json.loads(data) == {"command": "worker:ack", "pid": srv.pid}

        port = lsock.getsockname()[1]
        assert call_ok(port, 1) is True
        assert call_ok(port, 2) is True
        assert srv.alive()
        assert unused(other_port), "--bind must be ignored under Einhorn"

        t0 = time.monotonic()
        srv.signal(signal.SIGUSR2)          # Einhorn's graceful-shutdown signal
        srv.wait_log("Shutdown triggered by SIGUSR2.", timeout=3)
        rc = srv.wait_exit(t0 + 1 + 2 + 2 - time.monotonic())
        assert rc == 0, f"exit status {rc} after SIGUSR2"
    finally:
        if srv is not None:
            srv.kill()
        ack_srv.close()
        lsock.close()


def test_not_an_einhorn_worker_when_master_is_not_the_parent(launch, short_tmp):
    """EINHORN_MASTER_PID that is not the parent's pid: the variables are ignored, --bind is
    served and no ACK is sent."""
    lsock = listening_socket()
    ack_path = os.path.join(short_tmp, "einhorn.sock")
    ack_srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ack_srv.bind(ack_path)
    ack_srv.listen(4)
    fd = lsock.fileno()
    os.set_inheritable(fd, True)
    srv = None
    try:
        # pid 1 is never the parent of a process this test spawns
        srv = launch(INI, pass_fds=(fd,), env_extra=einhorn_env(fd, ack_path, 1))
        assert call_ok(srv.port, 1) is True            # served on --bind
        ack_srv.settimeout(0.3)
        with pytest.raises(socket.timeout):
            ack_srv.accept()
    finally:
        if srv is not None:
            srv.kill()
        ack_srv.close()
        lsock.close()


# ---------------------------------------------------------------------------------------------
# systemd
# ---------------------------------------------------------------------------------------------

# Puts the inherited socket on fd 3 and sets LISTEN_PID to its own pid, then execs the server
# (the pid does not change across exec), as systemd does for socket-activated services.
SYSTEMD_WRAPPER = (
    "import os, sys\n"
    "fd = int(sys.argv[1])\n"
    "if fd != 3:\n"
    "    os.dup2(fd, 3)\n"
    "    os.close(fd)\n"
    "os.environ['LISTEN_PID'] = str(os.getpid())\n"
    "os.environ['LISTEN_FDS'] = '1'\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def recv_datagrams(sock: socket.socket, until: str, timeout: float):
    """Datagrams received until one has a line `until` (or the timeout): list of (time, text)."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(4096)
        except socket.timeout:
            break
        got.append((time.monotonic(), data.decode(errors="replace")))
        if until in data.decode(errors="replace").splitlines():
            break
    return got


def test_systemd_socket_activation_and_notify(launch, short_tmp):
    lsock = listening_socket()
    notify_path = os.path.join(short_tmp, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    other_port = free_port()
    fd = lsock.fileno()
    os.set_inheritable(fd, True)
    srv = None
    try:
        srv = launch(INI, bind=f"127.0.0.1:{other_port}", pass_fds=(fd,), wait=False,
                     prefix=(sys.executable, "-c", SYSTEMD_WRAPPER, str(fd)),
                     env_extra={"NOTIFY_SOCKET": notify_path})
        got = recv_datagrams(notify, "READY=1", timeout=15)
        assert any("READY=1" in text.splitlines() for _, text in got), \
            f"no READY=1 on NOTIFY_SOCKET within 15 s: {got}\n{srv.logs()}"
        port = lsock.getsockname()[1]
        assert call_ok(port, 1) is True       # serving on fd 3 once READY=1 is sent
        assert unused(other_port), "--bind must be ignored under socket activation"

        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        got = recv_datagrams(notify, "STOPPING=1", timeout=3)
        stopping = [t for t, text in got if "STOPPING=1" in text.splitlines()]
        assert stopping, f"no STOPPING=1 on NOTIFY_SOCKET within 3 s of SIGTERM: {got}"
        assert stopping[0] - t0 < 0.9, "STOPPING=1 must come when shutdown starts, before the drain ends"
        rc = srv.wait_exit(t0 + 1 + 2 + 2 - time.monotonic())
        assert rc == 0, f"exit status {rc} after SIGTERM"
    finally:
        if srv is not None:
            srv.kill()
        notify.close()
        lsock.close()


def test_systemd_listen_pid_of_another_process_is_ignored(launch, short_tmp):
    """LISTEN_PID names another process: fd 3 is not ours, so --bind is served. READY=1 is still
    sent to NOTIFY_SOCKET (notification does not depend on socket activation)."""
    notify_path = os.path.join(short_tmp, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    srv = None
    try:
        srv = launch(INI, env_extra={"LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "1",
                                     "NOTIFY_SOCKET": notify_path})
        assert call_ok(srv.port, 1) is True
        got = recv_datagrams(notify, "READY=1", timeout=5)
        assert any("READY=1" in text.splitlines() for _, text in got), got
    finally:
        if srv is not None:
            srv.kill()
        notify.close()

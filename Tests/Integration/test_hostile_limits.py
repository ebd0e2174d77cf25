"""Process-wide limits (issue #7): max_concurrency, max_buffered_bytes and running out of
descriptors. Each limit, when it acts, logs one line at the start of the episode and one when it
has been quiet for a second, and well-behaved clients keep being served."""

import shutil
import socket
import struct
import time

import pytest

import bpwire
import hostile
from bpwire import ini_with
from hostile import Bystanders, LogWatch, MiB

DIALECT = "header-compact"


def served(sock: socket.socket, seqid: int, timeout: float = 5.0) -> bool:
    sock.settimeout(timeout)
    sock.sendall(bpwire.request(DIALECT, seqid))
    rep = bpwire.read_reply(bpwire.SocketReader(sock), DIALECT)
    return (rep.seqid, rep.success) == (seqid, True)


def no_reply_within(sock: socket.socket, seconds: float) -> bool:
    """Nothing arrives (and the connection stays open) for `seconds`."""
    sock.settimeout(seconds)
    try:
        sock.recv(1, socket.MSG_PEEK)
        return False
    except socket.timeout:
        return True


def test_max_concurrency_holds_further_connections_in_the_backlog(launch):
    """max_concurrency = 6: three bystanders and three held connections fill it; four more
    connections are established by the kernel but not accepted, so their requests wait; the
    bystanders keep being served meanwhile. Closing a held connection lets one waiting
    connection in, closing the rest lets all in. One WARNING when the limit is reached, one INFO
    a second after it was last reached."""
    srv = launch(ini_with("max_concurrency = 6\n"))
    watch = LogWatch(srv.stderr_path)
    held = [bpwire.connect(srv.port) for _ in range(3)]
    waiting = []
    try:
        with Bystanders(srv.port, dialects=("header-compact", "framed-binary", "unframed-compact")):
            for i, s in enumerate(held):
                assert served(s, 100 + i)
            for i in range(4):
                s = bpwire.connect(srv.port)   # completes in the kernel's backlog
                s.sendall(bpwire.request(DIALECT, 200 + i))
                waiting.append(s)
            assert all(no_reply_within(s, 0.3) for s in waiting), "served beyond max_concurrency"
            held.pop().close()
            replied = []
            deadline = time.monotonic() + 5
            while not replied and time.monotonic() < deadline:
                for s in waiting:
                    s.settimeout(0.05)
                    try:
                        if s.recv(1, socket.MSG_PEEK):
                            replied.append(s)
                    except socket.timeout:
                        pass
            assert len(replied) == 1, f"{len(replied)} waiting connection(s) served after one closed"
            time.sleep(0.3)
            others = [s for s in waiting if s not in replied]
            assert all(no_reply_within(s, 0.1) for s in others), "served beyond max_concurrency"
        for s in held:
            s.close()
        held = []
        # Bystanders and the held connections closed: the three others get in and are answered.
        for s in others:
            seqid = 200 + waiting.index(s)
            s.settimeout(5)
            rep = bpwire.read_reply(bpwire.SocketReader(s), DIALECT)
            assert (rep.seqid, rep.success) == (seqid, True), rep
    finally:
        for s in held + waiting:
            s.close()
    records = watch.wait(r"max_concurrency \(6\): no longer at the limit", timeout=5)
    reached = [r for r in records if "max_concurrency (6) reached" in r["message"]]
    assert len(reached) == 1, [r["raw"] for r in records]
    assert reached[0]["level"] == "WARNING"
    assert len(records) == 2, [r["raw"] for r in records]
    with bpwire.connect(srv.port) as s:
        assert served(s, 300)


def test_max_buffered_bytes_closes_the_largest_buffers(launch):
    """max_buffered_bytes = 4 MiB, read_timeout off: three clients each send 1.5 MiB of an 8 MiB
    frame and stall. Their buffers push the total past the limit, so the server closes the
    connections holding the most until it fits: at least one of them is closed, bystanders are
    served throughout, one WARNING starts the episode and one INFO ends it, and afterwards a
    1 MiB request is served."""
    srv = launch(ini_with("max_buffered_bytes = 4194304\nread_timeout = infinite\n"))
    watch = LogWatch(srv.stderr_path)
    big = bpwire.padded_framed_request(8 * MiB, 1)
    bad = []
    try:
        with Bystanders(srv.port):
            for _ in range(3):
                s = bpwire.connect(srv.port)
                hostile.send_ignoring_reset(s, big[: 3 * MiB // 2])
                bad.append(s)
                time.sleep(0.2)
            closed = 0
            for s in bad:
                s.settimeout(0.5)
                try:
                    closed += s.recv(1) == b""
                except ConnectionResetError:
                    closed += 1
                except socket.timeout:
                    pass
            assert closed >= 1, "no connection was closed for max_buffered_bytes"
            assert closed < 3, "every stalled connection was closed: the limit closes the largest first"
        assert srv.alive()
    finally:
        for s in bad:
            s.close()
    records = watch.wait(r"max_buffered_bytes \(4194304\): total back under the limit", timeout=5)
    exceeded = [r for r in records if r["level"] == "WARNING" and "max_buffered_bytes (4194304) exceeded" in r["message"]]
    assert len(exceeded) == 1, [r["raw"] for r in records]
    assert [r for r in records if r["level"] == "WARNING"] == exceeded, [r["raw"] for r in records]
    with bpwire.connect(srv.port, timeout=10) as s:
        s.sendall(bpwire.padded_framed_request(1 * MiB, 2))
        rep = bpwire.read_reply(bpwire.SocketReader(s), "framed-binary")
        assert (rep.seqid, rep.success) == (2, True)


def test_out_of_descriptors_pauses_accepting(launch):
    """The server limited to 64 descriptors (prlimit): 100 connections at once. Accepting
    pauses while descriptors are exhausted (one ERROR line for the episode, not one per
    attempt); connections already open are served; once the flood closes, new connections are
    served again and an INFO line ends the episode."""
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        pytest.skip("prlimit (util-linux) is not installed")
    srv = launch(ini_with(""), prefix=(prlimit, "--nofile=64:64", "--"))
    watch = LogWatch(srv.stderr_path)
    flood = []
    with Bystanders(srv.port, dialects=("header-compact",)):
        for i in range(100):
            s = bpwire.connect(srv.port)
            s.sendall(bpwire.request(DIALECT, i + 1))
            flood.append(s)
        time.sleep(1.0)
        for s in flood:
            s.close()
    records = watch.wait(r"accept: descriptors available again", timeout=10)
    paused = [r for r in records if "Too many open files" in r["message"]]
    assert len(paused) == 1, [r["raw"] for r in records]
    with bpwire.connect(srv.port) as s:
        assert served(s, 500)

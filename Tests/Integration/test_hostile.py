"""Hostile clients (issue #7): malformed frames, stalled and greedy clients, connection floods.

Every case runs against one server (read_timeout = 1 second) while Bystanders, one
well-behaved client per dialect, keep calling; each case asserts that the hostile connection
ends in a clean close or an exception reply, that the server logged exactly one line about it,
and that every bystander reply arrived and was right. Cases already covered elsewhere are not
repeated: 17 MiB frames and a few garbage prefixes (test_raw_socket.py), max_frame_size
(test_max_frame_size.py), unframed walker limits (Tests/CBaseplateIOTests).
"""

import resource
import socket
import struct
import time

import pytest

import bpwire
import hostile
from bpwire import EXCEPTION, STANDIN
from conftest import ServerProcess, _server_argv, free_port, require_real_server
from hostile import (Bystanders, LogWatch, MiB, binary_call, binary_field, compact_call,
                     nested_lists_compact, nested_structs_binary, theader_raw)

READ_TIMEOUT = 1.0
PROTOCOL_ERROR = 7

INI = bpwire.ini_with("read_timeout = 1 second\n")


@pytest.fixture(scope="module")
def srv(tmp_path_factory, server_logs_dir):
    require_real_server()
    _raise_fd_limit(8192)  # inherited by the server: test_thousands_of_connections_at_once
    config = tmp_path_factory.mktemp("hostile") / "hostile.ini"
    config.write_text(INI)
    port = free_port()
    proc = ServerProcess(_server_argv(str(config), port), port, server_logs_dir, "hostile-server").start()
    deadline = time.monotonic() + 5  # the startup line is written before any case watches the log
    while "Listening on" not in proc.stderr_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    yield proc
    proc.stop()


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


GREET = b"greet"
HEALTHY = b"is_healthy"
COMPACT_HEADER = bpwire.varint(bpwire.PROTO_COMPACT) + bpwire.varint(0)
VALID_COMPACT = bpwire.encode_message("compact", "is_healthy", 1, bpwire.v2_args())

# (id, bytes, what the server logs). Each is closed; the log line is matched as a regex.
CLOSES = [
    ("frame-length-2GiB", struct.pack(">I", 0x7FFFFFFF) + b"\x0f\xff\x00\x00" + b"\x00" * 16,
     "could not detect"),
    ("frame-length-negative", struct.pack(">i", -16) + b"\x80\x01\x00\x01" + b"\x00" * 16,
     "could not detect"),
    ("frame-length-zero", b"\x00\x00\x00\x00" + bpwire.request("framed-binary", 1),
     "could not detect"),
    ("theader-header-beyond-frame", theader_raw(COMPACT_HEADER, VALID_COMPACT, words=0xFFFF),
     "header"),
    ("theader-unknown-protocol", theader_raw(bpwire.varint(5) + bpwire.varint(0), VALID_COMPACT),
     "unknown THeader protocol id"),
    ("theader-unknown-transform",
     theader_raw(bpwire.varint(2) + bpwire.varint(1) + bpwire.varint(7), VALID_COMPACT),
     "transform"),
    ("theader-truncated-varint",
     theader_raw(COMPACT_HEADER + b"\x01\xff\xff\xff", VALID_COMPACT, words=2), "THeader|header"),
    ("theader-varint-too-long", theader_raw(b"\xff" * 12, VALID_COMPACT), "THeader|header"),
    ("theader-huge-header-count",
     theader_raw(COMPACT_HEADER + b"\x01" + bpwire.varint(2**31 - 1) + b"\x01k\x01v", VALID_COMPACT),
     "THeader|header"),
    ("theader-header-length-near-2^31",
     theader_raw(COMPACT_HEADER + b"\x01\x01" + bpwire.varint(2**31 - 2) + b"k", VALID_COMPACT),
     "THeader|header"),
    # Unframed: the C core walks the message to find its end, so it rejects these itself.
    ("unframed-string-length-near-2^31",
     binary_call(HEALTHY, 1, binary_field(11, 99) + struct.pack(">i", 0x7FFFFFF0) + b"x" * 64),
     "malformed unframed"),
    ("unframed-string-length-negative",
     binary_call(HEALTHY, 1, binary_field(11, 99) + struct.pack(">i", -5) + b"x" * 64),
     "malformed unframed"),
    ("unframed-list-length-near-2^31",
     binary_call(HEALTHY, 1, binary_field(15, 99) + b"\x0a" + struct.pack(">i", 0x7FFFFFFF) + b"\x00" * 64),
     "malformed unframed"),
    ("unframed-map-length-near-2^31",
     binary_call(HEALTHY, 1, binary_field(13, 99) + b"\x0b\x0b" + struct.pack(">i", 0x7FFFFFFF) + b"\x00" * 64),
     "malformed unframed"),
    ("unframed-compact-string-length-near-2^31",
     compact_call(HEALTHY, 1, b"\x08" + bpwire.varint(2**31 - 1) + b"x" * 64), "malformed unframed"),
    ("unframed-compact-truncated-varint", compact_call(HEALTHY, 1, b"\x08" + b"\xff" * 11),
     "malformed unframed"),
    ("unframed-nesting-100000-structs", binary_call(HEALTHY, 1, nested_structs_binary(100_000)),
     "malformed unframed"),
    ("unframed-nesting-100000-lists", compact_call(HEALTHY, 1, nested_lists_compact(100_000)),
     "malformed unframed"),
    ("unframed-invalid-field-type", binary_call(HEALTHY, 1, binary_field(0x11, 1) + b"\x00" * 16),
     "malformed unframed"),
    ("unframed-compact-invalid-field-type", compact_call(HEALTHY, 1, b"\x1e" + b"\x00" * 16),
     "malformed unframed"),
]

# Framed requests whose message header decodes: the args cannot, so the client is told
# (TApplicationException PROTOCOL_ERROR with its seqid) and the connection stays usable.
EXCEPTIONS = [
    ("framed-string-length-beyond-frame",
     binary_call(HEALTHY, 5, binary_field(11, 99) + struct.pack(">i", 1000) + b"x" * 10)),
    ("framed-string-length-near-2^31",
     binary_call(HEALTHY, 5, binary_field(11, 99) + struct.pack(">i", 0x7FFFFFF0) + b"x" * 10)),
    ("framed-list-length-near-2^31",
     binary_call(HEALTHY, 5, binary_field(15, 99) + b"\x0a" + struct.pack(">i", 0x7FFFFFFF))),
    ("framed-map-length-near-2^31",
     binary_call(HEALTHY, 5, binary_field(13, 99) + b"\x0b\x0b" + struct.pack(">i", 0x7FFFFFFF))),
    ("framed-negative-list-length",
     binary_call(HEALTHY, 5, binary_field(15, 99) + b"\x0a" + struct.pack(">i", -1))),
    ("framed-nesting-100000-structs", binary_call(HEALTHY, 5, nested_structs_binary(100_000))),
    ("framed-invalid-field-type", binary_call(HEALTHY, 5, binary_field(0x11, 1) + b"\x00" * 8)),
    ("framed-invalid-list-element-type",
     binary_call(HEALTHY, 5, binary_field(15, 99) + b"\x01" + struct.pack(">i", 3) + b"\x00" * 8)),
    ("framed-invalid-utf8-string",
     binary_call(GREET, 5, binary_field(15, 1) + b"\x0b" + struct.pack(">i", 1)
                 + struct.pack(">i", 3) + b"\xff\xfe\xc0" + b"\x00")),
]


def _exception_reply(data: bytes) -> bytes:
    """The first framed reply in data: a binary EXCEPTION message with seqid 5."""
    (length,) = struct.unpack(">I", data[:4])
    return data[4:4 + length]


@pytest.mark.parametrize("data,log", [pytest.param(d, l, id=i) for i, d, l in CLOSES])
def test_malformed_input_closes_the_connection(srv, data, log):
    watch = LogWatch(srv.stderr_path)
    with Bystanders(srv.port):
        with bpwire.connect(srv.port) as bad:
            hostile.send_ignoring_reset(bad, data)
            got = hostile.wait_closed_or_reset(bad, timeout=READ_TIMEOUT + 3)
        assert got == b"", f"the server answered malformed input: {got[:100]!r}"
    records = watch.wait(log)
    assert len(records) == 1, [r["raw"] for r in records]
    assert records[0]["level"] in ("WARNING", "warning", "ERROR", "error", None), records[0]
    assert srv.alive()


@pytest.mark.parametrize("data", [pytest.param(frame(d), id=i) for i, d in EXCEPTIONS])
def test_undecodable_arguments_get_an_exception_reply(srv, data):
    watch = LogWatch(srv.stderr_path)
    with Bystanders(srv.port):
        with bpwire.connect(srv.port) as bad:
            bad.sendall(data)
            reader = bpwire.SocketReader(bad)
            (length,) = struct.unpack(">I", reader.readAll(4))
            body = reader.readAll(length)
            from thrift.protocol.TBinaryProtocol import TBinaryProtocol
            from thrift.transport.TTransport import TMemoryBuffer
            from thrift.Thrift import TApplicationException
            p = TBinaryProtocol(TMemoryBuffer(body))
            _, mtype, seqid = p.readMessageBegin()
            exc = TApplicationException()
            exc.read(p)
            assert (mtype, seqid, exc.type) == (EXCEPTION, 5, PROTOCOL_ERROR), (mtype, seqid, exc)
            # The connection is still good.
            bad.sendall(bpwire.request("framed-binary", 6))
            rep = bpwire.read_reply(reader, "framed-binary")
            assert (rep.seqid, rep.success) == (6, True), rep
    records = watch.wait("Undecodable arguments")
    assert len(records) == 1, [r["raw"] for r in records]
    assert srv.alive()


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes(srv, seed):
    """4 KiB of random bytes: closed at once, or (when they happen to look like the start of a
    long frame) by read_timeout; either way one log line."""
    watch = LogWatch(srv.stderr_path)
    with Bystanders(srv.port):
        with bpwire.connect(srv.port) as bad:
            hostile.send_ignoring_reset(bad, hostile.random_bytes(seed))
            got = hostile.wait_closed_or_reset(bad, timeout=READ_TIMEOUT + 3)
        assert got == b""
    records = watch.wait(r"connection \d+")
    assert len(records) == 1, [r["raw"] for r in records]


@pytest.mark.parametrize("dialect", bpwire.DIALECTS)
def test_half_a_frame_then_stall_is_closed_by_read_timeout(srv, dialect):
    req = bpwire.request(dialect, 1)
    watch = LogWatch(srv.stderr_path)
    with Bystanders(srv.port):
        with bpwire.connect(srv.port) as bad:
            t0 = time.monotonic()
            bad.sendall(req[: len(req) // 2])
            hostile.wait_closed_or_reset(bad, timeout=READ_TIMEOUT + 3)
            closed_after = time.monotonic() - t0
    assert READ_TIMEOUT - 0.05 <= closed_after <= READ_TIMEOUT * 1.25 + 0.5, closed_after
    records = watch.wait("read_timeout")
    assert len(records) == 1, [r["raw"] for r in records]


def test_slow_but_steady_sender_is_not_timed_out(srv):
    """read_timeout is about silence, not total time: a request trickled over 2.5 s, a byte
    every 0.4 s at most, is served."""
    req = bpwire.request("header-compact", 9)
    chunks = [req[i:i + len(req) // 6 + 1] for i in range(0, len(req), len(req) // 6 + 1)]
    with bpwire.connect(srv.port) as s:
        for c in chunks:
            s.sendall(c)
            time.sleep(0.4)
        rep = bpwire.read_reply(bpwire.SocketReader(s), "header-compact")
    assert (rep.seqid, rep.success) == (9, True)


def test_idle_connection_is_not_timed_out(srv):
    """read_timeout only closes a connection holding part of a request: an idle pooled
    connection stays open."""
    with bpwire.connect(srv.port) as s:
        time.sleep(READ_TIMEOUT * 2.5)
        s.sendall(bpwire.request("header-compact", 3))
        rep = bpwire.read_reply(bpwire.SocketReader(s), "header-compact")
    assert (rep.seqid, rep.success) == (3, True)


def test_pipelining_tens_of_mib_without_reading(srv):
    """A client that pipelines up to 64 MiB of requests and never reads a reply: the server stops
    reading it once its unsent replies pass max_pending_output (backpressure), so the server's
    memory stays bounded; bystanders are served throughout; the client then disconnects."""
    one = bpwire.request("header-compact", 1)
    batch = one * (1 * MiB // len(one))
    rss0 = hostile.rss_bytes(srv.proc.pid)
    sent = 0
    with Bystanders(srv.port):
        bad = bpwire.connect(srv.port)
        bad.setblocking(False)
        deadline = time.monotonic() + 15
        stalled_since = None
        while sent < 64 * MiB and time.monotonic() < deadline:
            try:
                # Continue where the last partial send stopped: the stream stays well-formed.
                sent += bad.send(batch[sent % len(batch):])
                stalled_since = None
            except BlockingIOError:
                stalled_since = stalled_since or time.monotonic()
                if time.monotonic() - stalled_since > 2:
                    break  # backpressured: the server stopped reading
                time.sleep(0.01)
        rss_peak = hostile.rss_bytes(srv.proc.pid)
        bad.close()
    assert sent < 64 * MiB, "the server read 64 MiB from a client that never reads its replies"
    growth = rss_peak - rss0
    print(f"\n[pipeline flood] sent {sent / MiB:.1f} MiB before backpressure; RSS "
          f"{rss0 / MiB:.1f} -> {rss_peak / MiB:.1f} MiB")
    assert growth < 32 * MiB, f"RSS grew {growth / MiB:.1f} MiB"
    assert srv.alive()


def _raise_fd_limit(want: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {want}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def test_thousands_of_connections_at_once(srv):
    """3,000 connections opened at once (the server's fd limit is the test's, raised to 8,192
    when lower), each sending one call before any reply is read: all 3,000 replies arrive,
    bystanders are served throughout, and the connections' descriptors are released after."""
    n = 3000
    _raise_fd_limit(8192)
    fds0 = hostile.open_fds(srv.proc.pid)
    socks = []
    with Bystanders(srv.port):
        try:
            for _ in range(n):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", srv.port))
                socks.append(s)
            for s in socks:
                s.setblocking(True)
                s.settimeout(20)
            for i, s in enumerate(socks):
                s.sendall(bpwire.request("header-compact", i + 1))
            for i, s in enumerate(socks):
                rep = bpwire.read_reply(bpwire.SocketReader(s), "header-compact")
                assert (rep.seqid, rep.success) == (i + 1, True), rep
        finally:
            for s in socks:
                s.close()
    deadline = time.monotonic() + 5
    while hostile.open_fds(srv.proc.pid) > fds0 + 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hostile.open_fds(srv.proc.pid) <= fds0 + 10
    assert srv.alive()

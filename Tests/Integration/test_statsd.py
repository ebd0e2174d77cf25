"""statsd metrics from baseplate-serve: the example service with `metrics.namespace` (or
`metrics.tagging`) and `metrics.endpoint` pointing at a UDP socket this test reads. Every request
is one datagram with baseplate.py's lines."""

import re
import socket
import struct
import time

import pytest
from thrift.Thrift import TType
from thrift.protocol.TCompactProtocol import TCompactProtocol
from thrift.transport.TTransport import TMemoryBuffer

import bpwire
from bpwire import EXCEPTION, REPLY, STANDIN

pytestmark = pytest.mark.skipif(bool(STANDIN), reason="stand-ins have no statsd wiring under test")

TIMER = re.compile(r":([0-9.e+-]+)\|ms")


@pytest.fixture
def statsd():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock
    sock.close()


def receive(sock, timeout=5.0, skip_runtime=True):
    """The next datagram (runtime monitor reports skipped), timer values masked as <ms>."""
    deadline = time.monotonic() + timeout
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536).decode()
        except socket.timeout:
            return None
        if skip_runtime and (".runtime." in data.split("\n")[0] or data.startswith("runtime.")):
            continue
        for value in TIMER.findall(data):
            assert float(value) > 0, data
        return TIMER.sub(":<ms>|ms", data)


def greet_args(names, tone=None):
    def write(p):
        p.writeStructBegin("greet_args")
        p.writeFieldBegin("names", TType.LIST, 1)
        p.writeListBegin(TType.STRING, len(names))
        for name in names:
            p.writeString(name)
        p.writeListEnd()
        p.writeFieldEnd()
        if tone is not None:
            p.writeFieldBegin("tone", TType.I32, 2)
            p.writeI32(tone)
            p.writeFieldEnd()
        p.writeFieldStop()
        p.writeStructEnd()
    return write


def greet(port, names, tone=None):
    """Calls greet over THeader+compact; returns the reply's message type."""
    with bpwire.connect(port) as s:
        s.sendall(bpwire.request("header-compact", 1, write_args=greet_args(names, tone), name="greet"))
        reader = bpwire.SocketReader(s)
        (length,) = struct.unpack(">I", reader.readAll(4))
        info = bpwire.parse_header_frame(reader.readAll(length))
        _, mtype, _ = TCompactProtocol(TMemoryBuffer(info.payload)).readMessageBegin()
        return mtype


def test_untagged_metrics_per_request(start_server, statsd):
    port = statsd.getsockname()[1]
    server = start_server(bpwire.ini_with(
        app_keys=f"metrics.namespace = example\nmetrics.endpoint = 127.0.0.1:{port}\n"))
    assert greet(server.port, ["Ada"]) == REPLY
    assert receive(statsd) == "example.server.greet:<ms>|ms\nexample.server.greet.success:1|c"
    # a declared exception (TooManyRecipients) is a success, as in baseplate.py
    assert greet(server.port, ["x"] * 9) == REPLY
    assert receive(statsd) == "example.server.greet:<ms>|ms\nexample.server.greet.success:1|c"
    # an undeclared error is a failure
    assert greet(server.port, ["Ada"], tone=99) == EXCEPTION
    assert receive(statsd) == "example.server.greet:<ms>|ms\nexample.server.greet.failure:1|c"
    assert bpwire.call(server.port, "header-compact").success is True
    assert receive(statsd) == "example.server.is_healthy:<ms>|ms\nexample.server.is_healthy.success:1|c"
    assert receive(statsd, timeout=0.3) is None  # one datagram per request


def test_tagged_metrics_per_request(start_server, statsd):
    port = statsd.getsockname()[1]
    server = start_server(bpwire.ini_with(
        app_keys=f"metrics.tagging = true\nmetrics.endpoint = 127.0.0.1:{port}\n"
                 "metrics.allowlist = protocol\n"))
    assert greet(server.port, ["Ada"]) == REPLY
    assert receive(statsd) == ("baseplate.server.latency,protocol=thrift,endpoint=greet:<ms>|ms\n"
                               "baseplate.server.rate,protocol=thrift,endpoint=greet,success=True:1|c")
    assert greet(server.port, ["Ada"], tone=99) == EXCEPTION
    assert receive(statsd) == ("baseplate.server.latency,protocol=thrift,endpoint=greet:<ms>|ms\n"
                               "baseplate.server.rate,protocol=thrift,endpoint=greet,success=False:1|c")


def test_namespace_with_tagging_is_refused(tmp_path):
    import subprocess
    from conftest import server_binary
    ini = tmp_path / "both.ini"
    ini.write_text(bpwire.ini_with(app_keys="metrics.tagging = true\nmetrics.namespace = example\n"))
    proc = subprocess.run([str(server_binary()), str(ini), "--bind", "127.0.0.1:0"], cwd=bpwire.REPO_ROOT,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert proc.returncode != 0
    assert b"metrics.namespace not allowed with metrics.tagging" in proc.stderr


def runtime_reports(sock, count, timeout=10.0):
    """The next `count` runtime-monitor datagrams, as lists of lines."""
    reports = []
    deadline = time.monotonic() + timeout
    while len(reports) < count and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536).decode()
        except socket.timeout:
            break
        if ".runtime." in data.split("\n")[0]:
            reports.append(data.split("\n"))
    return reports


def test_runtime_monitor_reports(start_server, statsd, monkeypatch):
    # test-only knob: report every 0.5 s instead of every 10 s
    monkeypatch.setenv("BASEPLATE_RUNTIME_MONITOR_INTERVAL", "0.5")
    port = statsd.getsockname()[1]
    server = start_server(bpwire.ini_with(
        app_keys=f"metrics.namespace = example\nmetrics.endpoint = 127.0.0.1:{port}\n",
        server_keys="monitoring.blocked_hub = 500 milliseconds\n"))
    held = [bpwire.connect(server.port) for _ in range(2)]
    try:
        tags = f",hostname={socket.gethostname()},PID={server.proc.pid}"
        wanted = [f"example.runtime.open_connections{tags}:2|g", f"example.runtime.active_requests{tags}:0|g"]
        reports = runtime_reports(statsd, 4)
        assert reports, server.logs()
        matching = [r for r in reports if r[:2] == wanted]
        assert matching, reports
        report = matching[0]
        assert [line.split(":")[0] for line in report[2:]] == [
            f"example.runtime.memory.rss{tags}", f"example.runtime.memory.heap{tags}"]
        assert all(line.endswith("|g") and float(line.split(":")[1][:-2]) > 0 for line in report[2:])
    finally:
        for s in held:
            s.close()
    records = bpwire.log_records(server.stderr_path.read_text())
    # idle loops are not taken for blocked ones
    assert not [r for r in records if "blocked" in str(r.get("message"))], server.logs()
    assert not [r for r in records if r.get("level") == "ERROR"], server.logs()


def test_runtime_monitor_off_with_metrics_disabled(start_server, statsd, monkeypatch):
    monkeypatch.setenv("BASEPLATE_RUNTIME_MONITOR_INTERVAL", "0.2")
    port = statsd.getsockname()[1]
    server = start_server(bpwire.ini_with(
        app_keys=f"metrics.namespace = example\nmetrics.endpoint = 127.0.0.1:{port}\n",
        server_keys="metrics.enabled = false\n"))
    assert greet(server.port, ["Ada"]) == REPLY
    assert receive(statsd) == "example.server.greet:<ms>|ms\nexample.server.greet.success:1|c"
    assert runtime_reports(statsd, 1, timeout=1.0) == []
    assert "No metrics client configured. Server metrics will not be sent." in server.stderr_path.read_text()


def test_batches_of_one_loop_iteration_share_datagrams(start_server, statsd):
    """Requests answered in one loop iteration send their batches together: whole batches,
    newline-joined, no line lost or cut; to a collector on this host (here, loopback) each
    datagram at most 8192 bytes (1432, one Ethernet frame, over a network)."""
    port = statsd.getsockname()[1]
    server = start_server(bpwire.ini_with(
        app_keys=f"metrics.namespace = example\nmetrics.endpoint = 127.0.0.1:{port}\n",
        server_keys="io_threads = 1\n"))
    count = 60
    with bpwire.connect(server.port) as s:
        # Pipelined in one write: the loop reads them together and answers them in one iteration.
        s.sendall(b"".join(bpwire.request("header-compact", i + 1) for i in range(count)))
        reader = bpwire.SocketReader(s)
        for _ in range(count):
            assert bpwire.read_reply(reader, "header-compact").success is True
    datagrams = []
    while (data := receive(statsd, timeout=1.0)) is not None:
        datagrams.append(data)
    lines = [line for d in datagrams for line in d.split("\n")]
    assert lines == ["example.server.is_healthy:<ms>|ms", "example.server.is_healthy.success:1|c"] * count
    assert all(d.startswith("example.server.is_healthy:") for d in datagrams)  # whole batches
    # %g of a timer is at most 11 characters (1.23457e-05)
    sizes = [len(d.replace("<ms>", "x" * 11)) for d in datagrams]
    assert all(size <= 8192 for size in sizes), sizes
    assert max(sizes) > 1432, sizes  # loopback: more than one Ethernet frame's worth
    assert len(datagrams) < count / 4, sizes

"""Zipkin tracing (reference §9): with `tracing.service_name` set, sampled requests' server spans
go to the trace sidecar's POSIX queue `/traces-<tracing.queue_name>`, or are POSTed to
`http://<tracing.endpoint>/api/v1/spans`, or are logged at DEBUG; in baseplate.py 2.7.0's JSON
(checked byte for byte against baseplate.py's own serializer, fed the same span)."""

import json
import os
import resource
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest import mock

import posix_ipc
import pytest

import bpwire
from bpwire import ini_with
from conftest import require_real_server

KEY_ORDER = ["traceId", "name", "id", "timestamp", "duration", "annotations", "binaryAnnotations",
             "parentId"]
UPSTREAM = {b"User-Agent": b"tracing-test", b"Trace": b"1234", b"Span": b"5678",
            b"Parent": b"91011", b"Sampled": b"1"}


def host_ipv4() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except socket.gaierror:
        return "undefined"


def tracing_keys(**keys) -> str:
    return "".join(f"tracing.{k} = {v}\n" for k, v in keys.items())


def now_us() -> int:
    return time.time_ns() // 1000


def baseplate_py_json(span: dict) -> bytes:
    """What baseplate.py 2.7.0's TraceServerSpanObserver writes for a server span with this
    span's ids, tags and times (its clock patched to the same microseconds)."""
    from baseplate import ServerSpan
    from baseplate.observers import tracing

    flags = 1 if any(b["key"] == "debug" for b in span["binaryAnnotations"]) else 0
    server = ServerSpan(span["traceId"], span["parentId"] or None, span["id"], True, flags,
                        span["name"], mock.Mock())
    endpoint = span["annotations"][0]["endpoint"]
    observer = tracing.TraceServerSpanObserver(endpoint["serviceName"], endpoint["ipv4"], server,
                                               mock.Mock())
    for b in span["binaryAnnotations"][1:]:
        if b["key"] in ("error", "debug", "timed_out"):
            continue   # on_finish adds these
        observer.on_set_tag(b["key"], b["value"])
    clock = iter([span["timestamp"], span["timestamp"] + span["duration"]])
    error = any(b["key"] == "error" for b in span["binaryAnnotations"])
    with mock.patch.object(tracing, "current_epoch_microseconds", lambda: next(clock)):
        observer.on_start()
        observer.on_finish((ValueError, ValueError(), None) if error else None)
    return json.dumps(observer._serialize()).encode()


def check_span(raw: bytes, before_us: int, after_us: int, service: str = "example-svc") -> dict:
    span = json.loads(raw)
    assert list(span) == KEY_ORDER
    assert raw == baseplate_py_json(span), "differs from baseplate.py's serialization"
    assert json.dumps(span).encode() == raw   # Python json.dumps layout
    assert before_us <= span["timestamp"] <= span["timestamp"] + span["duration"] <= after_us
    endpoint = {"serviceName": service, "ipv4": host_ipv4()}
    assert [a["value"] for a in span["annotations"]] == ["sr", "ss"]
    assert [a["timestamp"] for a in span["annotations"]] == [
        span["timestamp"], span["timestamp"] + span["duration"]]
    assert all(a["endpoint"] == endpoint for a in span["annotations"] + span["binaryAnnotations"])
    return span


def tags(span: dict):
    return [(b["key"], b["value"]) for b in span["binaryAnnotations"]]


@pytest.fixture
def trace_queue():
    """The sidecar's side: a queue made before the server starts (sizes any user may use)."""
    name = f"bptest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    queue = posix_ipc.MessageQueue("/traces-" + name, posix_ipc.O_CREX, max_messages=10,
                                   max_message_size=8192)
    yield name, queue
    queue.close()
    queue.unlink()


def receive(queue, timeout: float = 5.0) -> bytes:
    message, _priority = queue.receive(timeout)
    return message


def nothing_in(queue, wait: float = 1.0) -> bool:
    try:
        queue.receive(wait)
    except posix_ipc.BusyError:
        return True
    return False


def test_sampled_request_is_recorded_to_the_sidecar_queue(start_server, trace_queue):
    name, queue = trace_queue
    server = start_server(ini_with(app_keys=tracing_keys(
        service_name="example-svc", queue_name=name, span_batch_interval="20 milliseconds")))
    before = now_us()
    reply = bpwire.call(server.port, "header-compact", headers=UPSTREAM)
    assert reply.mtype == bpwire.REPLY
    span = check_span(receive(queue), before, now_us())
    # v2.7.0: the server span takes the caller's Span id.
    assert (span["traceId"], span["id"], span["parentId"], span["name"]) == (
        "1234", "5678", "91011", "is_healthy")
    assert tags(span) == [("component", "baseplate"), ("protocol", "thrift"),
                          ("peer.service", "tracing-test"), ("thrift.method", "is_healthy")]
    assert nothing_in(queue, 0.3)


def test_sampling_rules_end_to_end(start_server, trace_queue):
    name, queue = trace_queue
    server = start_server(ini_with(app_keys=tracing_keys(
        service_name="example-svc", queue_name=name, sample_rate="100%",
        span_batch_interval="20 milliseconds")))
    # The caller said no: not traced, whatever the rate.
    unsampled = {**UPSTREAM, b"Sampled": b"0"}
    bpwire.call(server.port, "header-compact", headers=unsampled)
    assert nothing_in(queue)
    # ... unless it sets the debug flag.
    before = now_us()
    bpwire.call(server.port, "header-compact", headers={**unsampled, b"Flags": b"1"})
    span = check_span(receive(queue), before, now_us())
    assert span["id"] == "5678" and tags(span)[-1] == ("debug", "true")
    # No trace headers: a new root, sampled at the rate; parentId is the integer 0.
    before = now_us()
    bpwire.call(server.port, "header-compact", headers={b"User-Agent": b"tracing-test"})
    span = check_span(receive(queue), before, now_us())
    assert span["parentId"] == 0 and span["traceId"] == span["id"] and span["id"].isdigit()


def test_unknown_method_has_no_span(start_server, trace_queue):
    name, queue = trace_queue
    server = start_server(ini_with(app_keys=tracing_keys(
        service_name="example-svc", queue_name=name, span_batch_interval="20 milliseconds")))
    before = now_us()
    # As in baseplate.py, a method that does not exist gets no span.
    bpwire.call(server.port, "header-compact", headers=UPSTREAM, name="no_such_method")
    assert nothing_in(queue, 0.5)
    bpwire.call(server.port, "header-compact", headers=UPSTREAM)
    check_span(receive(queue), before, now_us())


def test_server_creates_the_queue_with_baseplate_py_sizes(start_server):
    """Needs CAP_SYS_RESOURCE: 10000 messages exceed fs.mqueue.msg_max (10), and the queue
    counts ~1 GiB against RLIMIT_MSGQUEUE (ulimit -q). Containers without it skip."""
    name = f"bptest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    soft, hard = resource.getrlimit(resource.RLIMIT_MSGQUEUE)
    try:
        resource.setrlimit(resource.RLIMIT_MSGQUEUE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except ValueError:
        pytest.skip("cannot raise RLIMIT_MSGQUEUE (no CAP_SYS_RESOURCE)")
    try:
        server = start_server(ini_with(app_keys=tracing_keys(
            service_name="example-svc", queue_name=name, span_batch_interval="20 milliseconds")))
    finally:
        resource.setrlimit(resource.RLIMIT_MSGQUEUE, (soft, hard))
    queue = posix_ipc.MessageQueue("/traces-" + name)
    try:
        assert (queue.max_messages, queue.max_message_size) == (10000, 102400)
        before = now_us()
        bpwire.call(server.port, "header-compact", headers=UPSTREAM)
        check_span(receive(queue), before, now_us())
    finally:
        queue.close()
        queue.unlink()


def test_queue_that_cannot_be_made_stops_startup_with_baseplate_py_hint(tmp_path):
    binary = require_real_server()
    name = f"bptest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "tracing.ini"
    config.write_text(ini_with(app_keys=tracing_keys(service_name="x", queue_name=name)))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def limit():  # the default 800 KiB: far below one queue of 10000 x 100 KiB
        resource.setrlimit(resource.RLIMIT_MSGQUEUE, (819200, 819200))

    res = subprocess.run([str(binary), str(config), "--bind", f"127.0.0.1:{port}"],
                         cwd=bpwire.REPO_ROOT, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=10, preexec_fn=limit)
    assert res.returncode == 1, res.stderr
    # EMFILE for root (ulimit -q), EINVAL for other users (fs.mqueue sysctls): each with its hint.
    assert ("(check `ulimit -q`?)" in res.stderr
            or "(check fs.mqueue.{msg_max,msgsize_max} sysctls?)" in res.stderr), res.stderr
    assert f"/traces-{name}" in res.stderr
    with pytest.raises(posix_ipc.ExistentialError):
        posix_ipc.unlink_message_queue("/traces-" + name)


class Collector(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Collector.received.append((self.path, self.headers.get("Content-Type"), body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_spans_are_posted_to_the_collector_endpoint(start_server):
    Collector.received = []
    collector = HTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=collector.serve_forever, daemon=True)
    thread.start()
    try:
        server = start_server(ini_with(app_keys=tracing_keys(
            service_name="example-svc", endpoint=f"127.0.0.1:{collector.server_port}",
            span_batch_interval="50 milliseconds")))
        before = now_us()
        with bpwire.connect(server.port) as s:
            reader = bpwire.SocketReader(s)
            for i in range(5):
                headers = {**UPSTREAM, b"Span": str(600 + i).encode()}
                s.sendall(bpwire.request("header-compact", i + 1, headers=headers))
                assert bpwire.read_reply(reader, "header-compact").mtype == bpwire.REPLY
        after = now_us()
        deadline = time.monotonic() + 5
        spans = []
        while time.monotonic() < deadline and len(spans) < 5:
            time.sleep(0.05)
            spans = [span for _path, _type, body in Collector.received for span in json.loads(body)]
        assert sorted(span["id"] for span in spans) == [str(600 + i) for i in range(5)]
        for path, content_type, body in Collector.received:
            assert (path, content_type) == ("/api/v1/spans", "application/json")
            batch = json.loads(body)
            assert isinstance(batch, list) and 1 <= len(batch) <= 100
            assert json.dumps(batch).encode() == body
            for span in batch:
                check_span(json.dumps(span).encode(), before, after)
    finally:
        collector.shutdown()
        collector.server_close()


def test_without_a_recorder_spans_are_logged_at_debug(start_server):
    server = start_server(ini_with(app_keys=tracing_keys(
        service_name="example-svc", span_batch_interval="20 milliseconds")), extra_args=["--debug"])
    bpwire.call(server.port, "header-compact", headers=UPSTREAM)
    deadline = time.monotonic() + 5
    lines = []
    while time.monotonic() < deadline and not lines:
        time.sleep(0.05)
        lines = [r for r in bpwire.log_records(server.stderr_path.read_text(errors="replace"))
                 if str(r.get("message", "")).startswith("Span recording: ")]
    assert lines, server.logs()
    assert lines[0].get("level") in ("DEBUG", None)
    span = json.loads(lines[0]["message"][len("Span recording: "):])
    assert (span["traceId"], span["id"], span["name"]) == ("1234", "5678", "is_healthy")


def test_full_queue_is_warned_about_not_waited_for(start_server):
    """A sidecar that stops reading: spans beyond the queue's room are dropped with baseplate.py's
    warning, said once rather than per span, and requests keep being answered."""
    name = f"bptest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    queue = posix_ipc.MessageQueue("/traces-" + name, posix_ipc.O_CREX, max_messages=2,
                                   max_message_size=8192)
    try:
        server = start_server(ini_with(app_keys=tracing_keys(
            service_name="example-svc", queue_name=name, span_batch_interval="20 milliseconds")))
        with bpwire.connect(server.port) as s:
            reader = bpwire.SocketReader(s)
            for i in range(6):
                s.sendall(bpwire.request("header-compact", i + 1, headers=UPSTREAM))
                assert bpwire.read_reply(reader, "header-compact").mtype == bpwire.REPLY
        warning = f"Trace queue /traces-{name} is full. Is trace sidecar healthy?"
        deadline = time.monotonic() + 5
        records = []
        while time.monotonic() < deadline and not records:
            time.sleep(0.05)
            records = [r for r in bpwire.log_records(server.stderr_path.read_text(errors="replace"))
                       if r.get("message") == warning]
        assert len(records) == 1, server.logs()
        assert records[0]["level"] == "WARNING"
        assert queue.current_messages == 2
        assert json.loads(receive(queue))["id"] == "5678"
    finally:
        queue.close()
        queue.unlink()

"""The Prometheus exporter (baseplate.py's `baseplate/server/prometheus.py`): thrift_server_*
metrics with baseplate.py's names, labels and buckets; aggregation across processes sharing
the port and a PROMETHEUS_MULTIPROC_DIR, checked against prometheus_client's own collector;
and a real Prometheus server (Debian's `prometheus`) scraping baseplate-serve.

The exporter port is BASEPLATE_PROMETHEUS_PORT (this server's variable; 6060 otherwise), so
these tests do not meet other servers on 6060."""

import http.client
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.parse
import json

import pytest
from prometheus_client.parser import text_string_to_metric_families
from thrift.Thrift import TApplicationException, TType
from thrift.protocol.TCompactProtocol import TCompactProtocol
from thrift.transport.TTransport import TMemoryBuffer

import bpwire
from conftest import IN_CI, free_port

pytestmark = pytest.mark.skipif(bpwire.STANDIN != "", reason="our exporter only")

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: The example service with a short drain, so that stopping servers does not wait 5 s.
QUICK_INI = bpwire.ini_with(server_keys="drain_time = 100 milliseconds\n")
BASEPLATE_LATENCY_BUCKETS = ["0.0001", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
                             "0.05", "0.1", "0.25", "0.5", "1.0", "5.0", "15.0", "30.0", "+Inf"]


# ------------------------------------------------------------------------------------------
# Calls to the example service (greet) and scrapes
# ------------------------------------------------------------------------------------------

def _greet_args(names):
    def write(p):
        p.writeStructBegin("greet_args")
        p.writeFieldBegin("names", TType.LIST, 1)
        p.writeListBegin(TType.STRING, len(names))
        for n in names:
            p.writeString(n)
        p.writeListEnd()
        p.writeFieldEnd()
        p.writeFieldStop()
        p.writeStructEnd()
    return write


def call(port, method="greet", names=("ann",)):
    """One THeader-compact call; returns "ok", the id of the result field set (1 is
    TooManyRecipients), or the TApplicationException."""
    with bpwire.connect(port) as s:
        s.sendall(bpwire.request("header-compact", 1, write_args=_greet_args(list(names)), name=method))
        reader = bpwire.SocketReader(s)
        (length,) = struct.unpack(">I", reader.readAll(4))
        info = bpwire.parse_header_frame(reader.readAll(length))
    p = TCompactProtocol(TMemoryBuffer(info.payload))
    _, mtype, _ = p.readMessageBegin()
    if mtype == bpwire.EXCEPTION:
        exc = TApplicationException()
        exc.read(p)
        return exc
    p.readStructBegin()
    _, ftype, fid = p.readFieldBegin()
    return "ok" if fid == 0 else fid


def scrape(port, path="/metrics"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read().decode()
    finally:
        conn.close()


def samples(text):
    """{(sample name, frozenset(labels)): value}, parsed by prometheus_client's parser."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def requests_key(method, success="true", exc="", status="", code=""):
    return ("thrift_server_requests_total", frozenset({
        "thrift_method": method, "thrift_success": success, "thrift_exception_type": exc,
        "thrift_baseplate_status": status, "thrift_baseplate_status_code": code}.items()))


def latency_key(suffix, method, success, le=None):
    labels = {"thrift_method": method, "thrift_success": success}
    if le is not None:
        labels["le"] = le
    return (f"thrift_server_latency_seconds_{suffix}", frozenset(labels.items()))


def wait_for(predicate, timeout=10.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def exporter_env(monkeypatch, tmp_path):
    """Sets the environment the next started server sees: its own exporter port, and no
    multiprocess directory unless the test sets one."""
    port = free_port()
    monkeypatch.setenv("BASEPLATE_PROMETHEUS_PORT", str(port))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("prometheus_multiproc_dir", raising=False)
    monkeypatch.delenv("MULTIPROCESS_WORKER_ID", raising=False)
    return port


# ------------------------------------------------------------------------------------------
# One process
# ------------------------------------------------------------------------------------------

def test_server_metrics_names_labels_and_buckets(start_server, exporter_env):
    server = start_server(QUICK_INI)
    metrics_port = exporter_env
    logs = server.stderr_path.read_text()
    assert f"Prometheus metrics exported on server listening on 0.0.0.0:{metrics_port}/metrics" in logs

    for _ in range(3):
        assert call(server.port, names=["ann", "bob"]) == "ok"
    for _ in range(2):
        assert call(server.port, names=[f"n{i}" for i in range(9)]) == 1  # TooManyRecipients
    unknown = call(server.port, method="no_such_method")
    assert isinstance(unknown, TApplicationException) and unknown.type == TApplicationException.UNKNOWN_METHOD

    status, content_type, body = scrape(metrics_port)
    assert status == 200
    assert content_type == METRICS_CONTENT_TYPE
    got = samples(body)
    assert got[requests_key("greet")] == 3
    assert got[requests_key("greet", "false", "TooManyRecipients")] == 2
    assert got[("thrift_server_active_requests", frozenset({"thrift_method": "greet"}.items()))] == 0
    assert got[latency_key("count", "greet", "true")] == 3
    assert got[latency_key("count", "greet", "false")] == 2
    assert got[latency_key("bucket", "greet", "true", "+Inf")] == 3
    # baseplate's default_latency_buckets, cumulative.
    les = sorted({dict(labels)["le"] for (name, labels) in got
                  if name == "thrift_server_latency_seconds_bucket"}, key=lambda x: float(x))
    assert les == BASEPLATE_LATENCY_BUCKETS
    assert 0 < got[latency_key("sum", "greet", "true")] < 3 * 5.0
    # No span and no metrics for a method that does not exist (as baseplate.py).
    assert not any(dict(labels).get("thrift_method") == "no_such_method" for (_, labels) in got)
    # Every type line names a family baseplate.py has.
    types = {line.split()[2]: line.split()[3] for line in body.splitlines() if line.startswith("# TYPE")}
    assert types["thrift_server_requests_total"] == "counter"
    assert types["thrift_server_latency_seconds"] == "histogram"
    assert types["thrift_server_active_requests"] == "gauge"

    assert scrape(metrics_port, "/other") == (404, "text/plain", "Not Found")


def test_metrics_enabled_false_turns_the_exporter_off(start_server, exporter_env):
    server = start_server(bpwire.ini_with(server_keys="drain_time = 100 milliseconds\n",
                                          app_keys="metrics.enabled = false\n"))
    assert "Metrics are not configured, Prometheus metrics will not be exported." in server.stderr_path.read_text()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", exporter_env), timeout=1).close()


def test_unwritable_multiproc_dir_refuses_to_start(start_server, exporter_env, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    with pytest.raises(pytest.fail.Exception) as failed:
        start_server(QUICK_INI)
    assert "PROMETHEUS_MULTIPROC_DIR is not set to a writeable directory" in str(failed.value)


# ------------------------------------------------------------------------------------------
# Several processes on one exporter port (SO_REUSEPORT) and one multiprocess directory
# ------------------------------------------------------------------------------------------

def test_any_process_on_the_shared_port_serves_the_sum_of_all(start_server, exporter_env, monkeypatch, tmp_path):
    mpdir = tmp_path / "multiproc"
    mpdir.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(mpdir))
    a = start_server(QUICK_INI)
    b = start_server(QUICK_INI)
    metrics_port = exporter_env
    for _ in range(3):
        assert call(a.port) == "ok"
    for _ in range(2):
        assert call(b.port) == "ok"
    assert call(b.port, names=[f"n{i}" for i in range(9)]) == 1

    # Values reach the directory within a flush interval (1 s); then every scrape, whichever
    # process the kernel hands it to, has the sum.
    expected = {requests_key("greet"): 5, requests_key("greet", "false", "TooManyRecipients"): 1,
                latency_key("count", "greet", "true"): 5, latency_key("count", "greet", "false"): 1,
                ("thrift_server_active_requests", frozenset({"thrift_method": "greet"}.items())): 0}

    def matches():
        got = samples(scrape(metrics_port)[2])
        return {k: got.get(k) for k in expected} == expected

    assert wait_for(matches)
    for _ in range(20):
        got = samples(scrape(metrics_port)[2])
        assert {k: got.get(k) for k in expected} == expected

    # prometheus_client's own collector reads our files to the same values.
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(mpdir))
    theirs = samples(generate_latest(registry).decode())
    ours = samples(scrape(metrics_port)[2])
    assert theirs == ours

    # One process exits: its counts stay in the sum, its live gauges go; the other answers.
    b.stop()
    got = samples(scrape(metrics_port)[2])
    assert got[requests_key("greet")] == 5
    assert not list(mpdir.glob(f"gauge_livesum_{b.proc.pid}.db"))


# ------------------------------------------------------------------------------------------
# A real Prometheus server scrapes baseplate-serve
# ------------------------------------------------------------------------------------------

def prometheus_binary():
    path = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not os.access(path, os.X_OK):
        msg = "prometheus is not installed (Debian package `prometheus`; `make deps`)"
        if IN_CI:
            pytest.fail(msg + "; under CI that is a failure", pytrace=False)
        pytest.skip(msg)
    return path


def test_real_prometheus_scrapes_and_queries(start_server, exporter_env, tmp_path):
    binary = prometheus_binary()
    server = start_server(QUICK_INI)
    metrics_port = exporter_env
    for _ in range(4):
        assert call(server.port) == "ok"
    assert call(server.port, names=[f"n{i}" for i in range(9)]) == 1

    web_port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: baseplate\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{metrics_port}']\n")
    log = open(tmp_path / "prometheus.log", "wb")
    prom = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{web_port}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        def query():
            q = urllib.parse.urlencode({"query": "thrift_server_requests_total"})
            try:
                conn = http.client.HTTPConnection("127.0.0.1", web_port, timeout=2)
                conn.request("GET", f"/api/v1/query?{q}")
                data = json.loads(conn.getresponse().read())
                conn.close()
            except (OSError, ValueError):
                return None
            result = data.get("data", {}).get("result", [])
            return result if len(result) >= 2 else None

        result = wait_for(query, timeout=20, interval=0.5)
        assert result, f"Prometheus never returned the series\n{(tmp_path / 'prometheus.log').read_text()[-3000:]}"
        # Prometheus keeps no empty labels: the success series has just method and success.
        series = {(r["metric"]["thrift_success"], r["metric"].get("thrift_exception_type", "")): r
                  for r in result}
        assert series[("true", "")]["metric"] == {
            "__name__": "thrift_server_requests_total", "instance": f"127.0.0.1:{metrics_port}",
            "job": "baseplate", "thrift_method": "greet", "thrift_success": "true"}
        assert series[("false", "TooManyRecipients")]["metric"]["thrift_method"] == "greet"
        assert float(series[("true", "")]["value"][1]) == 4
        assert float(series[("false", "TooManyRecipients")]["value"][1]) == 1
    finally:
        prom.send_signal(signal.SIGTERM)
        try:
            prom.wait(timeout=10)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()
        log.close()

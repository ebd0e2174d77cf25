"""Heap allocations per request on the hot path, held under the threshold in perf/allocations.json
(issue #6), and the example's echo_blob (perf/run's S3 method) answered byte-exactly.

The server runs under perf/bin/malloc_count.so (LD_PRELOAD), which counts every malloc, calloc,
realloc and aligned allocation into a file this test reads at any moment. perf/bin/loadgen sends
exactly N requests and checks every reply. Allocations per request = the count's growth over N
requests after a warm-up; connection setup (4 connections) is included and is negligible at N.

The threshold is the measured value plus a little headroom: a change that adds an allocation
per request fails here. Lower it when an optimisation removes some (the failure message and the
printed line say what was measured).
"""

import json
import os
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT, require_real_server

PERF = REPO_ROOT / "perf"
THRESHOLDS = PERF / "allocations.json"
WARMUP_REQUESTS = 4000
MEASURED_REQUESTS = 20000


@pytest.fixture(scope="module")
def perf_bin() -> Path:
    """perf/bin/loadgen and perf/bin/malloc_count.so, built with the system C compiler."""
    subprocess.run(["make", "-s", "-C", str(PERF), "bin/loadgen", "bin/malloc_count.so"], check=True,
                   stdin=subprocess.DEVNULL, timeout=300)
    return PERF / "bin"


def loadgen(perf_bin: Path, port: int, *args: str) -> str:
    result = subprocess.run([str(perf_bin / "loadgen"), "--port", str(port), *args], capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0, f"loadgen {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    assert " errors=0 " in result.stdout, result.stdout
    return result.stdout


def read_count(path: Path) -> int:
    return struct.unpack("<Q", path.read_bytes()[:8])[0]


def settled_count(path: Path) -> int:
    """The count once the server has finished the work of the last replies (metrics batches,
    span ends run after the reply is written): unchanged over 100 ms."""
    last = read_count(path)
    for _ in range(50):
        time.sleep(0.1)
        now = read_count(path)
        if now == last:
            return now
        last = now
    return last


def test_allocations_per_request_under_threshold(launch, perf_bin, tmp_path, capsys):
    require_real_server()
    counts = tmp_path / "malloc-count"
    # perf/bench.ini's observers minus tracing (sampling makes its allocations vary): statsd to
    # a bound UDP socket that is never read.
    statsd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    statsd.bind(("127.0.0.1", 0))
    try:
        ini = (
            "[app:main]\n"
            "factory = ExampleService:make_processor\n"
            "metrics.namespace = bench\n"
            f"metrics.endpoint = 127.0.0.1:{statsd.getsockname()[1]}\n"
            "\n[server:main]\n"
            "factory = baseplate.server.thrift\n"
            "drain_time = 1 millisecond\n"
        )
        server = launch(ini, env_extra={"LD_PRELOAD": str(perf_bin / "malloc_count.so"),
                                        "MALLOC_COUNT_FILE": str(counts)})
        common = ["--conns", "4", "--depth", "1", "--dialect", "theader-compact", "--method", "is_healthy"]
        loadgen(perf_bin, server.port, *common, "--requests", str(WARMUP_REQUESTS))
        before = settled_count(counts)
        assert before > 0, "malloc_count.so counted nothing: is it preloaded into the server?"
        out = loadgen(perf_bin, server.port, *common, "--requests", str(MEASURED_REQUESTS),
                      "--first-seqid", str(WARMUP_REQUESTS + 1))
        assert f"reqs={MEASURED_REQUESTS} " in out, out
        after = settled_count(counts)
    finally:
        statsd.close()

    per_request = (after - before) / MEASURED_REQUESTS
    threshold = json.loads(THRESHOLDS.read_text())["is_healthy_theader_compact"]
    with capsys.disabled():
        print(f"\nallocations per is_healthy request (THeader+compact, statsd on): {per_request:.2f}"
              f" (threshold {threshold} in perf/allocations.json)")
    assert per_request <= threshold, (
        f"{per_request:.2f} heap allocations per is_healthy request, over the threshold {threshold} "
        f"in perf/allocations.json ({after - before} over {MEASURED_REQUESTS} requests)")


@pytest.mark.parametrize("dialect", ["theader-compact", "theader-binary", "framed-binary"])
def test_echo_blob_returns_the_blob(start_server, perf_bin, dialect):
    """The example's echo_blob sends back the Blob it got: loadgen checks the 1 KiB string and
    the 32 i64s of every reply, pipelined on several connections."""
    require_real_server()
    server = start_server()
    out = loadgen(perf_bin, server.port, "--conns", "3", "--depth", "4", "--dialect", dialect,
                  "--method", "echo_blob", "--requests", "3000")
    assert "reqs=3000 " in out, out

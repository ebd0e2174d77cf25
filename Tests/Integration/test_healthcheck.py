"""baseplate.py's own `baseplate-healthcheck` (THeader+compact via its connection pool, V2
is_healthy with the probe) against the server: prints `OK!` and exits 0."""

import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from bpwire import STANDIN


def run_healthcheck(venv_bin, *args, timeout=60):
    exe = venv_bin / "baseplate-healthcheck"
    assert exe.exists(), f"{exe} missing: install Tests/Integration/requirements.txt into this venv"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=timeout)


PROBES = [None, "readiness", "liveness",
          pytest.param("startup", marks=pytest.mark.xfail(
              STANDIN == "cpp", strict=True, reason="stand-in only: cpp_server answers false to STARTUP"))]


@pytest.mark.parametrize("probe", PROBES)
def test_healthcheck_ok(server, venv_bin, probe):
    args = ["thrift", f"127.0.0.1:{server.port}"] + (["--probe", probe] if probe else [])
    res = run_healthcheck(venv_bin, *args)
    assert (res.returncode, res.stdout.strip()) == (0, "OK!"), res.stderr


def test_healthcheck_many_at_once(server, venv_bin):
    """Eight health checkers in parallel, as a fleet's probes would arrive."""
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: run_healthcheck(venv_bin, "thrift", f"127.0.0.1:{server.port}"),
                                range(8)))
    for res in results:
        assert (res.returncode, res.stdout.strip()) == (0, "OK!"), res.stderr

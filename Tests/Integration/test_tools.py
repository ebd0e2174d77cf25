"""The companion tools against baseplate.py's own, side by side.

`baseplate-healthcheck`: ours and baseplate.py's (from the venv) run against the same server
must print the same stdout and exit with the same status: healthy (every probe), during a drain
(readiness false, liveness and startup true), an unreachable port, a UNIX socket endpoint, and
the wsgi type against a small HTTP server made by the test.

`baseplate-script`: the stock binary's `ExampleService:print_config` / `print_args`, compared
with baseplate.py's `baseplate-script` calling a Python module of the same name written by the
test (same INI, same command line, same environment, so both see the same app config)."""

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import bpwire
from bpwire import ini_with


TOOL_TIMEOUT = 40   # baseplate.py's healthcheck has a 30 s socket timeout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def py_tools(venv_bin):
    for name in ("baseplate-healthcheck", "baseplate-script"):
        if not (venv_bin / name).exists():
            pytest.fail(f"{venv_bin / name} missing: install Tests/Integration/requirements.txt")
    return venv_bin


def run(argv, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=TOOL_TIMEOUT, **kw)


def both_healthchecks(ours: Path, venv_bin: Path, arg_sets):
    """Runs ours and baseplate.py's healthcheck for each argument list, all in parallel.
    Returns [(args, ours_result, theirs_result)]."""
    jobs = [(args, [ours, *args], [venv_bin / "baseplate-healthcheck", *args]) for args in arg_sets]
    with ThreadPoolExecutor(2 * len(jobs)) as pool:
        futures = [(args, pool.submit(run, a), pool.submit(run, b)) for args, a, b in jobs]
        return [(args, fa.result(), fb.result()) for args, fa, fb in futures]


def describe(res: subprocess.CompletedProcess) -> str:
    return f"exit {res.returncode}, stdout {res.stdout!r}, stderr {res.stderr[-600:]!r}"


def assert_same(results, expect_rc, expect_stdout):
    problems = []
    for args, ours, theirs in results:
        if (theirs.returncode, theirs.stdout) != (expect_rc, expect_stdout):
            problems.append(f"baseplate.py {args}: {describe(theirs)} (the test's expectation is wrong?)")
        if (ours.returncode, ours.stdout) != (theirs.returncode, theirs.stdout):
            problems.append(f"ours {args}: {describe(ours)}; baseplate.py: {describe(theirs)}")
    assert not problems, "\n".join(problems)


PROBE_ARGS = [[], ["--probe", "readiness"], ["--probe", "liveness"], ["--probe", "startup"]]


# ---------------------------------------------------------------------------------------------
# healthcheck, thrift
# ---------------------------------------------------------------------------------------------

def test_healthcheck_healthy_matches_baseplate_py(server, our_healthcheck, py_tools):
    results = both_healthchecks(our_healthcheck, py_tools,
                                [["thrift", f"127.0.0.1:{server.port}", *p] for p in PROBE_ARGS]
                                + [["--probe", "liveness", "thrift", f"127.0.0.1:{server.port}"],
                                   # argparse's other spellings: name=value, a unique prefix
                                   ["thrift", f"127.0.0.1:{server.port}", "--probe=startup"],
                                   ["--pro", "liveness", "thrift", f"127.0.0.1:{server.port}"]])
    assert_same(results, 0, "OK!\n")


def test_healthcheck_during_drain_matches_baseplate_py(launch, our_healthcheck, py_tools):
    """After SIGTERM (drain_time 30 s): readiness fails in both tools, with the probe number in
    our message; liveness and startup pass."""
    srv = launch(ini_with("drain_time = 30 seconds\n"))
    try:
        srv.signal(signal.SIGTERM)
        srv.wait_log("Shutdown triggered by SIGTERM.", timeout=3)
        endpoint = f"127.0.0.1:{srv.port}"
        unhealthy = both_healthchecks(our_healthcheck, py_tools,
                                      [["thrift", endpoint], ["thrift", endpoint, "--probe", "readiness"]])
        healthy = both_healthchecks(our_healthcheck, py_tools,
                                    [["thrift", endpoint, "--probe", "liveness"],
                                     ["thrift", endpoint, "--probe", "startup"]])
        assert srv.alive()
    finally:
        srv.kill()
    assert_same(unhealthy, 1, "")
    for args, ours, theirs in unhealthy:
        assert "service indicated unhealthiness in probe 1" in theirs.stderr, describe(theirs)
        assert "service indicated unhealthiness in probe 1" in ours.stderr, describe(ours)
    assert_same(healthy, 0, "OK!\n")


def test_healthcheck_unreachable_matches_baseplate_py(our_healthcheck, py_tools):
    port = free_port()      # nothing listens there
    results = both_healthchecks(our_healthcheck, py_tools, [["thrift", f"127.0.0.1:{port}"]])
    assert_same(results, 1, "")
    ours = results[0][1]
    assert ours.stderr.strip(), "an unreachable service must be explained on stderr"


def wait_unix_serving(srv, path: str, timeout: float = 15.0):
    def answered():
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect(path)
                s.sendall(bpwire.request("header-compact", 1))
                return bpwire.read_reply(bpwire.SocketReader(s), "header-compact").success is True
        except (OSError, bpwire.TTransportException):
            return False
    srv.wait_for(answered, f"an answer on UNIX socket {path}", timeout)


def test_healthcheck_unix_socket_matches_baseplate_py(launch, our_healthcheck, py_tools):
    """--bind with a path serves on a UNIX socket; both tools accept the path as endpoint."""
    tmp = tempfile.mkdtemp(prefix="bpit-")
    path = os.path.join(tmp, "serve.sock")
    srv = launch(ini_with(), bind=path, wait=False)
    try:
        wait_unix_serving(srv, path)
        results = both_healthchecks(our_healthcheck, py_tools,
                                    [["thrift", path], ["thrift", path, "--probe", "liveness"]])
    finally:
        srv.kill()
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(tmp)
    assert_same(results, 0, "OK!\n")


# ---------------------------------------------------------------------------------------------
# healthcheck, wsgi (a small HTTP server made by the test)
# ---------------------------------------------------------------------------------------------

class HealthHTTP:
    """GET /health?type=N answered with (status, body); records each request path."""

    def __init__(self, status: int, body: bytes):
        self.paths = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.paths.append(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_healthcheck_wsgi_healthy_matches_baseplate_py(our_healthcheck, py_tools):
    with HealthHTTP(200, json.dumps({"status": "healthy"}).encode()) as http:
        results = both_healthchecks(our_healthcheck, py_tools,
                                    [["wsgi", f"127.0.0.1:{http.port}", *p] for p in PROBE_ARGS])
    assert_same(results, 0, "OK!\n")
    # each tool asked for /health?type=N with the probe's number
    assert sorted(http.paths) == sorted(["/health?type=1", "/health?type=1", "/health?type=2",
                                         "/health?type=3"] * 2), http.paths


@pytest.mark.parametrize("status,body", [(503, b'{"status": "unhealthy"}'), (200, b"not json")],
                         ids=["http-503", "not-json"])
def test_healthcheck_wsgi_unhealthy_matches_baseplate_py(our_healthcheck, py_tools, status, body):
    with HealthHTTP(status, body) as http:
        results = both_healthchecks(our_healthcheck, py_tools, [["wsgi", f"127.0.0.1:{http.port}"]])
    assert_same(results, 1, "")


# ---------------------------------------------------------------------------------------------
# baseplate-script
# ---------------------------------------------------------------------------------------------

# The Python twin of the stock binary's script functions, for baseplate.py's baseplate-script.
PY_TWIN = '''\
def print_config(app_config):
    for key in sorted(app_config):
        print(f"{key}={app_config[key]}")


def print_args(app_config, args):
    for arg in args:
        print(arg)
'''

SCRIPT_INI = """\
[DEFAULT]
from_default = inherited
shared = from default

[app:main]
factory = ExampleService:make_processor
b_key = 2
a_key = $BPIT_SCRIPT_VAR
c_key = ${BPIT_SCRIPT_UNSET}
d_key = x${BPIT_SCRIPT_VAR}y and 37%
shared = overridden
Mixed_Case = lower-cased name

[app:other]
factory = ExampleService:make_processor
only_other = yes

[server:main]
factory = baseplate.server.thrift
"""


@pytest.fixture
def script_env(tmp_path, monkeypatch):
    """The INI, and a directory holding ExampleService.py (the Python twin). Returns a function
    running (ours, theirs) for the same arguments."""
    twin_dir = tmp_path / "twin"
    twin_dir.mkdir()
    (twin_dir / "ExampleService.py").write_text(PY_TWIN)
    ini = tmp_path / "script.ini"
    ini.write_text(SCRIPT_INI)
    monkeypatch.setenv("BPIT_SCRIPT_VAR", "expanded")
    monkeypatch.delenv("BPIT_SCRIPT_UNSET", raising=False)

    def _run(ours: Path, venv_bin: Path, *args, theirs=True):
        argv = [str(a) if a != "INI" else str(ini) for a in args]
        with ThreadPoolExecutor(2) as pool:
            a = pool.submit(run, [ours, *argv], cwd=bpwire.REPO_ROOT)
            # baseplate.py appends the cwd to sys.path: the twin module is found there
            b = pool.submit(run, [venv_bin / "baseplate-script", *argv], cwd=twin_dir) if theirs else None
            return a.result(), (b.result() if b else None)
    return _run


def test_script_print_config_matches_baseplate_py(our_script, py_tools, script_env):
    ours, theirs = script_env(our_script, py_tools, "INI", "ExampleService:print_config")
    expected = ["a_key=expanded", "b_key=2", "c_key=${BPIT_SCRIPT_UNSET}",
                "d_key=xexpandedy and 37%", "factory=ExampleService:make_processor",
                "from_default=inherited", "mixed_case=lower-cased name", "shared=overridden"]
    assert (theirs.returncode, theirs.stdout.splitlines()) == (0, expected), describe(theirs)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), describe(ours)


@pytest.mark.parametrize("spelling", [["--app-name", "other"], ["--app-name=other"], ["--app", "other"],
                                      ["--app-name", "main", "--app-name", "other"]],
                         ids=["separate", "equals", "prefix", "last-wins"])
def test_script_app_name(our_script, py_tools, script_env, spelling):
    ours, theirs = script_env(our_script, py_tools, *spelling, "INI", "ExampleService:print_config")
    assert theirs.returncode == 0 and "only_other=yes" in theirs.stdout.splitlines(), describe(theirs)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), describe(ours)


@pytest.mark.parametrize("extra", [["one", "two words", "3"], []], ids=["args", "no-args"])
def test_script_print_args_matches_baseplate_py(our_script, py_tools, script_env, extra):
    ours, theirs = script_env(our_script, py_tools, "INI", "ExampleService:print_args", *extra)
    assert (theirs.returncode, theirs.stdout.splitlines()) == (0, extra), describe(theirs)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), describe(ours)


def test_script_passes_unknown_options_through(our_script, py_tools, script_env):
    """baseplate.py parses its own options with parse_known_args: an option it does not know,
    after the function, is handed to the function."""
    ours, theirs = script_env(our_script, py_tools, "INI", "ExampleService:print_args",
                              "--dry-run", "x")
    assert (theirs.returncode, theirs.stdout.splitlines()) == (0, ["--dry-run", "x"]), describe(theirs)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), describe(ours)


@pytest.mark.parametrize("argv,expected", [
    (["INI", "ExampleService:print_args", "x", "--app-name", "other", "y"], ["x", "y"]),
    (["--zz", "INI", "-q", "ExampleService:print_args", "a", "-5", "-"], ["--zz", "-q", "a", "-5", "-"]),
    (["INI", "ExampleService:print_args", "--", "--debug", "--app-name", "z"], ["--debug", "--app-name", "z"]),
], ids=["own-options-anywhere", "unknown-before-positionals", "after-double-dash"])
def test_script_argument_split_matches_baseplate_py(our_script, py_tools, script_env, argv, expected):
    """parse_known_args: our own options are taken wherever they are (not handed on), the
    unknown ones and surplus positionals are handed on in order; after `--` all are positionals."""
    ours, theirs = script_env(our_script, py_tools, *argv)
    assert (theirs.returncode, theirs.stdout.splitlines()) == (0, expected), describe(theirs)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), describe(ours)


def test_script_extra_args_to_a_function_that_takes_none(our_script, py_tools, script_env):
    ours, theirs = script_env(our_script, py_tools, "INI", "ExampleService:print_config", "extra")
    msg = "script function does not accept additional arguments, but additional arguments were provided"
    assert theirs.returncode == 1 and msg in theirs.stderr, describe(theirs)
    assert ours.returncode == 1, describe(ours)
    assert msg in ours.stderr, describe(ours)
    assert ours.stdout == "", "the function must not run"


def test_script_unknown_function(our_script, py_tools, script_env):
    ours, _ = script_env(our_script, py_tools, "INI", "ExampleService:no_such_function", theirs=False)
    assert ours.returncode == 2, describe(ours)
    assert "ExampleService:no_such_function" in ours.stderr, describe(ours)
    assert ours.stdout == ""


def test_script_missing_app_section(our_script, py_tools, script_env):
    ours, theirs = script_env(our_script, py_tools, "--app-name", "nope", "INI",
                              "ExampleService:print_config")
    assert theirs.returncode == 1, describe(theirs)      # configparser.NoSectionError
    assert ours.returncode == 1, describe(ours)
    assert "app:nope" in ours.stderr, describe(ours)
    assert ours.stdout == ""

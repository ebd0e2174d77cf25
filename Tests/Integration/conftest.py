"""Fixtures for the integration tests: start/stop `baseplate-serve`, free ports, C++ peers.

Environment:
  BASEPLATE_SERVE   the server binary (default <repo>/.build/release/baseplate-serve); run from the
                    repo root as `$BASEPLATE_SERVE example/example.ini --bind 127.0.0.1:PORT`.
  BPIO_PEERS        directory with the C++ peers (default <repo>/.build/peers): `cpp_client`, and
                    `cpp_server` for stand-in checks. A missing peer skips its tests, except under
                    CI (env CI set), where it is a failure.
  BPIO_INTEGRATION_STANDIN
                    only for checking these tests themselves: "python" runs standin_server.py,
                    "cpp" runs $BPIO_PEERS/cpp_server, "baseplate-py" runs baseplate.py's own
                    baseplate-serve from this venv, instead of the server under test. Never set
                    in CI.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

import pytest

import bpwire

REPO_ROOT = bpwire.REPO_ROOT
HERE = Path(__file__).resolve().parent
STANDIN = bpwire.STANDIN
IN_CI = bpwire.env_flag("CI")
READY_TIMEOUT = 20.0
STOP_GRACE = 8.0  # baseplate drains for 5 s after SIGTERM by default; allow that, then SIGKILL


def server_binary() -> Path:
    return Path(os.environ.get("BASEPLATE_SERVE") or REPO_ROOT / ".build/release/baseplate-serve")


def peers_dir() -> Path:
    return Path(os.environ.get("BPIO_PEERS") or REPO_ROOT / ".build/peers")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_live_servers: List["ServerProcess"] = []


class ServerProcess:
    """One server process on 127.0.0.1:port, with stdout/stderr captured to files."""

    def __init__(self, argv: List[str], port: int, log_dir: Path, name: str):
        self.argv = argv
        self.port = port
        self.name = name
        self.stdout_path = log_dir / f"{name}-{port}.stdout"
        self.stderr_path = log_dir / f"{name}-{port}.stderr"
        self.proc: Optional[subprocess.Popen] = None

    def _accepts_connections(self) -> bool:
        """Whether something other than this probe listens on the port. free_port's ports are
        ephemeral ones, so a probe can get the same port as its source and connect to itself
        (TCP simultaneous open) while the server is still starting, or failing to."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                return s.getsockname() != s.getpeername()
        except OSError:
            return False

    def start(self) -> "ServerProcess":
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            env = dict(os.environ)
            if STANDIN == "baseplate-py":  # its INI names the app factory in standin_server.py
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
            self.proc = subprocess.Popen(self.argv, cwd=REPO_ROOT, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, env=env)
        _live_servers.append(self)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode} before listening\n"
                            f"argv: {self.argv}\n{self.logs()}", pytrace=False)
            if self._accepts_connections():
                return self
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{self.name} did not accept connections on port {self.port} within "
                            f"{READY_TIMEOUT:.0f} s\nargv: {self.argv}\n{self.logs()}", pytrace=False)
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> Optional[int]:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self in _live_servers:
            _live_servers.remove(self)
        return self.proc.returncode

    def logs(self, limit: int = 20000) -> str:
        parts = []
        for label, path in (("stderr", self.stderr_path), ("stdout", self.stdout_path)):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            if len(text) > limit:
                text = "...\n" + text[-limit:]
            parts.append(f"--- {self.name} {label} ({path}) ---\n{text}")
        return "\n".join(parts)


def _server_argv(config: str, port: int, extra_args=()) -> List[str]:
    bind = f"127.0.0.1:{port}"
    if STANDIN == "python":
        return [sys.executable, str(HERE / "standin_server.py"), config, "--bind", bind, *extra_args]
    if STANDIN == "cpp":
        peer = peers_dir() / "cpp_server"
        if not peer.exists():
            pytest.fail(f"BPIO_INTEGRATION_STANDIN=cpp but {peer} does not exist", pytrace=False)
        return [str(peer), str(port), "--host", "127.0.0.1"]  # prints `listening` when ready
    if STANDIN == "baseplate-py":
        return [str(Path(sys.executable).parent / "baseplate-serve"),
                str(HERE / "standin_baseplate_py.ini"), "--bind", bind]
    if STANDIN:
        pytest.fail(f"unknown BPIO_INTEGRATION_STANDIN={STANDIN!r} (python, cpp or baseplate-py)",
                    pytrace=False)
    binary = server_binary()
    if not binary.exists():
        pytest.fail(f"server binary {binary} does not exist: build it (`swift build -c release`) "
                    "or set BASEPLATE_SERVE", pytrace=False)
    return [str(binary), config, "--bind", bind, *extra_args]


@pytest.fixture(scope="session")
def server_logs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("server-logs")


@pytest.fixture(scope="session")
def server(server_logs_dir) -> ServerProcess:
    """The server under test with example/example.ini, shared by the whole session."""
    port = free_port()
    proc = ServerProcess(_server_argv("example/example.ini", port), port, server_logs_dir,
                         STANDIN and f"standin-{STANDIN}" or "baseplate-serve").start()
    yield proc
    proc.stop()


@pytest.fixture
def start_server(tmp_path, server_logs_dir):
    """Factory: start an extra server, optionally with a custom INI (its text is written to
    tmp_path/custom.ini). Returns a started ServerProcess; it is stopped at test end."""
    started = []

    def _start(ini_text: Optional[str] = None, extra_args=()) -> ServerProcess:
        config = "example/example.ini"
        if ini_text is not None:
            path = tmp_path / f"custom-{len(started)}.ini"
            path.write_text(ini_text)
            config = str(path)
        port = free_port()
        proc = ServerProcess(_server_argv(config, port, extra_args), port, server_logs_dir,
                             "extra-server")
        started.append(proc)
        return proc.start()

    yield _start
    for proc in started:
        proc.stop()


def peer_binary(name: str) -> Path:
    """A C++ peer from $BPIO_PEERS: skipped when missing, unless under CI where it fails."""
    path = peers_dir() / name
    if not os.access(path, os.X_OK):
        msg = f"C++ peer {path} is missing (build it with `make peers` or set BPIO_PEERS)"
        if IN_CI:
            pytest.fail(msg + "; under CI a missing peer is a failure", pytrace=False)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def cpp_client() -> Path:
    return peer_binary("cpp_client")


@pytest.fixture(scope="session")
def venv_bin() -> Path:
    """The bin/ directory of the Python running pytest (the venv with baseplate installed)."""
    return Path(sys.executable).parent


def pytest_configure(config):
    bpwire.stubs()  # generate the IDL stubs once, before collection


def pytest_unconfigure(config):
    bpwire.cleanup_stubs()


def pytest_report_header(config):
    target = (f"stand-in {STANDIN}" if STANDIN else str(server_binary()))
    return [f"server under test: {target}", f"C++ peers: {peers_dir()}",
            f"IDL stubs: {bpwire.stubs().origin}", f"CI: {IN_CI}"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for proc in list(_live_servers):
            state = "running" if proc.alive() else f"exited with {proc.proc.returncode}"
            report.sections.append((f"{proc.name} on port {proc.port} ({state})", proc.logs()))


# ---------------------------------------------------------------------------------------------
# Processes with a custom environment or inherited sockets, and the companion tools
# (test_lifecycle.py, test_process_managers.py, test_config_errors.py, test_tools.py)
# ---------------------------------------------------------------------------------------------

def tool_binary(name: str, env_var: str) -> Path:
    """A companion tool (baseplate-healthcheck, baseplate-script): $env_var, else next to the
    server binary. Missing: skipped, except under CI where it is a failure."""
    path = Path(os.environ.get(env_var) or server_binary().parent / name)
    if not os.access(path, os.X_OK):
        msg = f"{name} {path} is missing (build it with `swift build -c release` or set {env_var})"
        if IN_CI:
            pytest.fail(msg + "; under CI a missing tool is a failure", pytrace=False)
        pytest.skip(msg)
    return path


def require_real_server() -> Path:
    """These tests drive the server's process lifecycle, so they need the real binary: a
    stand-in skips them; a missing binary fails them (as _server_argv does)."""
    if STANDIN:
        pytest.skip(f"lifecycle/config tests run only against baseplate-serve, not stand-in {STANDIN}")
    binary = server_binary()
    if not os.access(binary, os.X_OK):
        pytest.fail(f"server binary {binary} does not exist: build it (`swift build -c release`) "
                    "or set BASEPLATE_SERVE", pytrace=False)
    return binary


class LaunchedProcess(ServerProcess):
    """A server started with a custom environment, inherited fds or a wrapper in front, that the
    test waits on itself. kill() SIGKILLs it but leaves it in the failure report's server list;
    the `launch` fixture removes it at teardown."""

    def __init__(self, argv: List[str], port: int, log_dir: Path, name: str,
                 env: Optional[dict] = None, pass_fds=()):
        super().__init__(argv, port, log_dir, name)
        self.env = env
        self.pass_fds = tuple(pass_fds)
        self.started_at = 0.0

    def launch(self) -> "LaunchedProcess":
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, cwd=REPO_ROOT, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, env=self.env,
                                         pass_fds=self.pass_fds)
        self.started_at = time.monotonic()
        _live_servers.append(self)
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> Optional[int]:
        """The exit status, or None if it is still running after `timeout` seconds."""
        try:
            return self.proc.wait(timeout=max(timeout, 0.0))
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def records(self) -> List[dict]:
        return bpwire.log_records(self.stderr_text())

    def wait_for(self, predicate, what: str, timeout: float = READY_TIMEOUT, allow_exit=False):
        """Polls predicate() until it returns something truthy; fails with the logs if the
        process exits first (unless allow_exit) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if not allow_exit and self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode} while waiting for "
                            f"{what}\nargv: {self.argv}\n{self.logs()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.1f} s waiting for {what}\n"
                            f"argv: {self.argv}\n{self.logs()}", pytrace=False)
            time.sleep(0.02)

    def wait_log(self, needle: str, timeout: float = 5.0, level: Optional[str] = None) -> dict:
        """The first log record whose message contains `needle` (and has `level`)."""
        def find():
            for rec in self.records():
                if needle in str(rec.get("message")) and (level is None or rec.get("level") == level):
                    return rec
            return None
        return self.wait_for(find, f"a log line containing {needle!r}", timeout, allow_exit=True)

    def wait_serving(self, port: Optional[int] = None, timeout: float = READY_TIMEOUT) -> None:
        """Until an is_healthy(LIVENESS) call on 127.0.0.1:port is answered."""
        port = self.port if port is None else port

        def answered():
            try:
                rep = bpwire.call(port, "header-compact", 1, write_args=bpwire.v2_args(bpwire.LIVENESS))
                return rep.mtype == bpwire.REPLY
            except (OSError, EOFError, bpwire.TTransportException):
                return False
        self.wait_for(answered, f"an answer on 127.0.0.1:{port}", timeout)


@pytest.fixture
def launch(tmp_path, server_logs_dir):
    """Factory: launch(ini_text, args=(), bind=None, env_extra=None, pass_fds=(), prefix=(),
    wait=True) starts `prefix + [baseplate-serve, CONFIG, --bind BIND, *args]` with the test's
    environment plus env_extra and waits until it answers on its --bind port (wait=False: the
    test waits itself). Every process is SIGKILLed at teardown if still running."""
    launched: List[LaunchedProcess] = []

    def _launch(ini_text: str, args=(), bind: Optional[str] = None, env_extra=None, pass_fds=(),
                prefix=(), wait: bool = True) -> LaunchedProcess:
        binary = require_real_server()
        config = tmp_path / f"launch-{len(launched)}.ini"
        config.write_text(ini_text)
        port = free_port()
        if bind is None:
            bind = f"127.0.0.1:{port}"
        env = dict(os.environ)
        env.update(env_extra or {})
        argv = [*prefix, str(binary), str(config), "--bind", bind, *args]
        proc = LaunchedProcess(argv, port, server_logs_dir, "launched-server", env, pass_fds)
        proc.config_path = config
        launched.append(proc.launch())
        if wait:
            proc.wait_serving()
        return proc

    yield _launch
    for proc in launched:
        proc.kill()
        if proc in _live_servers:
            _live_servers.remove(proc)


@pytest.fixture(scope="session")
def serve_binary() -> Path:
    """The real baseplate-serve (stand-ins skip, a missing binary fails): see require_real_server."""
    return require_real_server()


@pytest.fixture(scope="session")
def our_healthcheck() -> Path:
    """This project's baseplate-healthcheck ($BASEPLATE_HEALTHCHECK or next to the server)."""
    return tool_binary("baseplate-healthcheck", "BASEPLATE_HEALTHCHECK")


@pytest.fixture(scope="session")
def our_script() -> Path:
    """This project's baseplate-script ($BASEPLATE_SCRIPT or next to the server)."""
    return tool_binary("baseplate-script", "BASEPLATE_SCRIPT")

"""Startup configuration of `baseplate-serve`: every startup error is one log line on stderr (no
stack dump) and a defined exit status; keys baseplate.py knows but this server does not
implement yet start with one WARNING; INI semantics visible from outside: `$VAR`/`${VAR}`
expansion (unset stays verbatim), `[DEFAULT]` inheritance, lower-cased option names, `:`, and
custom section names with --app-name/--server-name.

Server keys are observed through `max_frame_size` (a frame longer than it closes the connection;
the default is 16 MiB), so expansion and inheritance are checked by behaviour, not by logs."""

import os
import re
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import List

import pytest

import bpwire
from bpwire import BASE_INI, ini_with

SMALL, MID, BIG = 4096, 6000, 9000   # frame lengths probed against limits 4096 / 8192 / 16 MiB
STARTUP_TIMEOUT = 2.5   # errors come within milliseconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    config: Path

    @property
    def lines(self) -> List[str]:
        return [ln for ln in self.stderr.splitlines() if ln.strip()]

    @property
    def records(self) -> List[dict]:
        return bpwire.log_records(self.stderr)

    def only_error(self) -> str:
        """The single ERROR line's message (fails unless stderr is exactly one ERROR record)."""
        assert len(self.lines) == 1, f"expected one log line, got {len(self.lines)}:\n{self.stderr}"
        rec = self.records[0]
        assert rec.get("level") in ("ERROR", "CRITICAL"), f"not an ERROR JSON line: {rec['raw']}"
        return str(rec["message"])


def run_serve(binary: Path, tmp_path, ini_text: str, args=(), env_extra=None) -> Run:
    """Runs the server expecting it to exit at startup; a server still running after
    STARTUP_TIMEOUT is killed and the test fails."""
    config = tmp_path / "config.ini"
    config.write_text(ini_text)
    env = dict(os.environ)
    env.update(env_extra or {})
    argv = [str(binary), str(config), "--bind", f"127.0.0.1:{free_port()}", *args]
    try:
        res = subprocess.run(argv, cwd=bpwire.REPO_ROOT, capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, env=env, timeout=STARTUP_TIMEOUT)
    except subprocess.TimeoutExpired as exc:   # subprocess.run has SIGKILLed it
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr
        pytest.fail(f"the server started (still running after {STARTUP_TIMEOUT:.1f} s) instead "
                    f"of refusing the config\n--- config ---\n{ini_text}\n--- stderr ---\n{err}",
                    pytrace=False)
    return Run(res.returncode, res.stdout, res.stderr, config)


def without_path(msg: str, path: Path) -> str:
    return msg.replace(str(path), "<config>")


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ini_text,section", [
    ("[app:main]\nfactory = ExampleService:make_processor\n", "server:main"),
    ("[server:main]\nfactory = baseplate.server.thrift\n", "app:main"),
], ids=["no-server-section", "no-app-section"])
def test_missing_section(serve_binary, tmp_path, ini_text, section):
    run = run_serve(serve_binary, tmp_path, ini_text)
    msg = run.only_error()
    assert run.rc == 1, run.stderr
    assert section in msg, msg


@pytest.mark.parametrize("factory", ["baseplate.server.wsgi", "baseplate.server.queue_consumer",
                                     "mycompany.server:make_server"])
def test_unsupported_server_factory(serve_binary, tmp_path, factory):
    run = run_serve(serve_binary, tmp_path, BASE_INI.replace("baseplate.server.thrift", factory))
    msg = run.only_error()
    assert run.rc == 2, run.stderr
    assert factory in msg, msg


@pytest.mark.parametrize("factory,named", [
    ("nosuch:make_app", "nosuch:make_app"),
    ("ExampleService:no_such_function", "ExampleService:no_such_function"),
    ("nosuch", "nosuch"),                    # no ':' means baseplate.py's default name make_app
], ids=["unknown-module", "unknown-function", "no-function-name"])
def test_app_factory_not_linked_in(serve_binary, tmp_path, factory, named):
    run = run_serve(serve_binary, tmp_path, BASE_INI.replace("ExampleService:make_processor", factory))
    msg = run.only_error()
    assert run.rc == 2, run.stderr
    assert named in msg, msg
    assert "search" in msg.lower(), f"the line should say what was searched: {msg}"


def test_unknown_server_key_is_an_error_listing_valid_keys(serve_binary, tmp_path):
    run = run_serve(serve_binary, tmp_path, ini_with("stop_timout = 3 seconds\n"))
    msg = run.only_error()
    assert run.rc == 1, run.stderr
    assert "stop_timout" in msg, msg
    for key in ("stop_timeout", "drain_time", "io_threads", "max_frame_size"):
        assert re.search(rf"\b{re.escape(key)}\b", msg), f"valid key {key} not listed: {msg}"


@pytest.mark.parametrize("key,value", [("max_concurrency", "-1"), ("max_buffered_bytes", "-5"),
                                       ("read_timeout", "soon")])
def test_invalid_limit_is_an_error(serve_binary, tmp_path, key, value):
    """baseplate.py refuses max_concurrency for Thrift servers; here it is a limit (issue #7),
    checked like the other keys."""
    run = run_serve(serve_binary, tmp_path, ini_with(f"{key} = {value}\n"))
    msg = run.only_error()
    assert run.rc == 1, run.stderr
    assert key in msg, msg


@pytest.mark.parametrize("key,value", [("stop_timeout", "forever"), ("drain_time", "5 fortnights"),
                                       ("io_threads", "many"), ("max_frame_size", "-1")])
def test_invalid_server_value(serve_binary, tmp_path, key, value):
    run = run_serve(serve_binary, tmp_path, ini_with(f"{key} = {value}\n"))
    msg = run.only_error()
    assert run.rc == 1, run.stderr
    assert key in msg, msg


@pytest.mark.parametrize("body,line", [
    (BASE_INI + "[server main\n", 6),                           # unterminated section header
    (BASE_INI + "this line has no delimiter\n", 6),
    (BASE_INI + "stop_timeout = 1 second\nstop_timeout = 2 seconds\n", 7),   # duplicate option
    (BASE_INI + "\n[app:main]\nx = 1\n", 7),                    # duplicate section
    ("key = before any section\n" + BASE_INI, 1),
], ids=["bad-section-header", "no-delimiter", "duplicate-option", "duplicate-section",
        "option-before-any-section"])
def test_malformed_ini_names_file_and_line(serve_binary, tmp_path, body, line):
    run = run_serve(serve_binary, tmp_path, body)
    msg = run.only_error()
    assert run.rc == 1, run.stderr
    assert str(run.config) in msg, f"file not named: {msg}"
    rest = without_path(msg, run.config)
    assert re.search(rf"(?<![\d.]){line}(?![\d.])", rest), f"line {line} not named: {msg}"


def test_missing_config_file(serve_binary, tmp_path):
    missing = tmp_path / "does-not-exist.ini"
    res = subprocess.run([str(serve_binary), str(missing), "--bind", f"127.0.0.1:{free_port()}"],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         timeout=STARTUP_TIMEOUT)
    assert res.returncode in (1, 2), res
    assert str(missing) in res.stderr, res.stderr


# ---------------------------------------------------------------------------------------------
# Warnings: keys baseplate.py knows that this server does not implement yet
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line,key", [
    ("monitoring.gc.timing = true", "monitoring.gc.timing"),
    ("monitoring.gc.refcycle = /tmp", "monitoring.gc.refcycle"),
])
def test_known_but_unimplemented_key_warns_once(launch, line, key):
    srv = launch(ini_with(line + "\n"))
    try:
        assert bpwire.call(srv.port, "header-compact", 1).success is True
        recs = srv.records()
    finally:
        srv.kill()
    warnings = [r for r in recs if r.get("level") == "WARNING"]
    assert len(warnings) == 1, [r["raw"] for r in warnings]
    assert key in str(warnings[0]["message"]), warnings[0]["raw"]
    assert not [r for r in recs if r.get("level") in ("ERROR", "CRITICAL")]


# ---------------------------------------------------------------------------------------------
# INI semantics seen through the server
# ---------------------------------------------------------------------------------------------

def limits(port: int):
    """Which of the probe frame lengths the server accepts."""
    return {n: bpwire.frame_size_accepted(port, n, wait=0.3) for n in (SMALL, MID, BIG)}


ONLY_SMALL = {SMALL: True, MID: False, BIG: False}
UP_TO_MID = {SMALL: True, MID: True, BIG: False}
ALL = {SMALL: True, MID: True, BIG: True}


@pytest.mark.parametrize("value", ["$BPIT_FRAME", "${BPIT_FRAME}"])
def test_env_var_expanded_when_set(launch, monkeypatch, value):
    monkeypatch.setenv("BPIT_FRAME", "4096")
    srv = launch(ini_with(f"max_frame_size = {value}\n"))
    try:
        assert limits(srv.port) == ONLY_SMALL
    finally:
        srv.kill()


def test_env_var_expanded_inside_a_value_and_in_the_factory(launch, monkeypatch):
    monkeypatch.setenv("BPIT_MODULE", "ExampleService")
    monkeypatch.setenv("BPIT_DIGITS", "9")
    ini = ini_with("max_frame_size = 81${BPIT_DIGITS}2\n").replace(
        "factory = ExampleService:make_processor", "factory = ${BPIT_MODULE}:make_processor")
    srv = launch(ini)
    try:
        assert limits(srv.port) == UP_TO_MID        # 8192
    finally:
        srv.kill()


@pytest.mark.parametrize("value", ["$BPIT_UNSET_VAR", "${BPIT_UNSET_VAR}", "${this:is:not:valid}"])
def test_unset_or_invalid_variable_stays_verbatim(serve_binary, tmp_path, monkeypatch, value):
    """Unset: the text is kept as written, so the integer parse fails naming the raw value."""
    monkeypatch.delenv("BPIT_UNSET_VAR", raising=False)
    run = run_serve(serve_binary, tmp_path, ini_with(f"max_frame_size = {value}\n"))
    msg = run.only_error()
    assert run.rc == 1, run.stderr
    assert "max_frame_size" in msg and value in msg, msg


def test_unset_variable_in_app_section_is_harmless(launch, monkeypatch):
    monkeypatch.delenv("BPIT_UNSET_VAR", raising=False)
    srv = launch(ini_with(app_keys="some_key = $BPIT_UNSET_VAR and 37%\n"))
    try:
        assert bpwire.call(srv.port, "header-compact", 1).success is True
    finally:
        srv.kill()


def test_default_section_is_inherited_and_overridden(launch):
    ini = ("[DEFAULT]\nmax_frame_size = 4096\n\n"
           "[app:main]\nfactory = ExampleService:make_processor\n\n"
           "[server:main]\nfactory = baseplate.server.thrift\n\n"
           "[server:override]\nfactory = baseplate.server.thrift\nmax_frame_size = 8192\n")
    srv = launch(ini)
    srv2 = launch(ini, args=("--server-name", "override"))
    try:
        assert limits(srv.port) == ONLY_SMALL
        assert limits(srv2.port) == UP_TO_MID
    finally:
        srv.kill()
        srv2.kill()


def test_option_names_are_lower_cased_and_colon_delimits(launch):
    srv = launch(ini_with("MAX_Frame_Size: 4096\n"))
    try:
        assert limits(srv.port) == ONLY_SMALL
    finally:
        srv.kill()


def test_custom_section_names(launch):
    ini = ("[app:other]\nfactory = ExampleService:make_processor\n\n"
           "[server:small]\nfactory = baseplate.server.thrift\nmax_frame_size = 4096\n\n"
           "[server:main]\nfactory = baseplate.server.thrift\n")
    srv = launch(ini, args=("--app-name", "other", "--server-name", "small"))
    srv_main_server = launch(ini, args=("--app-name", "other"))
    try:
        assert limits(srv.port) == ONLY_SMALL
        assert limits(srv_main_server.port) == ALL
    finally:
        srv.kill()
        srv_main_server.kill()


@pytest.mark.parametrize("args,section", [(("--app-name", "nope"), "app:nope"),
                                          (("--server-name", "nope"), "server:nope")])
def test_custom_section_name_missing(serve_binary, tmp_path, args, section):
    run = run_serve(serve_binary, tmp_path, BASE_INI, args=args)
    msg = run.only_error()
    assert run.rc == 1, run.stderr
    assert section in msg, msg

"""The command lines of our three tools against baseplate.py's (argparse), side by side.

For every malformed command line both programs must exit 2 with the same stderr (argparse's
usage block and `PROG: error: ...` line, word for word); for --help/-h both exit 0 with the same
usage block on stdout and nothing on stderr. The help texts after the usage are our own.
Success paths for `--name=value`, prefixes and `--` are in test_tools.py (healthcheck, script,
against baseplate.py) and below (serve)."""

import os
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

import bpwire
from bpwire import ini_with

TIMEOUT = 30


def run(argv, columns="80") -> subprocess.CompletedProcess:
    # argparse wraps to $COLUMNS (else the terminal): fixed here for both programs
    env = dict(os.environ, COLUMNS=columns)
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=TIMEOUT, cwd=bpwire.REPO_ROOT)


@pytest.fixture(scope="session")
def tools(venv_bin, serve_binary, our_healthcheck, our_script):
    """{name: (ours, baseplate.py's)}"""
    pairs = {"serve": (serve_binary, venv_bin / "baseplate-serve"),
             "healthcheck": (our_healthcheck, venv_bin / "baseplate-healthcheck"),
             "script": (our_script, venv_bin / "baseplate-script")}
    for _, theirs in pairs.values():
        if not theirs.exists():
            pytest.fail(f"{theirs} missing: install Tests/Integration/requirements.txt")
    return pairs


@pytest.fixture
def ini(tmp_path):
    """An existing config file: baseplate.py opens config_file while parsing (FileType)."""
    path = tmp_path / "cli.ini"
    path.write_text(ini_with(""))
    return str(path)


def both(tools, tool, argv, columns="80"):
    ours, theirs = tools[tool]
    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(run, [ours, *argv], columns)
        b = pool.submit(run, [theirs, *argv], columns)
        return a.result(), b.result()


def describe(res) -> str:
    return f"exit {res.returncode}\nstdout: {res.stdout[-800:]!r}\nstderr: {res.stderr[-800:]!r}"


USAGE_ERRORS = {
    "serve": [
        [],                                   # the following arguments are required: config_file
        ["INI", "--nope"],                    # unrecognized arguments
        ["--nope", "INI", "extra", "-x"],     # all of them, in order
        ["INI", "--bind"],                    # expected one argument
        ["INI", "--bind", "--debug"],         # an option is not a value
        ["INI", "--app-name"],
        ["INI", "--server-name=main", "--server-name"],
        ["INI", "--debug=1"],                 # ignored explicit argument
        ["INI", "--bind=nope"],               # invalid Endpoint value
        ["INI", "--bind", ""],
        ["INI", "--bind", "host:notaport"],
        ["INI", "--bi=it's"],                 # a prefix; repr's other quotes
        ["--", "INI", "--debug"],             # after --, options are positionals
    ],
    "healthcheck": [
        [],
        ["thrift"],
        ["--probe"],
        ["foo", "127.0.0.1:9090"],            # invalid choice (type)
        ["--probe", "x", "thrift", "127.0.0.1:9090"],
        ["--pr=bogus", "thrift", "127.0.0.1:9090"],
        ["thrift", "nope"],                   # invalid Endpoint value (endpoint)
        ["thrift", "127.0.0.1:9090", "extra"],
        ["--x", "thrift", "127.0.0.1:9090", "-5"],
    ],
    "script": [
        [],
        ["INI"],
        ["INI", "--app-name"],
        ["INI", "ExampleService:print_args", "--debug=yes"],
        ["--app-name", "--debug", "INI", "ExampleService:print_args"],
    ],
}


@pytest.mark.parametrize("tool,argv", [(t, a) for t, cases in USAGE_ERRORS.items() for a in cases],
                         ids=[f"{t}:{' '.join(a) or '(none)'}" for t, cases in USAGE_ERRORS.items()
                              for a in cases])
def test_usage_errors_match_argparse(tools, ini, tool, argv):
    argv = [ini if a == "INI" else a for a in argv]
    ours, theirs = both(tools, tool, argv)
    assert theirs.returncode == 2 and "error: " in theirs.stderr, describe(theirs)
    assert ours.returncode == 2, describe(ours)
    assert ours.stderr == theirs.stderr, f"ours:\n{ours.stderr}\nbaseplate.py's:\n{theirs.stderr}"
    assert ours.stdout == ""


@pytest.mark.parametrize("tool", ["serve", "healthcheck", "script"])
@pytest.mark.parametrize("flag,columns", [("--help", "80"), ("-h", "80"), ("--he", "80"),
                                          ("--help", "50"), ("--help", "200")])
def test_help(tools, ini, tool, flag, columns):
    """Help wins over errors found later (a missing positional, an unknown option)."""
    ours, theirs = both(tools, tool, ["--nope", flag], columns)
    assert theirs.returncode == 0, describe(theirs)
    assert (ours.returncode, ours.stderr) == (0, ""), describe(ours)
    usage = theirs.stdout.split("\n\n")[0]
    assert usage.startswith(f"usage: baseplate-{tool} [-h]"), describe(theirs)
    assert ours.stdout.split("\n\n")[0] == usage, f"ours:\n{ours.stdout}\nbaseplate.py's:\n{theirs.stdout}"
    described = [line.split()[0] for line in ours.stdout.splitlines() if line.startswith("  ")]
    for name in ["-h,"] + [part.strip("[]") for part in usage.split() if part.startswith("[--")]:
        assert name in described, f"{name} not described:\n{ours.stdout}"


def test_help_comes_before_a_value_error(tools):
    """argparse reads left to right: an invalid choice before --help is the error."""
    ours, theirs = both(tools, "healthcheck", ["--probe", "nope", "--help"])
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr) == (2, theirs.stderr)


def test_serve_equals_form_prefixes_and_last_wins(launch):
    """`--bind=...` given after the fixture's `--bind HOST:PORT` wins; `--app=` and `--server`
    are unique prefixes of --app-name and --server-name (only those sections exist)."""
    ini = ("[app:other]\nfactory = ExampleService:make_processor\n\n"
           "[server:small]\nfactory = baseplate.server.thrift\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        other_port = s.getsockname()[1]
    srv = launch(ini, args=(f"--bind=127.0.0.1:{other_port}", "--app=other", "--server", "small"),
                 wait=False)
    try:
        srv.wait_serving(port=other_port)
        assert srv.alive()
    finally:
        srv.kill()

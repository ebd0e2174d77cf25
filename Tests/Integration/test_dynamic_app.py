"""An app factory in a shared library: `factory = ExampleDynamic:make_processor` loads
libExampleDynamic.so (built by `make example-dynamic` next to baseplate-serve) from beside the
INI file or from BASEPLATE_APP_PATH, and its own handler answers."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import free_port, require_real_server

INI = """[app:main]
factory = ExampleDynamic:make_processor
{extra}

[server:main]
factory = baseplate.server.thrift
drain_time = 1 millisecond
"""


def library() -> Path:
    lib = require_real_server().parent / "libExampleDynamic.so"
    if not lib.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{lib} missing: `make example-dynamic` builds it")
        pytest.skip(f"{lib} missing: run `make example-dynamic`")
    return lib


def probe(healthcheck: Path, port: int, which: str) -> int:
    return subprocess.run([str(healthcheck), "--probe", which, "thrift", f"127.0.0.1:{port}"],
                          capture_output=True, timeout=30).returncode


def test_library_next_to_the_config(launch, tmp_path, our_healthcheck):
    shutil.copy(library(), tmp_path / "libExampleDynamic.so")
    server = launch(INI.format(extra=""))
    assert probe(our_healthcheck, server.port, "readiness") == 0
    # The library's handler answers STARTUP from its own config: unset means not ready.
    assert probe(our_healthcheck, server.port, "startup") == 1


def test_library_on_baseplate_app_path(launch, tmp_path, our_healthcheck):
    libs = tmp_path / "libs"
    libs.mkdir()
    shutil.copy(library(), libs / "libExampleDynamic.so")
    server = launch(INI.format(extra="startup_ready = true"),
                    env_extra={"BASEPLATE_APP_PATH": f"/nonexistent:{libs}"})
    assert probe(our_healthcheck, server.port, "startup") == 0


def test_missing_library_is_need_app(tmp_path):
    binary = require_real_server()
    config = tmp_path / "app.ini"
    config.write_text(INI.format(extra="").replace("ExampleDynamic", "NoSuchApp"))
    done = subprocess.run([str(binary), str(config), "--bind", f"127.0.0.1:{free_port()}"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    lines = [l for l in done.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, done.stderr
    assert f"{tmp_path}/libNoSuchApp.so" in lines[0]
    assert "searched: the factories linked into this binary" in lines[0]


def test_missing_function_is_need_app(tmp_path):
    shutil.copy(library(), tmp_path / "libExampleDynamic.so")
    config = tmp_path / "app.ini"
    config.write_text(INI.format(extra="").replace("make_processor", "no_such_function"))
    done = subprocess.run([str(require_real_server()), str(config), "--bind", f"127.0.0.1:{free_port()}"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "has no function 'no_such_function'" in done.stderr

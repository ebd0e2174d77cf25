"""--reload (development): a change to the config file re-executes the server in place."""

import os
import time

from bpwire import BASE_INI


def test_config_change_reexecs_the_server(launch):
    server = launch(BASE_INI, args=["--reload"])
    pid = server.pid
    time.sleep(0.3)
    later = time.time() + 5
    os.utime(server.config_path, (later, later))
    server.wait_log("changed; reloading", timeout=5.0)
    # exec keeps the pid; the new image logs its start again and serves.
    server.wait_for(lambda: sum(1 for r in server.records() if r.get("message", "").startswith("Listening on")) >= 2,
                    "the re-executed server to listen", timeout=10.0)
    server.wait_serving()
    assert server.pid == pid

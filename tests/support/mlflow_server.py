"""A real MLflow server for the module tests: the test environment's MLflow (requirements-test.txt
pins the release the role installs), started with the role's flags on a free loopback port.

    with mlflow_server(base, extra_args=[...], env={...}) as server:
        server["url"], server["port"], server["log"]
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

MLFLOW = shutil.which("mlflow", path=str(Path(sys.executable).parent))
ALLOWED_HOSTS = "localhost,localhost:*,127.0.0.1,127.0.0.1:*,lab-pc-07,lab-pc-07:*"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def mlflow_server(base, db, extra_args=(), env=None):
    """Run `mlflow server` from `base` (its log in base/mlflow.log, artifacts in base/mlartifacts)
    with the SQLite database `db`, one worker and the role's artifact and Host flags; stop it
    on exit. `env` adds to this process's environment (a None value removes the variable)."""
    assert MLFLOW, "mlflow is not installed beside this Python: pip install -r requirements-test.txt"
    base = Path(base)
    (base / "mlartifacts").mkdir(exist_ok=True)
    port = free_port()
    environment = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false", MLFLOW_DISABLE_TELEMETRY="true")
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    with open(base / "mlflow.log", "w") as log:
        proc = subprocess.Popen(
            [
                MLFLOW, "server", *extra_args,
                "--host", "127.0.0.1",
                "--port", str(port),
                "--workers", "1",
                "--backend-store-uri", "sqlite:///%s" % db,
                "--artifacts-destination", str(base / "mlartifacts"),
                "--serve-artifacts",
                "--allowed-hosts", ALLOWED_HOSTS,
            ],
            cwd=base,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield {"url": "http://127.0.0.1:%d" % port, "port": port, "log": base / "mlflow.log", "process": proc}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

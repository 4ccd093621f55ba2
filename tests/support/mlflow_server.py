"""A real MLflow server for the module tests: the test environment's MLflow (requirements-test.txt
pins the release the role installs), started with the role's flags on a free loopback port.

    with mlflow_server(base, extra_args=[...], env={...}) as server:
        server["url"], server["port"], server["log"]

    with basic_auth_server(base, ("admin", "a-long-password")) as server:   # --app-name basic-auth, up
        rest(server["url"], "GET", "/api/2.0/mlflow/users/current", auth=("admin", "a-long-password"))
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
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


def rest(url, method, path, auth=None, body=None, host=None):
    """One REST call, as `auth` (user, password) or without credentials: (status, JSON or text)."""
    request = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode())
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode())
    if host is not None:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, text = answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


@contextlib.contextmanager
def basic_auth_server(base, admin, ini_extra=""):
    """mlflow_server with MLflow's basic-auth app: its users in a SQLite database of its own, no
    permission by default, the admin `admin` (user, password) made on its first start; nothing of
    this shell's session logs in for it. Yields once the admin can log in (180 s at most)."""
    base = Path(base)
    (base / "basic_auth.ini").write_text(
        "[mlflow]\n"
        "default_permission = NO_PERMISSIONS\n"
        "database_uri = sqlite:///%s\n"
        "admin_username = %s\n%s" % (base / "basic_auth.db", admin[0], ini_extra)
    )
    env = {
        "MLFLOW_AUTH_CONFIG_PATH": str(base / "basic_auth.ini"),
        "MLFLOW_AUTH_ADMIN_PASSWORD": admin[1],
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-secret-key-0123456789",
        # The admin comes from the ini; nothing of this shell's session may log in for the server.
        "MLFLOW_AUTH_ADMIN_USERNAME": None, "MLFLOW_TRACKING_USERNAME": None, "MLFLOW_TRACKING_PASSWORD": None,
    }
    with mlflow_server(base, base / "mlflow.db", extra_args=["--app-name", "basic-auth"], env=env) as running:
        deadline = time.monotonic() + 180
        while True:
            assert running["process"].poll() is None, "mlflow server exited:\n" + running["log"].read_text()[-3000:]
            try:
                if rest(running["url"], "GET", "/api/2.0/mlflow/users/current", auth=admin)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "mlflow server not up after 180 s:\n" + running["log"].read_text()[-3000:]
            time.sleep(0.5)
        yield running

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tracking_health
short_description: Check that an MLflow tracking server works the way a student's client uses it
version_added: "0.1.0"
description:
  - Checks one MLflow tracking server over HTTP, the way a student's browser and Python client
    will use it, and returns what it found.
  - Sends C(GET /health) and C(GET /version), then a real REST API call (an experiments search)
    with the chosen C(Host) header. MLflow exempts C(/health) from its Host header check, so only
    the API call proves that a student who types the lab PC's name in the URL is not refused with
    C(403 Invalid Host header).
  - With O(check_artifacts), also checks that the artifact proxy answers a read-only listing and
    that the default experiment stores its artifacts through it (C(mlflow-artifacts:/...)), so a
    client on another PC can upload artifacts.
  - For an C(https) O(url) (with O(validate_certs)), first makes a TLS connection and verifies the
    server's certificate (its chain, with O(ca_path) when given, and that it covers the host of
    O(url)); returns its end date and the days left in RV(certificate). An expired certificate, one
    for another name or one from an unknown CA makes the server unhealthy at once, saying which.
  - Waits for a server that is still starting, retrying until O(timeout) seconds have passed.
    Errors that waiting cannot fix (a refused Host header, a failed login) end the wait at once.
  - Never changes anything on the server; it always reports C(changed=false).
author:
  - labroom.mlflow contributors (@labroom)
extends_documentation_fragment:
  - labroom.mlflow.mlflow_connection
options:
  timeout:
    description:
      - Seconds to wait for the server to become healthy before failing (O(request_timeout)
        limits each request).
      - V(0) checks once, without waiting.
    type: int
    default: 60
  interval:
    description:
      - Seconds between two attempts while waiting.
    type: float
    default: 1.0
  check_artifacts:
    description:
      - Also check the artifact proxy (C(--serve-artifacts)) and the default experiment's
        artifact location.
      - Set to V(false) for a server that stores artifacts elsewhere on purpose.
    type: bool
    default: true
  count_runs:
    description:
      - Also count the active runs of every active experiment (one runs search per 1000 runs),
        for a room report.
    type: bool
    default: false
  fail_on_unhealthy:
    description:
      - When V(true), an unhealthy server fails the task.
      - When V(false), the task succeeds with RV(healthy=false) and the cause in RV(error), so
        that a room report can list the host instead of stopping on it.
    type: bool
    default: true
notes:
  - Supports check mode; the module only reads.
  - HTTP goes through C(ansible.module_utils.urls), so proxies and certificate settings are
    honoured as in M(ansible.builtin.uri).
seealso:
  - module: ansible.builtin.uri
  - name: MLflow tracking server
    description: How MLflow's tracking server is run and secured.
    link: https://mlflow.org/docs/latest/self-hosting/
"""

EXAMPLES = r"""
- name: Check the server on this lab PC as a student's browser would reach it
  labroom.mlflow.tracking_health:
    url: http://127.0.0.1:8080
    host_header: "{{ inventory_hostname }}:8080"
    timeout: 120

- name: Check every PC of the room from the controller, without stopping on a bad one
  labroom.mlflow.tracking_health:
    url: "http://{{ inventory_hostname }}:8080"
    timeout: 5
    fail_on_unhealthy: false
  delegate_to: localhost
  register: health

- name: Check a course server through its HTTPS front by its public name, on the server itself
  labroom.mlflow.tracking_health:
    url: https://mlflow.cs.example.ac.th
    connect_address: 127.0.0.1
    ca_path: /opt/mlflowserver-lab/tls/ca.crt
    url_username: admin
    url_password: "{{ mlflow_server_admin_password }}"
  register: health

- name: A server that keeps artifacts in object storage, behind basic authentication
  labroom.mlflow.tracking_health:
    url: https://mlflow.school.example
    check_artifacts: false
    url_username: instructor
    url_password: "{{ vault_mlflow_password }}"
"""

RETURN = r"""
healthy:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: true
url:
  description: The base URL that was checked.
  returned: always
  type: str
  sample: http://127.0.0.1:8080
host_header:
  description: The C(Host) header sent with the API calls.
  returned: always
  type: str
  sample: lab-pc-07:8080
version:
  description: MLflow version the server reports on C(/version).
  returned: when the server answered /version
  type: str
  sample: 3.17.2
latency_ms:
  description: Milliseconds the experiments search took, the round trip a client's first call makes.
  returned: when the API call succeeded
  type: float
  sample: 12.4
experiment_count:
  description: Number of active experiments on the server.
  returned: when the API call succeeded
  type: int
  sample: 1
run_count:
  description: Number of active runs in the active experiments.
  returned: when O(count_runs=true) and the API calls succeeded
  type: int
  sample: 12
artifact_proxy_ok:
  description:
    - Whether the artifact proxy answered a read-only listing.
    - V(null) when it was not checked (O(check_artifacts=false), or an earlier check failed).
  returned: always
  type: bool
  sample: true
default_artifact_location:
  description: Artifact location of the default experiment (id C(0)); V(null) when it was deleted.
  returned: when the API call succeeded
  type: str
  sample: mlflow-artifacts:/0
certificate:
  description:
    - The HTTPS server's certificate, as verified. V(null) for an C(http) O(url), with
      O(validate_certs=false), or when the TLS connection failed.
  returned: always
  type: dict
  contains:
    not_after:
      description: When it expires (UTC).
      type: str
      sample: "2027-12-05T19:30:00Z"
    days_left:
      description: Whole days until then.
      type: int
      sample: 364
    names:
      description: The names and addresses it covers (its subject alternative names).
      type: list
      elements: str
      sample: [course-server, mlflow.cs.example.ac.th]
    issuer:
      description: The common name of the CA that signed it.
      type: str
      sample: labroom.mlflow CA
attempts:
  description: Number of attempts made.
  returned: always
  type: int
  sample: 3
elapsed:
  description: Seconds spent until the server was found healthy (or the check gave up).
  returned: always
  type: float
  sample: 2.35
status:
  description: HTTP status of the last request; C(-1) when no HTTP answer came (connection refused, time-out).
  returned: always
  type: int
  sample: 200
error:
  description: Why the server is unhealthy, naming the URL and the cause.
  returned: when healthy is false
  type: str
  sample: "GET http://lab-pc-07:8080/health: connection refused after 30 s"
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labroom.mlflow.plugins.module_utils.mlflow_http import (
    MLFLOW_CONNECTION_REQUIRED_BY,
    MlflowClient,
    MlflowError,
    mlflow_connection_argument_spec,
)

ARTIFACT_PREFIX = "mlflow-artifacts:"
ARGUMENT_SPEC = dict(
    mlflow_connection_argument_spec(),
    timeout=dict(type="int", default=60),
    interval=dict(type="float", default=1.0),
    check_artifacts=dict(type="bool", default=True),
    count_runs=dict(type="bool", default=False),
    fail_on_unhealthy=dict(type="bool", default=True),
)
MAX_PAGES = 100


class TrackingServer(MlflowClient):
    """The HTTP calls a student's client makes, against one server. Raises MlflowError, `final`
    when waiting cannot fix it."""

    def get(self, path, params=None, host_header=True, body=None):
        """GET `path` (or POST the JSON `body` to it) and return the answer's text."""
        answer = self.request("GET" if body is None else "POST", path, params=params, body=body, host_header=host_header)
        status = answer.status
        if status in (401, 403):
            username = self.module.params.get("url_username")
            if username:
                message = (
                    "%s: HTTP %d, the server refused the account %r: its password is not url_password "
                    "(with the labroom.mlflow.mlflow_server role: mlflow_server_admin_password, which MLflow "
                    "takes only on its first start; see docs/course-server.md to change it)" % (answer.where, status, username)
                )
            else:
                message = "%s: HTTP %d, the server wants credentials (set url_username and url_password)" % (answer.where, status)
            raise MlflowError(message, status=status, final=True)
        if status != 200:
            detail = answer.text.strip()[:200] or answer.info.get("msg", "")
            raise MlflowError("%s: HTTP %d %s" % (answer.where, status, detail), status=status)
        return answer.text

    def get_json(self, path, params=None, body=None):
        answer = self.get(path, params, body=body)
        try:
            return json.loads(answer)
        except ValueError:
            raise MlflowError("%s%s: answer is not JSON: %r" % (self.url, path, answer[:120]), status=self.last_status)

    def search(self, path, key, body):
        """Every item of a paginated search (POST with a JSON body), up to MAX_PAGES pages."""
        items = []
        token = None
        for _page in range(MAX_PAGES):
            page = self.get_json(path, body=dict(body, page_token=token) if token else body)
            items.extend(page.get(key, []))
            token = page.get("next_page_token")
            if not token:
                break
        return items


def check_once(server, check_artifacts, count_runs, facts):
    """Run every check once, recording what it learns in `facts`; raise MlflowError on failure."""
    facts["certificate"] = server.certificate()
    health = server.get("/health", host_header=False)
    if health.strip() != "OK":
        raise MlflowError(
            "GET %s/health: answered %r, expected 'OK'" % (server.url, health.strip()[:80]),
            status=server.last_status,
        )
    facts["version"] = server.get("/version", host_header=False).strip()

    started = time.monotonic()
    page = server.get_json("/api/2.0/mlflow/experiments/search", {"max_results": 1000})
    facts["latency_ms"] = round((time.monotonic() - started) * 1000.0, 1)
    experiments = page.get("experiments", [])
    pages = 1
    while page.get("next_page_token") and pages < MAX_PAGES:
        page = server.get_json(
            "/api/2.0/mlflow/experiments/search",
            {"max_results": 1000, "page_token": page["next_page_token"]},
        )
        experiments += page.get("experiments", [])
        pages += 1
    facts["experiment_count"] = len(experiments)

    if count_runs:
        ids = [experiment["experiment_id"] for experiment in experiments]
        runs = 0
        # The runs search takes at most 100 experiment ids per call.
        for start in range(0, len(ids), 100):
            runs += len(
                server.search(
                    "/api/2.0/mlflow/runs/search",
                    "runs",
                    {"experiment_ids": ids[start:start + 100], "max_results": 1000, "run_view_type": "ACTIVE_ONLY"},
                )
            )
        facts["run_count"] = runs

    try:
        default = server.get_json("/api/2.0/mlflow/experiments/get", {"experiment_id": "0"})
        facts["default_artifact_location"] = default.get("experiment", {}).get("artifact_location")
    except MlflowError as exc:
        if exc.status != 404:
            raise
        facts["default_artifact_location"] = None

    if check_artifacts:
        facts["artifact_proxy_ok"] = False
        location = facts["default_artifact_location"]
        if location is not None and not location.startswith(ARTIFACT_PREFIX):
            raise MlflowError(
                "%s: the default experiment stores artifacts at %r, not through the server's artifact "
                "proxy (%s/...); students' clients on other PCs cannot upload there. Start the server "
                "with --serve-artifacts and --artifacts-destination (an experiment's artifact location "
                "is fixed when it is created)." % (server.url, location, ARTIFACT_PREFIX),
                status=server.last_status,
                final=True,
            )
        server.get_json("/api/2.0/mlflow-artifacts/artifacts", {"path": ""})
        facts["artifact_proxy_ok"] = True


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        required_by=MLFLOW_CONNECTION_REQUIRED_BY,
        supports_check_mode=True,
    )
    params = module.params
    server = TrackingServer(module)
    if params["timeout"] < 0:
        module.fail_json(msg="timeout must be 0 or more seconds (is %s)" % params["timeout"], url=server.url)
    if params["interval"] <= 0:
        module.fail_json(msg="interval must be more than 0 seconds (is %s)" % params["interval"], url=server.url)

    result = dict(
        changed=False,
        healthy=False,
        url=server.url,
        host_header=server.host_header,
        artifact_proxy_ok=None,
        certificate=None,
        attempts=0,
    )

    started = time.monotonic()
    deadline = started + params["timeout"]
    error = None
    while True:
        result["attempts"] += 1
        try:
            check_once(server, params["check_artifacts"], params["count_runs"], result)
            result["healthy"] = True
            error = None
            break
        except MlflowError as exc:
            error = exc
        if error.final or time.monotonic() + params["interval"] > deadline:
            break
        time.sleep(params["interval"])

    result["elapsed"] = round(time.monotonic() - started, 2)
    result["status"] = server.last_status
    if error is not None:
        if not error.final and params["timeout"] > 0:
            message = "%s after %d s" % (error, params["timeout"])
        else:
            message = str(error)
        result["error"] = message
        if params["fail_on_unhealthy"]:
            module.fail_json(msg=message, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mlflow_runs
short_description: Collect the runs of a class from an MLflow tracking server, for grading
version_added: "0.8.0"
description:
  - Reads the active runs of an MLflow tracking server over its REST API and returns each one
    with its experiment, times, status, parameters, latest metric values and who logged it from
    where, for an instructor to collect a class's work.
  - Searches the active experiments (or only O(experiment_names)) with
    C(POST /api/2.0/mlflow/experiments/search), then their active runs with
    C(POST /api/2.0/mlflow/runs/search), up to 100 experiments per search, oldest run first,
    page by page (O(page_size) runs a page) until the server gives no next page token.
  - On a server with MLflow's basic authentication, O(url_username) should be an admin. MLflow
    leaves out of both searches, without an error, the experiments another account cannot read;
    the module then warns that the list may be incomplete.
  - Never changes anything on the server; it always reports C(changed=false).
author:
  - labroom.mlflow contributors (@labroom)
extends_documentation_fragment:
  - labroom.mlflow.mlflow_connection
options:
  experiment_names:
    description:
      - Only the runs of the experiments of these names (for example the students' own
        experiments, named after their user names).
      - A name with no active experiment is not an error; it is returned in
        RV(missing_experiments).
      - Default is every active experiment of the server.
    type: list
    elements: str
  since:
    description:
      - Only the runs started at or after this time.
      - An ISO 8601 date or time, such as V(2026-12-01) (midnight) or V(2026-12-01T08:00:00Z); a
        time without an offset (V(Z), V(+07:00)) is taken as UTC. Or an integer, the time in
        milliseconds since 1970-01-01 UTC, as MLflow stores it.
    type: str
  page_size:
    description:
      - Number of experiments or runs the server sends per answer, from V(1) to V(1000).
      - A smaller page makes more requests, each lighter for the server.
    type: int
    default: 500
  artifacts:
    description:
      - Paths of files in each run's artifacts to look for, relative to the run's artifact root,
        such as V(model/MLmodel) or V(confusion_matrix.png).
      - Each run's RV(runs[].artifacts) then says, for each path, whether the run has that file
        and its size, from C(GET /api/2.0/mlflow/artifacts/list) (one request per run and
        folder). The module does not download the files.
      - A path may not be absolute nor contain V(..).
    type: list
    elements: str
  artifact_max_bytes:
    description:
      - Largest size of a file of O(artifacts) that counts as V(found); a larger one is
        V(too_large).
    type: int
    default: 1048576
notes:
  - Supports check mode; the module only reads.
  - MLflow's page tokens are offsets into the search's result. A run deleted while the module
    pages may so be missed, and a run created meanwhile with an earlier start time (runs are
    read oldest first) may come twice; a run that comes twice is returned once and counted in
    RV(duplicates_dropped).
  - HTTP goes through C(ansible.module_utils.urls), so proxies and certificate settings are
    honoured as in M(ansible.builtin.uri).
seealso:
  - module: labroom.mlflow.mlflow_accounts
  - module: labroom.mlflow.tracking_health
  - name: MLflow REST API
    description: The experiments and runs searches this module makes.
    link: https://mlflow.org/docs/latest/rest-api.html
"""

EXAMPLES = r"""
- name: Collect the class's runs of this term from the course server, through its HTTPS front
  labroom.mlflow.mlflow_runs:
    url: https://mlflow.cs.example.ac.th
    connect_address: 127.0.0.1
    ca_path: /opt/mlflowserver-lab/tls/ca.crt
    url_username: admin
    url_password: "{{ mlflow_server_admin_password }}"
    since: "2026-12-01"
  register: work

- name: Keep them on the controller for grading
  ansible.builtin.copy:
    content: "{{ work.runs | to_nice_json }}"
    dest: "grades/runs-{{ inventory_hostname }}.json"
    mode: "0600"
  delegate_to: localhost

- name: Only the students' own experiments, runs started after the lab began
  labroom.mlflow.mlflow_runs:
    url: https://mlflow.cs.example.ac.th
    url_username: admin
    url_password: "{{ mlflow_server_admin_password }}"
    experiment_names: "{{ students | map(attribute='username') }}"
    since: "2026-12-08T09:00:00+07:00"
  register: lab
# lab.missing_experiments: students without an experiment; lab.experiments: run_count of each
"""

RETURN = r"""
runs:
  description:
    - The active runs, each once, the oldest first.
  returned: success
  type: list
  elements: dict
  contains:
    experiment:
      description: Name of the run's experiment.
      type: str
      sample: alice
    experiment_id:
      description: ID of the run's experiment.
      type: str
      sample: "3"
    run_id:
      description: ID of the run.
      type: str
      sample: 5f0c2d4c8e6b4a0f9d1e2b3c4a5d6e7f
    run_name:
      description: Name of the run.
      type: str
      sample: bouncy-owl-42
    status:
      description: C(RUNNING), C(SCHEDULED), C(FINISHED), C(FAILED) or C(KILLED).
      type: str
      sample: FINISHED
    start_time:
      description: When the run started, ISO 8601 in UTC, to the millisecond.
      type: str
      sample: "2026-12-08T02:15:30.250Z"
    end_time:
      description: When the run ended, ISO 8601 in UTC; V(null) while it has not ended.
      type: str
      sample: "2026-12-08T02:17:02.004Z"
    params:
      description: The run's parameters, by name.
      type: dict
      sample: {"alpha": "0.5", "model": "ridge"}
    metrics:
      description: The latest value of each of the run's metrics, by name.
      type: dict
      sample: {"rmse": 0.71, "r2": 0.42}
    user:
      description: Who logged the run (its tag C(mlflow.user)); V(null) without that tag.
      type: str
      sample: alice
    source:
      description: What logged the run, such as a script or notebook (its tag C(mlflow.source.name)).
      type: str
      sample: train.py
    source_type:
      description: Kind of that source (its tag C(mlflow.source.type)), such as C(LOCAL) or C(NOTEBOOK).
      type: str
      sample: LOCAL
    artifact_uri:
      description: Where the server keeps the run's artifacts.
      type: str
      sample: mlflow-artifacts:/3/5f0c2d4c8e6b4a0f9d1e2b3c4a5d6e7f/artifacts
    artifacts:
      description:
        - For each path of O(artifacts), in that order, what the run has there; only with
          O(artifacts).
        - I(state) is V(found) (a file of at most O(artifact_max_bytes)), V(too_large), V(directory)
          or V(missing); I(size) is the file's size in bytes, V(null) when it is not a file.
      type: list
      elements: dict
      sample: [{"path": "model/MLmodel", "state": "found", "size": 512}]
run_count:
  description: Number of runs in RV(runs).
  returned: success
  type: int
  sample: 1200
experiments:
  description:
    - The experiments searched, with their number of runs in RV(runs), in the order of their IDs
      (or of O(experiment_names)).
  returned: success
  type: list
  elements: dict
  contains:
    experiment_id:
      description: ID of the experiment.
      type: str
      sample: "3"
    name:
      description: Name of the experiment.
      type: str
      sample: alice
    run_count:
      description: Number of its runs in RV(runs).
      type: int
      sample: 40
  sample: [{"experiment_id": "3", "name": "alice", "run_count": 40}]
missing_experiments:
  description: Names in O(experiment_names) that have no active experiment on the server.
  returned: success
  type: list
  elements: str
  sample: [dave]
duplicates_dropped:
  description: Number of runs the server sent more than once across pages, dropped from RV(runs).
  returned: success
  type: int
  sample: 0
since:
  description: O(since) as the module understood it, ISO 8601 in UTC; V(null) without it.
  returned: success
  type: str
  sample: "2026-12-01T00:00:00.000Z"
requests:
  description: Number of HTTP requests the module made.
  returned: always
  type: int
  sample: 5
url:
  description: The base URL of the server.
  returned: always
  type: str
  sample: https://mlflow.cs.example.ac.th
status:
  description: HTTP status of the failed request; C(-1) when no HTTP answer came.
  returned: failure
  type: int
  sample: 401
"""

import datetime
import json
from collections import Counter

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labroom.mlflow.plugins.module_utils.mlflow_http import (
    MLFLOW_CONNECTION_REQUIRED_BY,
    MlflowClient,
    MlflowError,
    mlflow_connection_argument_spec,
    search_pages,
    server_message,
)

ARGUMENT_SPEC = dict(
    mlflow_connection_argument_spec(),
    experiment_names=dict(type="list", elements="str"),
    since=dict(type="str"),
    page_size=dict(type="int", default=500),
    artifacts=dict(type="list", elements="str"),
    artifact_max_bytes=dict(type="int", default=1048576),
)

# MLflow 3.17.2 (mlflow/server/handlers.py, mlflow/store/tracking/sqlalchemy_store.py):
# - max_results may be up to 50000 (SEARCH_MAX_RESULTS_THRESHOLD, checked by _search_runs and
#   _validate_max_results_param); MLflow's own default is 1000 (SEARCH_MAX_RESULTS_DEFAULT). A
#   runs page loads every run's params, metrics, tags and inputs in one query each, the inputs
#   with all its run ids in one IN clause (_get_run_inputs), so pages stay at 1000 at most.
# - Page tokens are base64 JSON offsets (SearchUtils.create_page_token), valid for the same
#   search only; runs are ordered by the order_by, then run_uuid (_get_orderby_clauses).
# - experiment_ids has no limit of its own in runs/search (search_datasets has 20): they all go
#   into one IN clause. Searching 100 at a time keeps that clause small, as MLflow chunks its
#   own IN clauses (100 to 500 ids).
MAX_PAGE_SIZE = 1000
EXPERIMENT_IDS_PER_SEARCH = 100
CURRENT_USER = "/api/2.0/mlflow/users/current"
GET_EXPERIMENT_BY_NAME = "/api/2.0/mlflow/experiments/get-by-name"
SEARCH_EXPERIMENTS = "/api/2.0/mlflow/experiments/search"
SEARCH_RUNS = "/api/2.0/mlflow/runs/search"
LIST_ARTIFACTS = "/api/2.0/mlflow/artifacts/list"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MILLISECOND = datetime.timedelta(milliseconds=1)


def parse_since(value):
    """Epoch milliseconds of `value`: an integer of them, or an ISO 8601 date or time (UTC when it
    names no offset). Raises ValueError."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return (moment - EPOCH) // MILLISECOND


def iso_time(milliseconds):
    """ISO 8601 in UTC, to the millisecond, of epoch `milliseconds`; None for None."""
    if milliseconds is None:
        return None
    return (EPOCH + int(milliseconds) * MILLISECOND).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def run_entry(run, experiment_names):
    """The module's dict of one run of a runs/search answer."""
    info, data = run.get("info", {}), run.get("data", {})
    tags = {tag["key"]: tag.get("value") for tag in data.get("tags", [])}
    return dict(
        experiment=experiment_names.get(info.get("experiment_id")),
        experiment_id=info.get("experiment_id"),
        run_id=info.get("run_id") or info.get("run_uuid"),
        run_name=info.get("run_name") or tags.get("mlflow.runName"),
        status=info.get("status"),
        start_time=iso_time(info.get("start_time")),
        end_time=iso_time(info.get("end_time")),
        params={param["key"]: param.get("value") for param in data.get("params", [])},
        metrics={metric["key"]: metric.get("value") for metric in data.get("metrics", [])},
        user=tags.get("mlflow.user"),
        source=tags.get("mlflow.source.name"),
        source_type=tags.get("mlflow.source.type"),
        artifact_uri=info.get("artifact_uri"),
    )


def artifact_path_problem(path):
    """Why `path` cannot name a file in a run's artifacts, or ''."""
    parts = path.replace("\\", "/").split("/")
    if not path.strip() or path.startswith("/") or ".." in parts or path.endswith("/"):
        return "is not a file's path relative to the run's artifact root (no leading /, no .., no trailing /)"
    return ""


class RunsServer(MlflowClient):
    """The read-only REST calls of this module, against one server."""

    def call(self, method, path, params=None, body=None, expect=(200,)):
        """Send one request; return (status, answer as JSON, {} for another status than 200). A 401
        or 403 says that the account may not read; another status outside `expect` raises
        MlflowError naming the request."""
        answer = self.request(method, path, params=params, body=body)
        if answer.status in (401, 403):
            username = self.module.params["url_username"]
            if answer.status == 403 and username:
                message = "the account %r (url_username) may not read this; use an admin account of the server" % username
            elif username:
                message = "the server refused the account %r (url_username): url_password is not its password" % username
            else:
                message = "the server wants an account that may read every experiment (set url_username and url_password)"
            raise MlflowError("%s: HTTP %d, %s" % (answer.where, answer.status, message), status=answer.status)
        if answer.status not in expect:
            detail = server_message(answer.text) or answer.info.get("msg", "")
            raise MlflowError("%s: HTTP %d %s" % (answer.where, answer.status, detail), status=answer.status)
        if answer.status != 200:
            return answer.status, {}
        try:
            return answer.status, json.loads(answer.text)
        except ValueError:
            raise MlflowError("%s: answer is not JSON: %r" % (answer.where, answer.text[:120]), status=answer.status)

    def post(self, path, body):
        return self.call("POST", path, body=body)[1]

    def account_is_admin(self):
        """Whether url_username is an admin of the server's basic-auth app; None without one."""
        status, answer = self.call("GET", CURRENT_USER, expect=(200, 404))
        return bool(answer.get("user", {}).get("is_admin")) if status == 200 else None

    def experiment(self, name):
        """{"experiment_id", "name", ...} of the active experiment `name`, or None."""
        _status, answer = self.call("GET", GET_EXPERIMENT_BY_NAME, params={"experiment_name": name}, expect=(200, 404))
        experiment = answer.get("experiment")
        return experiment if experiment and experiment.get("lifecycle_stage", "active") == "active" else None

    def experiments(self, page_size):
        # Oldest first (MLflow's default is newest first): one created meanwhile comes last.
        body = {"max_results": page_size, "view_type": "ACTIVE_ONLY", "order_by": ["experiment_id ASC"]}
        return [item for page in search_pages(self.post, SEARCH_EXPERIMENTS, body) for item in page.get("experiments", [])]

    def runs(self, experiment_ids, page_size, since):
        """Every active run of the experiments (started at or after `since`, epoch ms), as sent."""
        body = {"max_results": page_size, "run_view_type": "ACTIVE_ONLY", "order_by": ["attributes.start_time ASC"]}
        if since is not None:
            body["filter"] = "attributes.start_time >= %d" % since
        runs = []
        for start in range(0, len(experiment_ids), EXPERIMENT_IDS_PER_SEARCH):
            batch = dict(body, experiment_ids=experiment_ids[start:start + EXPERIMENT_IDS_PER_SEARCH])
            for page in search_pages(self.post, SEARCH_RUNS, batch):
                runs.extend(page.get("runs", []))
        return runs

    def artifacts_in(self, run_id, folder):
        """{path: {"path", "is_dir", "file_size"}} of the run's artifacts directly in `folder`."""
        params = {"run_id": run_id}
        if folder:
            params["path"] = folder
        _status, answer = self.call("GET", LIST_ARTIFACTS, params=params, expect=(200, 404))
        return {item["path"]: item for item in answer.get("files", []) if "path" in item}


def look_for_artifacts(server, runs, paths, max_bytes):
    """Add to each run the state of each of `paths` in its artifacts (one listing per folder)."""
    for run in runs:
        listings = {}
        found = []
        for path in paths:
            folder = path.rsplit("/", 1)[0] if "/" in path else ""
            if folder not in listings:
                listings[folder] = server.artifacts_in(run["run_id"], folder)
            item = listings[folder].get(path)
            if item is None:
                state, size = "missing", None
            elif item.get("is_dir"):
                state, size = "directory", None
            else:
                size = int(item.get("file_size") or 0)
                state = "found" if size <= max_bytes else "too_large"
            found.append(dict(path=path, state=state, size=size))
        run["artifacts"] = found


def collect(server, names, page_size, since, result):
    """Fill `result` with the experiments and their runs; warn when the account is no admin."""
    if server.credentials and server.account_is_admin() is False:
        server.module.warn(
            "the account %r (url_username) is not an admin of the server: MLflow leaves out the experiments it "
            "cannot read, so runs may be missing" % server.credentials[0]
        )
    if names is None:
        experiments = server.experiments(page_size)
    else:
        found = {name: server.experiment(name) for name in dict.fromkeys(names)}
        experiments = [experiment for experiment in found.values() if experiment]
        result["missing_experiments"] = [name for name, experiment in found.items() if experiment is None]
    names_by_id = {str(experiment["experiment_id"]): experiment["name"] for experiment in experiments}

    entries = [run_entry(run, names_by_id) for run in server.runs(list(names_by_id), page_size, since)]
    unique = {}
    for entry in entries:
        unique.setdefault(entry["run_id"], entry)
    # One order whatever the number of searches: MLflow's own (start time, then run id).
    runs = sorted(unique.values(), key=lambda entry: (entry["start_time"] or "", entry["run_id"]))
    counts = Counter(entry["experiment_id"] for entry in runs)
    result["experiments"] = [
        dict(experiment_id=experiment_id, name=name, run_count=counts[experiment_id])
        for experiment_id, name in names_by_id.items()
    ]
    result.update(runs=runs, run_count=len(runs), duplicates_dropped=len(entries) - len(runs))
    paths = server.module.params["artifacts"]
    if paths:
        look_for_artifacts(server, runs, list(dict.fromkeys(paths)), server.module.params["artifact_max_bytes"])


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_by=MLFLOW_CONNECTION_REQUIRED_BY, supports_check_mode=True)
    params = module.params
    server = RunsServer(module)
    if not 1 <= params["page_size"] <= MAX_PAGE_SIZE:
        module.fail_json(
            msg="page_size must be from 1 to %d (is %d)" % (MAX_PAGE_SIZE, params["page_size"]), url=server.url, requests=0
        )
    for path in params["artifacts"] or []:
        problem = artifact_path_problem(path)
        if problem:
            module.fail_json(msg="artifacts: %r %s, such as model/MLmodel" % (path, problem), url=server.url, requests=0)
    if params["artifact_max_bytes"] < 0:
        module.fail_json(
            msg="artifact_max_bytes must be 0 or more (is %d)" % params["artifact_max_bytes"], url=server.url, requests=0
        )
    since = since_text = None
    if params["since"] is not None:
        try:
            since = parse_since(params["since"])
            since_text = iso_time(since)
        except (ValueError, OverflowError):
            module.fail_json(
                msg="since %r is neither an ISO 8601 date or time (2026-12-01, 2026-12-01T08:00:00Z) nor an integer "
                "of milliseconds since 1970-01-01 UTC" % params["since"],
                url=server.url,
                requests=0,
            )

    result = dict(changed=False, url=server.url, since=since_text, missing_experiments=[])
    try:
        collect(server, params["experiment_names"], params["page_size"], since, result)
    except MlflowError as exc:
        module.fail_json(msg=str(exc), status=exc.status, url=server.url, requests=server.requests_sent)
    module.exit_json(requests=server.requests_sent, **result)


if __name__ == "__main__":
    main()

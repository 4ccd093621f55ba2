"""A student's (or the admin's) session against the course server, run on a lab PC with the
MLflow client. The server's URL comes from the environment only (MLFLOW_TRACKING_URI, which the
PC's login shell has from labroom.mlflow.mlflow_client); the credentials from
MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, when set. Prints one JSON line.

    course_client.py log                  the handout's client: a run with a param, a metric and
                                          an artifact in the student's own experiment, read back
    course_client.py read RUN CONTENT     read a run back (param, metric, artifact's content)
    course_client.py get RUN              read a run: the HTTP status only
    course_client.py touch RUN            read, tag and delete someone's run: the HTTP status of each
    course_client.py experiments          the experiments this account sees (REST search)
    course_client.py ui                   GET / (the UI) and the UI's own experiment search (ajax-api)
    course_client.py tls                  MLflow's client searches experiments: {"ok"} or the error
    course_client.py can_log              start a run in the account's own experiment: the HTTP
                                          status (the run, when made, is deleted again)
"""

import base64
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

action = sys.argv[1]
uri = os.environ.get("MLFLOW_TRACKING_URI", "")
user = os.environ.get("MLFLOW_TRACKING_USERNAME", "")
client = MlflowClient()


def http(method, path, body=None):
    headers = {"Content-Type": "application/json"}
    if user:
        token = "%s:%s" % (user, os.environ["MLFLOW_TRACKING_PASSWORD"])
        headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(uri.rstrip("/") + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def status_of(call):
    try:
        call()
        return 200
    except MlflowException as exc:
        return exc.get_http_status_code()


result = {"uri": uri, "user": user}
if action == "log":
    # The handout's client code, with no set_tracking_uri line.
    experiment = mlflow.set_experiment(user)
    content = "course artifact %s\n" % os.urandom(8).hex()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "notes.txt")
        with open(path, "w") as handle:
            handle.write(content)
        with mlflow.start_run() as run:
            mlflow.log_param("alpha", "0.5")
            mlflow.log_metric("rmse", 0.25)
            mlflow.log_artifact(path)
    result.update(experiment_id=experiment.experiment_id, run_id=run.info.run_id, content=content)
    action, sys.argv[2:] = "read", [run.info.run_id, content]
if action == "read":
    run_id, content = sys.argv[2], sys.argv[3]
    fetched = client.get_run(run_id)
    assert fetched.data.params == {"alpha": "0.5"}, fetched.data.params
    assert fetched.data.metrics == {"rmse": 0.25}, fetched.data.metrics
    with tempfile.TemporaryDirectory() as tmp:
        with open(client.download_artifacts(run_id, "notes.txt", tmp)) as handle:
            assert handle.read() == content
    result["read"] = True
elif action == "get":
    result["get"] = status_of(lambda: client.get_run(sys.argv[2]))
elif action == "touch":
    run_id = sys.argv[2]
    result["get"] = status_of(lambda: client.get_run(run_id))
    result["tag"] = status_of(lambda: client.set_tag(run_id, "graded", "yes"))
    result["delete"] = status_of(lambda: client.delete_run(run_id))
elif action == "experiments":
    status, body = http("POST", "/api/2.0/mlflow/experiments/search", {"max_results": 1000})
    result["status"] = status
    result["names"] = sorted(e["name"] for e in json.loads(body).get("experiments", [])) if status == 200 else []
    if status == 200 and result["names"]:
        ids = [e["experiment_id"] for e in json.loads(body)["experiments"]]
        result["runs"] = len(client.search_runs(ids, max_results=1000))
elif action == "ui":
    result["home"] = http("GET", "/")[0]
    status, body = http("POST", "/ajax-api/2.0/mlflow/experiments/search", {"max_results": 1000})
    result["ui_search"] = status
    result["names"] = sorted(e["name"] for e in json.loads(body).get("experiments", [])) if status == 200 else []
elif action == "can_log":
    experiment = client.get_experiment_by_name(user)
    made = []
    result["create"] = status_of(lambda: made.append(client.create_run(experiment.experiment_id)))
    if made:
        client.delete_run(made[0].info.run_id)
elif action == "tls":
    result["cert_path"] = os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH", "")
    try:
        client.search_experiments(max_results=1)
        result["ok"] = True
    except Exception as exc:  # noqa: BLE001 - the error is the observation
        result.update(ok=False, error=str(exc)[-600:])
print(json.dumps(result))

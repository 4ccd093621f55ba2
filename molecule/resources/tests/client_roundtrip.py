"""What a student's first lab session does: log a run with a param, a metric and an artifact
through the tracking server, then read everything back through the server.

    python client_roundtrip.py URL log             -> logs a run, prints its ids as JSON
    python client_roundtrip.py URL exists RUN_ID   -> prints {"exists": true|false}
    python client_roundtrip.py URL read RUN_ID CONTENT
                                                  -> reads a logged run back (param, metric and
                                                     the artifact's content); prints {"read": true}
    python client_roundtrip.py URL class NAME ALPHA ACCURACY...
                                                  -> the handout's training run: a run NAME in the
                                                     experiment "handout", the param alpha, the
                                                     metric accuracy at each step; prints what it logged
"""

import json
import os
import sys
import tempfile

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

url, action = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(url)
client = MlflowClient()

if action == "log":
    experiment = mlflow.set_experiment("labroom-roundtrip")
    content = "labroom artifact %s\n" % os.urandom(8).hex()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "notes.txt")
        with open(path, "w") as handle:
            handle.write(content)
        with mlflow.start_run() as run:
            mlflow.log_param("alpha", "0.5")
            mlflow.log_metric("rmse", 0.25)
            mlflow.log_artifact(path)
        fetched = client.get_run(run.info.run_id)
        assert fetched.data.params == {"alpha": "0.5"}, fetched.data.params
        assert fetched.data.metrics == {"rmse": 0.25}, fetched.data.metrics
        listed = [f.path for f in client.list_artifacts(run.info.run_id)]
        assert listed == ["notes.txt"], listed
        downloaded = client.download_artifacts(run.info.run_id, "notes.txt", os.path.join(tmp, "back"))
        with open(downloaded) as handle:
            assert handle.read() == content
    print(json.dumps({
        "experiment_id": experiment.experiment_id,
        "run_id": run.info.run_id,
        "artifact_uri": run.info.artifact_uri,
        "content": content,
    }))
elif action == "exists":
    try:
        client.get_run(sys.argv[3])
        print(json.dumps({"exists": True}))
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        print(json.dumps({"exists": False}))
elif action == "read":
    run_id, content = sys.argv[3], sys.argv[4]
    fetched = client.get_run(run_id)
    assert fetched.data.params == {"alpha": "0.5"}, fetched.data.params
    assert fetched.data.metrics == {"rmse": 0.25}, fetched.data.metrics
    with tempfile.TemporaryDirectory() as tmp:
        with open(client.download_artifacts(run_id, "notes.txt", tmp)) as handle:
            assert handle.read() == content
    print(json.dumps({"read": True}))
elif action == "class":
    name, alpha, values = sys.argv[3], sys.argv[4], [float(value) for value in sys.argv[5:]]
    experiment = mlflow.set_experiment("handout")
    with mlflow.start_run(run_name=name) as run:
        mlflow.log_param("alpha", alpha)
        for step, value in enumerate(values):
            mlflow.log_metric("accuracy", value, step=step)
    print(json.dumps({"experiment": "handout", "run_id": run.info.run_id, "run_name": name,
                      "params": {"alpha": alpha}, "metrics": {"accuracy": values[-1]}}))
else:
    sys.exit("unknown action %r" % action)

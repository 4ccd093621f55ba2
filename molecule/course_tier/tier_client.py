"""A student logging to the course tier, run on the lab PC with MLflow's client; the URL (the
front's) and the CA come from the PC's profile, the account from MLFLOW_TRACKING_USERNAME and
MLFLOW_TRACKING_PASSWORD. Prints one JSON line (or writes it to a file).

    tier_client.py loop SECONDS OUT   log runs one after the other for SECONDS (each: a run, a
                                      param, a metric, an artifact, finished), through MLflow's
                                      client with its own retries; count what still failed
    tier_client.py check IN           read back every run the loop logged (status, param,
                                      metric and the artifact's content)
    tier_client.py log                one run with an artifact, read back
    tier_client.py read JSON          read back one run the log action made ({run_id, index, content})
"""

import json
import os
import sys
import tempfile
import time

from mlflow import MlflowClient

action = sys.argv[1]
user = os.environ.get("MLFLOW_TRACKING_USERNAME", "")
client = MlflowClient()


def one_run(experiment_id, index):
    """One run as a student's script makes it; returns its id and the artifact's content."""
    content = "run %d of %s %s\n" % (index, user, os.urandom(4).hex())
    run = client.create_run(experiment_id)
    run_id = run.info.run_id
    client.log_param(run_id, "index", str(index))
    client.log_metric(run_id, "loss", 1.0 / (index + 1), step=index)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "notes.txt")
        with open(path, "w") as handle:
            handle.write(content)
        client.log_artifact(run_id, path)
    client.set_terminated(run_id)
    return run_id, content


def read_back(entry):
    run = client.get_run(entry["run_id"])
    with tempfile.TemporaryDirectory() as tmp:
        with open(client.download_artifacts(entry["run_id"], "notes.txt", tmp)) as handle:
            content = handle.read()
    return {"status": run.info.status, "param": run.data.params.get("index") == str(entry["index"]),
            "metric": "loss" in run.data.metrics, "artifact": content == entry["content"]}


experiment = client.get_experiment_by_name(user)
if action == "loop":
    seconds, out = float(sys.argv[2]), sys.argv[3]
    runs, failures, started = [], [], time.monotonic()
    while time.monotonic() - started < seconds:
        began = time.monotonic()
        try:
            run_id, content = one_run(experiment.experiment_id, len(runs))
            runs.append({"run_id": run_id, "index": len(runs), "content": content,
                         "at": round(began - started, 1), "seconds": round(time.monotonic() - began, 2)})
        except Exception as exc:  # noqa: BLE001 - a failure the client saw is the observation
            failures.append({"at": round(began - started, 1), "error": repr(exc)[-400:]})
        time.sleep(0.2)
    with open(out, "w") as handle:
        json.dump({"runs": runs, "failures": failures, "seconds": round(time.monotonic() - started, 1),
                   "slowest": max((r["seconds"] for r in runs), default=None)}, handle)
    print(json.dumps({"runs": len(runs), "failures": len(failures)}))
elif action == "check":
    with open(sys.argv[2]) as handle:
        logged = json.load(handle)
    checked = [read_back(entry) for entry in logged["runs"]]
    print(json.dumps({"runs": len(checked),
                      "finished": sum(c["status"] == "FINISHED" for c in checked),
                      "complete": sum(c["param"] and c["metric"] for c in checked),
                      "artifacts": sum(c["artifact"] for c in checked)}))
elif action == "log":
    run_id, content = one_run(experiment.experiment_id, 0)
    print(json.dumps(dict(read_back({"run_id": run_id, "index": 0, "content": content}), run_id=run_id,
                          experiment_id=experiment.experiment_id, index=0, content=content)))
elif action == "read":
    try:
        print(json.dumps(read_back(json.loads(sys.argv[2]))))
    except Exception as exc:  # noqa: BLE001 - a run that cannot be read is the observation
        print(json.dumps({"error": repr(exc)[-400:]}))

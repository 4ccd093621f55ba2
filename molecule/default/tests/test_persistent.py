"""Persistent mode: the handout's layout on disk, owned by the service account."""

from labroom_testlib import logged_run, room_hosts, stat

testinfra_hosts = room_hosts()


def test_lab_folder_layout_and_modes(host, conf):
    base = conf["mlflow_server_base_dir"]
    user, group = conf["mlflow_server_user"], conf["mlflow_server_group"]
    paths = {
        "lab": base,
        "venv": conf["venv"],
        "db_dir": base + "/mlruns_db",
        "artifacts_dir": base + "/mlartifacts",
        "db": base + "/mlruns_db/mlflow.db",
    }
    found = stat(host, *paths.values())
    lab, venv, db_dir, artifacts_dir, db = (found.get(p) for p in paths.values())
    assert (lab["type"], lab["user"], lab["mode"]) == ("directory", "root", 0o755)
    assert (venv["type"], venv["user"]) == ("directory", "root")
    for data in (db_dir, artifacts_dir):
        assert (data["type"], data["user"], data["group"], data["mode"]) == ("directory", user, group, 0o750)
    assert db is not None and db["user"] == user
    assert db["mode"] & 0o007 == 0, oct(db["mode"])


def test_logged_artifact_lands_under_mlartifacts(host, conf):
    logged = logged_run(host, conf)
    path = "%s/mlartifacts/%s/%s/artifacts/notes.txt" % (
        conf["mlflow_server_base_dir"], logged["experiment_id"], logged["run_id"]
    )
    found = stat(host, path).get(path)
    assert found is not None and found["type"] == "regular file", path
    assert found["user"] == conf["mlflow_server_user"]
    assert host.file(path).content_string.strip() == logged["content"].strip()

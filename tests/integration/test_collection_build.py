"""`ansible-galaxy collection build` succeeds and ships only the collection's content."""

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GALAXY = Path(sys.executable).parent / "ansible-galaxy"


def test_tarball_has_content_and_no_test_or_dev_files(tmp_path):
    subprocess.run(
        [str(GALAXY), "collection", "build", "--force", "--output-path", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (tarball,) = tmp_path.glob("labroom-mlflow-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    top = {name.split("/")[0] for name in names}
    for required in ("roles", "plugins", "playbooks", "meta", "README.md", "MANIFEST.json", "site.yml"):
        assert required in top, required
    assert "roles/mlflow_server/meta/argument_specs.yml" in names
    assert "plugins/modules/tracking_health.py" in names
    for forbidden in ("molecule", "tests", ".venv", ".ansible", ".config", ".ci", "scripts", "Makefile", ".git"):
        assert forbidden not in top, forbidden
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_an_instructors_own_files_stay_out_of_the_tarball(tmp_path):
    # A checkout after the README's set-up: real inventories, a class list, vault files.
    checkout = tmp_path / "checkout"
    left_out = shutil.ignore_patterns(".venv", ".ansible", ".git", ".cache", "dist", "credentials", "reports", "backups",
                                      "__pycache__", ".pytest_cache")
    shutil.copytree(ROOT, checkout, ignore=left_out)
    own = ["inventory/lab-room.yml", "inventory/course.yml", "inventory/roster.csv",
           "inventory/group_vars/lab_room/vault.yml", "inventory/host_vars/lab-pc-07.yml"]
    for name in own:
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text("students' names\n")
    subprocess.run([str(GALAXY), "collection", "build", "--force", "--output-path", str(tmp_path), str(checkout)],
                   check=True, capture_output=True)
    (tarball,) = tmp_path.glob("labroom-mlflow-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    # The whole inventory folder stays out (galaxy.yml build_ignore: it does not read .gitignore).
    assert not [name for name in names if name.startswith("inventory")]

"""`ansible-galaxy collection build` succeeds and ships only the collection's content."""

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

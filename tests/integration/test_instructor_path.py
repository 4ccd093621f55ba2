"""The README's set-up, done as an instructor does it, in a copy of the checkout's inventory/
folder: the example inventories copied, the sample roster copied, the vault files the README
names created and encrypted (with a test password), then read back by Ansible.

- Each `ansible-vault create <path>` of the README makes a file Ansible loads for that group,
  and the variable it holds is the one the inventory reads: the lab PCs and the cache host
  each get their own sudo password; the course server's admin password decrypts.
- The course example with the sample roster and the vault passes the role's settings check
  (preflight: admin password length, roster columns and names), and only with the vault
  password.
- `make lab`'s inventory never reads the room's group_vars (an encrypted file there would stop
  `make lab` with "no vault secrets found").
- .gitignore keeps the instructor's own files (inventories, rosters, vault files, credentials,
  reports) out of git, and the examples in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
VAULT_PASSWORD = "a-test-vault-password"
# What the instructor types into each file `ansible-vault create` opens (README, step 3 and the
# course server section).
CONTENT = {
    "lab_room": "ansible_become_password: labadmin-sudo-password",
    "mlflow_package_cache": "ansible_become_password: my-own-sudo-password",
    "mlflow_course_server": "vault_mlflow_admin_password: a-long-admin-password-from-the-vault",
}


def env():
    return dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                PATH="%s:%s" % (BIN, os.environ.get("PATH", "")))


def readme_commands():
    """The README's shell lines, as typed."""
    return [line.strip() for line in re.findall(r"^\s*(\S.*)$", "\n".join(
        block for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL)), re.MULTILINE)]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """The instructor's folder after the README's steps: example copies, vault files."""
    where = tmp_path_factory.mktemp("instructor")
    shutil.copytree(ROOT / "inventory", where / "inventory")
    (where / "site.yml").symlink_to(ROOT / "site.yml")
    (where / "playbooks").symlink_to(ROOT / "playbooks")
    password_file = where / "vault-password"
    password_file.write_text(VAULT_PASSWORD + "\n")
    vaults = {}
    for command in readme_commands():
        argv = command.split()
        if argv[:1] == ["cp"]:
            shutil.copy(where / argv[1], where / argv[2])
        elif argv[:2] == ["mkdir", "-p"]:
            for folder in argv[2:]:
                (where / folder).mkdir(parents=True, exist_ok=True)
        elif argv[:2] == ["ansible-vault", "create"]:
            path = where / argv[2]
            group = path.parent.name
            path.write_text(CONTENT[group] + "\n")
            subprocess.run([str(BIN / "ansible-vault"), "encrypt", "--vault-password-file", str(password_file), str(path)],
                           cwd=where, env=env(), check=True, capture_output=True)
            vaults[group] = path
    return {"dir": where, "password_file": password_file, "vaults": vaults}


def host_vars(checkout, inventory, host):
    listed = subprocess.run([str(BIN / "ansible-inventory"), "-i", inventory, "--host", host,
                             "--vault-password-file", str(checkout["password_file"])],
                            cwd=checkout["dir"], env=env(), capture_output=True, text=True, check=False)
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_the_readme_creates_a_vault_file_for_each_group_that_needs_one(checkout):
    assert sorted(checkout["vaults"]) == ["lab_room", "mlflow_course_server", "mlflow_package_cache"]
    # What goes into each file is what the README says goes there, variable name and all.
    for line in CONTENT.values():
        assert "`%s: <" % line.split(":")[0] in README, line
    for path in checkout["vaults"].values():
        assert path.read_text().startswith("$ANSIBLE_VAULT;"), path


def test_each_group_gets_its_own_sudo_password_from_the_vault(checkout):
    pc = host_vars(checkout, "inventory/lab-room.yml", "lab-pc-07")
    cache = host_vars(checkout, "inventory/lab-room.yml", "instructor-pc")
    assert pc["ansible_become_password"] == "labadmin-sudo-password"
    assert cache["ansible_become_password"] == "my-own-sudo-password"


def settings_check(checkout, *extra):
    """The role's settings check (argument spec, then preflight_settings) on the course server
    of the instructor's course.yml, run from the instructor's folder as site.yml is."""
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", "inventory/course.yml",
                           str(ROOT / "tests/integration/roles/files/mlflow_server_settings.yml"),
                           "--tags", "mlflow_server_settings", "--limit", "course-server",
                           "-e", "ansible_connection=local", "-e", "ansible_become=false",
                           "-e", "ansible_python_interpreter=%s" % sys.executable, *extra],
                          cwd=checkout["dir"], env=env(), capture_output=True, text=True, check=False)


def test_the_course_example_with_the_sample_roster_and_the_vault_passes_the_settings_check(checkout):
    assert (checkout["dir"] / "inventory/roster.csv").is_file()
    checked = settings_check(checkout, "--vault-password-file", str(checkout["password_file"]))
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]
    assert "Check every setting of the role" in checked.stdout
    admin = host_vars(checkout, "inventory/course.yml", "course-server")
    assert admin["vault_mlflow_admin_password"] == "a-long-admin-password-from-the-vault"


def test_without_the_vault_password_nothing_runs(checkout):
    checked = settings_check(checkout)
    assert checked.returncode != 0
    assert "vault" in (checked.stdout + checked.stderr).lower()


def test_make_labs_inventory_reads_none_of_the_rooms_vault_files(checkout):
    # No vault password given: an encrypted file in the room's group_vars would stop this.
    listed = subprocess.run([str(BIN / "ansible-inventory"), "-i", "inventory/localhost/hosts.yml", "--list"],
                            cwd=checkout["dir"], env=env(), capture_output=True, text=True, check=False)
    assert listed.returncode == 0, listed.stderr
    inventory = json.loads(listed.stdout)
    assert inventory["lab_room"]["hosts"] == ["localhost"]
    assert "ansible_become_password" not in json.dumps(inventory)


def test_make_labs_inventory_passes_the_syntax_check():
    checked = subprocess.run([str(BIN / "ansible-playbook"), "-i", "inventory/localhost/hosts.yml", "site.yml",
                              "--syntax-check"], cwd=ROOT, env=env(), capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_git_keeps_the_instructors_own_files_out_and_the_examples_in(checkout):
    paths = ["inventory/lab-room.yml", "inventory/course.yml", "inventory/roster.csv",
             "inventory/group_vars/lab_room/vault.yml", "credentials/course-server.csv", "reports/room-report.json",
             "backups/lab-pc-07/lab-pc-07-20261127T091500Z.tar.gz"]
    examples = ["inventory/lab-room.example.yml", "inventory/course.example.yml", "inventory/roster.example.csv",
                "inventory/localhost/hosts.yml"]
    # galaxy.yml's build_ignore does not read .gitignore: the tarball leaves inventory/ out by its
    # own list (tests/integration/test_collection_build.py builds one).
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *paths, *examples], cwd=ROOT, capture_output=True,
                             text=True, check=False)
    assert sorted(ignored.stdout.split()) == sorted(paths)

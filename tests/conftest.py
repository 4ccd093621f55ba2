"""Make `ansible_collections.labroom.mlflow` importable from this checkout.

`make` links the checkout into .ansible/collections (see ansible.cfg); the tests import the
collection through that link, exactly as Ansible resolves it.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / ".ansible" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "labroom" / "mlflow"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(Path("../../../.."), target_is_directory=True)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

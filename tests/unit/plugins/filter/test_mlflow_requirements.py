"""The requirement lines of a tracking server's venv (plugins/filter/mlflow_requirements.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.mlflow_requirements import FilterModule, mlflow_requirements


@pytest.mark.parametrize(("packages", "extras", "expected"), [
    (["mlflow[extras]", "scikit-learn"], [], ["mlflow[extras]==3.17.2", "scikit-learn"]),
    (["mlflow[extras]", "scikit-learn"], ["auth"], ["mlflow[extras,auth]==3.17.2", "scikit-learn"]),
    (["mlflow"], ["auth"], ["mlflow[auth]==3.17.2"]),
    (["mlflow"], [], ["mlflow==3.17.2"]),
    # Named already: once.
    (["mlflow[auth,extras]"], ["auth"], ["mlflow[auth,extras]==3.17.2"]),
    (["mlflow[ auth ]"], ["auth"], ["mlflow[auth]==3.17.2"]),
    # Not the bare mlflow entry: left as it is.
    (["mlflow-skinny", "mlflowx", "mlflow==3.1.0", "pandas>=2"], ["auth"],
     ["mlflow-skinny", "mlflowx", "mlflow==3.1.0", "pandas>=2"]),
])
def test_the_mlflow_entry_is_pinned_with_its_extras(packages, extras, expected):
    assert mlflow_requirements(packages, "3.17.2", extras) == expected


def test_not_a_list():
    with pytest.raises(AnsibleFilterError, match="expected a list"):
        mlflow_requirements("mlflow", "3.17.2")


def test_registered_under_its_name():
    assert FilterModule().filters() == {"mlflow_requirements": mlflow_requirements}

"""The uv install target of a lab PC (plugins/filter/uv_target.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labroom.mlflow.plugins.filter.uv_target import FilterModule, uv_target


@pytest.mark.parametrize(("probe", "python", "platform"), [
    ("3.11 Linux x86_64 glibc 2.36", "3.11", "x86_64-manylinux_2_36"),   # Debian 12
    ("3.13 Linux x86_64 glibc 2.41", "3.13", "x86_64-manylinux_2_40"),   # Debian 13: newer than uv's last
    ("3.10 Linux x86_64 glibc 2.30", "3.10", "x86_64-manylinux_2_28"),   # between two targets: the lower
    ("3.10 Linux aarch64 glibc 2.35", "3.10", "aarch64-manylinux_2_35"),
    ("3.12 Linux x86_64 glibc 2.17", "3.12", "x86_64-manylinux_2_17"),
    ("3.12 Linux x86_64 glibc 2.12", "3.12", ""),                        # older than any manylinux target
    ("3.12 Linux x86_64 musl 1.2.4", "3.12", "x86_64-unknown-linux-musl"),
    ("3.12 Darwin arm64", "3.12", "aarch64-apple-darwin"),               # Apple silicon
    ("3.11 Darwin x86_64", "3.11", "x86_64-apple-darwin"),
    ("3.12 Linux riscv64 glibc 2.39", "3.12", ""),
    ("3.12 FreeBSD amd64", "3.12", ""),
])
def test_target_of_each_kind_of_host(probe, python, platform):
    assert uv_target(probe) == {"python_version": python, "python_platform": platform}


@pytest.mark.parametrize("probe", ["", "Python 3.11", "3.11", None, "3.11 Linux x86_64 glibc"])
def test_a_line_the_probe_never_prints_is_an_error(probe):
    with pytest.raises(AnsibleFilterError, match="uv_target"):
        uv_target(probe)


def test_registered():
    assert FilterModule().filters()["uv_target"] is uv_target

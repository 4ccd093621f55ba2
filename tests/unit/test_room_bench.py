"""The pure parts of bench/room_bench.py: the interleaved runs' medians and spreads, the uv
command's own seconds read from a json callback document, the 30-PC model.

Pure Python: no container, no playbook.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("room_bench", ROOT / "bench" / "room_bench.py")
rb = importlib.util.module_from_spec(_SPEC)
sys.modules["room_bench"] = rb
_SPEC.loader.exec_module(rb)


def test_spread_odd_and_even():
    assert rb.spread([80.0, 70.0, 75.0]) == {"runs": [80.0, 70.0, 75.0], "median": 75.0, "min": 70.0, "max": 80.0,
                                             "spread_pct": 13.3}
    assert rb.spread([10.0, 30.0])["median"] == 20.0
    assert rb.spread([0.0])["spread_pct"] is None


def test_command_seconds_reads_each_hosts_delta():
    document = {"plays": [{"tasks": [
        {"task": {"name": "labroom.mlflow.mlflow_server : Install the packages with uv"},
         "hosts": {"pc-1": {"delta": "0:01:22.912345"}, "pc-2": {"delta": "1:00:00.0"}, "pc-3": {"skipped": True}}},
        {"task": {"name": "labroom.mlflow.mlflow_server : Install the packages with uv, resolving them"},
         "hosts": {"pc-1": {"delta": "0:00:09.0"}}},
    ]}]}
    assert rb.command_seconds(document, "Install the packages with uv") == {"pc-1": 82.9, "pc-2": 3600.0}
    assert rb.command_seconds({}, "Install the packages with uv") == {}


def _uv(wall, installs):
    return {"wall_to_healthy_s": wall, "steps": {"pc-%d" % i: {"install_s": s} for i, s in enumerate(installs)}}


def _role(wall, installs):
    cold = {"controller_cpu_s": wall / 10,
            "install_command_s": {"pc-%d" % i: s for i, s in enumerate(installs)},
            "slowest_tasks": [{"task": "Install the packages with uv", "s": max(installs)}]}
    return {"wall_to_healthy_s": wall, "profile": {"cold": cold}}


def test_interleaved_summary_medians_ratio_and_split():
    runs = {"uv_commands": [_uv(70.0, [50.0, 52.0]), _uv(80.0, [60.0, 58.0]), _uv(75.0, [55.0, 54.0])],
            "role": [_role(90.0, [60.0, 61.0]), _role(84.0, [56.0, 57.0]), _role(88.0, [59.0, 58.0])]}
    order = ["uv_commands", "role", "role", "uv_commands", "uv_commands", "role"]
    found = rb.interleaved_summary(order, runs)
    assert found["order"] == order
    assert found["uv_commands"]["wall_s"]["median"] == 75.0
    assert found["role"]["wall_s"]["median"] == 88.0
    assert found["ratio_of_medians"] == round(88.0 / 75.0, 2)
    # The install is the slowest PC's; the rest is the wall time without it.
    assert found["uv_commands"]["install_s"]["runs"] == [52.0, 60.0, 55.0]
    assert found["role"]["install_s"]["runs"] == [61.0, 57.0, 59.0]
    assert found["role"]["rest_s"]["runs"] == [29.0, 27.0, 29.0]
    assert found["install_ratio_of_medians"] == round(59.0 / 55.0, 2)
    assert found["role"]["controller_cpu_s"]["median"] == 8.8


def test_model_room_is_labelled_a_model():
    row = {"hosts": 1, "cache_sent_bytes": 289e6, "upstream_bytes": 375e6,
           "plays_cold_s": {"Find out what each lab PC needs": 2.0, "Run the room's package cache": 107.0,
                            "Provision MLflow tracking servers on the lab PCs": 48.0}}
    found = rb.model_room(row, hosts=30, forks=30)
    assert found["model"] is True
    assert found["waves"] == 1
    assert found["cache_link_s"] == round(30 * 289e6 * 8 / 1e9, 1)
    assert found["wall_to_healthy_s"] == round(2.0 + 107.0 + max(48.0, 30 * 289e6 * 8 / 1e9), 1)


PLAYS = {"Find out what each lab PC needs": 2.0, "Run the room's package cache": 100.0,
         "Provision MLflow tracking servers on the lab PCs": 48.0}


def test_cache_lead_is_the_first_play_and_the_cache_play():
    assert rb.cache_lead_s(PLAYS) == 102.0
    assert rb.cache_lead_s({"Provision MLflow tracking servers on the lab PCs": 48.0}) == 0.0


def test_model_uplinks_with_and_without_the_cache():
    row = {"hosts": 1, "cache_sent_bytes": 250e6, "upstream_bytes": 375e6, "plays_cold_s": PLAYS}
    found = rb.model_uplinks(row, 312e6, hosts=30, forks=30, uplinks=(100e6, 1e9))
    assert found["model"] is True
    slow, fast = found["uplinks"]
    # 100 Mbit/s: the cache's 375 MB take 30 s; 30 PCs' 312 MB each take 749 s without it.
    assert slow["with_cache_before_first_install_s"] == 132.0
    assert slow["with_cache_s"] == round(132.0 + max(48.0, 30 * 250e6 * 8 / 1e9), 1)
    assert slow["without_cache_s"] == round(2.0 + 30 * 312e6 * 8 / 100e6, 1)
    assert slow["without_cache_upstream_bytes"] == 30 * 312e6
    # 1 Gbit/s: without the cache the uplink is no longer the wall.
    assert fast["without_cache_s"] == round(2.0 + max(48.0, 30 * 312e6 * 8 / 1e9), 1)
    assert fast["with_cache_s"] > fast["without_cache_s"]


def test_interleaved_summary_refuses_a_role_run_without_its_install():
    broken = _role(90.0, [60.0])
    broken["profile"]["cold"]["install_command_s"] = {}
    try:
        rb.interleaved_summary(["uv_commands", "role"], {"uv_commands": [_uv(70.0, [50.0])], "role": [broken]})
    except RuntimeError as exc:
        assert "Install the packages with uv" in str(exc)
    else:
        raise AssertionError("an install of 0 s was taken")

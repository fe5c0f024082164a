"""Probe reports: every leaf as probe.<key>."""
from __future__ import annotations

import json
from pathlib import Path

from assistant.evidence import read_attachment
from tests.evidence.conftest import fact


def test_leaves_become_probe_facts(tmp_path: Path) -> None:
    path = tmp_path / "probe.json"
    path.write_text(json.dumps({"probe_version": 1, "gpu": {"count": 2, "compute_capability": 8.0,
                                                              "names": ["A100", "A100"]},
                                "host": {"shm_bytes": 67108864, "Container": True}}))
    r, = read_attachment(path)
    assert r.kind == "probe_report"
    assert fact(r, "probe.probe_version") == 1 and fact(r, "probe.gpu.count") == 2
    assert fact(r, "probe.gpu.names") == ("A100", "A100") and fact(r, "probe.host.container") is True
    assert {f.source for f in r.facts} == {"probe"}

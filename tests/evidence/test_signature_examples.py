"""Every signature in rules/signatures.yaml against its real example lines, through the real log reader.

The examples (tests/evidence/signature_examples.yaml) are lines seen in the dev cases, the shared
cases and public issue threads. Each one is written to a log file and read by `read_attachment`,
as a user's attachment would be; the signature's fact must come out, with the captures listed.
The healthy logs (shared cases and the healthy dev cases) must yield no error.* fact.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from assistant.evidence import read_attachment
from assistant.evidence._signatures import SignatureScan, load_signatures

from .conftest import CASES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES: dict[str, list[dict]] = yaml.safe_load((Path(__file__).with_name("signature_examples.yaml")).read_text())
SIGNATURES = {s.fact: s for s in load_signatures()}
HEALTHY_LOGS = sorted([*CASES.glob("*healthy*/log.txt"), *(ROOT / "tests" / "cases" / "dev").glob("*healthy*/log.txt")])


def _facts(tmp_path: Path, text: str, name: str = "train.log") -> dict[str, dict]:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    out: dict[str, dict] = {}
    for reading in read_attachment(path):
        for f in reading.facts:
            if f.name.startswith(("error.", "log.")) and isinstance(f.value, Mapping):
                out.setdefault(f.name, dict(f.value))
    return out


def test_every_signature_has_real_examples_and_nothing_else() -> None:
    assert set(EXAMPLES) == set(SIGNATURES)
    for fact, items in EXAMPLES.items():
        assert items, fact
        for item in items:
            assert set(item) <= {"line", "source", "captures"} and item["line"] and item["source"], (fact, item)


def test_at_least_120_signatures_each_with_a_literal_precheck() -> None:
    assert len(SIGNATURES) >= 120
    assert all(sig.contains for sig in SIGNATURES.values())


@pytest.mark.parametrize("fact", sorted(EXAMPLES))
def test_signature_matches_its_real_lines(fact: str, tmp_path: Path) -> None:
    sig = SIGNATURES[fact]
    for item in EXAMPLES[fact]:
        line = item["line"]
        # the signature alone, and the literal contract: the line holds one of `contains`
        assert any(lit in line.lower().encode() for lit in sig.contains), (fact, line)
        alone = SignatureScan((sig,))
        alone.scan(line.encode(), lambda o: (1, line))
        assert fact in alone.hits, (fact, line)
        # the real reader, on a log holding the line among ordinary training output
        text = "\n".join(["[INFO] loading model", line, "{'loss': 1.25, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'epoch': 0.1}"])
        got = _facts(tmp_path, text)
        assert fact in got, (fact, line, sorted(got))
        for key, want in (item.get("captures") or {}).items():
            assert got[fact].get(key) == want, (fact, key, got[fact])


@pytest.mark.parametrize("log", HEALTHY_LOGS, ids=lambda p: p.parent.name)
def test_healthy_logs_yield_no_error(log: Path) -> None:
    names = {f.name for reading in read_attachment(log) for f in reading.facts}
    assert not [n for n in names if n.startswith("error.")], sorted(names)


def test_healthy_logs_are_there() -> None:
    assert len(HEALTHY_LOGS) >= 2

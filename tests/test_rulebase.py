"""The rulebase as data: it loads, every rule carries examples that pass, citations resolve,
the catalog is covered, and broken rules fail loudly with file:line."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.engine import run_examples
from assistant.errors import RuleError
from assistant.rulebase import load_catalog, load_project_rulebase, rule_files

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "spec" / "diagnoses.yaml"


def test_rulebase_loads_and_every_example_passes() -> None:
    rb = load_project_rulebase(use_cache=False)
    assert all(r.examples for r in rb.rules)
    failed = [r for r in run_examples(rb) if not r.ok]
    assert failed == []


@pytest.mark.skipif(not SPEC.exists(), reason="../shared is not beside this checkout")
def test_catalog_covers_the_spec_and_every_id_is_concluded() -> None:
    spec_ids = {i for area in yaml.safe_load(SPEC.read_text()).values() for i in area}
    assert spec_ids <= set(load_catalog().entries)
    concluded = {r.conclude for r in load_project_rulebase().rules if r.conclude}
    assert spec_ids <= concluded


def _copy_rules(tmp: Path) -> Path:
    for f in (ROOT / "rules").glob("*.yaml"):
        (tmp / f.name).write_text(f.read_text())
    return tmp


def test_a_rule_citing_a_missing_section_fails_with_its_location(tmp_path: Path) -> None:
    root = _copy_rules(tmp_path)
    text = (root / "errors.yaml").read_text().replace("guide: [common-errors/cas-service-error]",
                                                      "guide: [common-errors/cas-service-eror]", 1)
    (root / "errors.yaml").write_text(text)
    with pytest.raises(RuleError) as e:
        load_project_rulebase(root, use_cache=False)
    msg = str(e.value)
    assert "errors.yaml:" in msg and "cas-service-eror" in msg and "did you mean 'common-errors/cas-service-error'" in msg


def test_an_unknown_fact_name_fails_with_did_you_mean(tmp_path: Path) -> None:
    root = _copy_rules(tmp_path)
    text = (root / "sft.yaml").read_text().replace("fact: symptom.spikes, where: {metric: loss}}", "fact: symptom.spkes, where: {metric: loss}}", 1)
    (root / "sft.yaml").write_text(text)
    with pytest.raises(RuleError) as e:
        load_project_rulebase(root, use_cache=False)
    assert "sft.yaml:" in str(e.value) and "symptom.spikes" in str(e.value)


def test_rules_check_and_test_commands(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import _run

    assert _run(["rules", "check"]) == 0
    assert _run(["rules", "test"]) == 0
    out = capsys.readouterr().out
    assert " passed, 0 failed" in out


def test_rule_files_hold_only_rules() -> None:
    for f in rule_files():
        data = yaml.safe_load(f.read_text())
        assert set(data) == {"rules"}, f


def test_the_compiled_cache_holds_the_same_rules_and_keeps_only_the_newest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Editing rules leaves one compiled rulebase per edit in the cache directory: only the newest few stay,
    and a cached load gives the rules a fresh compile gives."""
    import os

    from assistant import rulebase

    monkeypatch.setenv("TSA_CACHE_DIR", str(tmp_path / "cache"))
    rulebase._LOADED.clear()
    (tmp_path / "cache").mkdir()
    for i in range(5):   # left by earlier edits
        stale = tmp_path / "cache" / f"rulebase-{i:024d}.pickle"
        stale.write_bytes(b"old")
        os.utime(stale, (1_000_000 + i, 1_000_000 + i))
    built = load_project_rulebase()
    left = sorted(p.name for p in (tmp_path / "cache").glob("rulebase-*.pickle"))
    assert len(left) == rulebase.KEEP_CACHED and "rulebase-000000000000000000000004.pickle" in left
    rulebase._LOADED.clear()
    cached = load_project_rulebase()
    assert cached is not built and [r.id for r in cached.rules] == [r.id for r in built.rules]
    rulebase._LOADED.clear()

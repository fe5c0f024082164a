"""Table regexes compiled only when a text could match: the literal prefilter never hides a match."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.datafile import load_yaml_file
from assistant.lazyre import LazyPattern, literal_needs, needs
from assistant.paths import RULES_DIR
from assistant.words.phrases import normalise

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("pattern", "expected"), [
    ("loss (is|was) nan", ("loss ",)),
    ("(sometimes|occasionally) nan", ("occasionally", "sometimes")),
    (r"grad(ient)?[ _]?norm", ("grad",)),
    (r"\bnan\b|\binf\b", ("inf", "nan")),
    (r"(a|b)+c", None),                     # one-letter literals filter nothing
    (r"\d+ steps?", (" step",)),
    (r"(?i)loss", None),                    # case-insensitive: no prefilter
    (r"x?y*", None),
    ("[", None),                            # not a regex: no prefilter (compiling fails later, as before)
])
def test_needs(pattern: str, expected: tuple[str, ...] | None) -> None:
    assert needs(pattern) == expected


def _table_patterns() -> list[str]:
    phrases = load_yaml_file(RULES_DIR / "phrases.yaml")["phrases"]
    claims = load_yaml_file(RULES_DIR / "claims.yaml")["metrics"]
    return ([p for e in phrases for p in [*e.get("patterns", []), *e.get("unless", [])]]
            + [p for pats in claims.values() for p in pats])


def test_no_table_pattern_is_skipped_on_a_text_it_matches() -> None:
    """Every real question of the corpus, against every phrase and claim pattern."""
    texts = [normalise(p.read_text(encoding="utf-8")) for p in sorted(ROOT.glob("tests/cases/*/*/question.txt"))]
    assert len(texts) > 100
    for pattern, literals in literal_needs(_table_patterns()).items():
        compiled = re.compile(pattern)
        for text in texts:
            if compiled.search(text):
                assert literals is None or any(s in text for s in literals), (pattern, literals, text[:80])


def test_a_lazy_pattern_compiles_on_first_need_only() -> None:
    p = LazyPattern("loss (is|was) nan", needs("loss (is|was) nan"))
    assert p.search("reward is flat") is None and p._compiled is None
    assert p.search("my loss was nan").group(0) == "loss was nan" and p._compiled is not None
    assert [m.group(0) for m in p.finditer("loss is nan, loss was nan")] == ["loss is nan", "loss was nan"]
    assert p.findall("nothing") == [] and p.sub("x", "loss is nan") == "x"


def test_literals_are_kept_in_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.lazyre as lazyre

    monkeypatch.setenv("TSA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(lazyre, "_known", None)
    assert literal_needs(["loss (is|was) nan"]) == {"loss (is|was) nan": ("loss ",)}
    assert list(tmp_path.glob("regex-literals-*.marshal"))
    monkeypatch.setattr(lazyre, "needs", lambda p, flags=0: pytest.fail("parsed again"))
    monkeypatch.setattr(lazyre, "_known", None)
    assert literal_needs(["loss (is|was) nan"]) == {"loss (is|was) nan": ("loss ",)}

"""The fuzz harness in CI: a bounded run of every target, and Hypothesis-driven mutants per reader.

The run (``run_fuzz``) is the one ``bench/fuzz.py`` makes for long, bounded here to
``TSA_FUZZ_SECONDS`` (60 s: CI has 2 cores and 90 minutes for everything); its workers are
processes, so a crash is a counted death, not a lost test run. Inputs over their CPU budget are
reported but not asserted (tests do not assert timings; the bench does). The Hypothesis tests
run the same mutators in this process with a seeded, shrinking ``Random``: a failure comes back
as the smallest mutation sequence that shows it.
"""
from __future__ import annotations

import os
from pathlib import Path
from random import Random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import run_fuzz
from tests.fuzz.mutate import BIG_SHARE, MAX_LEN, MAX_OUTPUT, mutate
from tests.fuzz.targets import check_error, targets

SECONDS = float(os.environ.get("TSA_FUZZ_SECONDS", "60"))
FILE_TARGETS = sorted(n for n, t in targets().items() if t.kind == "file" and t.seeds)
SMALL = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


def test_a_bounded_fuzz_run_finds_nothing(tmp_path: Path) -> None:
    stats = run_fuzz(SECONDS, out=tmp_path / "findings", seed=13)
    report = "\n".join(f"{n}: tried {s.tried}, unexpected {s.unexpected}, over budget {s.over_budget}, "
                       f"deaths {s.deaths}, findings {s.findings[:3]}" for n, s in stats.items())
    print(report)
    assert all(s.tried > 0 for s in stats.values() if s.seeds), report
    assert sum(s.unexpected for s in stats.values()) == 0, report
    assert sum(s.deaths for s in stats.values()) == 0, report


def test_every_reader_has_seeds() -> None:
    """A reader without a seed is a reader the fuzzer never reaches (tests/fuzz/seeds holds the missing kinds)."""
    from assistant.evidence import READERS

    assert {cls.name for cls in READERS} <= {n for n, t in targets().items() if t.seeds}


@pytest.mark.parametrize("name", FILE_TARGETS)
@SMALL
@given(data=st.data())
def test_a_reader_survives_mutants(name: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    from assistant.evidence import read_attachment

    target = targets()[name]
    seed = data.draw(st.sampled_from(target.seeds), label="seed")
    rnd = data.draw(st.randoms(use_true_random=False), label="random")
    path = tmp_path_factory.mktemp("mutant") / seed.name
    path.write_bytes(mutate(seed.read_bytes()[:256 * 1024], rnd))
    try:
        read_attachment(path)
    except Exception as e:  # noqa: BLE001
        assert check_error(e) is None, check_error(e)


@SMALL
@given(text=st.text(alphabet=st.characters(codec=None), max_size=2000), kind=st.sampled_from(["unknown", "grpo"]))
def test_the_words_survive_any_text(text: str, kind: str) -> None:
    from assistant.words import facts_from_words

    facts_from_words(text, kind)


@settings(max_examples=10, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_consultation_survives_a_mutated_question(data: st.DataObject) -> None:
    from assistant.consult import consult
    from assistant.render.json import render_json

    seed = data.draw(st.sampled_from(targets()["words"].seeds), label="question")
    question = mutate(seed.read_bytes(), data.draw(st.randoms(use_true_random=False)))[:20_000]
    render_json(consult(question.decode("utf-8", "surrogateescape")))


def test_mutations_are_deterministic_and_bounded() -> None:
    seed = b"learning_rate: 2e-5\nmicro_batch_size: 2\n"
    first = [mutate(seed, Random(i)) for i in range(200)]
    assert first == [mutate(seed, Random(i)) for i in range(200)]
    assert max(map(len, first)) <= MAX_OUTPUT


def test_most_mutants_are_small_and_some_are_big() -> None:
    """libFuzzer's -max_len: a window of the seed, at most MAX_LEN bytes; BIG_SHARE from the whole seed,
    growing past it (lines of megabytes, 200,000 digits, 100,000 levels all still made)."""
    seed = b"".join(b"{'loss': %d.5, 'learning_rate': 2e-05, 'epoch': 0.%d}\n" % (i, i) for i in range(500))
    rnd = Random(13)
    mutants = [mutate(seed, rnd) for _ in range(3000)]
    small = [m for m in mutants if not m.big]
    assert all(len(m) <= MAX_LEN for m in small)
    assert 0.5 * BIG_SHARE < 1 - len(small) / len(mutants) < 2 * BIG_SHARE
    big = [mutate(seed, Random(i), big=True) for i in range(300)]
    assert max(map(len, big)) > 1024 * 1024 and sum(len(m) > MAX_LEN for m in big) > 100

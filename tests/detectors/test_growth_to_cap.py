"""symptom.growth_to_cap."""
from __future__ import annotations

import pytest

from .helpers import NAN, detect, named, noisy_level, one, series_of, trainer_state


def growth(caps: dict[str, float] | None = None, **columns: list[float]) -> list:
    return detect("growth_to_cap", series_of(**columns), run_kind="grpo", caps=caps or {})


def climbing(n: int, start: float, end: float, noise: float = 0.02) -> list[float]:
    return [min(end, start + (end - start) * i / (0.8 * n)) * e for i, e in enumerate(noisy_level(n, 1.0, noise))]


def test_mean_length_climbs_to_max_length() -> None:
    length = climbing(50, 200, 1024, noise=0.0)
    f = one(growth(completions__mean_length=length, completions__max_length=[1024.0] * 50), "symptom.growth_to_cap")
    assert f.attr("metric") == "completions/mean_length" and f.attr("cap") == 1024.0
    assert f.attr("start") < 400 and f.attr("end") == 1024.0
    assert f.attr("step") == next(i + 1 for i, v in enumerate(length) if v >= 0.9 * 1024)


def test_cap_from_the_config() -> None:
    length = climbing(50, 200, 1024)
    assert growth({"completions/mean_length": 1024.0}, completions__mean_length=length)
    # MUST NOT fire: max_completion_length 4096 is far above where the length levels off.
    assert not growth({"completions/mean_length": 4096.0}, completions__mean_length=length,
                      completions__max_length=[1024.0] * 50)


def test_clipped_ratio_rises_past_0_8() -> None:
    f = one(growth(completions__clipped_ratio=climbing(40, 0.1, 0.95, noise=0.0)), "symptom.growth_to_cap")
    assert (f.attr("metric"), f.attr("cap")) == ("completions/clipped_ratio", 1.0)


@pytest.mark.parametrize("columns", [
    pytest.param({"completions__mean_length": [1020.0] * 30, "completions__max_length": [1024.0] * 30},
                 id="at the cap from the start: no growth"),
    pytest.param({"completions__mean_length": climbing(40, 200, 500), "completions__max_length": [1024.0] * 40},
                 id="rising far below the cap"),
    pytest.param({"completions__mean_length": climbing(40, 200, 1024)}, id="no cap known"),
    pytest.param({"completions__mean_length": noisy_level(60, 900, 0.1), "completions__max_length": [1024.0] * 60},
                 id="noisy near the cap without a rise"),
    pytest.param({"completions__clipped_ratio": climbing(40, 0.05, 0.4)}, id="clipped ratio under 0.8"),
    pytest.param({"completions__mean_length": [200.0, 1024.0, 1024.0], "completions__max_length": [1024.0] * 3},
                 id="three points"),
    pytest.param({"completions__mean_length": [NAN] * 10}, id="all NaN"),
])
def test_must_not_fire(columns: dict[str, list[float]]) -> None:
    assert growth(**columns) == []


def test_chaos_economy_length_runs_into_the_512_cap() -> None:
    _, _, facts = trainer_state("Rusheel86")
    f = one(facts, "symptom.growth_to_cap", metric="completions/mean_length")
    assert f.attr("cap") == 512.0 and f.attr("end") == 512.0
    assert one(facts, "symptom.growth_to_cap", metric="completions/clipped_ratio").attr("end") == 1.0


def test_sft_runs_have_no_completions() -> None:
    _, _, facts = trainer_state("Dheena731")
    assert not named(facts, "symptom.growth_to_cap")

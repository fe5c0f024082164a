"""symptom.plateau and symptom.loss_flat_from_start."""
from __future__ import annotations

import pytest

from .helpers import GRPO_LOSS, NAN, detect, make_series, named, noisy_decay, noisy_level, one, trainer_state


def plateau(loss: list[float], run_kind: str = "sft") -> list:
    return detect("plateau", {"loss": make_series("loss", loss)}, run_kind=run_kind)


def falls_then_flat(start: float, level: float, fall: int, flat: int, noise: float = 0.01) -> list[float]:
    """A linear fall over ``fall`` points, then ``flat`` noisy points at ``level``."""
    head = [start + (level - start) * i / fall for i in range(fall)]
    return head + noisy_level(flat, level, noise)


def test_loss_stuck_at_2_6_after_falling_from_3_4() -> None:
    f = one(plateau(falls_then_flat(3.4, 2.6, fall=40, flat=60)), "symptom.plateau")
    assert f.attr("level") == pytest.approx(2.6, rel=0.02)
    assert f.attr("start_level") == pytest.approx(3.4, rel=0.02)
    assert f.attr("expected_max") == 2.0  # rules/ranges.yaml, sft loss healthy [0.5, 2.0]
    assert f.attr("drop_fraction") == pytest.approx(0.8 / 3.4, rel=0.05)
    assert 33 <= f.attr("from_step") <= 45  # the fall ends at step 41
    assert not named(plateau(falls_then_flat(3.4, 2.6, 40, 60)), "symptom.loss_flat_from_start")


def test_loss_that_never_falls() -> None:
    facts = plateau(noisy_level(50, 2.5, 0.01))
    f = one(facts, "symptom.loss_flat_from_start")
    assert f.attr("n") == 50 and f.attr("drop_fraction") < 0.05 and f.attr("expected_max") == 2.0
    assert not named(facts, "symptom.plateau")


def test_dpo_loss_stuck_at_ln2_is_flat_from_start_without_a_range() -> None:
    f = one(plateau(noisy_level(30, 0.6931, 0.005), run_kind="dpo"), "symptom.loss_flat_from_start")
    assert f.attr("expected_max") is None


@pytest.mark.parametrize("kind, loss", [
    pytest.param("sft", noisy_decay(500, start=2.5, end=1.0), id="healthy SFT ends at 1.0"),
    pytest.param("sft", falls_then_flat(2.0, 1.2, 20, 40), id="plateau inside the healthy range"),
    pytest.param("sft", [8.0 - 0.05 * i for i in range(100)], id="still falling above 2"),
    pytest.param("sft", falls_then_flat(3.4, 2.6, 3, 4), id="seven points are too few"),
    pytest.param("grpo", GRPO_LOSS * 3, id="GRPO signed loss"),
    pytest.param("unknown", falls_then_flat(3.4, 2.6, 40, 60), id="no range for the run kind"),
    pytest.param("sft", [0.0] * 20, id="all-zero loss is stuck_zero's"),
    pytest.param("sft", [NAN] * 20, id="all NaN"),
    pytest.param("sft", [2.5], id="single point"),
])
def test_must_not_fire(kind: str, loss: list[float]) -> None:
    facts = plateau(loss, kind)
    assert not named(facts, "symptom.plateau") and not named(facts, "symptom.loss_flat_from_start")


@pytest.mark.parametrize("stem", ["Dheena731", "DMalakhov1", "O5-7", "Jaong"])
def test_real_sft_runs_do_not_plateau(stem: str) -> None:
    # DMalakhov1 levels off near 1.28: inside the healthy 0.5-2.0, so not a plateau finding.
    _, _, facts = trainer_state(stem)
    assert not named(facts, "symptom.plateau") and not named(facts, "symptom.loss_flat_from_start")

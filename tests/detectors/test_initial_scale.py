"""symptom.loss_start."""
from __future__ import annotations

import pytest

from .helpers import GRPO_LOSS, NAN, detect, make_series, one, series_of, trainer_state


def start(**columns: list[float]) -> list:
    return detect("initial_scale", series_of(**columns), run_kind="sft")


def test_first_loss_with_its_grad_norm() -> None:
    f = one(start(loss=[11.9, 8.0, 5.0], grad_norm=[40.0, 20.0, 10.0]), "symptom.loss_start")
    assert f.value == {"value": 11.9, "step": 1, "grad_norm": 40.0}


def test_grad_norm_only_from_the_same_step() -> None:
    series = {"loss": make_series("loss", [2.0, 1.9], steps=[10, 20]),
              "grad_norm": make_series("grad_norm", [1.0, 1.1], steps=[20, 30])}
    assert one(detect("initial_scale", series), "symptom.loss_start").attr("grad_norm") is None


def test_leading_nan_is_skipped() -> None:
    assert one(start(loss=[NAN, 2.5, 2.4]), "symptom.loss_start").value == {"value": 2.5, "step": 2, "grad_norm": None}


def test_grpo_loss_is_reported_as_is() -> None:
    # Emitted for every run kind; rules decide what a negative GRPO start means (nothing).
    assert one(start(loss=GRPO_LOSS), "symptom.loss_start").attr("value") == GRPO_LOSS[0]


def test_decimated_series_keeps_the_exact_first_point() -> None:
    s = make_series("loss", [3.0] + [1.0, 1.0, 9.0, 1.0] * 25, capacity=16)
    assert s.decimated
    assert one(detect("initial_scale", {"loss": s}), "symptom.loss_start").attr("value") == 3.0


@pytest.mark.parametrize("columns", [
    pytest.param({"loss": [NAN] * 5}, id="all NaN"),
    pytest.param({"loss": []}, id="empty"),
    pytest.param({"grad_norm": [1.0, 2.0]}, id="no loss"),
])
def test_must_not_fire(columns: dict[str, list[float]]) -> None:
    assert start(**columns) == []


def test_real_run() -> None:
    _, _, facts = trainer_state("DMalakhov1")
    f = one(facts, "symptom.loss_start")
    assert (f.attr("value"), f.attr("step"), f.attr("grad_norm")) == (2.6428, 10, pytest.approx(0.698, abs=1e-3))

"""The registry, run_detectors' error handling, run-kind inference, and edge cases for every detector."""
from __future__ import annotations

import importlib
import pkgutil

import pytest

import assistant.detectors as detectors_pkg
from assistant.detectors import REGISTRY, DetectContext, infer_run_kind, run_detectors, source_of
from assistant.detectors._base import Detector
from assistant.evidence.series import MetricSeries, Point

from .helpers import NAN, make_series

ALL_METRICS = [
    "loss", "grad_norm", "learning_rate", "eval_loss", "epoch", "reward", "reward_std", "frac_reward_zero_std",
    "rewards/f/mean", "rewards/f/std", "entropy", "kl", "completions/mean_length", "completions/max_length",
    "completions/clipped_ratio", "completions/mean_terminated_length", "sampling/sampling_logp_difference/mean",
    "sampling/importance_sampling_ratio/min", "clip_ratio/region_mean", "ebft/alignment", "ebft/diversity",
    "ebft/cfm_loss",
]
# Facts that describe a curve's shape: none may come from a single point.
SHAPE_FACTS = {
    "symptom.spikes", "symptom.early_spike", "symptom.plateau", "symptom.loss_flat_from_start",
    "symptom.eval_divergence", "symptom.loss_collapse", "symptom.trend", "symptom.growth_to_cap",
    "symptom.lr_schedule", "symptom.grad_norm_blowup",
}


def test_every_module_in_the_package_registers_one_detector() -> None:
    modules = {
        f"{detectors_pkg.__name__}.{m.name}"
        for m in pkgutil.iter_modules(detectors_pkg.__path__)
        if not m.name.startswith("_")
    }
    for module in modules:
        importlib.import_module(module)
    registered = [d.module for d in REGISTRY.values()]
    assert sorted(registered) == sorted(modules)


def test_a_failing_detector_becomes_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(series: object, ctx: DetectContext) -> list:
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(REGISTRY, "broken", Detector("broken", broken, __name__))
    facts, warnings = run_detectors({"loss": make_series("loss", [2.0, 1.9, 1.8])})
    assert warnings == ["detector broken failed: ZeroDivisionError: boom"]
    assert any(f.name == "symptom.loss_start" for f in facts)


def test_run_detectors_infers_an_unknown_run_kind() -> None:
    # SFT grad_norm 500 is past the SFT red flag (100) only if the kind is inferred as sft.
    series = {"loss": make_series("loss", [1.5] * 5), "grad_norm": make_series("grad_norm", [500.0] * 5)}
    facts, _ = run_detectors(series, DetectContext())
    assert any(f.name == "symptom.out_of_range" and f.attr("red") and f.attr("threshold") == 100.0 for f in facts)


@pytest.mark.parametrize("names, kind", [
    (["loss", "grad_norm", "learning_rate"], "sft"),
    (["loss", "reward", "reward_std"], "grpo"),
    (["loss", "rewards/accuracy/mean"], "grpo"),
    (["completions/mean_length"], "grpo"),
    (["loss", "rewards/chosen", "rewards/rejected"], "dpo"),  # rewards/chosen is DPO, not GRPO
    (["loss", "logps/chosen"], "dpo"),
    (["loss", "ebft/alignment", "completions/mean_length"], "ebft"),
    (["learning_rate"], "unknown"),
    ([], "unknown"),
])
def test_infer_run_kind(names: list[str], kind: str) -> None:
    assert infer_run_kind(names) == kind


@pytest.mark.parametrize("point, source, expected", [
    (Point(812, 1.0, 4411), "train.log", "train.log:4411"),
    (Point(812, 1.0, 0), "trainer_state.json", "trainer_state.json#step=812"),
    (Point(5, 1.0, 0), "", "metrics#step=5"),
])
def test_source_of(point: Point, source: str, expected: str) -> None:
    assert source_of(DetectContext(source=source), point) == expected


@pytest.mark.parametrize("kind", ["sft", "grpo", "ebft", "dpo", "unknown"])
@pytest.mark.parametrize("name", sorted(REGISTRY))
class TestEdgeCasesNeverCrash:
    """MUST NOT fire (beyond what one value can say) and must never raise."""

    def test_no_series(self, name: str, kind: str) -> None:
        assert REGISTRY[name].detect({}, DetectContext(run_kind=kind)) == []

    def test_empty_series(self, name: str, kind: str) -> None:
        series = {m: MetricSeries(m) for m in ALL_METRICS}
        assert REGISTRY[name].detect(series, DetectContext(run_kind=kind)) == []

    def test_single_point(self, name: str, kind: str) -> None:
        series = {m: make_series(m, [0.5]) for m in ALL_METRICS}
        facts = REGISTRY[name].detect(series, DetectContext(run_kind=kind))
        assert not SHAPE_FACTS & {f.name for f in facts}

    def test_all_nan(self, name: str, kind: str) -> None:
        series = {m: make_series(m, [NAN] * 20) for m in ALL_METRICS}
        facts = REGISTRY[name].detect(series, DetectContext(run_kind=kind))
        assert {f.name for f in facts} <= {"symptom.nonfinite", "symptom.nan_first"}

"""The live reading keeps series small and rewinds them when the run restarts from a checkpoint."""
from __future__ import annotations

from assistant.watch.live import LiveReading


def test_series_stay_bounded_and_keep_the_nan() -> None:
    r = LiveReading("train.log", "stdout_log", capacity=64)
    feed = r.series_for("loss")
    for step in range(1, 5001):
        feed.add(step, float("nan") if step == 3333 else 1.0 + step * 1e-4, step)
    s = r.series["loss"]
    assert len(s) <= 64 and s.count == 5000
    assert s.first_nonfinite is not None and s.first_nonfinite.step == 3333
    assert any(p.step == 3333 for p in s)


def test_a_step_going_back_rewinds_every_series() -> None:
    r = LiveReading("train.log", "stdout_log")
    r.series_for("loss").extend(list(range(1, 11)), [2.0] * 10, list(range(1, 11)))
    r.series_for("eval_loss").extend([5, 10], [1.5, 1.4], [5, 10])
    r.series_for("loss").extend([6, 7], [9.0, 9.0], [100, 101])  # the run resumed from checkpoint 5
    assert r.restarts == [6]
    assert [p.step for p in r.series["loss"]] == [1, 2, 3, 4, 5, 6, 7]
    assert [p.value for p in r.series["loss"]][-2:] == [9.0, 9.0]
    assert [p.step for p in r.series["eval_loss"]] == [5]
    assert r.last_step == 7


def test_in_order_points_never_rewind() -> None:
    r = LiveReading("train.log", "stdout_log")
    r.series_for("loss").extend([1, 2, 2, 3], [1.0, 1.0, 1.0, 1.0], [1, 2, 3, 4])  # an eval at the same step
    r.series_for("loss").add(3, 1.0)
    assert r.restarts == [] and r.series["loss"].count == 5

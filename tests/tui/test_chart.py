"""The chart marks what the detectors found, at the steps where they found it.

A generated run with a known spike (step 812) and a known NaN onset (step 950)
goes through the real consultation (reader, detectors, engine); the chart model
must place the events on those steps and the braille drawing must put the marks
and the spike's column where a person looks for them.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from assistant.consult import Consultation
from assistant.render.chart import ChartData, Event, Panel, chart_data
from assistant.tui.braille import GUTTER, MARKS, draw_panel, event_columns

SPIKE, NAN_FROM, STEPS = 812, 950, 1000


def _loss(step: int) -> float:
    if step >= NAN_FROM:
        return math.nan
    if step == SPIKE:
        return 9.5
    return 2.0 * math.exp(-step / 400) + 0.6 + 0.02 * math.sin(step)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Consultation, ChartData]:
    """A trainer_state.json logged every step: smooth loss, one spike, then NaN to the end."""
    history = [{"step": s, "epoch": s / STEPS, "loss": _loss(s), "grad_norm": 0.8 + 0.01 * (s % 7),
                "learning_rate": 2e-4 * min(1.0, s / 50)} for s in range(1, STEPS + 1)]
    state = {"global_step": STEPS, "max_steps": 2000, "logging_steps": 1, "log_history": history}
    path = tmp_path_factory.mktemp("run") / "trainer_state.json"
    path.write_text(json.dumps(state))  # json writes NaN bare, as trainers do
    c = Consultation(question="")
    c.attach(path)
    report = c.run()
    return c, chart_data(c.readings, report.facts)


def _panel(chart: ChartData, title: str) -> Panel:
    return next(p for p in chart.panels if p.title == title)


def test_panels_for_the_logged_metrics(generated) -> None:
    _, chart = generated
    assert [p.title for p in chart.panels] == ["loss", "grad_norm", "learning_rate"]
    loss = _panel(chart, "loss").series["loss"]
    assert loss[0][0] == 1 and loss[-1][0] == STEPS and len(loss) == STEPS
    assert math.isnan(dict(loss)[NAN_FROM])  # non-finite values stay in the model


def test_events_sit_at_the_known_steps(generated) -> None:
    _, chart = generated
    events = _panel(chart, "loss").events
    assert Event(SPIKE, "spike", "loss", "spikes") in events
    assert Event(NAN_FROM, "first NaN", "loss", "nonfinite") in events
    assert all(e.metric == "loss" for e in events)
    assert _panel(chart, "learning_rate").events == []


def test_the_drawing_marks_the_spike_and_the_nan_where_they_happened(generated) -> None:
    _, chart = generated
    panel = _panel(chart, "loss")
    width, rows = 80, 6
    lines = [t.plain for t in draw_panel(panel, width, rows)]
    cells = width - GUTTER
    cols = {e.step: c for c, e in event_columns(panel, cells).items()}
    expect = {SPIKE: round((SPIKE - 1) * (2 * cells - 1) / (STEPS - 1)) // 2,
              NAN_FROM: round((NAN_FROM - 1) * (2 * cells - 1) / (STEPS - 1)) // 2}
    assert cols[SPIKE] == expect[SPIKE] and cols[NAN_FROM] == expect[NAN_FROM]
    axis = lines[-1][GUTTER:]
    assert axis[expect[SPIKE]] == MARKS["spikes"][0]
    assert axis[expect[NAN_FROM]] == MARKS["nonfinite"][0]
    top = lines[1][GUTTER:]
    assert top[expect[SPIKE]] != " "  # the spike reaches the top row: visible without reading a number
    assert set(top[expect[NAN_FROM] + 1:]) == {"×"}  # NaN from there to the end, marked along the top
    assert f"▲{SPIKE} spike" in lines[0] and f"✖{NAN_FROM} first NaN" in lines[0]


def test_events_follow_the_file_they_were_found_in() -> None:
    """With two runs attached, each panel gets only its own file's events."""
    from assistant.evidence.series import MetricSeries, Reading

    def reading(name: str) -> Reading:
        s = MetricSeries("loss")
        for step in range(1, 11):
            s.add(step, 1.0)
        return Reading(name, "stdout_log", series={"loss": s})

    facts = [{"name": "symptom.spikes", "value": {"metric": "loss", "worst_step": 4, "first_step": 4, "count": 1},
              "source": "a.log:4"},
             {"name": "symptom.nonfinite", "value": {"metric": "loss", "step": 7, "value": "inf"},
              "source": "trainer_state.json#step=7"}]
    chart = chart_data([reading("/x/a.log"), reading("/y/trainer_state.json")], facts)
    assert [p.title for p in chart.panels] == ["a.log: loss", "trainer_state.json: loss"]
    assert chart.panels[0].events == [Event(4, "spike", "loss", "spikes")]
    assert chart.panels[1].events == [Event(7, "first inf", "loss", "nonfinite")]


def test_grpo_run_gets_the_rl_panels_and_the_cap_event() -> None:
    c = Consultation(question="")
    c.attach(Path(__file__).resolve().parents[2] / "examples" / "grpo-truncated" / "train.log")
    chart = chart_data(c.readings, c.run().facts)
    titles = [p.title for p in chart.panels]
    assert {"reward", "entropy", "completion length", "clipped ratio"} <= set(titles)
    clipped = _panel(chart, "clipped ratio")
    assert any(e.kind == "growth_to_cap" for e in clipped.events)


def test_a_wide_ranging_positive_metric_is_drawn_on_a_log_scale() -> None:
    panel = Panel("grad_norm", {"grad_norm": [(s, 0.5 if s != 50 else 1e5) for s in range(1, 101)]})
    lines = [t.plain for t in draw_panel(panel, 40, 4)]
    assert "(log)" in lines[0]
    assert lines[1].startswith("    1e5┤") and lines[4].startswith("    0.5┤")

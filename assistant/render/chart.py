"""The metric chart as data: panels of series, with the detected events at their steps.

Renderer-neutral on purpose: the terminal chat draws it with braille characters,
the Slack bot draws it as a PNG, and both must mark the same events at the same
steps. Events come from the ``symptom.*`` facts of the report (the detectors the
diagnosis used), never from a second look at the numbers, so the picture and
the diagnosis cannot disagree.

Non-finite values stay in the series (a NaN at step 213 is the point of the
picture); renderers decide how to show them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

if TYPE_CHECKING:  # the evidence package imports every reader; a chart only reads what they made
    from assistant.evidence.series import Reading

__all__ = ["ChartData", "Event", "Panel", "PANELS", "chart_data"]

# (title, metrics drawn in it), in display order. A panel appears when one of its metrics was
# logged; the RL panels therefore appear for GRPO-style runs only.
PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("loss", ("loss", "eval_loss")),
    ("grad_norm", ("grad_norm",)),
    ("learning_rate", ("learning_rate",)),
    ("reward", ("reward",)),
    ("entropy", ("entropy",)),
    ("kl", ("kl",)),
    ("completion length", ("completions/mean_length",)),
    ("clipped ratio", ("completions/clipped_ratio",)),
)


@dataclass(frozen=True)
class Event:
    """Something a detector found at one step of one metric.

    ``kind`` is the symptom's name without ``symptom.`` (``nonfinite``, ``spikes``,
    ``plateau``, ``eval_divergence`` ...), so renderers can colour by kind and a
    person can trace the mark back to the fact.
    """

    step: int
    label: str
    metric: str
    kind: str


@dataclass
class Panel:
    """One plot: its series (metric -> (step, value) points) and the events on them."""

    title: str
    series: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


@dataclass
class ChartData:
    panels: list[Panel] = field(default_factory=list)


def chart_data(readings: Sequence[Reading], facts: Iterable[Mapping[str, Any] | Any]) -> ChartData:
    """Panels for every reading with metric series; ``facts`` as in ``Report.facts``.

    Facts may also be engine ``Fact`` objects (name/value/source attributes).
    When several readings carry series, panel titles name their file.
    """
    plotted = [r for r in readings if any(len(s) for s in r.series.values())]
    symptoms = [_fields(f) for f in facts]
    symptoms = [f for f in symptoms if f[0].startswith("symptom.") and isinstance(f[1], Mapping)]
    panels: list[Panel] = []
    for reading in plotted:
        name = Path(reading.path).name
        mine = [f for f in symptoms if len(plotted) == 1 or _file_of(f[2]) == name]
        events = _events(mine)
        for title, metrics in PANELS:
            series = {m: [(p.step, p.value) for p in reading.series[m]]
                      for m in metrics if m in reading.series and len(reading.series[m])}
            if not series:
                continue
            on_panel = sorted((e for e in events if e.metric in series), key=lambda e: (e.step, e.kind))
            panels.append(Panel(f"{name}: {title}" if len(plotted) > 1 else title, series, on_panel))
    return ChartData(panels)


def _fields(fact: Mapping[str, Any] | Any) -> tuple[str, Any, str]:
    if isinstance(fact, Mapping):
        return str(fact.get("name", "")), fact.get("value"), str(fact.get("source") or "")
    return str(fact.name), getattr(fact, "value", None), str(getattr(fact, "source", "") or "")


def _file_of(source: str) -> str:
    """``train.log:431`` / ``trainer_state.json#step=812`` -> the file name."""
    base = source.split("#", 1)[0]
    head, sep, tail = base.rpartition(":")
    return head if sep and tail.isdigit() else base


def _step(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _events(symptoms: list[tuple[str, Any, str]]) -> list[Event]:
    """Symptom facts -> events; one NaN mark per metric and step, however many facts name it."""
    out: dict[tuple[int, str, str], Event] = {}

    def add(step: Any, label: str, metric: Any, kind: str) -> None:
        s = _step(step)
        if s is None or not metric:
            return
        out.setdefault((s, str(metric), kind), Event(s, label, str(metric), kind))

    for name, v, _ in symptoms:
        kind = name[len("symptom."):]
        metric = v.get("metric")
        if kind in ("nonfinite", "nan_first"):
            what = "inf" if "inf" in str(v.get("value", "")).lower() else "NaN"
            add(v.get("step"), f"first {what}", metric, "nonfinite")
        elif kind == "spikes":
            add(v.get("worst_step"), "spike", metric, kind)
            if v.get("first_step") != v.get("worst_step") and (v.get("count") or 0) > 1:
                add(v.get("first_step"), "first spike", metric, kind)
        elif kind == "early_spike":
            add(v.get("step"), "early spike", metric, kind)
        elif kind == "plateau":
            add(v.get("from_step"), "plateau", metric, kind)
        elif kind == "eval_divergence":
            add(v.get("eval_min_step"), "eval diverges", metric or "eval_loss", kind)
        elif kind == "growth_to_cap":
            add(v.get("step"), "hits cap", metric, kind)
        elif kind == "out_of_range" and v.get("red"):  # only the guide's red flags; the rest is noise here
            sign = ">" if v.get("direction") == "high" else "<"
            threshold = v.get("threshold")
            add(v.get("first_step"), f"{sign} {threshold:g}" if isinstance(threshold, (int, float)) else "out of range",
                metric, kind)
        elif kind == "grad_norm_blowup":
            add(v.get("step"), "blow-up", metric or "grad_norm", kind)
        elif kind == "stuck_zero":
            add(v.get("from_step"), "stuck at 0", metric, kind)
        elif kind == "loss_collapse":
            add(v.get("step"), "collapse", metric, kind)
    return list(out.values())

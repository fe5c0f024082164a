"""Probes: what this machine is (GPUs, drivers, torch, packages, host), as a report and as facts.

``run_probes()`` returns the report (JSON-ready; schema in ``schema.json``),
``probe_facts(report)`` the ``probe.*`` facts the rules read. Facts are made
by the same flattening the probe-report reader applies to an attached file,
after a JSON round trip, so a report saved on the training host and attached
on a laptop gives exactly the facts the host would have produced itself.
"""
from __future__ import annotations

import json
from typing import Any

from assistant.engine.facts import Fact

__all__ = ["PROBE_VERSION", "run_probes", "probe_facts", "report_json"]


def __getattr__(name: str) -> Any:
    """`PROBE_VERSION` and `run_probes` load the probe modules (importlib.metadata, NVML bindings,
    ~50 ms) on first access: `ask --no-probe` imports this package only for `extra_facts`."""
    if name in ("PROBE_VERSION", "run_probes"):
        from assistant.probes import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def report_json(report: dict[str, Any]) -> str:
    """The report as the text ``--save`` writes and the reader reads back."""
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def probe_facts(report: dict[str, Any] | None = None) -> list[Fact]:
    """``probe.<dotted key>`` facts of ``report`` (a fresh probe of this machine when None)."""
    from assistant.evidence._structured import flatten_json  # the reader's own flattening, for identical facts

    from assistant.probes.report import run_probes

    text = report_json(run_probes() if report is None else report)
    return [Fact(key, value, "probe") for key, value, _ in flatten_json(json.loads(text), text, "probe")]

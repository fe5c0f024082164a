"""An estimate judged against the GPU memory: the verdict and, when it does not fit, the ladder."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from assistant.errors import InputError
from assistant.estimate.ladder import RUNGS, LadderResult, climb
from assistant.estimate.memory import GIB, Estimate, estimate_memory
from assistant.estimate.model import ModelDims, resolve_model
from assistant.estimate.setup import TrainSetup, setup_from_config

__all__ = ["Assessment", "assess", "config_from_file", "config_from_facts", "TIGHT"]

TIGHT = 0.85  # a peak above this share of the memory fits only within the estimate's error (~15%)


@dataclass(frozen=True)
class Assessment:
    """The breakdown, the memory it is judged against (None: unknown) and the ladder's answer."""

    estimate: Estimate
    memory_gib: float | None
    memory_source: str
    ladder: LadderResult | None
    sharded_peak_bytes: float | None = None  # the peak with the weights split across the GPUs (ZeRO-3), when not already
    sharded_with: tuple[str, ...] = ()  # the cheap rungs (batch, gradient_checkpointing) that sharded peak also needs

    @property
    def tight(self) -> bool:
        """Fits, but with less than the estimate's error to spare."""
        return bool(self.fits) and self.memory_gib is not None and self.estimate.peak_bytes > TIGHT * self.memory_gib * GIB

    @property
    def fits(self) -> bool | None:
        if self.memory_gib is None:
            return None
        return self.estimate.peak_bytes <= self.memory_gib * GIB


def assess(config: Mapping[str, Any], *, gpus: int = 1, memory_gib: float | None = None,
           memory_source: str = "", params: float | None = None,
           environ: Mapping[str, str] | None = None) -> Assessment:
    """Estimate ``config`` (normalised keys) on ``gpus`` GPUs of ``memory_gib`` each (None: no verdict).

    Raises UnknownModel when the model's size cannot be found and ``params`` is not given.
    """
    setup = setup_from_config(config)
    dims = resolve_model(setup.base_model, setup.base_model_config, params, environ)
    est = estimate_memory(dims, setup, gpus)
    ladder = None
    if memory_gib is not None and est.peak_bytes > memory_gib * GIB:
        ladder = climb(dims, setup, gpus, memory_gib * GIB)
    elif memory_gib is not None and est.peak_bytes > TIGHT * memory_gib * GIB:
        # inside the estimate's own error: the rung that would leave that margin free
        ladder = climb(dims, setup, gpus, TIGHT * memory_gib * GIB)
    sharded, sharded_with = None, ()
    if ladder is not None and gpus > 1 and setup.zero_stage < 3 and setup.fsdp != "full_shard":
        sharded, sharded_with = _sharded_peak(dims, replace(setup, zero_stage=3), gpus, memory_gib)
    return Assessment(est, memory_gib, memory_source, ladder, sharded, sharded_with)


def _sharded_peak(dims: ModelDims, setup: TrainSetup, gpus: int, memory_gib: float | None) -> tuple[float, tuple[str, ...]]:
    """The peak with the weights split over the GPUs (ZeRO-3); when that alone does not fit, with the
    ladder's cheap rungs (micro-batch, gradient checkpointing: no loss of precision) on top - sharding
    that fits with them is still a smaller change than quantising the weights."""
    peak = estimate_memory(dims, setup, gpus).peak_bytes
    if memory_gib is None or peak <= memory_gib * GIB:
        return peak, ()
    applied = []
    for rung in RUNGS[:2]:
        if rung.applies(setup):
            setup = rung.apply(setup)
            applied.append(rung.name)
    return estimate_memory(dims, setup, gpus).peak_bytes, tuple(applied)


def config_from_file(path: Path) -> dict[str, Any]:
    """The normalised config keys of an axolotl YAML, read by the project's own config reader."""
    from assistant.evidence import read_attachment  # the readers package is only needed here

    readings = read_attachment(Path(path))
    facts = [f for r in readings if r.kind == "axolotl_config" for f in r.facts]
    if not facts:
        kinds = ", ".join(sorted({r.kind for r in readings})) or "nothing"
        raise InputError(str(path), f"not an axolotl config (read as {kinds})")
    return config_from_facts((f.name, f.value) for f in facts)


def config_from_facts(pairs: Any) -> dict[str, Any]:
    """``config.<key>`` facts -> {key: value}, first occurrence winning."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name.startswith("config.") and name[len("config."):] not in out:
            out[name[len("config."):]] = value
    return out

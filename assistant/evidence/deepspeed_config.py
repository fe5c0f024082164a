"""DeepSpeed JSON configs (``deepspeed_configs/zero3_bf16.json`` and the like).

Every leaf becomes ``deepspeed.<dotted key>`` ("auto" stays a string: the HF
integration fills it from the trainer arguments). The ZeRO stage and offload
placement are also stated as ``config.deepspeed.*``, the names the axolotl
config reader derives from a ``deepspeed:`` value, so rules test one name.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from assistant.engine.facts import Fact
from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import CONFIG_LIMIT
from assistant.evidence._structured import JsonObjectReader
from assistant.evidence._text import source
from assistant.evidence.series import Reading

__all__ = ["DeepSpeedConfigReader", "derived_from_dict", "derived_from_name"]

_STAGE_IN_NAME = re.compile(r"zero[_-]?(\d)", re.I)


@register
class DeepSpeedConfigReader(JsonObjectReader, Reader):
    name = "deepspeed_config"
    kind = "deepspeed_config"
    max_bytes = CONFIG_LIMIT
    sniff_key = re.compile(rb'"(?:zero_optimization|train_micro_batch_size_per_gpu|zero_allow_untested_optimizer|'
                           rb'gradient_clipping|zero_force_ds_cpu_optimizer)"\s*:')
    fact_prefix = "deepspeed"

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        _, data, leaves = self.load(path)
        name = path.name
        reading = Reading(str(path), self.kind)
        for key, value, line in leaves:
            reading.facts.append(Fact(key, value, source(name, line)))
        stage_line = next((f.source for f in reading.facts if f.name == "deepspeed.zero_optimization.stage"), name)
        reading.facts.extend(Fact(k, v, stage_line) for k, v in derived_from_dict(data).items())
        return reading


def derived_from_dict(ds: Mapping[str, Any]) -> dict[str, Any]:
    """config.deepspeed.{zero_stage, offload_optimizer, offload_param} from a DeepSpeed dict."""
    zero = ds.get("zero_optimization")
    if not isinstance(zero, Mapping):
        return {}
    out: dict[str, Any] = {}
    if isinstance(zero.get("stage"), int):
        out["config.deepspeed.zero_stage"] = zero["stage"]
    for part in ("offload_optimizer", "offload_param"):
        block = zero.get(part)
        device = block.get("device") if isinstance(block, Mapping) else None
        out[f"config.deepspeed.{part}"] = isinstance(device, str) and device.lower() not in ("none", "")
    return out


def derived_from_name(value: str) -> dict[str, Any]:
    """Stage and offload read off a name like ``zero3`` or ``zero3_bf16_cpuoffload_params.json``.

    A name without "offload" says nothing about offload, so no fact is made for it.
    """
    out: dict[str, Any] = {}
    stem = Path(value).name.lower()
    m = _STAGE_IN_NAME.search(stem)
    if m:
        out["config.deepspeed.zero_stage"] = int(m.group(1))
    if "offload" in stem:
        params = "param" in stem or "all" in stem
        optimizer = "optim" in stem or "all" in stem or not params
        if params:
            out["config.deepspeed.offload_param"] = True
        if optimizer:
            out["config.deepspeed.offload_optimizer"] = True
    return out

"""A running trainer's settings as the config facts every reader produces.

``TrainingArguments`` (and TRL's ``GRPOConfig``, ``SFTConfig``, ``DPOConfig``...)
are read the way the HF-arguments reader reads a printed dump: the class name
gives the run kind and the name layer (``call_kind``), the fields go through the
one name table (``dump_settings`` -> ``settings_facts``), so ``learning_rate``,
``per_device_train_batch_size`` -> ``micro_batch_size``, ``bf16``, ``max_grad_norm``
... become the ``config.*`` facts an axolotl YAML saying the same would give.
A PEFT model adds its LoRA config like a ``LoraConfig(...)`` call; axolotl's own
config (from the plugin) is read with axolotl's names and wins where both speak.
"""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Mapping

from assistant.engine.facts import Fact
from assistant.evidence._calls import CallDump
from assistant.evidence._translate import Setting, kind_of, settings_facts
from assistant.evidence.hf_args import dump_settings

__all__ = ["trainer_config_facts", "axolotl_config_facts", "merged"]


def _plain(value: Any) -> Any:
    """A setting's value as YAML would hold it: enums by value, sets as lists, objects by name."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return type(value).__name__


def _settings(fields: Mapping[str, Any]) -> list[Setting]:
    return [Setting(str(k), _plain(v)) for k, v in fields.items()]


def trainer_config_facts(args: Any, model: Any = None) -> list[Fact]:
    """Config facts of a ``TrainingArguments`` (or TRL config) and, for a PEFT model, its LoRA config."""
    fields = dict(args.to_dict()) if hasattr(args, "to_dict") else dict(vars(args))
    world = getattr(args, "world_size", None)
    if isinstance(world, int) and world > 1:
        fields["launcher.num_processes"] = world
    dumps = [CallDump(type(args).__name__, 0, 0, _settings(fields))]
    peft = getattr(model, "peft_config", None)
    if isinstance(peft, Mapping) and peft:
        lora = next(iter(peft.values()))
        lora_fields = lora.to_dict() if hasattr(lora, "to_dict") else vars(lora)
        dumps.append(CallDump("LoraConfig", 0, 0, _settings(lora_fields)))
    settings, tool, kind, line = dump_settings(dumps)
    return settings_facts(settings, tool, kind, Path(type(args).__name__), [], line)


def axolotl_config_facts(cfg: Mapping[str, Any]) -> list[Fact]:
    """Config facts of axolotl's own config (a plugin receives it), in axolotl's names."""
    settings = _settings({k: v for k, v in cfg.items() if not str(k).startswith("_")})
    return settings_facts(settings, "axolotl", kind_of(settings), Path("axolotl config"), [])


def merged(primary: Iterable[Fact], fallback: Iterable[Fact]) -> list[Fact]:
    """``primary`` facts, plus the ``fallback`` ones whose names ``primary`` does not hold."""
    first = list(primary)
    names = {f.name for f in first}
    return first + [f for f in fallback if f.name not in names]

"""Settings of any tool -> axolotl config entries, through the one name table (``_config_names``).

Readers of Trainer dumps, command lines and other tools' YAML hand over
``Setting(key, value, line)`` in the tool's own words plus the run kind the
source states (a config class, a subcommand, a stage); ``translate`` returns the
axolotl-named entries that ``_config_facts.config_facts`` turns into the same
``config.*`` / ``run.kind`` facts an axolotl YAML gives.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from assistant.engine.facts import Fact
from assistant.evidence._config_facts import (
    ATTENTION_FLAGS, KNOWN_KEYS, RENAMED, ConfigEntry, config_facts, number_of,
)
from assistant.evidence._config_names import KIND_LAYERS, KIND_MARKERS, RANK_MEANS_LORA, TOOL_DEFAULTS, VALUES, lookup, value_entries
from assistant.evidence._structured import fact_key

__all__ = ["Setting", "translate", "settings_facts", "kind_of", "coerce_text", "would_map", "RL_RUN_KINDS"]

# Run kinds stated as axolotl's `rl:` value (sft states nothing; reward is `reward_model: true`).
RL_RUN_KINDS = frozenset({"grpo", "dpo", "ipo", "simpo", "cpo", "kto", "orpo", "ppo"})
# Axolotl names another tool may use with another meaning: never taken over as they are.
_NOT_SAME = frozenset({"batch_size", "datasets", "test_datasets", "rl", "trl", "vllm"}) | RENAMED.keys() | ATTENTION_FLAGS.keys()


@dataclass(frozen=True)
class Setting:
    """One setting as a tool spells it: dotted key for nested / Hydra paths, 1-based line (0 = unknown)."""

    key: str
    value: Any
    line: int = 0


def coerce_text(text: str) -> Any:
    """A command-line or printed value as YAML would read it: numbers, booleans, None; else the text."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null", "~", ""):
        return None
    number = number_of(t)
    return t if number is None else number


def kind_of(settings: Iterable[Setting]) -> str | None:
    """The run kind the settings state themselves (a stage, an rlhf type, an estimator), else one their
    names imply (``num_generations`` only exists for GRPO); None when they say nothing."""
    implied = None
    for s in settings:
        said = value_entries(s.key, s.value)
        if "rl" in said:
            return str(said["rl"])
        if said.get("reward_model") is True:
            return "reward"
        implied = implied or KIND_MARKERS.get(s.key.rsplit(".", 1)[-1])
    return implied


def settings_facts(settings: list[Setting], tool: str, kind: str | None, path: Path, warnings: list[str],
                   kind_line: int = 0) -> list[Fact]:
    """The ``config.*`` and ``run.kind`` facts an axolotl YAML saying the same would give, plus
    ``config.tool`` (the name layer read: hf, llamafactory, swift, verl, openrlhf, unsloth, axolotl),
    for rules that hold for one trainer only."""
    facts = config_facts(translate(settings, tool, kind, kind_line), path, warnings)
    return facts + [Fact("config.tool", tool, path.name)] if facts else facts


def would_map(key: str, tool: str, kind: str | None) -> bool:
    """Whether a setting called ``key`` means something to the rules (so a value not read is worth a warning)."""
    return bool(lookup(key, _layers(tool, kind)) or _same_name(key, tool) or key in VALUES
                or f"{tool}:{key}" in VALUES)


def _layers(tool: str, kind: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(l for l in (KIND_LAYERS.get(kind or ""), tool, "hf", "run") if l))


def translate(settings: list[Setting], tool: str, kind: str | None, kind_line: int = 0) -> list[ConfigEntry]:
    """Axolotl entries for ``settings`` of ``tool`` (a ``NAMES`` layer) in a run of ``kind``."""
    layers = _layers(tool, kind)
    out: dict[str, ConfigEntry] = {}
    for s in settings:
        if _empty(s.value):
            continue
        said = value_entries(s.key, s.value, tool)
        for key, value in said.items():
            out[key] = ConfigEntry(key, value, s.line)
        target = lookup(s.key, layers) or _same_name(s.key, tool)
        if target and not said:
            out[target] = ConfigEntry(target, s.value, s.line)
    if kind in RL_RUN_KINDS and "rl" not in out:
        out["rl"] = ConfigEntry("rl", kind, kind_line)
    elif kind == "reward" and "reward_model" not in out:
        out["reward_model"] = ConfigEntry("reward_model", True, kind_line)
    _finish(out, tool)
    return _with_nesting(out.values())


def _empty(value: Any) -> bool:
    """Unset, or a Trainer default that means "off" (`fsdp=[]`, `max_steps=-1`, `lr_scheduler_kwargs={}`)."""
    return value is None or (isinstance(value, (str, list, tuple, dict)) and not value)


_DOTTED = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")


def _same_name(key: str, tool: str) -> str | None:
    """Keys that already are axolotl's (learning_rate, gradient_accumulation_steps, bf16, ...), nested ones too;
    not a key no fact can be named by (`--save_steps...`, `--lr.`: found by fuzzing)."""
    if _DOTTED.fullmatch(key) is None:
        return None
    top = key.split(".", 1)[0]
    if tool == "axolotl" and top in KNOWN_KEYS:  # `axolotl train cfg.yml --key value` overrides
        return key
    if tool != "verl" and top in KNOWN_KEYS and top not in _NOT_SAME:
        return key
    return None


def _finish(out: dict[str, ConfigEntry], tool: str) -> None:
    """Cross-setting facts: GPU count, LoRA implied by a rank, QLoRA, and Trainer defaults that mean "off"."""
    gpus, nodes = out.pop("_gpus_per_node", None), out.pop("_nodes", None)
    if "world_size" not in out and gpus is not None and _positive_int(gpus.value):
        n = _positive_int(nodes.value) if nodes is not None else 1
        out["world_size"] = ConfigEntry("world_size", gpus.value * (n or 1), gpus.line)
    for key in [k for k in out if k.startswith("_")]:
        del out[key]
    rank = out.get("lora_r")
    if tool in RANK_MEANS_LORA and rank is not None and _positive_int(rank.value) and "adapter" not in out:
        out["adapter"] = ConfigEntry("adapter", "lora", rank.line)
    adapter, four_bit = out.get("adapter"), out.get("load_in_4bit")
    if adapter is not None and adapter.value == "lora" and four_bit is not None and four_bit.value is True:
        out["adapter"] = ConfigEntry("adapter", "qlora", adapter.line)
    targets = out.get("lora_target_modules")
    if targets is not None and isinstance(targets.value, str) and "," in targets.value:
        out["lora_target_modules"] = ConfigEntry(
            "lora_target_modules", [t.strip() for t in targets.value.split(",") if t.strip()], targets.line)
    steps = out.get("max_steps")
    if steps is not None and isinstance(steps.value, (int, float)) and steps.value <= 0:
        del out["max_steps"]  # HF's -1: train for num_epochs
    if "fsdp" not in out:
        out.pop("fsdp_config", None)  # TrainingArguments prints its FSDP defaults even when FSDP is off
    for key, value in TOOL_DEFAULTS.get(tool, {}).items():
        out.setdefault(key, ConfigEntry(key, value, 0))


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _with_nesting(entries: Iterable[ConfigEntry]) -> list[ConfigEntry]:
    """Nested names also as the whole mapping (``trl`` beside ``trl.num_generations``) and mapping values
    also as their dotted leaves, as the axolotl reader gives them."""
    out: list[ConfigEntry] = []
    parents: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    for e in entries:
        out.extend(_flattened(e))
        head, _, leaf = e.key.partition(".")
        if leaf and "." not in leaf:
            parents.setdefault(head, {})[leaf] = e.value
            lines.setdefault(head, e.line)
    known = {e.key for e in out}
    out.extend(ConfigEntry(k, v, lines[k]) for k, v in parents.items() if k not in known)
    return out


def _flattened(e: ConfigEntry) -> list[ConfigEntry]:
    if not isinstance(e.value, dict):
        return [e]
    out = [e]
    for k, v in e.value.items():
        if fact_key(k):
            out.extend(_flattened(ConfigEntry(f"{e.key}.{fact_key(k)}", v, e.line)))
    return out

"""Other tools' config files: LLaMA-Factory and TRL-CLI YAML, verl/EasyR1 YAML, HF ``training_args.json``,
accelerate's ``default_config.yaml``.

They look like an axolotl YAML (``learning_rate: 1.0e-4``, ``bf16: true``) but name things their own
way (``cutoff_len``, ``per_device_train_batch_size``, ``actor_rollout_ref.rollout.n``), so this
reader comes before the axolotl one and claims a mapping that uses those names and none of
axolotl's own (``base_model``, ``micro_batch_size``, ...). Keys go through the one name table; the
facts are the axolotl reader's: ``stage: dpo`` -> ``run.kind`` dpo, ``quantization_bit: 4`` ->
``config.load_in_4bit``, ``finetuning_type: lora`` -> ``config.adapter``, ``cutoff_len`` ->
``config.sequence_len``, ``lora_rank`` -> ``config.lora_r``.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from assistant.errors import InputError
from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import CONFIG_LIMIT
from assistant.evidence._structured import compose_yaml, flatten_json, load_json_object
from assistant.evidence._translate import Setting, kind_of, settings_facts
from assistant.evidence._config_facts import config_entries, only_yaml_lines, yaml_top_keys
from assistant.evidence.series import Reading

__all__ = ["ToolConfigReader", "settings_tool", "tool_of"]

LLAMAFACTORY_KEYS = frozenset({"stage", "finetuning_type", "cutoff_len", "lora_target", "quantization_bit",
                               "pref_beta", "pref_loss", "dataset_dir", "template"})
VERL_KEYS = frozenset({"actor_rollout_ref", "worker"})
HF_KEYS = frozenset({"model_name_or_path", "per_device_train_batch_size", "num_train_epochs", "lr_scheduler_type"})
ACCELERATE_KEYS = frozenset({"compute_environment", "distributed_type"})  # `accelerate config`'s default_config.yaml
# TRL's online-RL generation settings (GRPOConfig / RLOOConfig keys): a mapping of only these - the part of a
# GRPO config a user pastes - is still a TRL config (axolotl nests them under `trl:`)
TRL_GENERATION_KEYS = frozenset({"num_generations", "max_completion_length", "reward_funcs", "use_vllm", "vllm_mode",
                                 "generation_batch_size", "steps_per_generation", "mask_truncated_completions"})
# Keys only axolotl uses: a mapping holding any of them is an axolotl config.
AXOLOTL_KEYS = frozenset({"base_model", "micro_batch_size", "sequence_len", "adapter", "num_epochs", "lr_scheduler",
                          "datasets", "rl", "trl", "base_model_config", "_wandb", "wandb_version"})
_JSON_KEY = re.compile(rb'"([A-Za-z_][\w.]*)"\s*:')


def tool_of(keys: set[str]) -> str | None:
    """The NAMES layer of a config holding these top-level keys; None when it is not another tool's."""
    if keys & AXOLOTL_KEYS:
        return None
    if keys & VERL_KEYS and keys & {"algorithm", "trainer", "data"}:
        return "verl"
    if len(keys & LLAMAFACTORY_KEYS) >= 2:
        return "llamafactory"
    if keys & HF_KEYS or keys & TRL_GENERATION_KEYS:
        return "hf"
    if keys & ACCELERATE_KEYS:
        return "accelerate"
    return None


def settings_tool(settings: list[Setting]) -> str:
    """The NAMES layer of settings read from a file: the tool their top-level keys name, else HF's."""
    return tool_of({s.key.split(".", 1)[0] for s in settings}) or "hf"


@register
class ToolConfigReader(Reader):
    name = "tool_config"
    kind = "axolotl_config"
    max_bytes = CONFIG_LIMIT

    def sniff(self, head: bytes, path: Path) -> bool:
        return _head_keys(head) is not None

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        text = self.whole_text(path, progress)
        reading = Reading(str(path), self.kind)
        settings = _json_settings(text, path) if text.lstrip().startswith("{") else _yaml_settings(text, path)
        tool = settings_tool(settings)
        reading.facts.extend(settings_facts(settings, tool, kind_of(settings), path, reading.warnings))
        return reading


def _head_keys(head: bytes) -> set[str] | None:
    """Top-level keys of a head that is another tool's config (YAML, or a JSON object of HF arguments)."""
    if head.lstrip()[:1] == b"{":
        keys = {m.decode("ascii", "replace") for m in _JSON_KEY.findall(head)}
        return keys if {"per_device_train_batch_size", "learning_rate"} <= keys and tool_of(keys) else None
    keys = yaml_top_keys(head)
    tool = tool_of(keys) if keys is not None else None
    if tool == "accelerate" and not only_yaml_lines(head):
        return None   # pasted with the command or the log that used it: their readers take the file
    return keys if tool else None



def _yaml_settings(text: str, path: Path) -> list[Setting]:
    node = compose_yaml(text, str(path))
    if node is None:
        return []
    if not isinstance(node, yaml.MappingNode):
        raise InputError(str(path), "YAML is not a mapping of config keys")
    return [Setting(e.key, e.value, e.line) for e in config_entries(node, path)]


def _json_settings(text: str, path: Path) -> list[Setting]:
    data = load_json_object(text, str(path))
    return [Setting(key, value, line) for key, value, line in flatten_json(data, text)]

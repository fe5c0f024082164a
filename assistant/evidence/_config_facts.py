"""Axolotl config entries -> facts: the normalisation every config reader shares.

An axolotl YAML, another tool's config, a Trainer dump and a command line all end as
``ConfigEntry(key, value, line)`` in axolotl's words; ``config_facts`` turns those into
``config.<dotted key>`` facts normalised the way axolotl itself normalises them (``2e-5``, a string
to PyYAML, becomes a float; deprecated aliases become current names) plus the derived facts:
``config.precision``, ``config.deepspeed.*``, ``config.attn_implementation`` (from the old boolean
flags) and ``run.kind``. Also the YAML helpers the YAML readers share.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import compress, repeat
from operator import not_
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from assistant.engine.facts import Fact
from assistant.errors import InputError
from assistant.evidence._structured import BadValue, construct, fact_key
from assistant.evidence._text import source
from assistant.evidence.deepspeed_config import DeepSpeedConfigReader, derived_from_dict, derived_from_name

__all__ = ["ConfigEntry", "KNOWN_KEYS", "RENAMED", "ATTENTION_FLAGS", "RL_KINDS", "NUMBER_RE", "INT_RE", "config_entries", "config_facts", "only_yaml_lines", "number_of",
           "yaml_entries", "yaml_top_keys"]

# Top-level keys of axolotl's config schema (src/axolotl/utils/schemas), the deprecated ones
# included; a YAML mapping using any of them is taken for an axolotl config.
KNOWN_KEYS = frozenset("""
base_model base_model_config base_model_ignore_patterns tokenizer_config tokenizer_type tokenizer_use_fast
tokenizer_legacy tokenizer_use_mistral_common processor_type type_of_model model_type revision_of_model
trust_remote_code overrides_of_model_config model_config overrides_of_model_kwargs model_kwargs num_labels
reward_model process_reward_model adapter lora_model_dir lora_r lora_alpha lora_dropout lora_target_modules
lora_target_linear lora_modules_to_save lora_fan_in_fan_out peft_use_dora peft_use_rslora peft_layers_to_transform
load_in_4bit load_in_8bit bnb_config_kwargs gptq datasets test_datasets dataset_prepared_path
dataset_processes dataset_num_proc dataset_exact_deduplication shuffle_merged_datasets skip_prepare_dataset
val_set_size chat_template chat_template_jinja default_system_message eot_tokens train_on_inputs
sequence_len sample_packing eval_sample_packing pad_to_sequence_len sample_packing_eff_est
micro_batch_size gradient_accumulation_steps batch_size eval_batch_size num_epochs max_steps
learning_rate lr_scheduler lr_scheduler_kwargs cosine_min_lr_ratio cosine_constant_lr_ratio lr_quadratic_warmup
warmup_steps warmup_ratio weight_decay optimizer optim_args optim_target_modules adam_beta1 adam_beta2
adam_epsilon max_grad_norm loss_watchdog_threshold loss_watchdog_patience early_stopping_patience
neftune_noise_alpha noisy_embedding_alpha bf16 fp16 tf32 fp8 fp8_enable_fsdp_float8_all_gather float16 bfloat16
gradient_checkpointing gradient_checkpointing_kwargs activation_offloading attn_implementation flash_attention
sdp_attention xformers_attention flex_attention sage_attention eager_attention flash_attn_cross_entropy
flash_attn_rms_norm flash_attn_fuse_qkv flash_attn_fuse_mlp flex_attn_compile_kwargs deepspeed fsdp
fsdp_config fsdp_version ddp_timeout ddp_bucket_cap_mb ddp_broadcast_buffers ddp_find_unused_parameters
tensor_parallel_size context_parallel_size dp_shard_size dp_replicate_size
evals_per_epoch eval_steps eval_strategy evaluation_strategy eval_table_size eval_max_new_tokens
saves_per_epoch save_steps save_strategy save_total_limit save_only_model save_safetensors save_first_step
logging_steps output_dir resume_from_checkpoint auto_resume_from_checkpoints hub_model_id hub_strategy
seed special_tokens tokens resize_token_embeddings_to_32x unfrozen_parameters
rl rl_beta dpo_beta trl vllm orpo_alpha kto_desirable_weight kto_undesirable_weight simpo_gamma cpo_alpha ebft
plugins liger_rope liger_rms_norm liger_glu_activation liger_layer_norm liger_fused_linear_cross_entropy
use_kernels torch_compile torch_compile_backend qat profiler_steps include_tkps
wandb_project wandb_entity wandb_name wandb_run_id wandb_mode wandb_watch wandb_log_model use_wandb
use_tensorboard use_mlflow use_comet use_trackio mlflow_tracking_uri mlflow_experiment_name
trackio_project_name trackio_run_name trackio_space_id strict remove_unused_columns low_cpu_mem_usage
model_quantization_config model_quantization_config_kwargs experimental_skip_move_to_device
accelerator_config gc_steps torch_empty_cache_steps group_by_length dataloader_num_workers
dataloader_pin_memory dataloader_prefetch_factor max_memory gpu_memory_limit device_map
""".split())

# Deprecated top-level names -> current names (artifact-formats §5).
RENAMED = {
    "dataset_processes": "dataset_num_proc",
    "noisy_embedding_alpha": "neftune_noise_alpha",
    "dpo_beta": "rl_beta",
    "evaluation_strategy": "eval_strategy",
    "model_config": "overrides_of_model_config",
    "model_kwargs": "overrides_of_model_kwargs",
    "model_type": "type_of_model",
    "model_revision": "revision_of_model",
}
# Deprecated boolean attention flags -> attn_implementation value.
ATTENTION_FLAGS = {
    "flash_attention": "flash_attention_2",
    "sdp_attention": "sdpa",
    "xformers_attention": "xformers",
    "flex_attention": "flex_attention",
    "eager_attention": "eager",
    "sage_attention": "sage",
}
# `rl:` value -> run.kind (ppo and cpo come from other tools' configs, through _translate).
RL_KINDS = {"grpo": "grpo", "gdpo": "grpo", "dpo": "dpo", "ipo": "dpo", "simpo": "dpo", "cpo": "dpo", "kto": "kto",
            "orpo": "orpo", "ebft": "ebft", "ppo": "ppo"}
# Keys whose string values are names or paths, never numbers, even when they look like one.
_NAME_SUFFIXES = ("model", "path", "dir", "name", "id", "token", "tokens", "template", "type", "project",
                  "entity", "revision", "file", "url", "host", "split", "mode", "strategy", "policy")
# Unambiguous (digits cannot be split two ways, so a failed match is linear) and bounded in length
# (INT_RE stays within Python's 4,300-digit int conversion limit).
NUMBER_RE = re.compile(r"[-+]?(?:\d{1,400}(?:\.\d{0,400})?|\.\d{1,400})(?:[eE][-+]?\d{1,400})?")
INT_RE = re.compile(r"[-+]?\d{1,4300}")
_YAML_KEY = re.compile(rb"^([A-Za-z_][\w.-]*)[ \t]*:(?:[ \t]|$)", re.M)


@dataclass
class ConfigEntry:
    """One config key in axolotl's words; every config reader's facts are made from these."""

    key: str  # dotted, normalised
    value: Any
    line: int


# The last head asked about and its answer: the dispatcher hands one head to every reader's sniff,
# and two of them ask this (holding the head keeps its identity from being reused).
_last_head: tuple[bytes | None, frozenset[str] | None] = (None, None)


def yaml_top_keys(head: bytes) -> set[str] | None:
    """The top-level keys of a head that is mostly YAML mapping lines; None for anything else (JSON,
    a log that happens to print `learning_rate: 2e-5`)."""
    global _last_head
    last, known = _last_head
    if last is head:
        return set(known) if known is not None else None
    keys = _yaml_top_keys(head)
    _last_head = (head, frozenset(keys) if keys is not None else None)
    return keys


def only_yaml_lines(head: bytes) -> bool:
    """Whether every line that is not blank nor a comment is a `key:` line or nested under one: a config
    file alone, not a command line or a log pasted with its config."""
    lines = [ln for ln in head.splitlines() if ln.strip() and not ln.lstrip().startswith(b"#")]
    return bool(lines) and _YAML_KEY.match(lines[0]) is not None and all(
        ln[:1] in (b" ", b"\t", b"-") or _YAML_KEY.match(ln) for ln in lines)


def _yaml_top_keys(head: bytes) -> set[str] | None:
    if head.lstrip()[:1] in (b"{", b"["):
        return None
    raw = head.splitlines()
    stripped = list(map(bytes.lstrip, raw))   # lines that are not blank nor comments, in C-level passes
    lines = list(compress(compress(raw, stripped), map(not_, map(bytes.startswith, filter(None, stripped), repeat(b"#")))))
    allowed = 0.2 * len(lines)   # lines that are no YAML; a console log's head runs past this at once
    other = 0
    for ln in lines:
        if not (ln[:1] in (b" ", b"\t", b"-") or _YAML_KEY.match(ln)):
            other += 1
            if other > allowed:
                return None
    keys = {m.group(1).decode("ascii", "replace") for m in _YAML_KEY.finditer(head)}
    return keys or None


def config_entries(node: yaml.MappingNode, path: Path) -> list[ConfigEntry]:
    """Every entry of a config mapping; InputError naming the value no plain value can be built from."""
    try:
        return list(yaml_entries(node))
    except BadValue as e:
        raise InputError(str(path), str(e)) from None
    except yaml.YAMLError as e:  # a `<<:` merge of something that is no mapping
        problem = getattr(e, "problem", None) or "cannot be built"
        raise InputError(str(path), f"bad YAML ({problem[:120]})") from None


def yaml_entries(node: yaml.MappingNode, prefix: str = "",
                 constructor: yaml.constructor.SafeConstructor | None = None) -> Iterator[ConfigEntry]:
    """Every key of a mapping, nested ones dotted; mappings are also given whole (each node is built
    once: the nested entries' values come from the constructor's memory of the whole mapping's)."""
    constructor = constructor or yaml.constructor.SafeConstructor()
    constructor.flatten_mapping(node)  # resolve `<<:` merge keys
    for key_node, value_node in node.value:
        key = fact_key(construct(key_node, constructor))
        if not key:
            continue
        dotted = f"{prefix}.{key}" if prefix else key
        line = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.MappingNode):
            yield ConfigEntry(dotted, construct(value_node, constructor), line)
            yield from yaml_entries(value_node, dotted, constructor)
        else:
            yield ConfigEntry(dotted, construct(value_node, constructor), line)


def config_facts(entries: list[ConfigEntry], path: Path, warnings: list[str]) -> list[Fact]:
    """Normalised config.* facts plus the derived ones."""
    name = path.name
    values: dict[str, ConfigEntry] = {}
    deprecated: list[str] = []
    for e in entries:
        if e.value is None:  # `key:` with nothing after it means "unset"
            continue
        key = _current_name(e.key)
        top = key.split(".", 1)[0]
        if key != e.key or top in ATTENTION_FLAGS:
            deprecated.append("fsdp_config.fsdp_*" if e.key.startswith("fsdp_config.") else e.key.split(".", 1)[0])
        if top in ATTENTION_FLAGS:
            if e.value is True and "attn_implementation" not in values:
                values["attn_implementation"] = ConfigEntry("attn_implementation", ATTENTION_FLAGS[top], e.line)
            continue
        if key in values and key != e.key:  # the current name given too: it wins
            continue
        values[key] = ConfigEntry(key, _coerce(key, e.value), e.line)
    facts = [Fact(f"config.{k}", e.value, source(name, e.line)) for k, e in values.items()]
    if deprecated:
        facts.append(Fact("config.deprecated_keys", tuple(sorted(set(deprecated))), name))
    facts.extend(_derived(values, path, warnings))
    return facts


def _current_name(key: str) -> str:
    top, sep, rest = key.partition(".")
    if top in ATTENTION_FLAGS:
        return key
    if top in RENAMED:
        return RENAMED[top] + sep + rest
    if top == "fsdp_config" and rest.startswith("fsdp_"):
        inner = rest[len("fsdp_"):]
        # fsdp_config.fsdp_version is read by axolotl as the top-level fsdp_version
        return "fsdp_version" if inner == "version" else f"fsdp_config.{inner}"
    return key


def _coerce(key: str, value: Any) -> Any:
    """A string that is a number becomes one (PyYAML reads `2e-5` as a string), unless the
    key holds names or paths."""
    if not isinstance(value, str) or key.rsplit(".", 1)[-1].endswith(_NAME_SUFFIXES):
        return value
    text = value.strip()
    number = number_of(text)
    return value if number is None else number


def number_of(text: str) -> int | float | None:
    """The number a config string spells (`2e-5`, `1000`), else None; `1e999` is none (it would be inf)."""
    if INT_RE.fullmatch(text):
        return int(text)
    if NUMBER_RE.fullmatch(text):
        number = float(text)
        return number if math.isfinite(number) else None
    return None


def _derived(values: dict[str, ConfigEntry], path: Path, warnings: list[str]) -> list[Fact]:
    name = path.name
    out: list[Fact] = []

    def get(key: str) -> Any:
        e = values.get(key)
        return e.value if e is not None else None

    def src(*keys: str) -> str:
        e = next((values[k] for k in keys if k in values), None)
        return source(name, e.line) if e is not None else name

    precision = _precision(get)
    if precision:
        out.append(Fact("config.precision", precision, src("fp8", "bfloat16", "float16", "bf16", "fp16")))
    rl = get("rl")
    if isinstance(rl, str) and rl.strip():
        out.append(Fact("run.kind", RL_KINDS.get(rl.strip().lower(), "unknown"), src("rl")))
    elif get("reward_model") is True or get("process_reward_model") is True:
        out.append(Fact("run.kind", "reward", src("reward_model", "process_reward_model")))
    else:
        out.append(Fact("run.kind", "sft", name))
    ds = get("deepspeed")
    if isinstance(ds, dict):
        out.extend(Fact(k, v, src("deepspeed")) for k, v in derived_from_dict(ds).items())
    elif isinstance(ds, str) and ds.strip():
        out.extend(_deepspeed_named(ds.strip(), path, src("deepspeed"), warnings))
    return out


def _deepspeed_named(value: str, config: Path, src: str, warnings: list[str]) -> list[Fact]:
    """Facts from a `deepspeed:` name or path; the JSON itself when it sits beside the config."""
    derived = derived_from_name(value)
    json_path = _beside(config, value)
    out: list[Fact] = []
    if json_path is not None:
        try:
            out = DeepSpeedConfigReader().read(json_path).facts
        except InputError as e:
            warnings.append(f"{config.name}: deepspeed config {value} not read ({e.problem})")
    known = {f.name for f in out}  # what the JSON says beats what its name suggests
    return out + [Fact(k, v, src) for k, v in derived.items() if k not in known]


def _beside(config: Path, value: str) -> Path | None:
    """The DeepSpeed JSON a `deepspeed:` value names, when it is a file in the config's folder (or below).

    A path elsewhere is not followed: an uploaded config must not make a server read, and show the
    leaves of, a JSON file of its own (`deepspeed: /home/bot/.config/...json`).
    """
    if not value.lower().endswith(".json") or "\0" in value:
        return None
    try:
        folder = config.parent.resolve()
        path = (folder / value).resolve()
        return path if path.is_relative_to(folder) and path.is_file() else None
    except (OSError, ValueError, RuntimeError):  # a name too long, a symlink loop
        return None


def _precision(get: Callable[[str], Any]) -> str | None:
    """fp8 | pure_bf16 | pure_fp16 | bf16 | fp16 | bf16_auto | fp32, or None when not stated."""
    bf16, fp16 = get("bf16"), get("fp16")
    if get("fp8") is True:
        return "fp8"
    if get("bfloat16") is True:
        return "pure_bf16"
    if get("float16") is True:
        return "pure_fp16"
    if bf16 is True or bf16 == "full":
        return "bf16"
    if fp16 is True:
        return "fp16"
    if bf16 == "auto":
        return "bf16_auto"
    if bf16 is False and fp16 in (False, None):
        return "fp32"
    return None

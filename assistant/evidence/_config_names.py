"""The one table of training-config names: what every tool calls a setting, in axolotl's words.

Rules test ``config.<axolotl key>`` facts. A Trainer dump, a TRL config, a
LLaMA-Factory YAML, a swift or OpenRLHF command line and a verl Hydra override
all say the same things under other names; this module is the data that maps
them, so every reader normalises through the same table and a new tool is an
edit here, not new code.

``NAMES[layer][name] -> axolotl name`` (dotted = nested: ``trl.num_generations``).
A reader looks a name up in the layers of its run kind first, then its tool's,
then ``hf`` (transformers TrainingArguments + PEFT + TRL ModelConfig, which every
HF-based tool inherits). Names starting with ``_`` are internal: launcher GPU
counts (``_gpus_per_node`` x ``_nodes`` -> ``world_size``).

``VALUES[name][value] -> {axolotl name: value}`` for settings whose *value* says
something in axolotl's terms (``quantization_bit: 4`` -> ``load_in_4bit: true``,
``stage: dpo`` -> ``rl: dpo``); ``"<tool>:<name>"`` holds for that tool only. A value not
listed says nothing; a list value says what each of its items says (``report_to``).
"""
from __future__ import annotations

from typing import Any, Mapping

__all__ = ["NAMES", "VALUES", "CALL_KINDS", "KIND_LAYERS", "RANK_MEANS_LORA", "KIND_MARKERS", "lookup", "value_entries"]

# TRL's online-RL generation settings; axolotl nests them under `trl:`.
_TRL_GENERATION = {name: f"trl.{name}" for name in (
    "num_generations", "max_completion_length", "max_prompt_length", "beta", "temperature", "top_p", "top_k",
    "min_p", "repetition_penalty", "use_vllm", "vllm_mode", "vllm_server_host", "vllm_server_port",
    "vllm_server_timeout", "vllm_enable_sleep_mode", "vllm_importance_sampling_correction", "reward_funcs",
    "reward_weights", "log_completions", "num_completions_to_print", "num_iterations", "epsilon", "epsilon_high",
    "loss_type", "scale_rewards", "mask_truncated_completions", "importance_sampling_level", "generation_batch_size",
    "steps_per_generation", "sync_ref_model", "multi_objective_aggregation",
)}
_TRL_GENERATION["vllm_gpu_memory_utilization"] = "vllm.gpu_memory_utilization"
_TRL_GENERATION["vllm_tensor_parallel_size"] = "vllm.tensor_parallel_size"
_TRL_GENERATION["max_length"] = "sequence_len"

# Offline preference trainers (TRL DPO/CPO/KTO): `beta` is axolotl's rl_beta.
_PREFERENCE = {"beta": "rl_beta", "max_length": "sequence_len", "max_prompt_length": "trl.max_prompt_length",
               "max_completion_length": "trl.max_completion_length"}


def _verl(prefix: str) -> dict[str, str]:
    """verl's actor/rollout keys, which EasyR1 spells `worker.` instead of `actor_rollout_ref.`."""
    return {
        f"{prefix}.model.path": "base_model",
        f"{prefix}.model.enable_gradient_checkpointing": "gradient_checkpointing",
        f"{prefix}.model.lora_rank": "lora_r",
        f"{prefix}.model.lora_alpha": "lora_alpha",
        f"{prefix}.actor.optim.lr": "learning_rate",
        f"{prefix}.actor.optim.weight_decay": "weight_decay",
        f"{prefix}.actor.optim.lr_warmup_steps_ratio": "warmup_ratio",
        f"{prefix}.actor.grad_clip": "max_grad_norm",
        f"{prefix}.actor.max_grad_norm": "max_grad_norm",
        f"{prefix}.actor.ppo_micro_batch_size_per_gpu": "micro_batch_size",
        f"{prefix}.actor.micro_batch_size_per_device_for_update": "micro_batch_size",
        f"{prefix}.actor.kl_loss_coef": "trl.beta",
        f"{prefix}.actor.clip_ratio": "trl.epsilon",
        f"{prefix}.actor.clip_ratio_low": "trl.epsilon",
        f"{prefix}.actor.clip_ratio_high": "trl.epsilon_high",
        f"{prefix}.actor.ppo_epochs": "trl.num_iterations",
        f"{prefix}.actor.model.model_path": "base_model",
        f"{prefix}.actor.model.enable_gradient_checkpointing": "gradient_checkpointing",
        f"{prefix}.rollout.n": "trl.num_generations",
        f"{prefix}.rollout.temperature": "trl.temperature",
        f"{prefix}.rollout.top_p": "trl.top_p",
        f"{prefix}.rollout.gpu_memory_utilization": "vllm.gpu_memory_utilization",
        f"{prefix}.rollout.tensor_model_parallel_size": "vllm.tensor_parallel_size",
        f"{prefix}.rollout.enable_sleep_mode": "trl.vllm_enable_sleep_mode",
    }


NAMES: dict[str, dict[str, str]] = {
    # transformers TrainingArguments, PEFT LoraConfig, TRL ModelConfig/ScriptArguments: shared by every HF tool.
    "hf": {
        "per_device_train_batch_size": "micro_batch_size",
        "per_device_eval_batch_size": "eval_batch_size",
        "num_train_epochs": "num_epochs",
        "lr_scheduler_type": "lr_scheduler",
        "optim": "optimizer",
        "evaluation_strategy": "eval_strategy",
        "max_seq_length": "sequence_len",
        "block_size": "sequence_len",  # run_clm.py
        "lr": "learning_rate",
        "model_name_or_path": "base_model",
        "packing": "sample_packing",
        "r": "lora_r",
        "lora_rank": "lora_r",
        "target_modules": "lora_target_modules",
        "modules_to_save": "lora_modules_to_save",
        "use_dora": "peft_use_dora",
        "use_rslora": "peft_use_rslora",
        "use_liger_kernel": "liger_fused_linear_cross_entropy",
        # what the launcher says (torchrun, accelerate, deepspeed, NPROC_PER_NODE/NNODES of swift and LLaMA-Factory)
        "launcher.nproc_per_node": "_gpus_per_node",
        "launcher.num_gpus": "_gpus_per_node",
        "launcher.nnodes": "_nodes",
        "launcher.num_nodes": "_nodes",
        "launcher.num_machines": "_nodes",
        "launcher.num_processes": "world_size",
    },
    # Per run kind (TRL config classes, LLaMA-Factory stages, swift rlhf types).
    "sft": {"max_length": "sequence_len"},
    "grpo": _TRL_GENERATION,
    "ppo": _TRL_GENERATION,
    "dpo": _PREFERENCE,
    "kto": {**_PREFERENCE, "desirable_weight": "kto_desirable_weight", "undesirable_weight": "kto_undesirable_weight"},
    "orpo": {"beta": "orpo_alpha", "max_length": "sequence_len", "max_prompt_length": "trl.max_prompt_length"},
    "reward": {"max_length": "sequence_len"},
    # hiyouga/LLaMA-Factory (YAML keys, `--flags`, `key=value` overrides)
    "llamafactory": {
        "cutoff_len": "sequence_len",
        "template": "chat_template",
        "lora_target": "lora_target_modules",
        "pref_beta": "rl_beta",
        "val_size": "val_set_size",
        "neat_packing": "sample_packing",
        "pure_bf16": "bfloat16",
        "enable_liger_kernel": "liger_fused_linear_cross_entropy",
        "max_new_tokens": "trl.max_completion_length",
    },
    # modelscope/ms-swift (`swift sft|rlhf --flags`)
    "swift": {
        "model": "base_model",
        "max_length": "sequence_len",
        "split_dataset_ratio": "val_set_size",
        "batch_size": "micro_batch_size",  # swift 2.x: per device
        "vllm_max_model_len": "vllm.max_model_len",
        # the chat template (LLaMA-Factory's `template`): `--template` in 3.x, `--template_type` in 2.x, where
        # `AUTO` (the default) takes the model type's own template and `default-generation` is the plain-text one
        "template": "chat_template",
        "template_type": "chat_template",
    },
    # volcengine/verl and hiyouga/EasyR1 (Hydra overrides `a.b.c=value`, or their YAML)
    "verl": {
        **_verl("actor_rollout_ref"),
        **_verl("worker"),
        "data.max_prompt_length": "trl.max_prompt_length",
        "data.max_response_length": "trl.max_completion_length",
        "trainer.total_epochs": "num_epochs",
        "trainer.total_training_steps": "max_steps",
        "trainer.max_steps": "max_steps",
        "trainer.n_gpus_per_node": "_gpus_per_node",
        "trainer.nnodes": "_nodes",
        "algorithm.kl_coef": "trl.beta",
    },
    # OpenRLHF (`python -m openrlhf.cli.train_* --flags`)
    "openrlhf": {
        "pretrain": "base_model",
        "micro_train_batch_size": "micro_batch_size",
        "actor_learning_rate": "learning_rate",
        "n_samples_per_prompt": "trl.num_generations",
        "init_kl_coef": "trl.beta",
        "generate_max_len": "trl.max_completion_length",
        "prompt_max_len": "trl.max_prompt_length",
        "max_len": "sequence_len",
        "max_epochs": "num_epochs",
        "max_norm": "max_grad_norm",
        "l2": "weight_decay",
        "lr_warmup_ratio": "warmup_ratio",
        "eps_clip": "trl.epsilon",
        "packing_samples": "sample_packing",
        "actor_num_gpus_per_node": "_gpus_per_node",
        "actor_num_nodes": "_nodes",
        "temperature": "trl.temperature",
        "beta": "rl_beta",
    },
    # A run's own settings (config files, command lines, config calls), read after "hf": the other spellings
    # of the training sequence length - FastChat / LLaVA / Alpaca's model_max_length, torchtune's and custom
    # scripts' max_seq_len / max_len, TRL's old --seq_length, Megatron's --seq-length. Not in "hf": W&B's config
    # holds the model's config too, where Qwen-1 / ChatGLM's seq_length, MPT's max_seq_len and Baichuan 2's
    # model_max_length are the context the model supports, not the length the run trains at.
    "run": {"model_max_length": "sequence_len", "max_seq_len": "sequence_len", "max_sequence_length": "sequence_len",
            "max_len": "sequence_len", "seq_length": "sequence_len", "seq_len": "sequence_len"},
    # accelerate's config file (`accelerate config` -> default_config.yaml, passed with --config_file)
    "accelerate": {
        "num_processes": "world_size",
        "num_machines": "_nodes",
        "deepspeed_config.gradient_accumulation_steps": "gradient_accumulation_steps",
        "deepspeed_config.gradient_clipping": "max_grad_norm",
    },
    # unsloth's FastLanguageModel.from_pretrained(...) / get_peft_model(...)
    "unsloth": {"model_name": "base_model", "max_seq_length": "sequence_len", "r": "lora_r",
                "use_gradient_checkpointing": "gradient_checkpointing"},
}

# Values that say something in axolotl's terms. Keys are source names (any layer); matching is on
# the value lower-cased when it is a string.
VALUES: dict[str, dict[Any, dict[str, Any]]] = {
    # LLaMA-Factory
    "stage": {"dpo": {"rl": "dpo"}, "kto": {"rl": "kto"}, "ppo": {"rl": "ppo"}, "rm": {"reward_model": True},
              "sft": {}, "pt": {}},
    "finetuning_type": {"lora": {"adapter": "lora"}},
    "disable_gradient_checkpointing": {True: {"gradient_checkpointing": False}},
    "quantization_bit": {4: {"load_in_4bit": True}, 8: {"load_in_8bit": True}},
    "flash_attn": {"fa2": {"attn_implementation": "flash_attention_2"}, "fa3": {"attn_implementation": "flash_attention_3"},
                   "sdpa": {"attn_implementation": "sdpa"}, "disabled": {"attn_implementation": "eager"},
                   True: {"attn_implementation": "flash_attention_2"}},
    "pref_loss": {"orpo": {"rl": "orpo"}, "simpo": {"rl": "simpo"}, "ipo": {"rl": "ipo"}},
    "lora_target": {"all": {"lora_target_linear": True}},
    # ms-swift
    "rlhf_type": {"grpo": {"rl": "grpo"}, "dpo": {"rl": "dpo"}, "kto": {"rl": "kto"}, "orpo": {"rl": "orpo"},
                  "simpo": {"rl": "simpo"}, "cpo": {"rl": "cpo"}, "ppo": {"rl": "ppo"}, "rm": {"reward_model": True}},
    "train_type": {"lora": {"adapter": "lora"}, "qlora": {"adapter": "qlora"}, "dora": {"adapter": "lora", "peft_use_dora": True}},
    "sft_type": {"lora": {"adapter": "lora"}, "qlora": {"adapter": "qlora"}},  # swift 2.x
    "swift:torch_dtype": {"bfloat16": {"bf16": True}, "float16": {"fp16": True}},  # swift trains in its dtype
    "swift:dtype": {"bf16": {"bf16": True}, "fp16": {"fp16": True}, "bfloat16": {"bf16": True}, "float16": {"fp16": True}},
    "use_flash_attn": {True: {"attn_implementation": "flash_attention_2"}},
    "quant_bits": {4: {"load_in_4bit": True}, 8: {"load_in_8bit": True}},
    "attn_impl": {"flash_attn": {"attn_implementation": "flash_attention_2"}, "flash_attention_2": {"attn_implementation": "flash_attention_2"},
                  "sdpa": {"attn_implementation": "sdpa"}, "eager": {"attn_implementation": "eager"}},
    "target_modules": {"all-linear": {"lora_target_linear": True}},
    # transformers' trackers
    "report_to": {"wandb": {"use_wandb": True}, "tensorboard": {"use_tensorboard": True}, "mlflow": {"use_mlflow": True},
                  "comet_ml": {"use_comet": True}, "trackio": {"use_trackio": True}},
    # TRL ModelConfig / PEFT; unsloth's offloaded checkpointing is axolotl's "offload"
    "use_peft": {True: {"adapter": "lora"}},
    "use_gradient_checkpointing": {"unsloth": {"gradient_checkpointing": "offload"}, True: {"gradient_checkpointing": True}},
    # verl / EasyR1
    "algorithm.adv_estimator": {"grpo": {"rl": "grpo"}, "drgrpo": {"rl": "grpo"}, "gae": {"rl": "ppo"},
                                "rloo": {"rl": "ppo"}, "reinforce_plus_plus": {"rl": "ppo"}, "remax": {"rl": "ppo"}},
    "actor_rollout_ref.rollout.name": {"vllm": {"trl.use_vllm": True}, "sglang": {"trl.use_vllm": False},
                                       "hf": {"trl.use_vllm": False}},
    "worker.rollout.name": {"vllm": {"trl.use_vllm": True}},
    # OpenRLHF
    "advantage_estimator": {"group_norm": {"rl": "grpo"}, "dr_grpo": {"rl": "grpo"}, "gae": {"rl": "ppo"},
                            "reinforce": {"rl": "ppo"}, "rloo": {"rl": "ppo"}, "reinforce_baseline": {"rl": "ppo"}},
    "zero_stage": {1: {"deepspeed": "zero1"}, 2: {"deepspeed": "zero2"}, 3: {"deepspeed": "zero3"}},
    # accelerate launch
    "launcher.zero_stage": {1: {"deepspeed": "zero1"}, 2: {"deepspeed": "zero2"}, 3: {"deepspeed": "zero3"}},
    "launcher.mixed_precision": {"bf16": {"bf16": True}, "fp16": {"fp16": True}, "fp8": {"fp8": True}, "no": {}},
    # accelerate's config file: the same settings as its launch flags
    "accelerate:deepspeed_config.zero_stage": {1: {"deepspeed": "zero1"}, 2: {"deepspeed": "zero2"}, 3: {"deepspeed": "zero3"}},
    "accelerate:mixed_precision": {"bf16": {"bf16": True}, "fp16": {"fp16": True}, "fp8": {"fp8": True}, "no": {}},
}

# Config classes (Python calls and printed reprs; an `Unsloth` prefix is dropped) -> (run kind, tool layer).
CALL_KINDS: dict[str, tuple[str | None, str]] = {
    "TrainingArguments": ("sft", "hf"),
    "Seq2SeqTrainingArguments": ("sft", "hf"),
    "SFTConfig": ("sft", "hf"),
    "GRPOConfig": ("grpo", "hf"),
    "DPOConfig": ("dpo", "hf"),
    "CPOConfig": ("dpo", "hf"),
    "SimPOConfig": ("dpo", "hf"),
    "KTOConfig": ("kto", "hf"),
    "ORPOConfig": ("orpo", "hf"),
    "RewardConfig": ("reward", "hf"),
    "PPOConfig": ("ppo", "hf"),
    "RLOOConfig": ("ppo", "hf"),
    "LoraConfig": (None, "hf"),
    "BitsAndBytesConfig": (None, "hf"),
    "FastLanguageModel.from_pretrained": (None, "unsloth"),
    "FastLanguageModel.get_peft_model": (None, "unsloth"),
    "FastModel.from_pretrained": (None, "unsloth"),
    "FastModel.get_peft_model": (None, "unsloth"),
}

# The run kinds' own layers; "dpo"-family kinds share the DPO names.
KIND_LAYERS: dict[str, str] = {"sft": "sft", "grpo": "grpo", "ppo": "ppo", "dpo": "dpo", "ipo": "dpo", "simpo": "dpo",
                               "cpo": "dpo", "kto": "kto", "orpo": "orpo", "reward": "reward"}

# Names only one run kind has: a config that uses them is that kind even when nothing else says so.
KIND_MARKERS: dict[str, str] = {"num_generations": "grpo", "reward_funcs": "grpo", "max_completion_length": "grpo",
                                "use_vllm": "grpo", "desirable_weight": "kto", "dataset_text_field": "sft"}

# Tools where a LoRA rank > 0 alone means LoRA training (no separate switch).
RANK_MEANS_LORA = frozenset({"verl", "openrlhf", "unsloth"})

# What a tool does when a setting is not given, where it differs from axolotl's default: LLaMA-Factory
# (`disable_gradient_checkpointing: false`) and ms-swift (`gradient_checkpointing: true`) checkpoint
# unless told not to, so a command line that never says so is not a run without checkpointing.
TOOL_DEFAULTS: dict[str, dict[str, Any]] = {
    "llamafactory": {"gradient_checkpointing": True},
    "swift": {"gradient_checkpointing": True},
}


def lookup(name: str, layers: tuple[str, ...]) -> str | None:
    """The axolotl name of ``name`` in the first layer that has it; None when no layer does."""
    for layer in layers:
        target = NAMES.get(layer, {}).get(name)
        if target is not None:
            return target
    return None


def value_entries(name: str, value: Any, tool: str = "") -> Mapping[str, Any]:
    """What ``name: value`` says in axolotl names (``quantization_bit: 4`` -> ``{load_in_4bit: True}``)."""
    table = VALUES.get(f"{tool}:{name}") or VALUES.get(name)
    if not table:
        return {}
    if isinstance(value, (list, tuple)):
        out: dict[str, Any] = {}
        for item in value:
            out.update(value_entries(name, item, tool))
        return out
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, bool):  # True == 1 to a dict: only a table that lists booleans reads them
        return next((v for k, v in table.items() if k is key), {})
    if isinstance(key, float) and key.is_integer():
        key = int(key)
    try:
        return table.get(key, {})
    except TypeError:  # an unhashable value (a list) says nothing here
        return {}

"""The one name table (_config_names) and the translation every non-axolotl config reader shares."""
from __future__ import annotations

from pathlib import Path

from assistant.evidence._config_names import NAMES, VALUES, lookup, value_entries
from assistant.evidence._config_facts import KNOWN_KEYS
from assistant.evidence._translate import Setting, coerce_text, kind_of, settings_facts, translate
from assistant.evidence.series import canonical_metric


def entries(settings: list[Setting], tool: str = "hf", kind: str | None = None) -> dict:
    return {e.key: e.value for e in translate(settings, tool, kind)}


def test_every_target_is_an_axolotl_key_or_internal() -> None:
    """The table only speaks axolotl: a typo in a target would make facts no rule reads."""
    extra = {"world_size"}
    for layer, table in NAMES.items():
        for source, target in table.items():
            top = target.split(".", 1)[0]
            assert top in KNOWN_KEYS or top in extra or target.startswith("_"), (layer, source, target)
    for source, table in VALUES.items():
        for said in table.values():
            for target in said:
                assert target.split(".", 1)[0] in KNOWN_KEYS, (source, target)


def test_layers_kind_before_tool_before_hf() -> None:
    assert lookup("beta", ("grpo", "hf")) == "trl.beta"
    assert lookup("beta", ("dpo", "hf")) == "rl_beta"
    assert lookup("beta", ("orpo", "hf")) == "orpo_alpha"
    assert lookup("max_length", ("hf",)) is None  # W&B stores the model's generation max_length: never sequence_len
    assert lookup("max_length", ("sft", "hf")) == "sequence_len"
    assert lookup("cutoff_len", ("llamafactory", "hf")) == "sequence_len"
    assert lookup("per_device_train_batch_size", ("swift", "hf")) == "micro_batch_size"


def test_values_say_things_in_axolotl_words() -> None:
    assert value_entries("quantization_bit", 4) == {"load_in_4bit": True}
    assert value_entries("quantization_bit", 8.0) == {"load_in_8bit": True}
    assert value_entries("stage", "DPO ") == {"rl": "dpo"}
    assert value_entries("zero_stage", True) == {}  # True == 1 to a dict, but a bare flag is no stage
    assert value_entries("report_to", ["wandb", "tensorboard"]) == {"use_wandb": True, "use_tensorboard": True}
    assert value_entries("torch_dtype", "bfloat16") == {}  # TRL: the weights' dtype, not mixed precision
    assert value_entries("torch_dtype", "bfloat16", "swift") == {"bf16": True}


def test_coerce_text() -> None:
    assert coerce_text("2e-5") == 2e-5 and coerce_text("8") == 8 and coerce_text("True") is True
    assert coerce_text("null") is None and coerce_text("cosine") == "cosine" and coerce_text("0.") == 0.0


def test_kind_from_values_then_markers() -> None:
    assert kind_of([Setting("stage", "kto")]) == "kto"
    assert kind_of([Setting("rlhf_type", "grpo")]) == "grpo"
    assert kind_of([Setting("algorithm.adv_estimator", "gae")]) == "ppo"
    assert kind_of([Setting("learning_rate", 1e-5), Setting("num_generations", 8)]) == "grpo"
    assert kind_of([Setting("learning_rate", 1e-5)]) is None


def test_world_size_lora_qlora_and_trainer_defaults() -> None:
    got = entries([Setting("launcher.nproc_per_node", 4), Setting("launcher.nnodes", 2), Setting("lora_rank", 16),
                   Setting("load_in_4bit", True), Setting("max_steps", -1), Setting("fsdp", []),
                   Setting("fsdp_config", {"min_num_params": 0}), Setting("lr_scheduler_kwargs", {})], tool="openrlhf")
    assert got == {"world_size": 8, "lora_r": 16, "adapter": "qlora", "load_in_4bit": True}


def test_nesting_as_the_axolotl_reader_gives_it() -> None:
    got = entries([Setting("num_generations", 8), Setting("beta", 0.04), Setting("vllm_gpu_memory_utilization", 0.5)],
                  kind="grpo")
    assert got["trl.num_generations"] == 8 and got["trl"] == {"num_generations": 8, "beta": 0.04}
    assert got["vllm"] == {"gpu_memory_utilization": 0.5} and got["rl"] == "grpo"
    dicts = entries([Setting("gradient_checkpointing_kwargs", {"use_reentrant": False})])
    assert dicts["gradient_checkpointing_kwargs.use_reentrant"] is False


def test_unknown_names_are_dropped_and_the_tool_is_stated(tmp_path: Path) -> None:
    facts = settings_facts([Setting("learning_rate", 1e-5, 3), Setting("hub_token", "hf_secret", 4),
                            Setting("my_custom_flag", 1, 5)], "hf", "sft", tmp_path / "cmd.sh", [])
    by_name = {f.name: f for f in facts}
    assert by_name["config.learning_rate"].source == "cmd.sh:3"
    assert by_name["config.tool"].value == "hf" and by_name["run.kind"].value == "sft"
    assert not any("hub_token" in n or "custom" in n for n in by_name)


def test_other_tools_metric_names_are_trl_names() -> None:
    pairs = {
        "actor/entropy": "entropy", "actor/entropy_loss": "entropy", "actor/kl_loss": "kl", "actor/pg_loss": "loss",
        "actor/pg_clipfrac": "clip_ratio/region_mean", "actor/grad_norm": "grad_norm", "actor/lr": "learning_rate",
        "critic/score/mean": "reward", "response_length/mean": "completions/mean_length",
        "response_length/clip_ratio": "completions/clipped_ratio", "reward/overall": "reward",
        "train/policy_loss": "loss", "actor_lr": "learning_rate", "response_length": "completions/mean_length",
        "completion_length": "completions/mean_length", "response_clip_ratio": "completions/clipped_ratio",
        "clip_ratio": "clip_ratio/region_mean", "objective/kl": "kl", "objective/scores": "reward",
        "clipped_completions_ratio": "completions/clipped_ratio",
    }
    assert {k: canonical_metric(k) for k in pairs} == pairs


def test_other_spellings_of_the_sequence_length_are_a_run_setting_only() -> None:
    from assistant.evidence._translate import _layers
    for name in ("max_len", "max_seq_len", "max_sequence_length", "model_max_length", "seq_length"):
        assert lookup(name, _layers("hf", None)) == "sequence_len", name
        # W&B's config mixes in the model's config (ChatGLM's seq_length, MPT's max_seq_len): hf alone maps none
        assert lookup(name, ("hf",)) is None, name
    assert lookup("max_len", _layers("openrlhf", "grpo")) == "sequence_len"
    assert lookup("generate_max_len", _layers("openrlhf", "grpo")) == "trl.max_completion_length"

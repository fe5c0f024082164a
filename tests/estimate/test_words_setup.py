"""What the user's words add to the estimate: ZeRO-3 and DeepSpeed named, LLaMA-Factory's checkpointing
default, a few launcher flags that do not fix the dtype, and sharding that fits with the cheap rungs."""
from __future__ import annotations

from typing import Any

from assistant.engine.facts import Fact
from assistant.estimate import assess
from assistant.estimate.facts import estimate_from_facts


def estimate(**words: Any) -> dict[str, Any]:
    facts = [Fact(name.replace("__", "."), value, "question") for name, value in words.items()]
    return {f.name: f.value for f in estimate_from_facts(facts)}


def test_zero3_in_the_words_shards_the_weights() -> None:
    base = dict(user__model_params=7e9, user__gpu_memory_gib=24.0, user__gpu_count=8, user__adapter="lora")
    plain = estimate(**base)
    sharded = estimate(**base, user__zero3={"words": "zero-3"})
    assert sharded["estimate.peak_gib"] < plain["estimate.peak_gib"] - 10  # 13 GiB of weights split 8 ways
    assert "estimate.sharded_peak_gib" not in sharded  # already sharded


def test_deepspeed_full_finetune_counts_master_weights() -> None:
    """DeepSpeed named without a stage: fp32 master weights and moments, 16 bytes a parameter (6B > 80 GiB)."""
    base = dict(user__model_params=6e9, user__gpu_memory_gib=80.0)
    assert estimate(**base)["estimate.fits"] is True
    assert estimate(**base, user__deepspeed={"words": "deepspeed"})["estimate.fits"] is False


def test_llamafactory_checkpoints_by_default() -> None:
    base = dict(user__model_params=7e9, user__gpu_memory_gib=24.0, user__adapter="lora", user__sequence_len=4096)
    off = estimate(**base)
    on = estimate(**base, user__llamafactory={"words": "llama-factory"})
    assert on["estimate.peak_gib"] < off["estimate.peak_gib"]
    said_off = estimate(**base, user__llamafactory={"words": "llama-factory"},
                        user__gradient_checkpointing_off={"words": "without gradient checkpointing"})
    assert said_off["estimate.peak_gib"] == off["estimate.peak_gib"]


def test_launcher_flags_do_not_make_the_model_fp32() -> None:
    """Two flags of a transformers script say nothing of the dtype: 16-bit, as the words assume."""
    words = [Fact("user.model_params", 7e9, "question"), Fact("user.gpu_memory_gib", 16.0, "question"),
             Fact("user.adapter", "lora", "question")]
    flags = [Fact("config.deepspeed.zero_stage", 2, "config.yaml"), Fact("config.tool", "hf", "config.yaml")]
    axolotl = [Fact("config.deepspeed.zero_stage", 2, "config.yaml"), Fact("config.base_model", "m", "config.yaml")]
    hf = {f.name: f.value for f in estimate_from_facts(words + flags)}
    fp32 = {f.name: f.value for f in estimate_from_facts(words + axolotl)}
    assert hf["estimate.peak_gib"] < fp32["estimate.peak_gib"]


def test_sharding_with_checkpointing_when_sharding_alone_is_not_enough() -> None:
    config = {"base_model": "meta-llama/Llama-2-7b-hf", "adapter": "lora", "precision": "bf16", "sequence_len": 2048}
    result = assess(config, gpus=2, memory_gib=15)
    assert result.fits is False and result.ladder.rung.name == "quantization"
    assert result.sharded_with == ("gradient_checkpointing",)
    assert result.sharded_peak_bytes is not None and result.sharded_peak_bytes <= 15 * 1024 ** 3


def test_first_llama_and_llama_2_70b_shapes() -> None:
    """LLaMA-1 30B/65B (32k vocabulary, no GQA) and Llama-2-70B are sized from their own shapes, not a neighbour's."""
    from assistant.estimate.model import from_table

    for name, billions in (("decapoda-research/llama-30b-hf", 32.5), ("huggyllama/llama-65b", 65.3),
                           ("meta-llama/llama-2-70b-hf", 69.0)):
        dims = from_table(name)
        assert dims is not None and dims.vocab == 32000 and abs(dims.params / 1e9 - billions) < 0.3, name

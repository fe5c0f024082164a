"""The numbers a memory estimate needs, read from the user's words, and the estimate they give
when no config is attached."""
from __future__ import annotations

import pytest

from assistant.consult import consult
from assistant.words.quantities import facts_from_quantities


def values(text: str) -> dict[str, object]:
    return {f.name: f.value for f in facts_from_quantities(text)}


@pytest.mark.parametrize("text,expect", [
    ("QLoRA on a 13B model in 8-bit runs out of memory on a 20 GB MIG slice",
     {"user.model_params": 13e9, "user.gpu_memory_gib": 20.0, "user.quant_bits": 8, "user.adapter": "qlora"}),
    ("Qwen3-0.6B on two A100 40GB, max_length 4096",
     {"user.model_name": "qwen3-0.6b", "user.model_params": 0.6e9, "user.gpu_name": "A100", "user.gpu_memory_gib": 40.0,
      "user.gpu_count": 2, "user.sequence_len": 4096}),
    ("full fine-tune of Llama-3-70B at 4096 tokens on a 4090",
     {"user.model_name": "llama-3-70b", "user.gpu_name": "RTX 4090", "user.sequence_len": 4096, "user.adapter": "full"}),
    ("I have 64GB RAM and a 3090 with 24GB VRAM, mistral 7b lora", {"user.gpu_memory_gib": 24.0, "user.adapter": "lora"}),
    ("mixtral 8x7b qlora on 2x a6000", {"user.model_params": 56e9, "user.gpu_count": 2, "user.gpu_memory_gib": 47.5}),
    ("deepspeed zero3 with 8x a100 80gb, 16k context", {"user.gpu_count": 8, "user.gpu_memory_gib": 80.0, "user.sequence_len": 16384}),
    ("lora on two 24 GB GPUs", {"user.gpu_count": 2, "user.gpu_memory_gib": 24.0}),
    # the numbers of the setup that fails, not of the one said to work
    ("the int4-quantized 72B trains fine on 4 cards, but the 16-bit one runs out of memory on 8x A800 80GB",
     {"user.gpu_count": 8, "user.quant_bits": None, "user.model_params": 72e9}),
    ("Llama 7B works fine, but 13B OOMs on my 4090", {"user.model_params": 13e9, "user.gpu_name": "RTX 4090"}),
    ("it works on an A100 80GB", {"user.gpu_memory_gib": 80.0}),  # nothing else said: the words still count
    # max_len and its spellings are the sequence length; OpenRLHF's generate_max_len is the completion cap
    ("training with --max_len 4096 runs out of memory", {"user.sequence_len": 4096}),
    ("max len 8k, bf16, it OOMs at the first step", {"user.sequence_len": 8192}),
    ("max_seq_len=2048 on a 24GB card", {"user.sequence_len": 2048}),
    ("generate_max_len 1024 and prompt-max-len 512", {"user.sequence_len": None}),
])
def test_numbers_from_words(text: str, expect: dict[str, object]) -> None:
    got = values(text)
    for name, value in expect.items():
        assert got.get(name) == pytest.approx(value) if isinstance(value, float) else got.get(name) == value, (name, got)


@pytest.mark.parametrize("text", ["a global batch size of 256 on 8 GPUs", "halved gradient accumulation to keep batch size 128",
                                  "effective batch_size=64 with 4 accumulation steps"])
def test_a_global_batch_is_no_micro_batch(text: str) -> None:
    assert "user.batch_size" not in values(text)
    assert values(text + ", micro batch size 2").get("user.batch_size") == 2


def test_a_guessed_estimate_predicts_no_oom_nobody_ran_into() -> None:
    """Words alone (no config) make a rough estimate: it predicts an out-of-memory only when the user
    reports one or asks whether the run will fit, never for a run that trained."""
    trained = consult("I trained a 7B model on 8x 80GB GPUs with batch size 64; the results are worse than the paper's")
    facts = {f["name"]: f["value"] for f in trained.facts}
    assert facts["estimate.fits"] is False and facts["estimate.from_words"] is True
    assert not [d for d in trained.diagnoses if d.severity != "info" and d.id in ("needs_offload", "oom_batch_too_large")]
    asked = consult("Full fine-tuning a 70B model on one A100 40GB with batch size 8: will it fit?")
    assert {d.id for d in asked.diagnoses} & {"needs_offload", "oom_batch_too_large", "model_not_quantized"}


def test_host_ram_is_not_gpu_memory() -> None:
    assert "user.gpu_memory_gib" not in values("the box has 128GB RAM and training gets killed")


def test_a_memory_size_is_not_a_gpu_count() -> None:
    assert "user.gpu_count" not in values("LoRA on a 13B model loaded in 8bit on a 20GB GPU")


def test_several_gpus_each_holding_every_weight_point_at_sharding() -> None:
    """A 34B LoRA on 8 x 80 GB without ZeRO-3: one bf16 copy per GPU does not fit, split 8 ways it does."""
    report = consult("LoRA DPO of a 34B model on 8x A100 80GB runs out of CUDA memory even with batch size 1")
    facts = {f["name"]: f["value"] for f in report.facts}
    assert facts["estimate.fits"] is False and facts["estimate.sharded_peak_gib"] < 80
    offload = next(d for d in report.diagnoses if d.id == "needs_offload")
    assert "ZeRO-3" in " ".join(e.text for e in offload.evidence)
    single = consult("LoRA DPO of a 34B model on one A100 80GB runs out of CUDA memory even with batch size 1")
    assert "estimate.sharded_peak_gib" not in {f["name"] for f in single.facts}  # nothing to shard across


def test_an_oom_question_without_a_config_gets_the_estimate_and_the_next_rung() -> None:
    report = consult("CUDA out of memory fine-tuning a 13B model with LoRA in 8-bit on a 20 GB MIG slice")
    facts = {f["name"]: f["value"] for f in report.facts}
    assert facts["estimate.fits"] is False and facts["estimate.memory_gib"] == 20.0
    assert facts["estimate.next_rung"] != "none"
    assert facts["estimate.peak_gib"] > 20.0


def test_a_model_that_fits_gets_no_predicted_oom() -> None:
    report = consult("QLoRA of a 7B model on an 80GB A100, is it going to fit?")
    facts = {f["name"]: f["value"] for f in report.facts}
    assert facts["estimate.fits"] is True
    assert not {"model_not_quantized", "needs_offload", "oom_batch_too_large"} & {d.id for d in report.diagnoses}


def test_the_completion_cap_said_in_words() -> None:
    from assistant.words.quantities import facts_from_quantities
    got = {f.name: f.value for f in facts_from_quantities("GRPO, num_generations 4, max_completion_length 128, lengths are 128")}
    assert got.get("user.max_completion_length") == 128
    got = {f.name: f.value for f in facts_from_quantities("verl with max_response_length=1024")}
    assert got.get("user.max_completion_length") == 1024


def test_the_completion_cap_said_as_a_rough_range() -> None:
    """"max_new_tokens around 3-4K" is a cap of 4000 tokens (the range's upper end, k as thousands)."""
    from assistant.words.quantities import facts_from_quantities
    got = {f.name: f.value for f in facts_from_quantities("keeping the recipe's max_new_tokens around 3-4k")}
    assert got.get("user.max_completion_length") == 4000
    got = {f.name: f.value for f in facts_from_quantities("max_new_tokens of 8k")}
    assert got.get("user.max_completion_length") == 8000
    got = {f.name: f.value for f in facts_from_quantities("ppo.gen.max_new_tokens=4096, group_size=8")}
    assert got.get("user.max_completion_length") == 4096


def test_the_completion_cap_kept_from_a_setup_that_worked() -> None:
    """A cap said in a clause about the recipe that worked elsewhere is still the failing run's cap."""
    from assistant.words.quantities import facts_from_quantities
    got = {f.name: f.value for f in facts_from_quantities(
        "I moved a recipe that worked for one model to another, keeping max_new_tokens 4096. Accuracy is 0.")}
    assert got.get("user.max_completion_length") == 4096


@pytest.mark.parametrize("text,size", [
    ("it uses 24 GB of memory", None),
    ("on a single GPU the run takes about 16 GB of GPU memory", None),
    ("training uses 38 GB and then OOMs on my A100 40GB", 40.0),
    ("13 GB used on my 24GB card", 24.0),
    ("GPU memory usage is 30GB on an 80GB A100", 80.0),
    ("I have a 24 GB GPU", 24.0),
])
def test_memory_in_use_is_not_the_cards_size(text: str, size: float | None) -> None:
    """The memory a run takes is not what the card holds: the estimate must compare with the card."""
    got = {f.name: f.value for f in facts_from_quantities(text)}
    assert got.get("user.gpu_memory_gib") == size

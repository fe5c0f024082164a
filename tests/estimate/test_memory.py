"""The estimator against the guide's figure and published measurements.

Reference points (each test's docstring names its source):
- the guide, knowledge/oom.md "GRPO Logits Tensor": 8 x 16 x 2048 x 151936 x 2 bytes, exactly;
- LitGPT's resource tables (Lightning-AI/litgpt, tutorials/resource-tables.md, "Finetuning with LoRA on
  1 GPU", 1x A100 40GB, bf16-true, Alpaca, whose longest Llama-2 sample is 1304 tokens; LoRA r=8 on the
  query and value projections, dropout 0.05; "Max GPU RAM" = torch.cuda.max_memory_allocated), and its
  config hub table (config_hub/finetune/README.md, 1x A10G, bf16, max sequence 512);
- the ZeRO paper (Rajbhandari et al. 2019, arXiv:1910.02054, Figure 1 and section 3.1): the model states of
  mixed-precision Adam training of a 7.5B model, unsharded and under ZeRO stages 1/2/3 on 64 GPUs.
Measured points compare torch.cuda.max_memory_allocated with the estimate's allocated bytes (everything but
the CUDA context and allocator reserve, which that counter does not see); tolerance +-25%.
"""
from __future__ import annotations

from typing import Any

import pytest

from assistant.estimate.memory import GIB, estimate_memory
from assistant.estimate.model import resolve_model
from assistant.estimate.setup import setup_from_config

GB = 1e9


def estimate(config: dict[str, Any], gpus: int = 1, params: float | None = None):
    setup = setup_from_config(config)
    return estimate_memory(resolve_model(setup.base_model, params=params), setup, gpus)


def within(estimated: float, published: float, tolerance: float = 0.25) -> bool:
    return abs(estimated / published - 1) <= tolerance


def test_grpo_logits_reproduce_the_guide_exactly() -> None:
    """knowledge/oom.md: micro_batch_size 8, num_generations 16, 2048 tokens, Qwen's 151936-token vocabulary:
    8 x 16 x 2048 x 151936 x 2 bytes = 79,658,221,568 bytes (74.2 GiB; the guide's "about 75 GB")."""
    est = estimate({"base_model": "Qwen/Qwen2.5-1.5B-Instruct", "rl": "grpo", "precision": "bf16",
                    "micro_batch_size": 8, "sequence_len": 2048, "trl.num_generations": 16})
    logits = est.line("grpo logits")
    assert logits is not None and logits.bytes == 8 * 16 * 2048 * 151936 * 2 == 79_658_221_568
    assert round(logits.bytes / GIB, 1) == 74.2


LITGPT_LORA = {"base_model": "meta-llama/Llama-2-7b-hf", "adapter": "lora", "lora_r": 8, "lora_dropout": 0.05,
               "lora_target_modules": ("q_proj", "v_proj"), "precision": "bf16", "micro_batch_size": 1,
               "sequence_len": 1304}


@pytest.mark.parametrize(("what", "config", "published_gb"), [
    ("Llama 2 7B, LoRA, micro batch 1", {}, 21.30),
    ("Llama 2 7B, LoRA, micro batch 2", {"micro_batch_size": 2}, 29.07),
    ("Llama 2 7B, QLoRA bnb.nf4-dq, micro batch 1", {"adapter": "qlora", "load_in_4bit": True}, 13.84),
    ("Llama 2 13B, LoRA, micro batch 1", {"base_model": "meta-llama/Llama-2-13b-hf"}, 38.12),
    ("Llama 2 13B, QLoRA bnb.nf4-dq, micro batch 1",
     {"base_model": "meta-llama/Llama-2-13b-hf", "adapter": "qlora", "load_in_4bit": True}, 22.55),
])
def test_litgpt_resource_tables(what: str, config: dict[str, Any], published_gb: float) -> None:
    """Lightning-AI/litgpt tutorials/resource-tables.md, "Finetuning with LoRA on 1 GPU" (1x A100, bf16-true,
    LoRA r=8 on query/value, the longest Alpaca sample 1304 tokens, no activation checkpointing)."""
    est = estimate({**LITGPT_LORA, **config})
    assert within(est.allocated_bytes, published_gb * GB), \
        f"{what}: estimated {est.allocated_bytes / GB:.2f} GB, published {published_gb} GB"


def test_litgpt_full_finetune_tinyllama() -> None:
    """Lightning-AI/litgpt config_hub/finetune/README.md: tiny-llama/full.yaml, TinyLlama 1.1B, full fine-tune,
    micro batch 4, max sequence 512, bf16 (weights and AdamW states in bf16), 1x A10G: 14.10 GB peak."""
    est = estimate({"base_model": "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T", "precision": "bf16",
                    "micro_batch_size": 4, "sequence_len": 512})
    assert within(est.allocated_bytes, 14.10 * GB), f"estimated {est.allocated_bytes / GB:.2f} GB"


@pytest.mark.parametrize(("stage", "published_gb"), [(1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_paper_model_states(stage: int, published_gb: float) -> None:
    """Rajbhandari et al., ZeRO (arXiv:1910.02054), Figure 1: a 7.5B model with mixed-precision Adam needs
    16 bytes/param of model states (120 GB); on 64 GPUs stage 1 leaves 31.4 GB per GPU, stage 2 16.6 GB,
    stage 3 1.9 GB. Model states = weights + gradients + optimizer (the paper counts no gathered layers)."""
    config = {"base_model": "gpt-7.5b", "precision": "bf16", "deepspeed.zero_stage": stage}
    alone = estimate({**config, "deepspeed.zero_stage": 1}, gpus=1, params=7.5e9)
    states = sum(alone.line(n).bytes for n in ("weights", "gradients", "optimizer"))
    assert states == pytest.approx(120 * GB, rel=1e-9), "16 bytes per parameter"
    est = estimate(config, gpus=64, params=7.5e9)
    states = sum(est.line(n).bytes for n in ("weights", "gradients", "optimizer"))
    assert states == pytest.approx(published_gb * GB, rel=0.03)


def test_full_finetune_without_deepspeed_keeps_states_in_the_load_dtype() -> None:
    """axolotl loads a bf16 config in bf16 and torch AdamW keeps its moments in the parameter dtype: 8 B/param."""
    est = estimate({"base_model": "meta-llama/Meta-Llama-3-8B", "precision": "bf16"})
    states = sum(est.line(n).bytes for n in ("weights", "gradients", "optimizer"))
    assert states == pytest.approx(est.dims.params * 8)
    fp32 = estimate({"base_model": "meta-llama/Meta-Llama-3-8B"})
    assert fp32.line("weights").bytes == pytest.approx(est.dims.params * 4), "no bf16/fp16 -> fp32 weights"


def test_quantised_weights() -> None:
    """4-bit NF4 with double quantisation is 4.127 bits per linear weight; embeddings and head stay 16-bit."""
    base = {"base_model": "meta-llama/Llama-2-7b-hf", "adapter": "lora", "precision": "bf16"}
    dims = estimate(base).dims
    four = estimate({**base, "adapter": "qlora", "load_in_4bit": True}).line("weights").bytes
    eight = estimate({**base, "load_in_8bit": True}).line("weights").bytes
    assert four == pytest.approx(dims.linear_params * 4.127 / 8 + dims.other_params * 2)
    assert eight == pytest.approx(dims.linear_params + dims.other_params * 2)
    assert estimate({**base, "fp8": True}).line("weights").bytes == pytest.approx(eight), "fp8: the guide's half"


def test_lora_targets() -> None:
    """r x (in + out) per adapted module and layer; lora_target_linear adapts all seven projections."""
    base = {"base_model": "meta-llama/Meta-Llama-3-8B", "adapter": "lora", "lora_r": 16, "precision": "bf16"}
    qv = estimate(base).trainable_params
    assert qv == 16 * ((4096 + 4096) + (4096 + 1024)) * 32
    linear = estimate({**base, "lora_target_linear": True}).trainable_params
    assert linear == 16 * (2 * (4096 + 4096) + 2 * (4096 + 1024) + 3 * (4096 + 14336)) * 32
    fused = estimate({**base, "lora_target_modules": ["qkv_proj"]}).trainable_params
    assert fused == 16 * (4096 + 4096 + 2 * 1024) * 32


def test_activation_memory_levers() -> None:
    """Checkpointing keeps one input per layer; eager attention grows with n^2, sdpa/flash with n."""
    base = {"base_model": "meta-llama/Llama-2-7b-hf", "adapter": "qlora", "load_in_4bit": True, "precision": "bf16",
            "sequence_len": 4096}
    full = estimate(base).line("activations").bytes
    ckpt = estimate({**base, "gradient_checkpointing": True}).line("activations").bytes
    assert ckpt < full / 10
    eager = [estimate({**base, "attn_implementation": "eager", "sequence_len": n}).line("attention scores").bytes
             for n in (2048, 4096)]
    assert eager[1] == pytest.approx(4 * eager[0])
    assert estimate({**base, "attn_implementation": "flash_attention_2"}).line("attention scores").bytes == 0
    mbs2 = estimate({**base, "micro_batch_size": 2}).line("activations").bytes
    assert mbs2 == pytest.approx(2 * full)


def test_sharding_and_offload() -> None:
    base = {"base_model": "Qwen/Qwen2-7B-Instruct", "precision": "bf16", "gradient_checkpointing": True,
            "sequence_len": 128}
    one = estimate({**base, "deepspeed.zero_stage": 3}, gpus=1)
    four = estimate({**base, "deepspeed.zero_stage": 3}, gpus=4)
    for name in ("weights", "gradients", "optimizer"):
        assert four.line(name).bytes == pytest.approx(one.line(name).bytes / 4)
    offload = estimate({**base, "deepspeed.zero_stage": 3, "deepspeed.offload_optimizer": True,
                        "deepspeed.offload_param": True}, gpus=4)
    assert offload.line("weights").bytes == 0 and offload.line("optimizer").bytes == 0
    fsdp = estimate({**base, "fsdp_version": 2, "fsdp_config.offload_params": True}, gpus=4)
    assert fsdp.line("weights").bytes == 0 and fsdp.line("gradients").bytes == 0


def test_case_021_full_sft_on_four_4090s_does_not_fit() -> None:
    """shared/cases/021 (OpenRLHF issue 424): full SFT of Qwen2-7B on 4x RTX 4090 (24 GB) with ZeRO-3, micro
    batch 1, 128 tokens, flash attention and checkpointing ran out of memory until the optimizer was offloaded."""
    est = estimate({"base_model": "Qwen/Qwen2-7B-Instruct", "precision": "bf16", "gradient_checkpointing": True,
                    "attn_implementation": "flash_attention_2", "sequence_len": 128, "deepspeed.zero_stage": 3}, gpus=4)
    assert est.peak_bytes > 24 * GIB
    offloaded = estimate({"base_model": "Qwen/Qwen2-7B-Instruct", "precision": "bf16", "gradient_checkpointing": True,
                          "attn_implementation": "flash_attention_2", "sequence_len": 128, "deepspeed.zero_stage": 3,
                          "deepspeed.offload_optimizer": True}, gpus=4)
    assert offloaded.peak_bytes < 24 * GIB

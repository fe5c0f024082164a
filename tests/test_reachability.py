"""Every diagnosis id in the catalog is reachable from evidence a user can supply.

Each row is what a person could really hand the assistant: their words, a log
excerpt, a config, a probe report, answers to follow-up questions. The whole
consultation runs (readers, detectors, phrase table, engine); the id must be
among the reported diagnoses.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from assistant.consult import consult

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "diagnoses.yaml"


def _dict_line(**kv: object) -> str:
    return "{" + ", ".join(f"'{k}': {v!r}" if not isinstance(v, float) or math.isfinite(v) else f"'{k}': {str(v)}" for k, v in kv.items()) + "}"


def _sft_log(n: int, loss, grad_norm=None, lr=lambda s: 2e-4, eval_every: int = 0, eval_loss=None) -> str:
    lines = []
    for s in range(1, n + 1):
        kv = {"loss": loss(s)}
        if grad_norm is not None:
            kv["grad_norm"] = grad_norm(s)
        kv["learning_rate"] = lr(s)
        kv["epoch"] = round(s / n, 3)
        lines.append(_dict_line(**kv))
        if eval_every and s % eval_every == 0:
            lines.append(_dict_line(eval_loss=eval_loss(s), eval_runtime=10.0, epoch=round(s / n, 3)))
    return "\n".join(lines) + "\n"


def _grpo_log(n: int, **series) -> str:
    lines = []
    for s in range(1, n + 1):
        kv = {"loss": 0.01, "grad_norm": 0.3, "learning_rate": 1e-6}
        kv.update({k: (f(s) if callable(f) else f) for k, f in series.items()})
        kv["epoch"] = round(s / n, 3)
        lines.append(_dict_line(**kv))
    return "\n".join(lines) + "\n"


def _noisy(base: float, s: int, amp: float = 0.03) -> float:
    return base * (1 + amp * math.sin(s * 1.7))


# id -> (question, {file name: content}, answers)
CASES: dict[str, tuple[str, dict[str, str], list[str]]] = {
    # ---- sft
    "lr_too_low": ("my loss plateaus early", {"config.yaml": "base_model: m\nadapter: lora\nlearning_rate: 0.00001\n"}, []),
    "lr_too_high": ("loss spikes every few hundred steps", {"config.yaml": "base_model: m\nadapter: lora\nlearning_rate: 0.002\n"}, []),
    "insufficient_warmup": ("", {"train.log": _sft_log(300, lambda s: _noisy(1.2, s), lambda s: 0.5, lr=lambda s: 2e-4 * (1 - s / 300))}, []),
    "label_masking_wrong": ("", {"train.log": "WARNING: tokenization mismatch: 385 vs. 399. (ignored)\n" * 5 + _sft_log(10, lambda s: 0.0)}, []),
    "weight_decay_too_high": ("", {"config.yaml": "base_model: m\nadapter: lora\nlearning_rate: 0.0002\nweight_decay: 0.3\n"}, []),
    "bad_data_samples": ("loss spikes", {}, ["spike_batch_specific=yes"]),
    "effective_batch_mismatch": ("", {"config.yaml": "base_model: m\nmicro_batch_size: 16\ngradient_accumulation_steps: 64\nlearning_rate: 0.00002\n"}, []),
    "mixed_precision_instability": ("loss becomes nan after a few hundred steps", {"config.yaml": "base_model: m\nfp16: true\nlearning_rate: 0.00002\n"}, []),
    "overfitting": ("", {"train.log": _sft_log(400, lambda s: 2.0 * math.exp(-s / 100) + 0.1, lambda s: 0.5, eval_every=50,
                                                 eval_loss=lambda s: 1.0 + ((s - 150) / 400) ** 2)}, []),
    "no_eval_set": ("", {"config.yaml": "base_model: m\nval_set_size: 0\nlearning_rate: 0.00002\n"}, []),
    "logging_missing": ("", {"config.yaml": "base_model: m\nlearning_rate: 0.00002\nlogging_steps: 500\n"}, []),
    # ---- rl
    "reward_function_broken": ("my grpo reward is stuck at zero", {}, ["reward_fn_standalone=returns_zero"]),
    "reward_columns_missing": ("", {"train.log": "NotImplementedError: Reward function is not implemented for data_source=''\n"}, []),
    "model_too_weak": ("grpo reward stays at 0", {}, ["completions_look=empty"]),
    "vllm_wrong_model": ("grpo reward stays at 0 with vllm", {}, ["vllm_model_matches=no"]),
    "no_learning_signal": ("", {"train.log": _grpo_log(30, reward=0.5, reward_std=0.0, frac_reward_zero_std=1.0)}, []),
    "entropy_collapse": ("", {"train.log": _grpo_log(30, reward=0.4, reward_std=0.2, entropy=lambda s: 0.3 if s < 10 else 0.004)}, []),
    "entropy_too_high": ("", {"train.log": _grpo_log(30, reward=0.4, reward_std=0.2, entropy=lambda s: 1.8)}, []),
    "policy_divergence_kl": ("", {"train.log": _grpo_log(30, reward=0.4, reward_std=0.2, kl=lambda s: 0.1 * s)}, []),
    "is_ratio_divergence": ("", {"train.log": _grpo_log(10, reward=0.4, reward_std=0.2, **{"sampling/importance_sampling_ratio/min": 1e-9, "sampling/sampling_logp_difference/mean": 1.7})}, []),
    "clipping_too_aggressive": ("", {"train.log": _grpo_log(20, reward=0.4, reward_std=0.2, **{"clip_ratio/region_mean": 0.45})}, []),
    "reward_hacking_length": ("", {"train.log": _grpo_log(40, reward=lambda s: 0.1 + s * 0.01, reward_std=0.2,
                                                          **{"completions/mean_length": lambda s: min(100 + 15 * s, 505), "completions/max_length": 512.0})}, []),
    "completions_truncated": ("", {"train.log": _grpo_log(20, reward=0.3, reward_std=0.1, **{"completions/clipped_ratio": 0.95})}, []),
    "grad_norm_unstable": ("", {"train.log": _grpo_log(20, reward=0.3, reward_std=0.1, grad_norm=lambda s: 25.0 + s)}, []),
    "ebft_misaligned": ("", {"train.log": _grpo_log(20, **{"ebft/alignment": 0.1, "ebft/cfm_loss": lambda s: 14.0 + s})}, []),
    "ebft_mode_collapse": ("", {"train.log": _grpo_log(20, **{"ebft/alignment": 0.5, "ebft/diversity": 1.6})}, []),
    # ---- nan
    "fp8_zero_scale": ("loss is nan from the very first step", {"config.yaml": "base_model: m\nfp8: true\n"}, []),
    "gradient_explosion": ("", {"train.log": _sft_log(60, lambda s: 1.0 if s < 50 else float("nan"),
                                                     lambda s: 0.5 if s < 45 else (0.5 * 10 ** (s - 44) if s < 50 else float("inf")))}, []),
    "empty_sequences": ("the loss is nan for one particular sample", {}, []),
    "logsoftmax_overflow": ("dpo loss is nan and I see huge negative logprobs", {}, []),
    "nan_forward_vs_backward": ("my loss is nan", {}, []),
    # ---- oom
    "oom_batch_too_large": ("", {"train.log": "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n",
                                 "config.yaml": "base_model: m\nmicro_batch_size: 8\n"}, []),
    "grpo_logits_too_large": ("", {"config.yaml": "base_model: m\nrl: grpo\nmicro_batch_size: 8\nsequence_len: 2048\ntrl:\n  num_generations: 16\n"}, []),
    "gradient_checkpointing_off": ("CUDA out of memory", {"config.yaml": "base_model: m\nmicro_batch_size: 1\ngradient_checkpointing: false\n"}, []),
    "model_not_quantized": ("CUDA out of memory", {"config.yaml": "base_model: m\nadapter: lora\nmicro_batch_size: 1\ngradient_checkpointing: true\n"}, []),
    "sequence_too_long": ("runs out of memory at 4096 tokens but works at 1024", {}, []),
    "attention_not_flash": ("CUDA out of memory", {"config.yaml": "base_model: m\nmicro_batch_size: 1\nsequence_len: 8192\nattn_implementation: eager\n"}, []),
    "needs_offload": ("CUDA out of memory", {"config.yaml": "base_model: m\nmicro_batch_size: 1\ngradient_checkpointing: true\nsequence_len: 512\nattn_implementation: flash_attention_2\ndeepspeed: zero3\n"}, []),
    "host_ram_exhausted": ("training just prints Killed and exits", {}, []),
    # ---- errors
    "deepspeed_version": ("", {"train.log": "torch.distributed.elastic.multiprocessing.api: failed (exitcode: -7) local_rank: 0\n",
                               "config.yaml": "base_model: m\ndeepspeed: deepspeed_configs/zero2.json\n"}, []),
    "nccl_failure": ("", {"train.log": "RuntimeError: NCCL communicator was aborted on rank 3.\n"}, []),
    "missing_pad_token": ("", {"train.log": "ValueError: Asking to pad but the tokenizer does not have a padding token.\n"}, []),
    "deepspeed_single_gpu": ("", {"train.log": "AttributeError: 'DummyOptim' object has no attribute 'step'\n"}, []),
    "reward_module_import": ("", {"train.log": "unable to load strategy my_rewards.accuracy_reward\nTypeError: 'NoneType' object is not callable\n"}, []),
    "generation_batch_indivisible": ("", {"config.yaml": "base_model: m\nrl: grpo\nmicro_batch_size: 1\ntrl:\n  num_generations: 8\n"}, []),
    "fsdp1_flat_params": ("", {"train.log": "[rank0]: RuntimeError: 'weight' must be 2-D\n", "config.yaml": "base_model: m\nfsdp_version: 1\n"}, []),
    "checkpoint_reentrant_mismatch": ("", {"train.log": "torch.utils.checkpoint.CheckpointError: torch.utils.checkpoint: Recomputed values for the following tensors have different metadata than during the forward pass.\n"}, []),
    "bf16_numpy_weight_sync": ("", {"train.log": "TypeError: Got unsupported ScalarType BFloat16\n"}, []),
    "chat_template_boundary": ("", {"train.log": "ValueError: Content end boundary is before start boundary\n"}, []),
    "hf_xet_cas_error": ("", {"train.log": "RuntimeError: Data processing error: CAS service error : Reqwest Error\n"}, []),
    "fsdp_prefetch_hang": ("training hangs with 8 GPUs", {"config.yaml": "base_model: m\nfsdp_version: 2\ntrl:\n  async_prefetch: true\n"}, []),
    "triton_cache_stale": ("I patched the triton kernel but nothing changed, same nan", {}, []),
    # ---- beyond
    "shm_too_small": ("", {"probe.json": json.dumps({"probe_version": 1, "host": {"shm_bytes": 67108864, "container": True}})}, []),
    "attention_kernel_fault": ("", {"train.log": "RuntimeError: CUDA error: an illegal memory access was encountered\n"}, []),
    "ga_loss_scaling": ("", {"train.log": _sft_log(4, lambda s: 180.0 - 20 * s, lambda s: 4000.0)}, []),
    "sample_packing_unsupported": ("", {"train.log": _sft_log(30, lambda s: 0.0), "config.yaml": "base_model: m\nsample_packing: true\n"}, []),
    "micro_batch_exceeds_minibatch": ("grad_norm is nan from the first step after I changed the number of gpus", {}, []),
    "gpu_hardware_fault": ("", {"train.log": "NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus.\n"}, []),
    "bf16_unsupported": ("", {"train.log": "ValueError: Your setup doesn't support bf16/gpu. You need torch>=1.10, using Ampere GPU with cuda>=11.0\n"}, []),
    "fp8_unsupported": ("", {"config.yaml": "base_model: m\nfp8: true\n",
                             "probe.json": json.dumps({"probe_version": 1, "gpu": {"count": 1, "compute_capability": 8.0}})}, []),
    "flash_attn_missing": ("", {"train.log": "ModuleNotFoundError: No module named 'flash_attn'\n"}, []),
}


def test_every_catalog_id_has_a_case() -> None:
    catalog = yaml.safe_load(SPEC.read_text()) if SPEC.exists() else yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "rules" / "diagnoses.yaml").read_text())["diagnoses"]
    ids = {i for area in catalog.values() for i in area} if SPEC.exists() else set(catalog)
    assert ids - set(CASES) == set()


@pytest.mark.parametrize("diag_id", sorted(CASES))
def test_reachable(diag_id: str, tmp_path: Path) -> None:
    question, files, answers = CASES[diag_id]
    paths = []
    for name, content in files.items():
        p = tmp_path / name
        p.write_text(content)
        paths.append(p)
    report = consult(question, attachments=paths, answers=answers)
    got = [d.id for d in report.diagnoses]
    assert diag_id in got, f"{diag_id} not reached; got {got}"

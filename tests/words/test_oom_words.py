"""OOM words: the batch ruled out, a run that ran out part-way, full fine-tunes and LLaMA-Factory named in
Chinese or English, vision inputs, and GPU memory that grows on one card."""
from __future__ import annotations

import pytest

from .helpers import names


@pytest.mark.parametrize("text", [
    "CUDA out of memory no matter the batch size",
    "it runs out of memory regardless of batch size",
    "OOM even with the smallest batch",
    "batch size 只有 1，还是 OOM",
    "不管 batch size 多小都爆显存 out of memory",
])
def test_oom_whatever_the_batch(text: str) -> None:
    assert "user.oom_any_batch" in names(text)


@pytest.mark.parametrize("text", ["CUDA out of memory with batch size 8", "no matter what I try the loss is nan"])
def test_batch_not_ruled_out(text: str) -> None:
    assert "user.oom_any_batch" not in names(text)


@pytest.mark.parametrize("text,fact", [
    ("ChatGLM-6B 全参数 finetune OOM", "user.full_finetune"),
    ("用两张 A100 全量微调 Qwen2.5-7B", "user.full_finetune"),
    ("训练开始是正常的，但跑到一半报显存不足（OOM）", "user.oom_midway"),
    ("训练中途 out of memory", "user.oom_midway"),
    ("LoRA with LLaMA-Factory runs out of memory", "user.llamafactory"),
    ("Fine-tuning Qwen2-VL-7B-Instruct with ms-swift", "user.vision_inputs"),
    ("数据是单张图片 + 问答的 jsonl", "user.vision_inputs"),
    ("The memory of one of the GPUs keeps growing during training", "user.memory_growing"),
])
def test_oom_setup_words(text: str, fact: str) -> None:
    assert fact in names(text)

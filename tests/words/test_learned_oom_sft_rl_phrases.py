"""Phrases added from the dev OOM / SFT / RL misses: host RAM and the -9 exit in other words, ZeRO-3 offload
config names, plain data parallel, results that change with the ZeRO stage, a model that does not stop,
trackers without loss data, GA-dependent loss, a pad token equal to EOS (no padding error), vLLM-vs-trainer
log-prob gaps and looping generations."""
from __future__ import annotations

import pytest

from .helpers import names


@pytest.mark.parametrize("text,fact", [
    ("the launcher reports return code = -9 and stops", "user.killed"),
    ("the job exited, exit status: -9", "user.killed"),
    ("训练时系统内存很快被占满", "user.host_ram"),
    ("I use the ds_z3_offload config from the examples", "user.zero3_offload"),
    ("with zero3_cpu_offload.json the run starts", "user.zero3_offload"),
    ("I don't use deepspeed, just torchrun on 8 GPUs", "user.no_sharding"),
    ("launched without FSDP on four cards", "user.no_sharding"),
    ("a full instruction tuning of a 13B model", "user.full_finetune"),
    ("the eval loss is clearly worse with zero-2 than with zero-1, same seed", "user.zero_stage_changes_result"),
    ("results differ between zero_stage=2 and zero_stage=3", "user.zero_stage_changes_result"),
    ("the tuned model does not stop and keeps writing", "user.no_stop"),
    ("it keeps generating random text instead of ending the turn", "user.no_stop"),
    ("wandb never shows any loss for my run", "user.no_curves"),
    ("the logged loss is larger when I increase the gradient accumulation steps", "user.ga_changes_loss"),
    ("the rollout_vs_trainer_logprob_diff keeps rising", "user.is_ratio_odd"),
    ("the sampling logprobs and the trainer's logprobs drift apart over time", "user.is_ratio_odd"),
    ("after DPO the responses loop endlessly", "user.repetition"),
])
def test_learned_phrases(text: str, fact: str) -> None:
    assert fact in names(text)


@pytest.mark.parametrize("text,fact", [
    ("the pad token is the same as the eos token, and the collator masks the answers", "user.padding_error"),
    ("with deepspeed zero-3 on 8 GPUs the loss is worse than expected", "user.zero_stage_changes_result"),
    ("I use DeepSpeed ZeRO-3 on two nodes", "user.no_sharding"),
    ("exit code -7 from the launcher", "user.killed"),
])
def test_learned_phrases_not(text: str, fact: str) -> None:
    assert fact not in names(text)

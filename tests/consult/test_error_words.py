"""Errors told in words, as users paste or paraphrase them: each errors-area catalog id reached from the
question alone (a quoted message or a description of it), among the first three."""
from __future__ import annotations

import pytest

from assistant.consult import consult

P = [
 ("Training crashes with 'Asking to pad but the tokenizer does not have a padding token'", {"missing_pad_token"}),
 ("The tokenizer has no pad token so batching fails", {"missing_pad_token"}),
 ("I'm running DeepSpeed on one GPU and the optimizer is a DummyOptim, nothing gets updated", {"deepspeed_single_gpu"}),
 ("GRPO fails: my reward function module cannot be imported (ModuleNotFoundError: No module named 'my_rewards')", {"reward_module_import"}),
 ("axolotl GRPO: TypeError: 'NoneType' object is not callable when loading reward functions", {"reward_module_import"}),
 ("The global train batch size must be evenly divisible by the number of generations", {"generation_batch_indivisible"}),
 ("With ZeRO-3 and use_reentrant=False I get CheckpointError: recomputed values have different metadata", {"checkpoint_reentrant_mismatch"}),
 ("NCCL timeout after 30 minutes: Watchdog caught collective operation timeout", {"nccl_failure"}),
 ("Training hangs forever at the first step on 8 GPUs with FSDP and forward prefetch", {"fsdp_prefetch_hang","nccl_failure"}),
 ("ImportError: flash_attn is not installed but attn_implementation=flash_attention_2", {"flash_attn_missing"}),
 ("RuntimeError: bf16 is not supported on my V100", {"bf16_unsupported","mixed_precision_instability"}),
 ("Dataset map fails with 'CAS service error' from hf_xet", {"hf_xet_cas_error"}),
 ("After upgrading deepspeed the grad_norm is always 0", {"deepspeed_version"}),
 ("DeepSpeed 0.17 fails with an error that 0.15 did not have", {"deepspeed_version"}),
 ("The chat template inserts an extra EOS and the content end boundary can't be found", {"chat_template_boundary"}),
 ("docker: DataLoader worker (pid 123) is killed by signal: Bus error. It is possible that dataloader's workers are out of shared memory", {"shm_too_small"}),
 ("CUDA error: an illegal memory access was encountered in flash attention", {"attention_kernel_fault"}),
 ("verl: NotImplementedError: Reward function is not implemented for data_source=''", {"reward_columns_missing"}),
 ("ms-swift GRPO: reward function my_format is not registered", {"reward_function_broken","reward_module_import"}),
 ("nvidia-smi shows 'GPU has fallen off the bus' after an Xid 79", {"gpu_hardware_fault"}),
]


@pytest.mark.parametrize(("question", "want"), P, ids=[q[:50] for q, _ in P])
def test_error_words_reach_the_diagnosis(question: str, want: set[str]) -> None:
    got = [d.id for d in consult(question).diagnoses]
    assert set(got[:3]) & want, got

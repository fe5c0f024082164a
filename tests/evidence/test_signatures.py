"""rules/signatures.yaml: it loads, each signature matches its real message, healthy text stays quiet."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import RuleError
from assistant.evidence._signatures import SignatureScan, load_signatures

# One real message per signature (from the guide, the shared cases and the libraries' sources).
EXAMPLES = {
    "error.cuda_oom": "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
    "error.killed": "  exitcode  : -9 (pid: 1234)",
    "error.exitcode_7": "  exitcode  : -7 (pid: 4321)",
    "error.shm": "ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient shared memory (shm).",
    "error.no_space_left": "OSError: [Errno 28] No space left on device",
    "error.nccl": "RuntimeError: NCCL communicator was aborted on rank 3.",
    "error.hang_timeout": "[E ProcessGroupNCCL.cpp:475] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=1)",
    "error.deepspeed": "deepspeed.runtime.zero.utils.ZeRORuntimeException: optimizer is not supported",
    "error.dummy_optim": "AttributeError: 'DummyOptim' object has no attribute 'step'",
    "error.illegal_memory_access": "RuntimeError: CUDA error: an illegal memory access was encountered",
    "error.gpu_fell_off_bus": "NVRM: GPU at PCI:0000:3b:00: GPU has fallen off the bus.",
    "error.device_side_assert": "RuntimeError: CUDA error: device-side assert triggered",
    "error.cublas": "RuntimeError: CUDA error: CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasGemmEx`",
    "error.bf16_unsupported": "ValueError: Your setup doesn't support bf16/gpu. You need torch>=1.10",
    "error.bf16_numpy": "TypeError: Got unsupported ScalarType BFloat16",
    "error.fp8_unsupported": "ValueError: fp8 training requires a GPU with compute capability 8.9 or newer",
    "error.unscale_fp16": "ValueError: Attempting to unscale FP16 gradients.",
    "error.flash_attn_import": "ModuleNotFoundError: No module named 'flash_attn'",
    "error.triton": "triton.compiler.errors.CompilationError: at 12:4:",
    "error.missing_pad_token": "ValueError: Asking to pad but the tokenizer does not have a padding token.",
    "error.content_boundary": "ValueError: Content end boundary is before start boundary for turn 3",
    "error.xet_cas": "RuntimeError: Data processing error: CAS service error : Reqwest Error",
    "error.key_error": "KeyError: 'input_ids'",
    "error.reward_module_import": "unable to load strategy my_rewards.accuracy_reward",
    "error.reward_not_implemented": "NotImplementedError: Reward function is not implemented for data_source=''",
    "error.generation_batch_indivisible": "ValueError: generation_batch_size (6) must be divisible... "
                                          "generation_batch_size 6 is not divisible by num_generations 4",
    "error.weight_must_be_2d": "RuntimeError: 'weight' must be 2-D",
    "error.checkpoint_error": "torch.utils.checkpoint.CheckpointError: torch.utils.checkpoint: A different number of tensors was saved",
    "error.ddp_unused_parameters": "RuntimeError: Expected to have finished reduction in the prior iteration before starting a new one.",
    "log.tokenization_mismatch": "WARNING: tokenization mismatch: 385 vs. 399. (ignored)",
    "log.loss_watchdog": "[WARNING] [axolotl.core.trainer_builder] Loss is too high, stopping training (loss_watchdog_threshold)",
    "log.sample_packing_warning": "[WARNING] sample_packing is not supported with this attention implementation; disabling",
    "log.nan_detected": "WARNING: nan loss detected at step 412, skipping batch",
    "log.unsloth": "Unsloth: Will smartly offload gradients to save VRAM!",
    "log.axolotl": "[2026-03-01 10:02:11,532] [INFO] [axolotl.train] Starting trainer...",
    "log.llamafactory": "[INFO|2024-05-01 10:00:00] llamafactory.train.sft.workflow:58 >> training started",
}

# Healthy lines that look close to a signature and must not match any.
HEALTHY = [
    "[2026-03-01 10:02:11,532] [INFO] [axolotl.utils.data.sft] total_num_steps: 1250",
    "Setting `pad_to_sequence_len: true` to prevent memory leaks when sample_packing",
    "cuda memory active: 14.123GB (+15.002GB allocated, +16.500GB reserved)",
    "trainable params: 41,943,040 || all params: 8,072,204,288 || trainable%: 0.5196",
    "[INFO] [real_accelerator.py:203:get_accelerator] Setting ds_accelerator to cuda (auto detect)",
    "NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/IPC/read",
    "The tokenizer changed the padding side; changing the learning rate schedule",
    "Saving model checkpoint to ./outputs/checkpoint-500",
    "wandb: Run summary: train/loss 0.91",
    "bf16: true",
]


def scan(text: str) -> SignatureScan:
    s = SignatureScan(load_signatures())
    s.scan(text.encode(), lambda o: (1, text))
    return s


def test_every_signature_has_an_example() -> None:
    assert {s.fact for s in load_signatures()} == set(EXAMPLES)


@pytest.mark.parametrize("fact", sorted(EXAMPLES))
def test_example_matches(fact: str) -> None:
    assert fact in scan(EXAMPLES[fact]).hits


@pytest.mark.parametrize("line", HEALTHY)
def test_healthy_line_matches_nothing(line: str) -> None:
    hits = scan(line).hits
    assert not [f for f in hits if f.startswith("error.")], hits


def test_counts_lines_and_keeps_the_first() -> None:
    s = SignatureScan(load_signatures())
    text = "a\nKeyError: 'x' and KeyError: 'y'\nKeyError: 'z'\n"
    s.scan(text.encode(), lambda o: (text.count("\n", 0, o) + 1, "shown"))
    hit = s.hits["error.key_error"]
    assert hit.count == 2 and hit.line == 2 and hit.captures == {"key": "x"}


def test_bad_signature_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "sig.yaml"
    path.write_text("- fact: error.ok\n  pattern: 'x'\n- fact: Bad.Name\n  pattern: 'y'\n"
                    "- fact: error.broken\n  pattern: '(unclosed'\n- fact: log.z\n  pattern: z\n  colour: red\n")
    with pytest.raises(RuleError) as err:
        load_signatures(path)
    assert len(err.value.problems) == 3

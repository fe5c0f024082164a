"""rules/signatures.yaml: it loads, the scan's shortcuts are sound, healthy text stays quiet.

Each signature's real example lines are in signature_examples.yaml and run through the log reader
by test_signature_examples.py; this file checks the loader and the scan itself.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import RuleError
from assistant.evidence._signatures import SignatureScan, load_signatures

# Healthy lines that look close to a signature and must not match any error.
HEALTHY = [
    "[2026-03-01 10:02:11,532] [INFO] [axolotl.utils.data.sft] total_num_steps: 1250",
    "Setting `pad_to_sequence_len: true` to prevent memory leaks when sample_packing",
    "cuda memory active: 14.123GB (+15.002GB allocated, +16.500GB reserved)",
    "trainable params: 41,943,040 || all params: 8,072,204,288 || trainable%: 0.5196",
    "[INFO] [real_accelerator.py:203:get_accelerator] Setting ds_accelerator to cuda (auto detect)",
    "NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/IPC/read",
    "gpu-node-3:12345:12399 [3] NCCL INFO NET/Plugin: No plugin found (libnccl-net.so), using internal implementation",
    "The tokenizer changed the padding side; changing the learning rate schedule",
    "Saving model checkpoint to ./outputs/checkpoint-500",
    "wandb: Run summary: train/loss 0.91",
    "bf16: true",
    "Flash Attention 2.0 only supports torch.float16 and torch.bfloat16 dtypes, but the current dype in LlamaForCausalLM is torch.float32.",
    "torch/utils/checkpoint.py:460: UserWarning: torch.utils.checkpoint: please pass in use_reentrant=True or use_reentrant=False explicitly.",
    "[2023-04-28 06:51:29,903] [INFO] [loss_scaler.py:188:update_scale] [deepspeed] OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 65536, but hysteresis is 2. Reducing hysteresis to 1",
    "[INFO] [launch.py:335:sigkill_handler] Killing subprocess 12345",
    "INFO 03-01 10:00:00 [worker.py:123] Memory profiling takes 2.1 seconds, total_gpu_memory=79.1GiB, gpu_memory_utilization=0.90",
    "    ECC Errors",
    "Xet Storage is enabled for this repo. Downloading file from Xet Storage..",
]


def scan(text: str) -> SignatureScan:
    s = SignatureScan(load_signatures())
    s.scan(text.encode(), lambda o: (text.count("\n", 0, o) + 1, "shown"))
    return s


@pytest.mark.parametrize("line", HEALTHY)
def test_healthy_line_matches_no_error(line: str) -> None:
    hits = scan(line).hits
    assert not [f for f in hits if f.startswith("error.")], hits


def test_counts_lines_and_keeps_the_first() -> None:
    text = "a\nKeyError: 'x' and KeyError: 'y'\nKeyError: 'z'\n"
    hit = scan(text).hits["error.key_error"]
    assert hit.count == 2 and hit.line == 2 and hit.captures == {"key": "x"}


def test_repeated_lines_with_other_numbers_all_count() -> None:
    """Lines are looked up folded and de-duplicated; matching still runs on the real text."""
    lines = [f"[2026-03-01 10:0{i}:00] NCCL INFO Channel {i:02d}/0 : 0[0] -> 1[1] via P2P/IPC" for i in range(9)]
    lines[5] = "ncclRemoteError: A call failed possibly due to a network error or a remote process exiting prematurely."
    lines += ["[deepspeed] OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 65536, reducing to 32768"] * 4
    lines.append("[deepspeed] OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 2048, reducing to 1024")
    hits = scan("\n".join(lines)).hits
    assert hits["error.nccl_remote_error"].line == 6
    assert hits["log.fp16_overflow"].count == 5 and hits["log.fp16_overflow"].line == 10


def test_a_literal_holding_digits_is_found_through_the_folding() -> None:
    hits = scan("step 3\nexits with return code = -9\n").hits
    assert "error.killed" in hits and hits["error.killed"].line == 2


def test_a_gated_family_is_skipped_when_the_gate_is_absent() -> None:
    sigs = {s.fact: s for s in load_signatures()}
    assert sigs["error.nccl"].gate == b"nccl" and all(b"nccl" in lit for lit in sigs["error.nccl"].contains)
    assert "error.nccl" not in scan("RuntimeError: CUDA error: unknown error\n").hits


def test_bad_signature_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "sig.yaml"
    path.write_text(
        "- fact: error.ok\n  contains: x\n  pattern: 'x'\n"
        "- fact: Bad.Name\n  contains: y\n  pattern: 'y'\n"
        "- fact: error.broken\n  contains: u\n  pattern: '(unclosed'\n"
        "- fact: log.z\n  contains: z\n  pattern: z\n  colour: red\n"
        "- fact: error.no_literal\n  pattern: 'q'\n"
        "- fact: error.bad_gate\n  gate: nccl\n  contains: [nccl warn, watchdog]\n  pattern: 'w'\n"
        "- fact: error.ok\n  contains: x\n  pattern: 'x'\n"
        "- fact: error.mapping\n  contains: [out of memory: kill]\n  pattern: 'o'\n")
    with pytest.raises(RuleError) as err:
        load_signatures(path)
    problems = err.value.problems
    assert len(problems) == 7, problems
    assert any("needs `contains`" in p for p in problems)
    assert any("gate 'nccl'" in p and "watchdog" in p for p in problems)
    assert any("already has a signature" in p for p in problems)
    assert any("not a string" in p for p in problems)

"""OOM and error signals from the dev corpus: a Hub download that stalls (the hf_xet backend, named as hf_xet or
not), a DataLoader worker that exited with no error of its own (host RAM), a batch of 1 that still runs out of
memory said the way users say it, CPU offload said in Chinese or as `offload ... to cpu`, a large batch in the words,
a packed run that crashes on a tensor size mismatch, and a memory estimate that does not fit even with
checkpointing. Sentences are written as users write them; the rules they feed run through `consult` (the rules'
own ranking: tests/words leaves precedent out)."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.consult import consult
from .helpers import ids, phrases


# --- Hub downloads that stall -----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Every `hf download` I run stalls after a while and stops progressing. How do I get the model downloaded?",
    "Running vLLM in a pod with tensor parallel > 1, the model download hangs and the server never comes up.",
    "snapshot_download of the weights freezes at 30% with no error",
    "The trainer is stuck while downloading the model shards from the Hub.",
])
def test_a_download_that_stalls_is_the_xet_backend(text: str) -> None:
    assert "user.download_stall" in phrases(text)
    assert ids(text)[0] == "hf_xet_cas_error"


@pytest.mark.parametrize("text", ["huggingface_hub 1.19.0, hf_xet 1.5.1", "I set HF_HUB_DISABLE_XET=1", "hf-xet error"])
def test_hf_xet_spelled_with_a_prefix_is_xet(text: str) -> None:
    assert "user.xet" in phrases(text)


@pytest.mark.parametrize("text", [
    "training hangs at step 200 on 8 GPUs",
    "I downloaded the model and training freezes after the first epoch",
])
def test_a_hang_that_is_not_a_download_is_no_xet_stall(text: str) -> None:
    assert "user.download_stall" not in phrases(text)
    # a lead from the guide's text may name it (as info); no rule concludes it
    assert all(d.severity == "info" for d in consult(text).diagnoses if d.id == "hf_xet_cas_error")


def test_xet_log_lines_with_a_stall_point_at_xet(tmp_path: Path) -> None:
    log = tmp_path / "hf.log"
    log.write_text('{"level":"INFO","fields":{"message":"Concurrency control for download: Current concurrency = 64"},'
                   '"filename":"xet-core/xet_client/src/cas_client/adaptive_concurrency/controller.rs"}\n')
    assert ids("the download hangs, what is wrong?", [log])[0] == "hf_xet_cas_error"


# --- a DataLoader worker that exited (host RAM) ---------------------------------------------------

def test_a_dataloader_worker_that_exited_is_host_ram() -> None:
    text = ('Fine-tuning Qwen2.5-VL on a video dataset (LoRA, ZeRO-3, dataloader_num_workers 4). Training aborts with '
            '"RuntimeError: DataLoader worker ... exited unexpectedly". How do I fix it?')
    assert "user.worker_died" in phrases(text)
    assert ids(text)[0] == "host_ram_exhausted"


def test_a_worker_killed_by_a_bus_error_is_not_the_oom_killer() -> None:
    text = "RuntimeError: DataLoader worker (pid 123) is killed by signal: Bus error. It is insufficient shared memory (shm)."
    assert "user.worker_died" not in phrases(text)


# --- the batch rung, from the words ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Even if I set data.train_batch_size to a very small value like 1, I still get a CUDA out of memory error.",
    "even with batch size 1 it runs out of memory",
])
def test_a_batch_of_one_that_still_runs_out_of_memory_takes_the_batch_rung(text: str) -> None:
    assert "user.oom_any_batch" in phrases(text)
    assert "oom_batch_too_large" not in ids(text)[:1]


def test_a_larger_batch_that_still_runs_out_of_memory_is_not_batch_one() -> None:
    assert "user.oom_any_batch" not in phrases("even when I set batch size to 16 it runs out of memory")


def test_a_batch_of_32_in_the_words_is_the_batch_rung() -> None:
    text = ('8x V100 32GB with DeepSpeed ZeRO, a 1.5B GPT-2 with per-GPU batch size 32 dies with "CUDA out of memory".')
    assert ids(text)[0] == "oom_batch_too_large"


# --- CPU offload, said as users say it ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "按建议在 shell 脚本中改用 zero3 并把 offload 改成 cpu，结果直接报错",
    "I set offload_optimizer to cpu and it still OOMs",
])
def test_offload_to_cpu_in_the_words_is_offload_on(text: str) -> None:
    assert "user.zero3_offload" in phrases(text)


def test_a_cpu_adam_op_error_after_an_earlier_oom_is_the_deepspeed_install(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text('attribute error: "DeepSpeedCPUAdam" object has no attribute "ds_opt_adam"\n')
    text = ("8 张 32GB V100 全量微调 MiniCPM-V 出现 CUDA out of memory，按建议改用 zero3 并把 offload 改成 cpu，"
            '结果直接报错：attribute error: "DeepSpeedCPUAdam" object has no attribute "ds_opt_adam"。')
    assert ids(text, [log])[0] == "deepspeed_version"


# --- packing and a tensor size mismatch -----------------------------------------------------------

def test_a_packed_run_that_crashes_on_a_size_mismatch_is_packing(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text('  File "modeling_gemma4.py", line 806, in apply_rotary_pos_emb\n'
                   "RuntimeError: The size of tensor a (4656) must match the size of tensor b (4396) at non-singleton dimension 1\n")
    cfg = tmp_path / "config.yaml"
    cfg.write_text("stage: sft\nfinetuning_type: lora\nflash_attn: sdpa\npacking: true\ncutoff_len: 1024\n")
    got = ids("LoRA SFT with packing on sdpa crashes at step 0 with a tensor size mismatch", [log, cfg])
    assert got[0] == "sample_packing_unsupported"


def test_a_size_mismatch_without_packing_is_no_packing_finding(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("RuntimeError: The size of tensor a (4656) must match the size of tensor b (4396) at non-singleton dimension 1\n")
    assert "sample_packing_unsupported" not in ids("training crashes at step 0", [log])


# --- an illegal instruction on the GPU --------------------------------------------------------------

def test_a_cuda_illegal_instruction_is_the_card() -> None:
    text = ("I train on 1 GPU only (the machine has several). Every now and then training stops with 'CUDA Error: an "
            "illegal instruction was encountered', and the avg loss goes to -nan before 1k iterations.")
    assert "user.gpu_illegal_instruction" in phrases(text)
    assert ids(text)[0] == "gpu_hardware_fault"


def test_a_cpu_illegal_instruction_is_not_the_gpu() -> None:
    assert "user.gpu_illegal_instruction" not in phrases("import bitsandbytes dies with Illegal instruction (core dumped)")


def test_an_illegal_instruction_line_is_not_an_illegal_memory_access(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("CUDA Error: an illegal instruction was encountered\n")
    got = ids("training stops", [log])
    assert got[0] == "gpu_hardware_fault"
    assert "attention_kernel_fault" not in got


# --- generate() on an FSDP-wrapped model ----------------------------------------------------------

def test_generate_on_the_fsdp_wrapped_model_is_flat_params() -> None:
    text = ("I wrap gpt2-large with FSDP through accelerate (FULL_SHARD, param offload) and call model.generate() during "
            "training. generate works on the unwrapped model, but on the FSDP-wrapped model it throws an error.")
    assert "user.fsdp_generate" in phrases(text)
    assert ids(text)[0] == "fsdp1_flat_params"


def test_generate_without_fsdp_is_no_flat_params_finding() -> None:
    assert "user.fsdp_generate" not in phrases("model.generate() throws an error on the wrapped DDP model")


# --- a kernel on the packed (cu_seqlens) path -----------------------------------------------------

def test_a_kernel_crash_on_the_cu_seqlens_path_of_a_packed_run_is_packing(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("Patched decoder forward to support cu_seqlens input only patch when do training.\n"
                   "Triton Error [CUDA]: invalid argument\n")
    text = "SFT with LLaMA-Factory, flash_attn fa2 and neat_packing on; training crashes inside a Triton kernel."
    assert ids(text, [log])[0] == "sample_packing_unsupported"


def test_the_same_kernel_crash_without_packing_is_not_packing(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("Patched decoder forward to support cu_seqlens input only patch when do training.\n"
                   "Triton Error [CUDA]: invalid argument\n")
    assert "sample_packing_unsupported" not in ids("SFT with LLaMA-Factory; training crashes inside a Triton kernel.", [log])[:1]


# --- host RAM, said as users say it ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "the process gets killed, RAM usage climbs to 100% while tokenizing",
    "memory usage on the host keeps growing until the machine freezes",
    "CPU memory keeps increasing every step until OOM",
    "my RAM runs out when loading the checkpoint",
    "the container is OOMKilled",
    "out of memory (RAM, not VRAM)",
])
def test_host_ram_wordings(text: str) -> None:
    assert "user.host_ram" in phrases(text)


@pytest.mark.parametrize("text", ["VRAM usage climbs to 100% and then OOM", "gpu memory keeps growing until oom",
                                  "I have 128GB RAM and 8 GPUs"])
def test_gpu_memory_or_a_ram_size_is_no_host_ram(text: str) -> None:
    assert "user.host_ram" not in phrases(text)


def test_ram_that_fills_while_tokenizing_is_host_ram_first() -> None:
    assert ids("Fine-tuning a 7B with LoRA, the process gets killed: RAM usage climbs to 100% while tokenizing.")[0] == \
        "host_ram_exhausted"


# --- an 8-bit base with the cheap rungs taken ------------------------------------------------------

def test_an_8bit_base_at_batch_one_with_checkpointing_goes_to_4bit(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("stage: sft\nfinetuning_type: lora\nper_device_train_batch_size: 1\nquantization_bit: 8\nfp16: true\n")
    assert ids("LoRA on a 13B model in 8-bit on a 20 GB GPU slice, batch 1, still CUDA OOM", [cfg])[0] == "model_not_quantized"

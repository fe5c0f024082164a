"""A run the user says is training fit in memory: a memory estimate that predicts an OOM for its config is
off, not a failure to come (an OOM the user does report is still one)."""
from __future__ import annotations

from pathlib import Path

from assistant.consult import consult


def _alarms(question: str, *files: Path) -> list[str]:
    return [f"{d.id}({d.severity})" for d in consult(question, attachments=list(files)).diagnoses
            if d.severity != "info"]


def test_a_run_said_to_be_training_is_no_predicted_oom(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("base_model: meta-llama/Llama-2-7b-hf\nload_in_8bit: true\nadapter: lora\nmicro_batch_size: 4\n"
                   "gradient_accumulation_steps: 2\nsequence_len: 4096\n")
    base = "Fine-tuning Llama-2-7b in 8-bit with LoRA on my RTX 3090."
    assert _alarms(base + " Training is very slow, is this normal?", cfg) == []
    assert any(a.startswith("oom_batch_too_large") for a in
               _alarms(base + " Training is very slow and then it crashes with CUDA out of memory.", cfg))


def test_an_oom_worked_around_earlier_is_no_oom_now() -> None:
    q = ("GRPO on Qwen2.5-VL-3B with 8x H100, ZeRO-3, bf16, batch size 1, num_generations 4 (the default 8 gave me "
         "OOM), gradient_checkpointing false. The progress bar says it will take 200 hours. Is this normal?")
    assert _alarms(q) == []

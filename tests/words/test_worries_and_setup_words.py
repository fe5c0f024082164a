"""Words that state a worry or the setup, not a symptom, and symptoms said in words the table missed (dev
lessons, round 5): a yes/no question whether something causes a problem or whether there is one; a failure
feared ("it could OOM at any moment"); memory shown as full while the job trains (the caching allocator);
"no validation set" (the setup) against "no validation loss" (a symptom); the memory a run takes, as a
figure (it runs); a version that runs, said alone (no regression); a loss that drops "when the second
epoch starts"; flash attention breaking on a pre-Ampere GPU; groups with too little reward variance."""
from __future__ import annotations

import pytest

from assistant.consult import consult
from assistant.words import facts_from_words
from .helpers import first, names


@pytest.mark.parametrize("text,fact", [
    ("GPU memory is almost completely full on every card during training", "user.run_trains"),
    ("on a single GPU the run takes about 16 GB of GPU memory", "user.run_trains"),
    ("after training, when I analyse completions.jsonl, many completions are long", "user.run_trains"),
    ("the run finished without errors but the model is worse", "user.run_trains"),
    ("it works with 0.9.2 but crashes with 0.10.0", "user.version_regression"),
    ("显存几乎占满了", "user.run_trains"),
    ("on P40 GPUs it breaks in flash attention instead of training", "user.flash_attn_error"),
    ("flash attention is not available on this machine", "user.flash_attn_error"),
    ("the filter skips prompts whose group has too little reward variance", "user.same_reward_group"),
    ("most prompts end up with low reward variance", "user.same_reward_group"),
    ("the loss drops suddenly right when the second epoch starts", "user.epoch_drop"),
    ("the loss goes down sharply each new epoch", "user.epoch_drop"),
    ("there is no validation loss in the logs", "user.no_eval_loss"),
    ("on P40 GPUs it breaks in flash attention", "user.old_gpu"),
])
def test_read(text: str, fact: str) -> None:
    assert fact in names(text)


@pytest.mark.parametrize("text,fact", [
    ("Does LoRA cause a memory leak?", "user.memory_growing"),
    ("Is there a memory leak in the trainer?", "user.memory_growing"),
    ("memory is nearly full, so it looks like it could OOM at any moment", "user.cuda_oom"),
    ("I train with no validation set, lr 3e-4, 3 epochs", "user.no_eval_loss"),
    ("the loss has a little variance from run to run", "user.same_reward_group"),
    # a version that runs, said alone, is no regression: "with 0.6.0 it runs quietly, with 0.6.3 it prints a warning"
    ("With DeepSpeed 0.6.0 it runs quietly, but newer versions print a warning.", "user.version_regression"),
    ("on a single GPU the run takes about 16 GB of GPU memory", "user.cuda_oom"),
    # an eval loss that is NaN is there, and NaN: not an eval loss missing
    ("my eval loss is nan while the train loss is fine", "user.no_eval_loss"),
])
def test_not_read(text: str, fact: str) -> None:
    assert fact not in names(text)


def test_a_seen_failure_stays_a_failure() -> None:
    """The same words about something that happened keep their symptom, and a question that names a symptom
    seen (asking for a fix, or whether a setting causes it) keeps it too."""
    assert "user.loss_nan" in names("Is there a way to fix the NaN loss?")
    assert "user.loss_nan" in names("Does fp16 cause the NaN loss?")
    assert "user.cuda_oom" in names("memory is nearly full and then it crashes with CUDA out of memory")
    assert "user.memory_growing" in names("GPU memory keeps growing every step until it crashes")


def test_a_pascal_gpu_is_known() -> None:
    found = {f.name: f.value for f in facts_from_words("training on 4x Tesla P40")}
    assert found["user.gpu_capability"] < 8.0 and found["user.gpu_memory_gib"] > 20


def test_flash_attention_failing_on_a_pre_ampere_gpu_is_the_kernel_not_the_install() -> None:
    assert first("on our P40 GPUs the axolotl QLoRA example breaks in flash attention instead of training") \
        == "attention_kernel_fault"
    # on an Ampere card the same words are an install problem
    assert first("on an A100 the run breaks in flash attention instead of training") == "flash_attn_missing"


def test_memory_full_in_nvidia_smi_is_no_oom_alarm() -> None:
    report = consult("Fine-tuning on 8x V100 32GB: GPU memory is almost completely full on every card during "
                     "training in nvidia-smi, so it looks like it could OOM at any moment. What is going on?")
    assert not [d.id for d in report.diagnoses if d.severity in ("warning", "critical")]

"""Healthy runs stay quiet (issue 10): weak evidence that a practitioner would not call a problem
raises no warning. A NaN KL column with the KL penalty off, a cold first loss that falls into the
usual range (new layers), a pasted tail of a decayed schedule, an HF argument dump whose
warmup_steps=0 sits beside a warmup_ratio, a config with no warmup on a run that is fine."""
from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from assistant.consult import consult

QUIET = ("info",)


def _log(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(str(r) for r in rows) + "\n")
    return path


def _alarms(question: str, *files: Path) -> list[str]:
    return [f"{d.id}({d.severity})" for d in consult(question, attachments=list(files)).diagnoses
            if d.severity not in QUIET]


def test_kl_nan_with_beta_zero_is_not_a_training_nan(tmp_path: Path) -> None:
    rng = random.Random(0)
    rows = [{"loss": 0.0, "grad_norm": round(rng.uniform(0.1, 0.5), 3), "learning_rate": 1e-6,
             "reward": round(0.2 + 0.5 * s / 60, 3), "reward_std": 0.3, "kl": "nan", "epoch": round(s / 60, 3)}
            for s in range(1, 61)]
    log = _log(tmp_path / "train.log", rows)
    assert _alarms("GRPO with beta=0.0: the kl column is nan on every step, rewards go up. Is training broken?", log) == []
    assert _alarms("KL shows nan in my GRPO logs but beta is 0. Is that a problem?") == []
    # with the KL on, a NaN KL then a NaN loss is a NaN to triage
    assert _alarms("GRPO with beta 0.04: the kl turns nan at step 300 and then the loss is nan too")


def test_a_cold_start_loss_that_falls_is_not_a_scaled_loss(tmp_path: Path) -> None:
    rows = [{"loss": round(2.0 + 16 * math.exp(-s / 15), 4), "grad_norm": 3.0, "learning_rate": 2e-5,
             "epoch": round(s / 200, 3)} for s in range(1, 201)]
    log = _log(tmp_path / "train.log", rows)
    assert "ga_loss_scaling" not in " ".join(_alarms("The first loss is about 18, is this normal?", log))
    assert _alarms("I added a new projection layer and the initial loss is 25, is this normal?") == []
    assert "ga_loss_scaling(warning)" in _alarms("with gradient_accumulation_steps=8 my loss starts at 180 and stays around 90")


def test_a_decayed_tail_and_a_warmup_ratio_stay_quiet(tmp_path: Path) -> None:
    rows = [{"loss": 0.8, "grad_norm": 0.4, "learning_rate": 2e-4 * 0.5 * (1 + math.cos(math.pi * s / 1000)),
             "epoch": round(s / 1000 * 3, 3)} for s in range(900, 1001)]
    tail = _log(tmp_path / "tail.log", rows)
    assert _alarms("Here's the end of my LoRA run, the lr looks tiny now, is that a problem?", tail) == []
    rows = [{"loss": round(1.6 * math.exp(-s / 200) + 0.7, 4), "grad_norm": 0.7,
             "learning_rate": 2e-5 * min(1, s / 12) * (1 - s / 400), "epoch": round(s / 400, 3)} for s in range(1, 401)]
    log = _log(tmp_path / "train.log", rows)
    cfg = tmp_path / "config.yaml"
    cfg.write_text("learning_rate: 2.0e-05\nwarmup_ratio: 0.03\nwarmup_steps: 0\nnum_train_epochs: 1\n"
                   "lr_scheduler_type: linear\nper_device_train_batch_size: 4\ngradient_accumulation_steps: 8\n")
    assert _alarms("Full fine-tune of a 7B model, does this look fine?", log, cfg) == []


def test_one_small_blip_in_a_falling_loss_is_noise(tmp_path: Path) -> None:
    """Batch size 1: one step at ~2x the running median that comes straight back is a hard sample."""
    rng = random.Random(3)
    rows = []
    for s in range(1, 301):
        loss = 1.1 - 0.3 * s / 300 + rng.gauss(0, 0.05) + (1.0 if s == 150 else 0.0)
        rows.append({"loss": round(loss, 4), "grad_norm": 0.8, "learning_rate": 1e-4 * min(1, s / 20) * (1 - s / 300),
                     "epoch": round(s / 300, 3)})
    log = _log(tmp_path / "train.log", rows)
    assert _alarms("batch size 1 LoRA run, the loss sometimes doubles for a step. Is this normal?", log) == []


def test_a_low_lr_with_a_loss_that_falls_well_is_advice(tmp_path: Path) -> None:
    rows = [{"loss": round(2.0 * math.exp(-s / 80) + 0.6, 4), "grad_norm": 0.5, "learning_rate": 1e-5 * min(1, s / 10),
             "epoch": round(s / 300, 3)} for s in range(1, 301)]
    log = _log(tmp_path / "train.log", rows)
    cfg = tmp_path / "config.yaml"
    cfg.write_text("adapter: lora\nlearning_rate: 0.00001\nwarmup_steps: 10\n")
    report = consult("does this look fine?", attachments=[log, cfg])
    low = report.diagnosis("lr_too_low")
    assert low is None or low.severity == "info"


@pytest.mark.parametrize("text", [
    "Is this phenomenon normal?",
    "Is something off with my run?",
    "Is my training misconfigured?",
    "Is such a high initial loss reasonable?",
    "It looks suspicious to me.",
    "Is gradient clipping not working?",
    "loss曲线这样是否合理",
])
def test_worried_questions_are_healthy_checks(text: str) -> None:
    from assistant.words.phrases import phrase_facts
    assert "user.healthy_check" in {f.name for f in phrase_facts(text.lower())}


def test_fp16_loss_scale_calibration_at_the_start_is_not_a_nan(tmp_path: Path) -> None:
    """grad_norm inf on the first three steps (the fp16 scaler skipping them), loss finite and falling."""
    rng = random.Random(1)
    rows = [{"loss": round(1.6 * math.exp(-s / 100) + 0.8, 4), "grad_norm": "inf" if s <= 3 else round(abs(rng.gauss(1, 0.2)), 3),
             "learning_rate": 2e-5, "epoch": round(s / 200, 3)} for s in range(1, 201)]
    log = _log(tmp_path / "train.log", rows)
    assert _alarms("fp16 training: grad_norm is inf for the first few steps, then normal. Loss decreasing fine. Is that ok?", log) == []
    assert _alarms("Training with fp16: grad_norm shows inf on a few steps at the start, but the loss is normal and keeps going down.") == []
    # a NaN later in the run is still a NaN
    assert _alarms("my loss becomes nan after 200 steps with fp16")


def test_a_loss_that_fell_a_quarter_and_settled_near_the_range_is_not_a_plateau(tmp_path: Path) -> None:
    rng = random.Random(7)
    rows = [{"loss": round(2.3 + 0.9 * math.exp(-s / 60) + rng.gauss(0, 0.05), 4), "grad_norm": 0.4,
             "learning_rate": 1e-5 * min(1, s / 30) * 0.5 * (1 + math.cos(math.pi * s / 1000)), "epoch": round(s / 1000, 3)}
            for s in range(1, 1001)]
    log = _log(tmp_path / "train.log", rows)
    assert _alarms("The loss drops from 3.2 to about 2.3 and then stays there. Is this normal?", log) == []


def test_a_setup_finding_with_nothing_wrong_shown_is_a_check_not_an_alarm(tmp_path: Path) -> None:
    """A LoRA learning rate far under the usual range, on a question about a log message: with no symptom
    in the words or the evidence it is reported, as something to check."""
    config = tmp_path / "config.yaml"
    config.write_text("base_model: Qwen/Qwen2-7B\nadapter: lora\nlora_r: 16\nlearning_rate: 0.000005\n"
                      "micro_batch_size: 2\nnum_epochs: 1\n")
    question = "The log prints a warning about tokenizers parallelism at every start. Should I care?"
    found = {d.id: d.severity for d in consult(question, attachments=[config]).diagnoses}
    assert found.get("lr_too_low") == "info"
    # the same learning rate beside a loss that does not move is a cause, with its alarm
    stuck = {d.id: d.severity for d in consult("my loss is stuck at 2.3 and has not decreased at all in 2000 steps: the adapter learns nothing", attachments=[config]).diagnoses}
    assert stuck.get("lr_too_low") in ("warning", "critical")


def test_a_worried_question_alone_makes_no_alarm_of_any_severity() -> None:
    """"Is this normal?" with nothing failed outright: a hypothesis resting on the user's description alone is
    reported as a check, whether its rule calls the cause a warning or critical; evidence from a file keeps it."""
    from assistant.consult import _words_only_as_checks
    from assistant.report import Diagnosis, Evidence

    said = [Evidence("user.loss_zero", "the loss is 0 from step 2", "question")]
    logged = said + [Evidence("symptom.loss_zero", "loss 0.0 from step 2", "train.log")]
    found = [Diagnosis("mixed_precision_instability", "fp16", 0.8, "critical", list(said)),
             Diagnosis("label_masking_wrong", "labels", 0.6, "warning", list(said)),
             Diagnosis("lr_too_high", "lr", 0.5, "critical", logged)]
    _words_only_as_checks(found)
    assert [d.severity for d in found] == ["info", "info", "critical"]


def test_a_terse_verdict_asked_makes_word_only_findings_checks() -> None:
    """"problem?", "broken or fine?" (user.asks_verdict) ask as "is this normal?" does: a finding resting on the
    words alone is a check, ranked as before; a NaN said in the words still alarms."""
    told = "SFT of a 7B model: the training loss keeps rising from 1.2 to 3.5 over 500 steps."
    plain = consult(told).diagnoses
    assert any(d.severity in ("warning", "critical") for d in plain)
    for worry in (" problem?", " broken or fine?", " Can I ignore it?"):
        asked = consult(told + worry).diagnoses
        assert [d.id for d in asked] == [d.id for d in plain]
        assert _alarms(told + worry) == []
    assert _alarms("SFT of a 7B model: the training loss goes nan after 500 steps. problem?")


def test_an_expected_behaviour_asked_why_makes_word_only_findings_checks() -> None:
    """The loss stepping down at each new epoch, the eval loss under the train loss: behaviours maintainers call
    expected, asked with "why?" (user.expected_pattern). A finding resting on the words alone is a check; the
    same surface with a NaN beside it still alarms."""
    assert _alarms("HF Trainer, multi-epoch finetune: within an epoch the loss is flat, then it jumps down as the "
                   "next epoch starts. What causes this step pattern?") == []
    assert _alarms("Why is my validation loss lower than the training loss the whole time? MLM on bert-base, "
                   "lr 2e-5.") == []
    assert _alarms("the loss drops at the start of each epoch and then becomes nan in epoch 3, fp16")


def test_a_plateau_inside_the_sft_range_is_convergence() -> None:
    """A plateau said at 0.6-0.8 (inside the range chat fine-tuning ends at) or under 0.1 points at no low
    learning rate and no masking bug; one said at 2.6 still does."""
    low = [d.id for d in consult("finetuned on 3.5k images for 10 epochs, loss stays at 0.6-0.8 in every run. "
                                 "how do i push it down to 0.1?").diagnoses if d.severity != "info"]
    assert "lr_too_low" not in low and "label_masking_wrong" not in low
    high = [d.id for d in consult("SFT with LoRA: the loss is stuck at 2.6 and does not go down").diagnoses]
    assert "lr_too_low" in high or "label_masking_wrong" in high

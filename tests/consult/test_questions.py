"""Follow-up questions: ranked by how much the answer moves the ranking, never asking what the
evidence already shows, and answers that move the ranking the way the guide says."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.consult import Consultation, consult

ROOT = Path(__file__).resolve().parents[2]


def test_no_attachment_still_gets_causes_and_discriminating_questions() -> None:
    report = consult("my loss is nan")
    assert report.diagnoses, "ranked causes even without evidence"
    assert len(report.questions) >= 2
    assert all(q.why for q in report.questions)
    assert report.questions[0].fact.startswith("answer.")


def test_which_metric_went_first_decides_forward_or_backward() -> None:
    backward = consult("my loss is nan", answers=["which_nan_first=grad_norm"])
    forward = consult("my loss is nan", answers=["which_nan_first=loss"])
    b = {d.id: d.certainty for d in backward.diagnoses}
    f = {d.id: d.certainty for d in forward.diagnoses}
    # The guide: grad_norm NaN first -> backward pass (gradient explosion); loss first -> forward (data, loss computation)
    assert b.get("gradient_explosion", 0) > f.get("gradient_explosion", 0)
    assert f.get("empty_sequences", 0) + f.get("logsoftmax_overflow", 0) >= b.get("empty_sequences", 0) + b.get("logsoftmax_overflow", 0)


def test_answer_ruling_out_a_cause_removes_it() -> None:
    before = consult("loss spikes every few hundred steps")
    after = consult("loss spikes every few hundred steps", answers=["lowered_lr_still_spikes=still_there"])
    assert before.diagnosis("lr_too_high") is not None
    assert after.diagnosis("lr_too_high") is None
    assert "lr_too_high" in after.ruled_out


def test_questions_the_evidence_answers_are_not_asked() -> None:
    report = consult("", attachments=[ROOT / "examples/lora-nan/train.log", ROOT / "examples/lora-nan/config.yaml"])
    asked = {q.fact for q in report.questions}
    assert "answer.which_nan_first" not in asked  # the log shows grad_norm went first
    assert "answer.grad_clipping_on" not in asked  # the config sets max_grad_norm
    assert "answer.precision" not in asked


def test_questions_are_ranked_by_value() -> None:
    report = consult("my loss is nan")
    values = [q.value for q in report.questions]
    assert values == sorted(values, reverse=True)


def test_changing_an_answer_retracts_what_the_old_one_supported() -> None:
    c = Consultation(question="loss spikes")
    c.answer("spike_batch_specific", "yes")
    first = c.run()
    assert first.diagnoses[0].id == "bad_data_samples"
    c.answer("spike_batch_specific", "no")
    second = c.run()
    assert second.diagnosis("bad_data_samples") is None


@pytest.mark.parametrize("case", sorted(p.name for p in (ROOT / "tests" / "cases" / "validation").iterdir() if p.is_dir()))
def test_questions_that_cannot_move_a_cause_in_play_are_not_tried(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """rank_questions skips the questions no rule path links to a conclusion in play (`_reaches`):
    the same questions, values and reasons as trying every one of them on the engine."""
    import assistant.consult as consult_module
    from assistant.render.json import render_json

    folder = ROOT / "tests" / "cases" / "validation" / case
    files = [folder / f for f in ("log.txt", "config.yaml") if (folder / f).exists()]
    question = (folder / "question.txt").read_text().strip()
    fast = render_json(consult_module.consult(question, attachments=files))
    monkeypatch.setattr(consult_module, "_reaches", lambda *args: True)
    assert render_json(consult_module.consult(question, attachments=files)) == fast

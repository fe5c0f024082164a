"""What changed between two reports, in the sentences the chat shows after an answer."""
from __future__ import annotations

from pathlib import Path

from assistant.consult import Consultation
from assistant.report import Diagnosis, Report
from assistant.tui.changes import counter_evidence, what_changed


def _report(*diagnoses: tuple[str, float], ruled_out: tuple[str, ...] = ()) -> Report:
    return Report(question="", diagnoses=[Diagnosis(i, i.replace("_", " ").title(), cf, "warning") for i, cf in diagnoses],
                  ruled_out=list(ruled_out))


def test_first_report_has_nothing_to_compare() -> None:
    assert what_changed(None, _report(("a", 0.5))) == []


def test_ruled_out_with_the_reason_then_moves_then_newcomers() -> None:
    before = _report(("lr_too_high", 0.61), ("bad_data_samples", 0.40))
    after = _report(("bad_data_samples", 0.91), ("gradient_explosion", 0.3), ruled_out=("lr_too_high",))
    lines = what_changed(before, after, {"lr_too_high": ["you lowered the learning rate and it still spikes"]})
    assert lines == [
        "Ruled out `lr_too_high`: you lowered the learning rate and it still spikes",
        "Most likely now: **Bad Data Samples** (`bad_data_samples`, 0.91)",
        "`bad_data_samples` 0.40 → 0.91 ↑",
        "New: `gradient_explosion` Gradient Explosion (0.30)",
    ]


def test_small_moves_are_not_news_and_drops_say_what_they_were() -> None:
    before = _report(("a", 0.50), ("b", 0.30))
    after = _report(("a", 0.53))
    assert what_changed(before, after) == ["No longer likely: `b` (was 0.30)"]


def test_a_real_answer_rules_out_the_learning_rate_with_the_rules_own_words(cases: Path) -> None:
    c = Consultation(question="the loss spikes every so often")
    c.attach(cases / "001-llava-lora-loss-spikes" / "log.txt")
    before = c.run()
    assert before.diagnoses[0].id == "lr_too_high"
    c.answer("lowered_lr_still_spikes", "still_there")
    after = c.run()
    lines = what_changed(before, after, counter_evidence(c.engine))
    assert any(line.startswith("Ruled out `lr_too_high`: ") and "lowered the learning rate" in line for line in lines)

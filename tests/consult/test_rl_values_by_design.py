"""Values a metric takes by design stay quiet: a GRPO loss of 0 while the reward rises (ratio 1 on-policy,
advantages that sum to 0 per group) is no missing learning signal; a loss level compared with another model's
paper is not comparable. A loss of 0 with a flat reward still raises the alarm."""
from __future__ import annotations

from assistant.consult import consult


def _alarms(question: str) -> list[str]:
    return [d.id for d in consult(question).diagnoses if d.severity != "info"]


def test_a_grpo_loss_of_zero_while_the_reward_rises_is_by_design() -> None:
    assert "no_learning_signal" not in _alarms("GRPO loss is exactly 0 at every step while the reward goes up.")
    assert "no_learning_signal" in _alarms("GRPO loss is exactly 0 at every step and the reward is flat.")


def test_a_loss_level_compared_with_a_paper_is_no_alarm() -> None:
    assert _alarms("My loss is 1.8 while the paper reports 1.2 for the same size model. Why is my loss higher?") == []

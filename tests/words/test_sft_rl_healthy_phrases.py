"""Phrases from the dev SFT / RL misses and the healthy "is this expected?" threads: a question asking whether
something is misconfigured or can be ignored, one stage of ZeRO failing where the other trains, an RL run named
as an experiment, rollouts that break right after each validation, format failures growing under RL, and a
fraction of an epoch that is not "many epochs"."""
from __future__ import annotations

import pytest

from .helpers import names


@pytest.mark.parametrize("text,fact", [
    ("Is this variance and near-flat smoothed loss expected, or have I misconfigured something?", "user.healthy_check"),
    ("Is something misconfigured, and are my weights getting gradients?", "user.healthy_check"),
    ("Can this be ignored, or is my training affected?", "user.healthy_check"),
    ("Is that common, or does it depend on the kind of task?", "user.healthy_check"),
    ("Is such a large number of trainable parameters normal?", "user.healthy_check"),
    ("It happens with ZeRO-2; with ZeRO-3 the loss looks normal.", "user.zero_stage_changes_result"),
    ("the loss goes to 0 under zero2, but with zero3 it trains fine", "user.zero_stage_changes_result"),
    ("In an RL experiment on a math task the reward stalls", "user.grpo"),
    ("an R1-Zero style run from the base model", "user.grpo"),
    ("the reward drops to 0 on the step right after each validation", "user.breaks_after_pause"),
    ("after every evaluation the rollouts are junk", "user.breaks_after_pause"),
    ("answers with a format issue keep increasing after step 100", "user.format_errors_rising"),
    ("why do format failures grow later in training?", "user.format_errors_rising"),
    ("more and more format errors as the run goes on", "user.format_errors_rising"),
    ("trained for 20 epochs", "user.many_epochs"),
])
def test_phrases(text: str, fact: str) -> None:
    assert fact in names(text)


@pytest.mark.parametrize("text,fact", [
    ("less than 0.01 epochs in, the reward goes flat", "user.many_epochs"),
    ("after 2.05 epochs the loss is 1.2", "user.many_epochs"),
    ("we run a validation every 10 steps", "user.breaks_after_pause"),
    ("the steps after a validation set split of 5% look the same, and the reward drops to 0 later", "user.breaks_after_pause"),
    ("the format errors went down quickly", "user.format_errors_rising"),
    ("with ZeRO-3 on 8 GPUs it runs", "user.zero_stage_changes_result"),
    ("the loss is flat after the start, what should I change?", "user.healthy_check"),
])
def test_phrases_not(text: str, fact: str) -> None:
    assert fact not in names(text)

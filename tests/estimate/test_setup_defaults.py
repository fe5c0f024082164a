"""The sequence length a config means when it names none: axolotl's own default (512) for an axolotl config,
and the other trainer's default for its configs and command lines (LLaMA-Factory's cutoff_len 2048, TRL's
max_length 1024 under the `hf` layer), so the memory estimate of a LLaMA-Factory run is not cut to a quarter."""
from __future__ import annotations

import pytest

from assistant.estimate.setup import setup_from_config


def test_an_axolotl_config_without_a_length_trains_at_512() -> None:
    assert setup_from_config({"base_model": "x"}).sequence_len == 512
    assert setup_from_config({"base_model": "x", "tool": "axolotl"}).sequence_len == 512


@pytest.mark.parametrize(("tool", "length"), [("llamafactory", 2048), ("hf", 1024), ("swift", 2048)])
def test_another_trainer_without_a_length_trains_at_its_own_default(tool: str, length: int) -> None:
    assert setup_from_config({"base_model": "x", "tool": tool}).sequence_len == length


def test_a_named_length_wins_over_any_default() -> None:
    assert setup_from_config({"base_model": "x", "tool": "llamafactory", "sequence_len": 4096}).sequence_len == 4096
    grpo = setup_from_config({"tool": "hf", "rl": "grpo", "trl.max_prompt_length": 256, "trl.max_completion_length": 512})
    assert grpo.sequence_len == 768

"""RL coverage round, knowledge-driven: the catalog's RL signals said in a user's words - a generation
server left running from an earlier run, a models endpoint naming another model, completions that are
"just garbage", an output diversity that collapsed, "after RL", EBFT's own metrics (which make the run an
EBFT run for reading stated values), outputs padded to the length cap, a task the model already solves
(all-correct groups), a preference margin in the hundreds, completions that reach the max tokens - and the
readings that must not fire (an SFT collator padding to the max length, a model that gets every question
wrong, a healthy vLLM server)."""
from __future__ import annotations

import pytest

from assistant.words import kind_from_words
from assistant.words.claims import facts_from_claims

from .helpers import first, phrases


@pytest.mark.parametrize("text,fact", [
    ("the trl vllm-serve process was still running from yesterday's experiment with a different model", "user.stale_weights"),
    ("I left the vllm server running from the last run", "user.stale_weights"),
    ("curl localhost:8000/v1/models shows a different model name than the one in my config", "user.stale_weights"),
    ("the completions are just garbage / random tokens", "user.completions_empty"),
    ("the diversity of the outputs collapsed", "user.same_output"),
    ("After RL the model gives the same response to every prompt", "user.grpo"),
    ("EBFT run on my dataset", "user.ebft"),
    ("now every response is padded right up to the max length", "user.length_growing"),
    ("the responses become bloated, full of filler", "user.length_growing"),
    ("the model solves nearly every training question already", "user.same_reward_group"),
    ("the task may be too easy", "user.same_reward_group"),
    ("the chosen-rejected margin is in the hundreds", "user.margin_runaway"),
    ("many end without the closing tag because they reach the max tokens", "user.truncated_words"),
])
def test_rl_catalog_signals_in_words(text: str, fact: str) -> None:
    assert fact in phrases(text)


@pytest.mark.parametrize("text,fact", [
    ("the vllm server is still running fine", "user.stale_weights"),
    ("sequences are padded to the max length by the collator", "user.length_growing"),
    ("padding tokens are added up to the max length", "user.length_growing"),
    ("the model gets all of the questions wrong", "user.same_reward_group"),
    ("the model can reach the max length of 4096", "user.truncated_words"),
    ("I do SFT first and RL later.", "user.grpo"),
    ("After RL the model gives the same response to every prompt. The diversity of the outputs collapsed.", "user.heldout_drop"),
])
def test_rl_catalog_readings_that_must_not_fire(text: str, fact: str) -> None:
    assert fact not in phrases(text)


def test_ebft_words_make_an_ebft_run_and_its_metrics_are_read() -> None:
    assert kind_from_words("EBFT run: ebft/alignment stays flat around 0.1") == "ebft"
    assert kind_from_words("GRPO run, reward flat") == "grpo"
    facts = facts_from_claims("ebft/alignment stays flat around 0.1", "ebft")
    assert any(f.name == "symptom.out_of_range" and f.value["metric"] == "ebft/alignment" and f.value["direction"] == "low"
               for f in facts)
    facts = facts_from_claims("ebft/diversity jumped above 1.5", "ebft")
    assert any(f.name == "symptom.out_of_range" and f.value["metric"] == "ebft/diversity" and f.value["red"] for f in facts)
    facts = facts_from_claims("the cfm_loss sits above 15", "ebft")
    assert any(f.name == "symptom.out_of_range" and f.value["metric"] == "ebft/cfm_loss" for f in facts)


@pytest.mark.parametrize("text,expected", [
    ("EBFT run: ebft/alignment stays flat around 0.1 and ebft/cfm_loss is not decreasing.", "ebft_misaligned"),
    ("EBFT: ebft/diversity jumped above 1.5 and the generations collapsed.", "ebft_mode_collapse"),
    ("GRPO on a 0.5B base model: reward is 0 and the logged completions are mostly empty strings or incoherent text.", "model_too_weak"),
    ("The reward is already 1.0 on almost every step from the beginning of GRPO and nothing improves.", "no_learning_signal"),
    ("DPO: after 20 steps the loss is 0.0 and the chosen-rejected margin is in the hundreds.", "policy_divergence_kl"),
    ("GRPO: completion length keeps growing until it hits the cap, and the reward rises too.", "reward_hacking_length"),
    ("I added a length bonus to the reward and now every response is padded right up to the max length.", "reward_hacking_length"),
    ("GRPO with use_vllm: the reward is flat. I left the vllm server running from the last run, which used another model.", "vllm_wrong_model"),
])
def test_rl_catalog_signals_reach_their_id(text: str, expected: str) -> None:
    assert first(text) == expected

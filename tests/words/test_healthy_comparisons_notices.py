"""Observations a practitioner calls normal: a loss level set against another model's paper or blog post (other
data, tokenizer and recipe: not comparable) is a question whether the level is normal, and a library notice quoted
verbatim (dtype, deprecation, cast, "only supports") is a warning the run went on past, not a failure."""
from __future__ import annotations

import pytest

from assistant.retrieval.embedder import model_dir
from assistant.words import unquoted_notices
from .helpers import names


@pytest.mark.parametrize("text", [
    "Our loss stays above 2.0, but in the LLaMA-2 paper the loss quickly drops below 2.0. Why is ours higher?",
    "My loss is 1.8 while the paper reports 1.2 for the same size model. Why is my loss higher?",
    "In the Mistral blog post the training loss goes below 1.5; ours plateaus at 1.9.",
])
def test_a_loss_level_set_against_a_paper_asks_whether_it_is_normal(text: str) -> None:
    assert "user.healthy_check" in names(text)


def test_a_loss_that_blows_up_is_no_comparison() -> None:
    assert "user.healthy_check" not in names("My loss blows up after 200 steps and then goes to NaN.")


@pytest.mark.parametrize("text", [
    'I get "You are attempting to use Flash Attention 2.0 without specifying a torch dtype. This might lead to '
    'unexpected behaviour". Is that bad?',
    "I get 'torch_dtype is deprecated! Use dtype instead!' when loading the model.",
    'It says "Flash Attention 2.0 only supports torch.float16 and torch.bfloat16 dtypes".',
])
def test_a_quoted_library_notice_is_set_aside(text: str) -> None:
    stripped = unquoted_notices(text)
    assert "attempting" not in stripped and "deprecated" not in stripped and "only supports" not in stripped


@pytest.mark.parametrize("text", [
    'I get "RuntimeError: FlashAttention only supports Ampere GPUs or newer." at the first step.',
    'It fails with "ModuleNotFoundError: No module named \'flash_attn\'" when I start training.',
    "I don't think it's the data, it's the optimizer that's failing here.",
])
def test_a_quoted_error_stays(text: str) -> None:
    assert unquoted_notices(text) == text


@pytest.mark.skipif(model_dir() is None, reason="all-MiniLM-L6-v2 weights not installed")
def test_a_quoted_flash_attention_dtype_warning_is_no_flash_attention_error() -> None:
    q = ('At start-up I get "You are attempting to use Flash Attention 2.0 without specifying a torch dtype. This '
         'might lead to unexpected behaviour". Is this expected because the weights are loaded in fp32?')
    assert "user.flash_attn_error" not in names(q)

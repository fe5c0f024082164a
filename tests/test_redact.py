"""Secret patterns: every kind in the corpus is removed, ordinary training text is left alone."""
from __future__ import annotations

import pytest

from assistant.redact import redact
from bots.secrets_corpus import LINES, SECRETS


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_each_kind_is_removed(kind):
    secret = SECRETS[kind]
    out = redact(LINES[kind].format(s=secret))
    assert secret not in out
    assert secret[-12:] not in out  # not even its tail
    assert "***" in out


def test_corpus_is_wide_enough():
    assert len(SECRETS) >= 15


def test_a_private_key_block_goes_whole():
    block = LINES["private_key"].format(s=SECRETS["private_key"])
    assert redact(f"before\n{block}\nafter") == "before\n-----PRIVATE KEY***-----\nafter"


@pytest.mark.parametrize("text", [
    "{'loss': 1.2345, 'grad_norm': 0.6521, 'learning_rate': 2e-05, 'epoch': 0.12}",
    "Loading checkpoint shards: 100%|██████████| 2/2 [00:03<00:00]",
    "base_model: meta-llama/Llama-2-7b-hf",
    "commit 3f9a2b7c4d1e8f6a0b5c9d2e7f4a1b8c6d3e0f9a",  # a git sha is not a W&B key
    "run id 123e4567-e89b-12d3-a456-426614174000 at https://example.com/runs/abc",
    "sklearn and sk-learn are fine; so is task_key=train",
])
def test_ordinary_text_is_untouched(text):
    assert redact(text) == text


def test_every_pattern_has_needles_that_its_matches_hold():
    """The substring prefilter may skip a pattern only when no match of it can be in the text."""
    from assistant.redact import NEEDLES, SECRET_PATTERNS

    assert set(NEEDLES) == {name for name, _, _ in SECRET_PATTERNS}
    for name, pattern, _ in SECRET_PATTERNS:
        for kind, line in LINES.items():
            for match in pattern.finditer(line.format(s=SECRETS[kind])):
                assert any(n in match.group(0).lower() for n in NEEDLES[name]) or name == "wandb_bare", (name, kind)

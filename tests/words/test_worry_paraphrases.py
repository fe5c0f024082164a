"""The worry of a healthy run said the way other users say it (paraphrase round): a terse verdict asked of what
was just described ("normal?", "Trainer bug?", "broken or fine?", "can I ignore it?") reads as user.asks_verdict;
a guess said as a bare noun phrase ("Memory leak?"), a failure feared ahead ("Will it OOM soon?") and an inference
put back as a question ("So my training did nothing??") state no symptom; a clause that sets reruns of one setup
against each other names no symptom to the meaning matcher."""
from __future__ import annotations

import pytest

from assistant.retrieval.embedder import model_dir
from assistant.words import assertions
from assistant.words.semantic import semantic_facts
from .helpers import names, phrases


@pytest.mark.parametrize("text", [
    "the loss goes up and down in a regular wave pattern. normal?",
    "loss drops sharply at each epoch start. Trainer bug?",
    "OVERFLOW messages right after start, scale halves. training broken or fine?",
    "both kl_loss and entropy_loss increase slowly. Good sign or bad?",
    "Loss and reward both very noisy in tensorboard. Anything wrong?",
    "eval accuracy only 65%. Is my reward model training failing?",
    "does this warning hurt training?",
    "It spams a deprecation warning during eval. Do I need to fix something?",
    "each rank warns about find_unused_parameters. Can I ignore it?",
    "ETA 78 hours for 1000 steps. is that too slow?",
    "max_grad_norm=1.0 but grad_norm in the logs is often 3. clipping not applied?",
    "Same seeds, very different reward curves. Is my reward wrong or is this just randomness?",
    "loss reaches 0 after a few steps and accuracy is 1.0. too good to be true?",
])
def test_terse_worries_ask_for_a_verdict(text: str) -> None:
    assert "user.asks_verdict" in phrases(text)


@pytest.mark.parametrize("text", [
    "my loss becomes nan after 200 steps with fp16",
    "CUDA out of memory at step 10 with batch size 8, how do I fix it?",
    "the loss is stuck at 2.3 from the start",
    "why is my grad norm so high?",
])
def test_a_reported_failure_asks_no_verdict(text: str) -> None:
    assert "user.asks_verdict" not in phrases(text)


@pytest.mark.parametrize("text,gone", [
    ("After the upgrade the GPU memory goes up and down during training. Memory leak?", "leak"),
    ("nvidia-smi shows memory nearly full on all cards. Will it OOM soon?", "oom"),
    ("It prints trainable params: 0. So my training did nothing??", "did nothing"),
])
def test_guesses_state_no_symptom(text: str, gone: str) -> None:
    assert gone not in assertions(text).lower()


def test_a_wh_question_after_so_still_states_its_symptom() -> None:
    assert "nan" in assertions("So the loss is nan after 200 steps, why?").lower()
    assert "user.cuda_oom" not in names("nvidia-smi shows memory nearly 100% full on all V100s. Will it OOM soon?")
    assert "user.memory_growing" not in names("GPU memory fluctuates a lot during training. Memory leak?")


@pytest.mark.skipif(model_dir() is None, reason="embedding weights not installed")
def test_reruns_compared_name_no_symptom() -> None:
    found = names("Full SFT twice with the same data and hyperparameters; loss values are slightly different "
                  "between runs. Why not deterministic?")
    assert "user.loss_zero" not in found
    assert "user.loss_zero" not in {f.name for f in semantic_facts("the loss values differ slightly between runs")}
    assert "user.loss_zero" in {f.name for f in semantic_facts("the training loss is exactly zero")}

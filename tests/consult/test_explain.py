"""HOW and WHY read as explanations: rules, sentences, facts with their sources."""
from __future__ import annotations

from pathlib import Path

from assistant.consult import Consultation
from assistant.explain import how_text, why_text

ROOT = Path(__file__).resolve().parents[2]


def _consultation() -> Consultation:
    c = Consultation(question="my loss goes to nan")
    c.attach(ROOT / "examples/lora-nan/train.log")
    c.attach(ROOT / "examples/lora-nan/config.yaml")
    c.run()
    return c


def test_how_walks_the_chain_down_to_the_evidence() -> None:
    text = how_text(_consultation().engine, "gradient_explosion")
    assert "rule nan.backward_first_in_metrics" in text  # the intermediate step (cause.nan_backward)
    assert "cause.nan_backward" in text and "derived" in text
    assert "train.log:" in text and "config.yaml:" in text  # input facts with their sources
    assert "grad_norm rose to" in text  # the rule's own sentence with values


def test_how_for_an_unreached_conclusion_says_so() -> None:
    assert "no rule reached" in how_text(_consultation().engine, "host_ram_exhausted")


def test_why_names_the_conclusions_an_answer_decides() -> None:
    text = why_text(_consultation().engine, "answer.spike_batch_specific")
    assert "bad_data_samples" in text and "lr_too_high" in text
    assert "sft.spikes_data_confirmed" in text


def test_explain_command_prints_how_and_why(capsys) -> None:
    from assistant.cli import _run

    code = _run(["explain", "loss spikes every few hundred steps"])
    out = capsys.readouterr().out
    assert code == 0
    assert "HOW lr_too_high" in out and "because user.loss_spikes" in out and "[question]" in out
    assert "WHY ask answer.spike_batch_specific" in out

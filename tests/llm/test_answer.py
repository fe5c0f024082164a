"""The LLM answer against a stub OpenAI-compatible server: grounding, validation, redaction, fallbacks, cache, streaming."""
from __future__ import annotations

import json

import pytest

from assistant.llm import AnswerStream, phrase_report
from assistant.report import Citation, Diagnosis, Evidence, Fix, Report

SECRETS = {
    "hf": "hf_abcdefghijklmnopqrstuvwxyz123456",
    "openai": "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX123456",
    "slack": "xoxb-123456789012-abcdefghijklmnop",
    "wandb": "0123456789abcdef0123456789abcdef01234567",
    "bearer": "eyzLongOpaqueBearerToken123456789",
    "url_password": "hunter2secret",
}
TEMPLATED = "Most likely: Gradient explosion (gradient_explosion, certainty 0.86)."


def report_with_secrets(question: str = "why did my loss go nan?") -> Report:
    evidence = [
        Evidence("symptom.nan_first", "grad_norm became inf at step 212", "train.log:1190"),
        Evidence("log.env", f"HF_TOKEN={SECRETS['hf']} OPENAI key {SECRETS['openai']} slack {SECRETS['slack']}", "train.log:3"),
        Evidence("log.env", f"WANDB_API_KEY={SECRETS['wandb']}", "train.log:4"),
        Evidence("log.http", f"Authorization: Bearer {SECRETS['bearer']}", "train.log:5"),
        Evidence("config.hub", f"dataset from https://user:{SECRETS['url_password']}@data.example.com/x", "config.yaml:2"),
    ]
    d = Diagnosis(id="gradient_explosion", title="Gradient explosion", certainty=0.86, severity="critical",
                  evidence=evidence, fixes=[Fix("Clip gradients", {"max_grad_norm": 1.0})],
                  citations=[Citation("knowledge/nan-inf.md", "NaN and Inf Handling › Common Causes", "snip",
                                      "nan-inf/common-causes")])
    return Report(question=question, diagnoses=[d], answer=TEMPLATED)


def prompt_of(stub) -> str:
    return "\n".join(m["content"] for m in stub.requests[-1]["body"]["messages"])


def test_the_prompt_carries_the_report_and_numbered_passages(stub) -> None:
    report = report_with_secrets()
    phrase_report(report, stub.settings())
    assert report.answer == "Clip the gradients first [1]." and not report.warnings
    body = stub.requests[0]["body"]
    assert stub.requests[0]["path"] == "/v1/chat/completions" and body["model"] == "stub-model"
    prompt = prompt_of(stub)
    assert "gradient_explosion: Gradient explosion (certainty 0.86, critical)" in prompt
    assert "grad_norm became inf at step 212 (train.log:1190)" in prompt
    assert "fix: Clip gradients [config: max_grad_norm: 1.0]" in prompt
    assert "[1] NaN and Inf Handling › Common Causes (knowledge/nan-inf.md)" in prompt
    assert "| Cause | Where it appears |" in prompt          # the cited section's full text, not a snippet
    assert "[2] " in prompt and "[5] " not in prompt       # plus up to 3 passages retrieved for the question
    assert "Cite every passage you rely on as [n]" in prompt
    assert "Question: why did my loss go nan?" in prompt


def test_no_secret_reaches_the_endpoint(stub) -> None:
    phrase_report(report_with_secrets(f"token {SECRETS['hf']} leaked?"), stub.settings())
    sent = stub.received()
    for name, secret in SECRETS.items():
        assert secret not in sent, name
    assert "hf_***" in sent and "Bearer ***" in sent


@pytest.mark.parametrize(("reply", "why"), [
    ("Clip the gradients.", "cites no passage"),
    ("Clip the gradients [4].", "cites passage [4], but there are"),
    ("This is lr_too_high, see [1].", "names diagnosis 'lr_too_high'"),
    ("Your learning rate too high caused it [1].", "names diagnosis 'lr_too_high'"),
    ("It is entropy collapse (mode collapse) [1].", "names diagnosis 'entropy_collapse'"),
    ("I'm sorry, I can't help with that.", "declined"),
])
def test_bad_replies_fall_back_to_the_templated_answer(stub, reply: str, why: str) -> None:
    stub.reply = reply
    report = report_with_secrets()
    phrase_report(report, stub.settings())
    assert report.answer == TEMPLATED
    assert len(report.warnings) == 1 and why in report.warnings[0] and "templated answer" in report.warnings[0]


def test_naming_a_diagnosis_in_the_report_is_fine(stub) -> None:
    stub.reply = "This is a gradient explosion (gradient_explosion) [1]."
    report = report_with_secrets()
    phrase_report(report, stub.settings())
    assert report.answer == stub.reply


def test_a_timeout_falls_back_with_one_line(stub) -> None:
    stub.delay = 2.0
    report = report_with_secrets()
    phrase_report(report, stub.settings(timeout=0.3))
    assert report.answer == TEMPLATED
    assert report.warnings == ["[llm] stub-model unavailable (APITimeoutError); showing the templated answer"]


def test_an_unreachable_endpoint_falls_back(stub) -> None:
    settings = stub.settings()
    settings = type(settings)(model="m", base_url="http://127.0.0.1:9/v1", api_key="k", timeout=2)
    report = report_with_secrets()
    phrase_report(report, settings)
    assert report.answer == TEMPLATED and "unavailable (APIConnectionError)" in report.warnings[0]


def test_a_second_identical_call_is_served_from_the_cache(stub) -> None:
    phrase_report(report_with_secrets(), stub.settings())
    second = report_with_secrets()
    phrase_report(second, stub.settings())
    assert len(stub.requests) == 1 and second.answer == "Clip the gradients first [1]."
    phrase_report(report_with_secrets("another question"), stub.settings())
    assert len(stub.requests) == 2                     # a different prompt is a different key


def test_streaming_yields_chunks_then_validates(stub) -> None:
    stub.reply = "Clip the gradients first, then lower the learning rate [1]."
    stream = AnswerStream(report_with_secrets(), stub.settings())
    chunks = list(stream)
    assert len(chunks) > 3 and "".join(chunks) == stub.reply
    assert stream.accepted and stream.text == stub.reply
    assert stub.requests[0]["body"]["stream"] is True


def test_a_rejected_stream_says_what_to_show_instead(stub) -> None:
    stub.reply = "Classic overfitting [1]."
    stream = AnswerStream(report_with_secrets(), stub.settings())
    assert "".join(stream) == stub.reply
    assert not stream.accepted and stream.text == TEMPLATED and "overfitting" in stream.notice


def test_ask_uses_the_configured_llm_and_no_llm_turns_it_off(stub, monkeypatch, capsys) -> None:
    from assistant.cli import _run
    from assistant.paths import EXAMPLES_DIR

    monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
    monkeypatch.setenv("TSA_LLM_MODEL", "stub-model")
    stub.reply = "Your gradients exploded; clip them [1]."
    args = ["ask", "--no-probe", "--json", "-a", str(EXAMPLES_DIR / "lora-nan" / "train.log")]
    assert _run(args) == 0
    assert json.loads(capsys.readouterr().out)["answer"] == stub.reply and len(stub.requests) == 1
    assert _run([*args, "--no-llm"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"] != stub.reply and len(stub.requests) == 1

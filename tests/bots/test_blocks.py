"""Block Kit rendering: within Slack's limits, escaped, redacted, and the buttons carry fact=value."""
from __future__ import annotations

import json
from pathlib import Path

from assistant.consult import Consultation
from assistant.render.slack import render_blocks
from assistant.report import Diagnosis, Evidence, Fix, Question, Report

ROOT = Path(__file__).resolve().parents[2]


def test_real_report_within_slack_limits():
    c = Consultation(question="loss nan")
    c.attach(ROOT / "examples/lora-nan/train.log")
    report = c.run()
    text, blocks = render_blocks(report)
    assert text == report.answer and len(blocks) <= 50
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
    buttons = next(b for b in blocks if b.get("block_id") == "question")["elements"]
    q = report.questions[0]
    assert [b["value"] for b in buttons] == [f"{q.fact}={c}" for c in q.choices]
    ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids))  # Slack rejects a message with repeated action ids


def test_text_from_logs_is_escaped_and_redacted():
    d = Diagnosis("x", "X <!channel> & co", 0.9, "critical",
                  evidence=[Evidence("f", "token hf_abcdefghijklmnopqrstuvwxyz12 at <https://evil|click>", "a:1")],
                  fixes=[Fix("set it", {"learning_rate": 1e-4})])
    report = Report(question="q", diagnoses=[d], answer="see <@U123>",
                    questions=[Question("answer.a_b", "Which?", ["yes_really", "no"])])
    text, blocks = render_blocks(report, [":warning: upload <b>"])
    dumped = json.dumps(blocks)
    assert "<!channel>" not in dumped and "&lt;!channel&gt; &amp; co" in dumped
    assert "<https://evil" not in dumped and "<@U123>" not in text
    assert "abcdefghijklmnopqrstuvwxyz12" not in dumped and "hf_***" in dumped
    assert "learning_rate: 0.0001" in dumped
    assert "yes really" in dumped  # choice labels read as words


def test_question_without_choices_asks_for_a_typed_reply():
    report = Report(question="", questions=[Question("answer.max_len", "What is it?", None)])
    _, blocks = render_blocks(report)
    assert "`max_len=VALUE`" in json.dumps(blocks)
    assert not any(b.get("block_id") == "question" for b in blocks)

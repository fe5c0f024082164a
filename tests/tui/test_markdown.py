"""Report -> Markdown: the export a person pastes into an issue, and the chat's short reply."""
from __future__ import annotations

import pytest

from assistant.consult import consult
from assistant.render.markdown import render_markdown, render_reply
from assistant.report import Report

from .helpers import EXAMPLES


@pytest.fixture(scope="module")
def report() -> Report:
    return consult("my loss goes to nan around step 210",
                   attachments=[EXAMPLES / "lora-nan" / "train.log", EXAMPLES / "lora-nan" / "config.yaml"],
                   answers=["fp32_fixes_it=no"])


def test_export_has_every_part_in_order(report: Report) -> None:
    md = render_markdown(report, [("user", "my loss goes to nan"), ("assistant", "1. **Gradient explosion**\n\nmore")])
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert heads == ["## Question", "## Evidence", "## Diagnoses", "## Open questions", "## Sources", "## Transcript"]
    assert "> my loss goes to nan around step 210" in md
    assert "| `examples/lora-nan/train.log` | stdout_log |" in md.replace(str(EXAMPLES.parent) + "/", "")
    assert "- `fp32_fixes_it` = no" in md
    assert "### 1. Gradient explosion (`gradient_explosion`)" in md
    assert "```yaml\n  max_grad_norm: 1.0\n  ```" in md
    assert "(`train.log:4" in md  # evidence keeps its file:line
    assert "**You:** my loss goes to nan" in md and "> 1. **Gradient explosion**" in md


def test_reply_is_short_and_names_the_top_three(report: Report) -> None:
    reply = render_reply(report)
    assert reply.startswith("1. **Gradient explosion** · `gradient_explosion` · ")
    assert reply.count("  \n   Fix: ") == 3
    assert "`max_grad_norm: 1.0`" in reply
    assert f"_+{len(report.diagnoses) - 3} more in the findings panel._" in reply


def test_reply_without_a_diagnosis_is_the_reports_answer() -> None:
    assert render_reply(Report(question="", answer="Nothing points to a failure.")) == "Nothing points to a failure."


def test_secrets_never_reach_the_export() -> None:
    md = render_markdown(Report(question="my token hf_abcdefghijklmnopqrstuvwxyz123 leaks"))
    assert "hf_abcdefghijklmnopqrstuvwxyz123" not in md and "hf_***" in md

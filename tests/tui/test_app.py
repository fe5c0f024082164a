"""Whole consultations driven through the chat as a person would: type, attach, answer, ask HOW, export."""
from __future__ import annotations

import time
from pathlib import Path

from textual.widgets import Button, Label, ListView, Static

from assistant.consult import consult
from assistant.errors import InputError
from assistant.render.markdown import patch_yaml
from assistant.tui import make_app
from assistant.tui import app as app_module
from assistant.tui.screens import ExplainScreen, FindingScreen
from assistant.tui.screens.finding import merged_patch
from assistant.tui.widgets import ActivityBar, Conversation, FindingsPanel, MetricChart, PromptInput, QuestionBar

from .helpers import EXAMPLES, settle, submit

SIZE = (100, 32)


def _chat_text(app) -> str:
    """Everything the conversation shows, as text (Markdown sources and plain lines)."""
    out = []
    for w in app.query_one(Conversation).children:
        out.append(w.source if hasattr(w, "source") else str(w.render()))
    return "\n".join(out)


def _finding_ids(app) -> list[str]:
    return [item.name for item in app.query_one(FindingsPanel).query_one(ListView).children]


async def test_a_whole_consultation(cases: Path, tmp_path: Path) -> None:
    """Symptom, a real log, one answer by button and one typed, HOW, a finding's detail, and the export."""
    log = cases / "001-llava-lora-loss-spikes" / "log.txt"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await submit(pilot, "the loss spikes every so often")
        assert app.session.report is not None and app.session.report.diagnoses

        await submit(pilot, f"/attach {log}")
        report = app.session.report
        assert [i.kind for i in report.inputs] == ["stdout_log"]
        assert "Read `log.txt` as stdout_log" in _chat_text(app)
        assert _finding_ids(app) == [d.id for d in report.diagnoses]
        assert [p.title for p in app.query_one(MetricChart).chart.panels] == ["loss", "learning_rate"]

        # The pending question shows its choices as buttons; Tab from the prompt reaches them.
        question = app.session.pending_question()
        bar = app.query_one(QuestionBar)
        assert bar.display and bar.question == question
        assert [b.name for b in bar.query(Button)] == question.choices
        await pilot.press("tab")
        assert app.focused is bar.query_one("#choice-1", Button)
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.consultation.answers[question.fact] == question.choices[0]
        assert "What changed" in _chat_text(app) or "1. **" in _chat_text(app)

        # The next one answered by typing the choice in words.
        typed = app.session.pending_question()
        await submit(pilot, typed.choices[1].replace("_", " "))
        assert app.session.consultation.answers[typed.fact] == typed.choices[1]

        # An answer that defeats a diagnosis says so, with the negative rule's own sentence.
        await submit(pilot, "/answer lowered_lr_still_spikes=still_there")
        assert "lr_too_high" in app.session.report.ruled_out
        assert "Ruled out `lr_too_high`: you lowered the learning rate and it still spikes" in _chat_text(app)
        assert "lr_too_high" not in _finding_ids(app)

        top = app.session.report.diagnoses[0]
        await submit(pilot, "/how")
        assert isinstance(app.screen, ExplainScreen)
        assert app.screen.text.startswith(f"HOW {top.id} (")
        await pilot.press("escape")
        assert not isinstance(app.screen, ExplainScreen)

        # A finding opens in full; `c` copies its config patch, `h` asks HOW.
        await pilot.press("ctrl+f", "enter")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen) and app.screen.diagnosis.id == top.id
        await pilot.press("c")
        assert app.clipboard == patch_yaml(merged_patch(top)) + "\n"
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, ExplainScreen) and app.screen.text.startswith(f"HOW {top.id}")
        await pilot.press("escape")

        target = tmp_path / "out" / "consultation.md"
        await submit(pilot, f"/export {target}")
        assert f"Wrote `{target}`" in _chat_text(app)

    md = target.read_text()
    assert "> the loss spikes every so often" in md
    assert f"| `{log}` | stdout_log |" in md
    assert f"### 1. {top.title} (`{top.id}`)" in md
    assert "Ruled out: `lr_too_high`" in md
    assert "## Sources" in md and "knowledge/" in md
    assert "**You:** the loss spikes every so often" in md
    assert f"**You:** /attach {log}" in md
    assert "Ruled out `lr_too_high`: you lowered the learning rate" in md  # the transcript keeps the replies
    assert f"HOW {top.id}" in md


async def test_a_bad_attachment_is_one_line_and_the_session_goes_on(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "train.log"
    empty = tmp_path / "empty.log"
    empty.write_text("")
    expected = []
    for path in (missing, empty):
        try:
            consult("", attachments=[path])
        except InputError as e:
            expected.append(str(e))  # exactly what `ask` prints
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await submit(pilot, f"/attach {missing} {empty} {EXAMPLES / 'lora-nan' / 'train.log'}")
        errors = [str(w.render()) for w in app.query_one(Conversation).query(".error")]
        assert errors == [f"✖ {line}" for line in expected]
        assert [Path(i.path).name for i in app.session.report.inputs] == ["train.log"]  # the good one was read
        assert any(n.message == expected[0] for n in app._notifications)
        await submit(pilot, "my loss goes to nan")
        assert app.is_running and app.session.report.diagnoses[0].id == "gradient_explosion"
        await submit(pilot, "/export /proc/no-such-dir/report.md")  # an export that cannot be written, too
        errors = [str(w.render()) for w in app.query_one(Conversation).query(".error")]
        assert errors[-1].startswith("✖ /proc/no-such-dir/report.md: cannot write")
        assert app.is_running


async def test_a_large_log_is_read_off_the_ui_thread_with_progress(tmp_path: Path, monkeypatch) -> None:
    """A slow read (a disk that takes 0.5 s per chunk) shows its progress and leaves the UI answering keys."""
    big = tmp_path / "big.log"
    line = "{'loss': 1.234, 'grad_norm': 0.5, 'learning_rate': 0.0002, 'epoch': 0.5}\n"
    with big.open("w") as fh:
        for _ in range(60):
            fh.write(line * 5000)  # ~22 MB, read in chunks of 8 MiB
    seen: list[tuple[int, int]] = []
    progress = app_module.ChatApp._progress

    def slow_progress(self):
        report = progress(self)

        def slowly(path: str, done: int, total: int) -> None:
            seen.append((done, total))
            report(path, done, total)
            time.sleep(0.5)

        return slowly

    monkeypatch.setattr(app_module.ChatApp, "_progress", slow_progress)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        prompt = app.query_one(PromptInput)
        prompt.value = f"/attach {big}"
        await pilot.press("enter")
        while not seen:
            await pilot.pause(0.01)
        await pilot.pause(0.05)
        bar = app.query_one(ActivityBar)
        assert app.busy and bar.display and "reading big.log" in str(bar.query_one(Label).render())
        await pilot.press(*"abc")  # the UI answers keys during the read
        assert prompt.value == "abc" and app.busy
        await settle(pilot)
        assert not bar.display
        assert app.session.report.inputs[0].kind == "stdout_log"
    assert len(seen) > 2 and seen[-1][0] == seen[-1][1] == big.stat().st_size


async def test_files_and_words_from_the_command_line(cases: Path) -> None:
    app = make_app([cases / "011-gemma-sft-intermittent-nan" / "log.txt"], "the loss becomes nan every few steps")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "› the loss becomes nan every few steps" in _chat_text(app)
        assert app.session.report.inputs and app.session.report.diagnoses
        assert app.sub_title.startswith("1 file · ")
        loss = app.query_one(MetricChart).chart.panels[0]
        assert any(e.kind == "nonfinite" for e in loss.events)


async def test_a_pasted_path_is_attached(cases: Path) -> None:
    log = cases / "001-llava-lora-loss-spikes" / "log.txt"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await submit(pilot, f"'{log}'")
        assert [i.path for i in app.session.report.inputs] == [str(log)]
        assert app.session.consultation.question == ""


async def test_probe_shows_the_machine() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await submit(pilot, "/probe")
        text = _chat_text(app)
        assert "**This machine**" in text and "GPUs:" in text


async def test_a_configured_llm_streams_its_reply(cases: Path, monkeypatch) -> None:
    """With no diagnosis to show, the LLM's reply streams into the chat; a rejected one falls back."""

    class FakeStream:
        def __init__(self, chunks: list[str], accepted: bool) -> None:
            self.chunks, self.accepted = chunks, accepted
            self.text = "".join(chunks) if accepted else "templated answer"
            self.notice = None if accepted else "[llm] reply rejected: no citation; showing the templated answer"

        def __iter__(self):
            yield from self.chunks

    streams = [FakeStream(["The run ", "looks **healthy** [1]."], True), FakeStream(["made up"], False)]
    monkeypatch.setattr(app_module, "llm_stream", lambda report: streams.pop(0))
    healthy = cases / "030-healthy-trl-sft-lora-eval" / "log.txt"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await submit(pilot, f"/attach {healthy}")
        assert not app.session.report.diagnoses
        assert "The run looks **healthy** [1]." in _chat_text(app)
        assert app.session.transcript[-1] == ("assistant", "The run looks **healthy** [1].")
        await submit(pilot, f"/attach {healthy}")
        text = _chat_text(app)
        assert "made up" not in text and "templated answer" in text and "reply rejected" in text


async def test_history_completion_help_reset_and_unknown_commands(cases: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        prompt = app.query_one(PromptInput)
        await submit(pilot, "my loss goes to nan")
        await submit(pilot, "/help")
        assert "`/attach PATH...`" in _chat_text(app)
        prompt.value = "draft"
        await pilot.press("up")
        assert prompt.value == "/help"
        await pilot.press("up")
        assert prompt.value == "my loss goes to nan"
        await pilot.press("down", "down")
        assert prompt.value == "draft"

        prompt.value = "/att"
        await pilot.press("tab")
        assert prompt.value == "/attach "

        await submit(pilot, "/atach x")
        assert "/atach: unknown command (did you mean /attach?)" in _chat_text(app)

        assert _finding_ids(app)
        await submit(pilot, "/reset")
        assert app.session.report is None and app.session.transcript == []
        assert _finding_ids(app) == [] and not app.query_one(QuestionBar).display
        assert app.query_one(MetricChart).chart.panels == []
        assert len(app.query_one(Conversation).children) == 1  # the greeting again


async def test_the_chart_goes_full_screen_and_back() -> None:
    app = make_app([EXAMPLES / "lora-nan" / "train.log"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        chart = app.query_one(MetricChart)
        await pilot.press("ctrl+g")
        assert app.screen.maximized is chart and app.focused is chart
        await pilot.press("escape")  # back to the layout, the chart still focused for ↑/↓
        assert app.screen.maximized is None
        await pilot.press("escape")
        assert isinstance(app.focused, PromptInput)


async def test_why_explains_the_pending_question() -> None:
    app = make_app([EXAMPLES / "lora-nan" / "train.log"], "my loss goes to nan")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fact = app.session.pending_question().fact
        await submit(pilot, "/why")
        assert f"WHY ask {fact}" in _chat_text(app)
        skipped = app.session.pending_question()
        await submit(pilot, "/skip")
        assert app.session.pending_question() != skipped
        assert isinstance(app.query_one(QuestionBar).query_one("#q-text"), Static)

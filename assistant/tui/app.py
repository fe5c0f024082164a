"""The terminal chat: a conversation with one consultation underneath, findings and a chart beside it.

Everything slow (reading attachments, running the engine, HOW, export) runs as
jobs in a worker thread, one at a time in the order the user asked for them; a
job answers with one of the messages in ``messages.py`` and the UI thread alone
touches widgets. ``make_app`` builds the app for the CLI and the tests alike.
"""
from __future__ import annotations

import time
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Footer, Header, ListView

from assistant.errors import AssistantError
from assistant.render.markdown import render_reply
from assistant.report import Question, Report
from assistant.tui.commands import HELP, Command, match_choice, parse_command, pasted_paths, split_args, suggest_command
from assistant.tui.messages import (AnswerChosen, ExplainReady, Exported, FindingSelected, JobDone, JobFailed,
                                    ReadProgress, ReplyChunk, ReplyStreamEnded, SessionReset, TurnDone)
from assistant.tui.session import ChatSession, llm_stream
from assistant.tui.widgets import ActivityBar, Conversation, FindingsPanel, MetricChart, PromptInput, QuestionBar

if TYPE_CHECKING:  # Markdown (markdown-it, pygments) loads with the first reply, after the first paint
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream

__all__ = ["ChatApp", "make_app"]

GREETING = Text.assemble(
    ("Tell me what goes wrong in your run", "bold"), ' ("loss goes to nan around step 200") and attach what you '
    "have: ", ("/attach train.log config.yaml", "bold"), ", or paste the paths. ", ("/help", "bold"),
    " lists the commands.")
PROGRESS_EVERY = 0.1  # seconds between progress messages from a reading worker
WARM_UP_DELAY = 0.3  # seconds after the first frame before the background warm-up starts


class KeysFooter(Footer):
    """The footer with its keys in the first frame. Textual's composes empty until the screen first
    reports its bindings, then recomposes (three times at start-up): the keys showed ~0.1 s after the
    rest of the chat. The app's bindings are known when it mounts; the focused widget's follow as
    before, when the screen reports them."""

    def __init__(self) -> None:
        super().__init__()
        self.set_reactive(Footer._bindings_ready, True)


class ChatApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Training Stability Assistant"
    AUTO_FOCUS = "PromptInput"
    BINDINGS = [
        Binding("ctrl+o", "attach", "Attach"),
        Binding("ctrl+f", "findings", "Findings"),
        Binding("ctrl+g", "chart", "Chart"),
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("escape", "prompt", "Back to prompt", show=False),
        Binding("pageup", "scroll_chat(-1)", show=False),
        Binding("pagedown", "scroll_chat(1)", show=False),
    ]

    def __init__(self, session: ChatSession, attachments: Sequence[str] = (), question: str = "") -> None:
        super().__init__()
        self.session = session
        self._start = (list(attachments), question.strip())
        self._jobs: deque[Callable[[], Message | None]] = deque()
        self._job_running = False
        self._started = False  # on_ready has queued the command line's files and words
        self._shown: Report | None = None  # the report the panels show, to mark what moved
        self._stream: tuple[Markdown, MarkdownStream] | None = None  # the LLM reply being streamed

    # --- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="chat"):
                yield Conversation()
                yield ActivityBar()
                yield QuestionBar()
                yield PromptInput(id="prompt")
            with Vertical(id="side"):
                yield FindingsPanel()
                yield MetricChart()
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(Conversation).add_text(GREETING)

    def on_ready(self) -> None:
        """After the first frame: nothing competes with the first paint for the interpreter. The
        warm-up (imports, the rulebase: ~0.1 s holding the interpreter) waits a moment longer, so
        the driver's writer thread gets the frame onto the terminal first."""
        self.set_timer(WARM_UP_DELAY, self._warm_up)
        self._started = True
        paths, question = self._start
        if question:
            self._say_user(question)
        if paths or question:
            self._turn(text=question, paths=paths)

    @property
    def busy(self) -> bool:
        """Starting up, or a job is running or waiting (tests wait on this)."""
        return not self._started or self._job_running or bool(self._jobs)

    # --- jobs ------------------------------------------------------------------------------------

    @work(thread=True, group="warm-up")
    def _warm_up(self) -> None:
        """Load the consultation, the rulebase and the Markdown widget while the user types,
        so the first answer is quick."""
        import textual.widgets._markdown  # noqa: F401  (import only: the first reply needs it)

        self.session.warm_up()
        from assistant.warmstart import save

        save()   # what start-up compiled, for the next start (a closed terminal skips exit handlers)

    def _enqueue(self, job: Callable[[], Message | None], what: str = "consulting…") -> None:
        self._jobs.append(job)
        self.query_one(ActivityBar).thinking(what)
        if not self._job_running:
            self._next_job()

    def _next_job(self) -> None:
        if not self._jobs:
            self._job_running = False
            self.query_one(ActivityBar).idle()
            return
        self._job_running = True
        self._run_job(self._jobs.popleft())

    @work(thread=True, group="session")
    def _run_job(self, job: Callable[[], Message | None]) -> None:
        try:
            result = job()
        except AssistantError as e:
            result = JobFailed(str(e))
        except Exception as e:  # the last guard: one line in the chat, and the session goes on
            self.log.error(e)
            result = JobFailed(f"internal error: {type(e).__name__}: {e}")
        if result is not None:
            self.post_message(result)
        self.post_message(JobDone())

    def on_job_done(self, _: JobDone) -> None:
        self._next_job()

    def _progress(self) -> Callable[[str, int, int], None]:
        """A reader callback that posts at most one progress message per PROGRESS_EVERY."""
        last = [0.0]

        def report(path: str, done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY or done >= total:
                last[0] = now
                self.post_message(ReadProgress(path, done, total))

        return report

    def _turn(self, text: str = "", paths: Sequence[str] = (), answer: tuple[str, str] | None = None) -> None:
        progress = self._progress()
        self._enqueue(lambda: TurnDone(self.session.turn(text=text, paths=paths, answer=answer, progress=progress)),
                      "reading…" if paths else "consulting…")

    # --- what the user does ------------------------------------------------------------------------

    def _say_user(self, line: str) -> None:
        self.query_one(Conversation).add_user(line)
        self.session.record("user", line)

    def _say(self, markdown: str) -> None:
        self.query_one(Conversation).add_reply(markdown)
        self.session.record("assistant", markdown)

    def on_input_submitted(self, event: PromptInput.Submitted) -> None:
        prompt = self.query_one(PromptInput)
        line = event.value.strip()
        prompt.value = ""
        if not line:
            return
        prompt.remember(line)
        self._say_user(line)
        command = parse_command(line)
        if command is not None:
            self._command(command)
            return
        question = self.session.pending_question()
        choice = match_choice(line, question.choices) if question and question.choices else None
        if question is not None and choice is not None:
            self._turn(answer=(question.fact, choice))
            return
        paths, words = pasted_paths(line)
        self._turn(text=words if paths else line, paths=paths)

    def on_answer_chosen(self, event: AnswerChosen) -> None:
        self._say_user(event.value.replace("_", " "))
        self._turn(answer=(event.fact, event.value))
        self.query_one(PromptInput).focus()

    def _command(self, cmd: Command) -> None:
        conv = self.query_one(Conversation)
        if cmd.name == "attach":
            paths = split_args(cmd.args)
            if not paths:
                conv.add_error("/attach PATH...: name at least one file or folder")
                return
            self._turn(paths=paths)
        elif cmd.name == "why":
            question = self.session.pending_question()
            fact = cmd.args or (question.fact if question else "")
            if not fact:
                conv.add_error("/why: no question is pending; /why FACT explains any fact")
                return
            self._enqueue(lambda: ExplainReady(f"WHY {fact}", self.session.why(fact), modal=False))
        elif cmd.name == "how":
            top = self._shown.diagnoses[0].id if self._shown and self._shown.diagnoses else ""
            self._how(cmd.args or top)
        elif cmd.name == "answer":
            fact, sep, value = cmd.args.partition("=")
            if not (sep and fact.strip() and value.strip()):
                conv.add_error("/answer FACT=VALUE, e.g. /answer spike_batch_specific=yes")
                return
            self._turn(answer=(fact.strip(), value.strip()))
        elif cmd.name == "skip":
            self._ask(self.session.skip())
        elif cmd.name == "probe":
            self._enqueue(lambda: TurnDone(self.session.probe()), "probing this machine…")
        elif cmd.name == "export":
            target = Path(split_args(cmd.args)[0] if cmd.args else f"consultation-{datetime.now():%Y%m%d-%H%M%S}.md")
            self._enqueue(lambda: Exported(str(self.session.export(target))), "exporting…")
        elif cmd.name == "reset":
            self._enqueue(self._reset_job)
        elif cmd.name == "help":
            self._say(HELP)
        elif cmd.name == "quit":
            self.exit()
        else:
            close = suggest_command(cmd.name)
            conv.add_error(f"/{cmd.name}: unknown command" + (f" (did you mean /{close}?)" if close else "; /help lists them"))

    def _how(self, diag_id: str) -> None:
        if not diag_id:
            self.query_one(Conversation).add_error("/how ID: nothing has been diagnosed yet")
            return
        self._enqueue(lambda: ExplainReady(f"HOW {diag_id}", self.session.how(diag_id), modal=True))

    def _reset_job(self) -> SessionReset:
        self.session.reset()
        return SessionReset()

    # --- what the jobs send back -------------------------------------------------------------------

    def on_read_progress(self, event: ReadProgress) -> None:
        self.query_one(ActivityBar).reading(event.path, event.done, event.total)

    async def on_session_reset(self, _: SessionReset) -> None:
        conv = self.query_one(Conversation)
        await conv.remove_children()
        conv.add_text(GREETING)
        self._shown = None
        await self.query_one(FindingsPanel).show(Report(question=""), None)
        self.query_one(MetricChart).show(None)
        self._ask(None)
        self.sub_title = ""

    async def on_turn_done(self, event: TurnDone) -> None:
        turn = event.turn
        conv = self.query_one(Conversation)
        if turn.notes:
            note = "\n\n".join(turn.notes)
            conv.add_note(note)
            self.session.record("assistant", note)
        for error in turn.errors:
            conv.add_error(error)
            self.session.record("assistant", f"✖ {error}")
            self.notify(error, title="Could not read", severity="error")
        if not turn.ran or turn.report is None:
            return
        report = turn.report
        changed = "\n".join(f"- {line}" for line in turn.changes)
        reply = render_reply(report, limit=1 if turn.changes else 3)
        self._say(f"**What changed**\n\n{changed}\n\n{reply}" if changed else reply)
        await self.query_one(FindingsPanel).show(report, self._shown)
        self._shown = report
        self.query_one(MetricChart).show(turn.chart)
        self._ask(self.session.pending_question())
        files = len(report.inputs)
        self.sub_title = f"{files} file{'s' * (files != 1)} · {len(report.diagnoses)} findings"
        if not report.diagnoses:
            self._enqueue(lambda: self._stream_job(report), "writing…")

    def _stream_job(self, report: Report) -> ReplyStreamEnded | None:
        """Stream the configured LLM's reply; without one configured there is nothing to do."""
        stream = llm_stream(report)
        if stream is None:
            return None
        for chunk in stream:
            self.post_message(ReplyChunk(chunk))
        return ReplyStreamEnded(stream.text, stream.accepted, stream.notice)

    async def on_reply_chunk(self, event: ReplyChunk) -> None:
        if self._stream is None:
            widget = self.query_one(Conversation).add_reply("")
            self._stream = (widget, type(widget).get_stream(widget))
        await self._stream[1].write(event.text)

    async def on_reply_stream_ended(self, event: ReplyStreamEnded) -> None:
        """A rejected or failed reply is replaced by the templated answer, with the notice beside it."""
        widget = None
        if self._stream is not None:
            widget, stream = self._stream
            await stream.stop()
            self._stream = None
        if not event.accepted:
            if widget is not None:
                await widget.update(event.text)
            if event.notice:
                self.query_one(Conversation).add_note(event.notice)
        if event.accepted or widget is not None:
            self.session.record("assistant", event.text)

    def _ask(self, question: Question | None) -> None:
        """Show the pending question; the transcript gets it once, when it first comes up."""
        bar = self.query_one(QuestionBar)
        if question is not None and (bar.question is None or bar.question.fact != question.fact):
            choices = " | ".join(question.choices or [])
            self.session.record("assistant", f"Asked: {question.text}" + (f" ({choices})" if choices else ""))
        bar.show(question)

    def on_explain_ready(self, event: ExplainReady) -> None:
        if event.modal:
            from assistant.tui.screens import ExplainScreen

            self.push_screen(ExplainScreen(event.title, event.text))
            self.session.record("assistant", f"```text\n{event.text}\n```")
        else:
            self._say(f"```text\n{event.text}\n```")

    def on_exported(self, event: Exported) -> None:
        self._say(f"Wrote `{event.path}`")
        self.notify(event.path, title="Exported")

    def on_job_failed(self, event: JobFailed) -> None:
        self.query_one(Conversation).add_error(event.text)
        self.notify(event.text, severity="error")

    def on_finding_selected(self, event: FindingSelected) -> None:
        diagnosis = self._shown.diagnosis(event.diag_id) if self._shown else None
        if diagnosis is not None:
            from assistant.tui.screens import FindingScreen

            self.push_screen(FindingScreen(diagnosis), lambda how: self._how(how) if how else None)

    # --- key bindings ------------------------------------------------------------------------------

    def action_attach(self) -> None:
        prompt = self.query_one(PromptInput)
        prompt.value = "/attach "
        prompt.cursor_position = len(prompt.value)
        prompt.focus()

    def action_tab_from_prompt(self) -> None:
        """Tab with nothing to complete: to the pending question's choices, else the next widget."""
        buttons = self.query_one(QuestionBar).query(Button)
        if buttons:
            buttons.first().focus()
        else:
            self.screen.focus_next()

    def action_findings(self) -> None:
        self.query_one(FindingsPanel).query_one(ListView).focus()

    def action_chart(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        else:
            chart = self.query_one(MetricChart)
            self.screen.maximize(chart, container=False)
            chart.focus()

    def action_help(self) -> None:
        self._say_user("/help")
        self._command(Command("help", ""))

    def action_prompt(self) -> None:
        self.query_one(PromptInput).focus()

    def action_scroll_chat(self, pages: int) -> None:
        conv = self.query_one(Conversation)
        conv.scroll_page_down() if pages > 0 else conv.scroll_page_up()


def make_app(attachments: Sequence[str | Path] = (), question: str = "") -> ChatApp:
    """The chat as `assistant chat` runs it; tests build it here too, so they run the same wiring."""
    return ChatApp(ChatSession(), [str(p) for p in attachments], question)

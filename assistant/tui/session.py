"""A chat is one consultation across turns; this is that consultation plus what the chat remembers.

No Textual here: the app calls these methods from worker threads (reading a log
can take seconds) and shows what they return. One lock keeps turns in order, so
an answer typed while a big log is still being read waits for it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from assistant.errors import AssistantError, InputError
from assistant.render.chart import ChartData, chart_data
from assistant.render.markdown import render_markdown
from assistant.report import Question, Report
from assistant.tui.changes import counter_evidence, what_changed

if TYPE_CHECKING:  # both import far more than the first paint can afford; they load on first use
    from assistant.consult import Consultation
    from assistant.llm import AnswerStream

__all__ = ["ChatSession", "Turn", "llm_stream"]

Progress = Callable[[str, int, int], None]


@dataclass
class Turn:
    """What one turn produced. ``report`` is None until something has been run."""

    report: Report | None
    ran: bool = False  # the engine ran this turn (so the reply and panels change)
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # Markdown lines: what was read, what the probe saw
    errors: list[str] = field(default_factory=list)  # one line each, `path: problem`, as `ask` prints them
    chart: ChartData | None = None


class ChatSession:
    """The consultation, the last report, skipped questions and the transcript for /export."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.transcript: list[tuple[str, str]] = []
        self._new()

    def _new(self) -> None:
        self._consultation: Consultation | None = None
        self.report: Report | None = None
        self.skipped: set[str] = set()
        self.transcript.clear()

    @property
    def consultation(self) -> Consultation:
        """Created on first use: the consultation pulls in readers, detectors and the engine
        (~0.2 s of imports), which would otherwise delay the chat's first paint."""
        if self._consultation is None:
            from assistant.consult import Consultation

            self._consultation = Consultation(question="")
        return self._consultation

    def warm_up(self) -> None:
        """Import and load everything a first turn needs, off the UI thread."""
        from assistant.rulebase import load_catalog, load_project_rulebase, load_vocabulary

        with self._lock:
            self.consultation.rulebase = load_project_rulebase()
        load_catalog()
        load_vocabulary()

    def reset(self) -> None:
        with self._lock:
            self._new()

    def record(self, who: str, text: str) -> None:
        """Keep a line of the conversation for /export (who: "user" or "assistant")."""
        self.transcript.append((who, text))

    # --- turns -----------------------------------------------------------------------------------

    def turn(self, text: str = "", paths: Sequence[str] = (), answer: tuple[str, str] | None = None,
             progress: Progress | None = None) -> Turn:
        """Add words, attachments and/or an answer, then run the engine once over everything.

        An attachment that cannot be read becomes an error line and the rest goes on.
        Nothing is run when nothing new arrived (every attachment failed).
        """
        with self._lock:
            c = self.consultation
            notes: list[str] = []
            errors: list[str] = []
            for p in paths:
                try:
                    for r in c.attach(Path(p), progress=progress):
                        notes.append(f"Read `{Path(r.path).name}` as {r.kind} ({len(r.facts)} facts"
                                     + (f", {len(r.series)} metrics" if r.series else "") + ")")
                        notes += [f"⚠ {w}" for w in r.warnings[:3]]
                except InputError as e:
                    errors.append(str(e))
            if text.strip():
                c.question = f"{c.question}\n{text.strip()}".strip()
            if answer is not None:
                c.answer(*answer)
            if not (text.strip() or answer or len(errors) < len(paths)):
                return Turn(self.report, notes=notes, errors=errors)
            turn = self._run(notes, errors)
            if answer is not None and not turn.changes:
                turn.changes = ["Nothing moved: the ranking stays as it was."]
            return turn

    def _run(self, notes: list[str], errors: list[str]) -> Turn:
        before = self.report
        report = self.consultation.run()
        changes = what_changed(before, report, counter_evidence(self.consultation.engine))
        self.report = report
        return Turn(report, ran=True, changes=changes, notes=notes, errors=errors,
                    chart=chart_data(self.consultation.readings, report.facts))

    def probe(self) -> Turn:
        """Look at this machine, show it, and use its facts as `ask` does.

        As in `ask`, a machine without a GPU is not where the run trains, so its
        facts stay out of the diagnosis (assistant/probes/extra_facts.py says why).
        """
        from assistant.probes import run_probes
        from assistant.probes.extra_facts import extra_facts
        from assistant.probes.text import render_probe_text

        machine = render_probe_text(run_probes())
        with self._lock:
            c = self.consultation
            c.extra_facts = extra_facts(c.attachments, probe=True)
            used = any(f.name.startswith("probe.") for f in c.extra_facts)
            notes = ["**This machine**\n\n```text\n" + machine.rstrip() + "\n```"]
            if not used:
                notes.append("No GPU here, so these facts do not enter the diagnosis; on the training host run "
                             "`assistant probe --save probe.json` and `/attach probe.json`.")
            return self._run(notes, [])

    # --- what the chat asks and explains ---------------------------------------------------------

    def pending_question(self) -> Question | None:
        """The most useful question not yet skipped."""
        if self.report is None:
            return None
        return next((q for q in self.report.questions if q.fact not in self.skipped), None)

    def skip(self) -> Question | None:
        q = self.pending_question()
        if q is not None:
            self.skipped.add(q.fact)
        return self.pending_question()

    def how(self, diag_id: str) -> str:
        from assistant.explain import how_text

        with self._lock:
            if self.consultation.engine is None:
                return "Nothing has been concluded yet."
            return how_text(self.consultation.engine, diag_id)

    def why(self, fact: str) -> str:
        from assistant.explain import why_text

        with self._lock:
            if self.consultation.engine is None:
                return "Nothing has been asked yet."
            return why_text(self.consultation.engine, fact)

    def export(self, path: Path) -> Path:
        """Write the consultation (report and transcript) as Markdown; returns the absolute path."""
        with self._lock:
            report = self.report or Report(question=self.consultation.question)
            text = render_markdown(report, list(self.transcript))
        path = path.expanduser().resolve()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as e:
            raise AssistantError(f"{path}: cannot write ({e.strerror or e})") from None
        return path


def llm_stream(report: Report) -> AnswerStream | None:
    """The configured LLM's streamed reply for ``report`` (an ``assistant.llm.AnswerStream``), or None.

    Iterating it yields text chunks; afterwards ``accepted`` says whether the reply
    passed validation, and ``text`` is what to show (the templated answer if not).
    """
    from assistant.llm import AnswerStream, LLMSettings  # cheap; openai loads only when a call is made

    settings = LLMSettings.load()
    return AnswerStream(report, settings) if settings is not None else None

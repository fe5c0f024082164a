"""Messages of the chat app: how workers and widgets report to it.

Workers run in threads and touch no widget; everything they produce reaches the
UI as one of these (``post_message`` is thread-safe).
"""
from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from assistant.tui.session import Turn

__all__ = ["AnswerChosen", "ExplainReady", "Exported", "FindingSelected", "JobDone", "JobFailed", "ReadProgress",
           "ReplyChunk", "ReplyStreamEnded", "SessionReset", "TurnDone"]


@dataclass
class ReadProgress(Message):
    """Bytes of an attachment read so far."""

    path: str
    done: int
    total: int


@dataclass
class TurnDone(Message):
    """A turn of the consultation finished (words, attachments, an answer or a probe)."""

    turn: Turn


@dataclass
class SessionReset(Message):
    """The consultation was started afresh."""


@dataclass
class Exported(Message):
    """The consultation was written as Markdown to ``path``."""

    path: str


@dataclass
class ExplainReady(Message):
    """HOW or WHY text; ``modal`` opens it in its own screen (long reasoning chains)."""

    title: str
    text: str
    modal: bool


@dataclass
class JobDone(Message):
    """The running job has posted its result; the next one may start."""


@dataclass
class JobFailed(Message):
    """A worker failed; ``text`` is the one line a person sees."""

    text: str


@dataclass
class ReplyChunk(Message):
    """A piece of a streamed LLM reply."""

    text: str


@dataclass
class ReplyStreamEnded(Message):
    """The streamed reply is complete: ``text`` is what to show (the templated answer when not ``accepted``)."""

    text: str
    accepted: bool
    notice: str | None


@dataclass
class AnswerChosen(Message):
    """The user picked a choice of the pending question."""

    fact: str
    value: str


@dataclass
class FindingSelected(Message):
    """The user opened a diagnosis in the findings panel."""

    diag_id: str

"""What a typed line means: a slash command, an answer to the pending question, pasted paths, or words.

Kept free of Textual so the reading of a line can be tested on its own.
"""
from __future__ import annotations

import difflib
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

__all__ = ["COMMANDS", "Command", "HELP", "match_choice", "parse_command", "pasted_paths", "split_args",
           "suggest_command"]

# name -> (arguments, what it does); the order is the order /help lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "attach": ("PATH...", "read logs, trainer_state.json, configs, run folders (Tab completes paths)"),
    "why": ("[FACT]", "why the pending question is worth answering"),
    "how": ("[ID]", "the reasoning chain behind a diagnosis (default: the top one)"),
    "answer": ("FACT=VALUE", "answer any follow-up question"),
    "skip": ("", "skip the pending question"),
    "probe": ("", "look at this machine (GPUs, versions) and add it as evidence"),
    "export": ("FILE.md", "write the consultation as a Markdown report"),
    "reset": ("", "start a new consultation"),
    "help": ("", "this list"),
    "quit": ("", "leave"),
}

HELP = "\n".join([
    "**Commands**",
    "",
    *(f"- `/{name}{' ' + args if args else ''}` — {text}" for name, (args, text) in COMMANDS.items()),
    "",
    "Describe the symptom in your words; paste file paths to attach them. Answer a question with its "
    "button, its number, or by typing the choice. ↑/↓ recall earlier lines.",
    "",
    "**Keys:** `Ctrl+O` attach · `Ctrl+F` findings · `Ctrl+G` chart full screen · `Esc` back to the "
    "prompt · `Ctrl+Q` quit. In a finding: `c` copies its config patch, `h` shows HOW.",
])


@dataclass(frozen=True)
class Command:
    name: str
    args: str


def parse_command(line: str) -> Command | None:
    """``/attach a b`` -> Command("attach", "a b"); a line not starting with ``/`` is no command.

    An absolute path typed alone (``/data/run/train.log``) is not a command either: it
    is a pasted path.
    """
    text = line.strip()
    if not text.startswith("/"):
        return None
    name, _, args = text[1:].partition(" ")
    if "/" in name:
        return None
    return Command(name.lower(), args.strip())


def suggest_command(name: str) -> str | None:
    close = difflib.get_close_matches(name, COMMANDS, n=1)
    return close[0] if close else None


def split_args(args: str) -> list[str]:
    """Shell-like words (quotes and backslash-escaped spaces as pasted by terminals); plain split if unbalanced."""
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


def _as_path(token: str, cwd: Path) -> Path | None:
    if token.startswith("file://"):
        token = token[len("file://"):]
    path = Path(os.path.expanduser(token))
    path = path if path.is_absolute() else cwd / path
    return path if path.exists() else None


def pasted_paths(line: str, cwd: Path | None = None) -> tuple[list[str], str]:
    """Existing paths pasted into a line, and the words left once they are taken out.

    A word counts as a path when it names something that exists and looks like a
    path (has a ``/``, starts with ``~`` or ``file://``); a line that is one
    existing file name also counts. Words alone are returned unchanged.
    """
    cwd = cwd or Path.cwd()
    words = split_args(line)
    found: list[str] = []
    rest: list[str] = []
    for w in words:
        looks = "/" in w or w.startswith("~")
        path = _as_path(w, cwd) if looks or len(words) == 1 else None
        if path is not None and (looks or path.is_file()):
            found.append(str(path))
        else:
            rest.append(w)
    return (found, " ".join(rest)) if found else ([], line.strip())


def match_choice(text: str, choices: Sequence[str]) -> str | None:
    """The choice a typed answer means: its number, its name, or its name with spaces for ``_``."""
    t = text.strip().lower().rstrip(".!")
    if t.isdigit() and 1 <= int(t) <= len(choices):
        return choices[int(t) - 1]
    for c in choices:
        if t in (c.lower(), c.lower().replace("_", " ")):
            return c
    return None

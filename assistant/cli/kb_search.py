"""`assistant kb search`: source, heading path, score and snippet of the passages that answer a query.

Parsed with argparse, outside typer (as `ask` is): typer coerces options through
pydantic, which would cost more than the search itself. `assistant/cli/__init__.py`
routes `kb search` here; the typer command of the same name only forwards, so the
options are defined once, below.
"""
from __future__ import annotations

import argparse
import json
import sys

from assistant.guard import guarded

__all__ = ["build_parser", "run"]


def build_parser(prog: str = "assistant kb search") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Search knowledge/ and your docs: source, heading path, "
                                "score and snippet per passage.")
    p.add_argument("query", nargs="+", help="What to look for.")
    p.add_argument("-k", type=int, default=5, choices=range(1, 51), metavar="[1-50]", help="How many passages.")
    p.add_argument("--json", dest="as_json", action="store_true", help="Print the passages as JSON.")
    return p


def _search(ns: argparse.Namespace) -> None:
    from assistant.cli._kbindex import open_index
    from assistant.redact import redact
    from assistant.retrieval.search import search

    passages = search(open_index(), " ".join(ns.query), k=ns.k)
    if ns.as_json:
        rows = [{"source": p.source, "section": p.heading_path, "anchor": p.anchor, "score": p.score,
                 "snippet": p.chunk.snippet()} for p in passages]
        sys.stdout.write(redact(json.dumps(rows, indent=1, ensure_ascii=False)) + "\n")
        return
    if not passages:
        sys.stdout.write("no passage matches\n")
    for n, p in enumerate(passages, 1):
        sys.stdout.write(redact(f"{n}. {p.heading_path}  [{p.source}]  score {p.score:.4f}\n   {p.chunk.snippet()}") + "\n")


def run(argv: list[str]) -> int:
    """Parse and search; the exit code (0 done, 2 bad usage or an unusable index)."""
    return guarded(lambda: _search(build_parser().parse_args(argv)))

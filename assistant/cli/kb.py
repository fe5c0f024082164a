"""`assistant kb add|list|remove|rebuild|search`: the documents retrieval draws on.

User documents are registered by path (never copied) and indexed with
knowledge/; any change is picked up by the content hash on the next use.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, List

import typer

from assistant.cli import app

__all__ = ["kb_app"]

kb_app = typer.Typer(no_args_is_help=True, help="The knowledge base: knowledge/ plus your own Markdown/Quarto docs.")
app.add_typer(kb_app, name="kb")

_BAR_AFTER_S = 0.5   # indexing shorter than this shows no bar


def _progress() -> Any:
    """A rich progress bar on stderr for embedding that takes more than a moment (terminals only)."""
    if not sys.stderr.isatty():
        return None
    state: dict[str, Any] = {"start": time.monotonic()}

    def progress(done: int, total: int) -> None:
        if "bar" not in state:
            if time.monotonic() - state["start"] < _BAR_AFTER_S and done < total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            bar = Progress("embedding sections", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                           console=Console(stderr=True), transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("embed", total=total)
        state["bar"].update(state["task"], completed=done, total=total)
        if done >= total:
            state["bar"].stop()

    return progress


def _index(force: bool = False) -> Any:
    """The default index, brought up to date (with a bar); notices go to stderr, one line each."""
    from assistant.retrieval import get_index

    index = get_index(_progress(), force=force)
    for notice in index.notices:
        typer.echo(f"notice: {notice}", err=True)
    return index


@kb_app.command("add")
def kb_add(paths: List[Path] = typer.Argument(..., help="Markdown/Quarto files or folders (searched recursively).")) -> None:
    """Register documents (by path, not copied) and index them."""
    from assistant.retrieval.manifest import add_paths, expand

    added = add_paths(paths)
    index = _index()
    for p in added:
        typer.echo(f"added {p} ({len(expand(p))} documents)")
    if not added:
        typer.echo("already registered; re-indexed what changed")
    typer.echo(f"index: {index.info.chunks if index.info else 0} passages")


@kb_app.command("list")
def kb_list() -> None:
    """Show the registered documents and the index's state (without opening the index)."""
    from assistant.paths import KNOWLEDGE_DIR
    from assistant.retrieval.index import KnowledgeIndex
    from assistant.retrieval.manifest import expand, registered

    typer.echo(f"{KNOWLEDGE_DIR}  (built in, {len(list(KNOWLEDGE_DIR.glob('*.md')))} documents)")
    for p in registered():
        state = f"{len(expand(p))} documents" if p.exists() else "missing"
        typer.echo(f"{p}  ({state})")
    index = KnowledgeIndex()
    info = index.read_pointer()
    if info is None:
        typer.echo(f"index: not built yet ({index.folder}); the first search builds it")
    else:
        kind = f"hybrid, dense part in Chroma at {index.store.where}" if info.collection else "lexical only"
        typer.echo(f"index: {info.chunks} passages, {kind}; {time.strftime('%Y-%m-%d %H:%M', time.localtime(info.built_at))}")


@kb_app.command("remove")
def kb_remove(path: Path = typer.Argument(..., help="A path as `kb list` shows it.")) -> None:
    """Forget a registered file or folder and re-index without it."""
    from assistant.retrieval.manifest import remove_path

    removed = remove_path(path)
    _index()
    typer.echo(f"removed {removed}")


@kb_app.command("rebuild")
def kb_rebuild() -> None:
    """Rebuild the index from scratch (it rebuilds by itself when a document changes)."""
    index = _index(force=True)
    typer.echo(f"rebuilt: {index.info.chunks if index.info else 0} passages in {index.store.where if index.info and index.info.collection else index.folder}")


@kb_app.command("search")
def kb_search(
    query: List[str] = typer.Argument(..., help="What to look for."),
    k: int = typer.Option(5, "-k", min=1, max=50, help="How many passages."),
    as_json: bool = typer.Option(False, "--json", help="Print the passages as JSON."),
) -> None:
    """Search knowledge/ and your docs: source, heading path, score and snippet per passage."""
    from assistant.redact import redact
    from assistant.retrieval.search import search

    passages = search(_index(), " ".join(query), k=k)
    if as_json:
        rows = [{"source": p.source, "section": p.heading_path, "anchor": p.anchor, "score": p.score,
                 "snippet": p.chunk.snippet()} for p in passages]
        typer.echo(redact(json.dumps(rows, indent=1, ensure_ascii=False)))
        return
    if not passages:
        typer.echo("no passage matches")
    for n, p in enumerate(passages, 1):
        typer.echo(redact(f"{n}. {p.heading_path}  [{p.source}]  score {p.score:.4f}\n   {p.chunk.snippet()}"))

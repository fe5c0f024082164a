"""`assistant kb add|list|remove|rebuild|search`: the documents retrieval draws on.

User documents are registered by path (never copied) and indexed with
knowledge/; any change is picked up by the content hash on the next use.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import List

import typer

from assistant.cli import app
from assistant.cli._kbindex import open_index as _index

__all__ = ["kb_app"]

kb_app = typer.Typer(no_args_is_help=True, help="The knowledge base: knowledge/ plus your own Markdown/Quarto docs.")
app.add_typer(kb_app, name="kb")


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
        typer.echo(f"index: not built yet ({index.folder}); the built-in guide needs none, "
                   "`kb add` builds it for your documents")
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


@kb_app.command("search", add_help_option=False,
                context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def kb_search(ctx: typer.Context) -> None:
    """Search knowledge/ and your docs: source, heading path, score and snippet per passage (kb search --help)."""
    from assistant.cli.kb_search import run

    raise typer.Exit(run(list(ctx.args)))

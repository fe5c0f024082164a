"""Markdown and Quarto documents -> chunks that keep their heading path and anchor.

Quarto is Markdown with YAML front matter (its `title` becomes the H1), heading
attributes (`## FP16 {#sec-fp16}`) and `:::` callout fences; those are turned
into plain Markdown and split along headings by `assistant.knowledge`, so the
anchors of knowledge/ sections are the ones the rules cite. A long section is
cut at paragraph boundaries into windows, each still carrying its heading path:
a chunk should be about one thing, and the embedding model reads 256 tokens.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.knowledge import Section, parse_markdown

__all__ = ["Chunk", "SUFFIXES", "INDEX_VERSION", "chunk_text", "chunk_file", "plain", "lexical_text", "dense_text"]

SUFFIXES = (".md", ".qmd", ".markdown")
INDEX_VERSION = "2"   # in the indexes' content hashes: bump it when chunking, tokenising or the indexed text changes
WINDOW_WORDS = 160         # a window's target size; paragraphs are never cut
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING_ATTRS = re.compile(r"^(#{1,6}\s+.*?)\s*\{[#.][^}]*\}\s*$")
_CALLOUT = re.compile(r"^\s*:::")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage. `id` is a content hash, so a rebuild can reuse its embedding."""

    id: str
    source: str          # knowledge/oom.md for the project's guide, else the file's path
    anchor: str          # <file-stem>/<heading-slug>
    heading_path: str    # "OOM Debugging › Step 2: Enable Gradient Checkpointing"
    text: str            # the window's Markdown (code kept: config names live there)
    origin: str          # "knowledge" or "user"

    def snippet(self, limit: int = 240) -> str:
        return Section(self.anchor, self.source, "", (), self.text).snippet(limit)


def _quarto_to_markdown(text: str) -> str:
    """Front matter title -> H1; heading attributes and callout fences dropped (outside code)."""
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        import yaml  # lazy: only Quarto front matter needs it

        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is not None:
            try:
                meta = yaml.safe_load("\n".join(lines[1:end])) or {}
            except yaml.YAMLError:
                meta = {}
            title = meta.get("title") if isinstance(meta, dict) else None
            lines = ([f"# {title}"] if title else []) + lines[end + 1:]
    out, in_fence = [], False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            if _CALLOUT.match(line):
                continue
            line = _HEADING_ATTRS.sub(r"\1", line)
        out.append(line)
    return "\n".join(out)


def plain(text: str) -> str:
    """Markdown -> the words a reader sees: link targets, table rules and markup dropped."""
    text = _LINK.sub(r"\1", text)
    kept = [ln for ln in text.splitlines() if not _TABLE_RULE.match(ln) and not _FENCE.match(ln)]
    text = "\n".join(kept)
    text = re.sub(r"[|*>`#]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _windows(body: str) -> list[str]:
    """Paragraph-aligned windows of about WINDOW_WORDS words (a code block is one paragraph)."""
    paragraphs, current, in_fence = [], [], False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if current:
                paragraphs.append("\n".join(current))
                current = []
        else:
            current.append(line)
    if current:
        paragraphs.append("\n".join(current))
    windows, words, acc = [], 0, []
    for p in paragraphs:
        n = len(p.split())
        if acc and words + n > WINDOW_WORDS:
            windows.append("\n\n".join(acc))
            acc, words = [], 0
        acc.append(p)
        words += n
    if acc:
        windows.append("\n\n".join(acc))
    return windows


def chunk_text(text: str, stem: str, source: str, origin: str) -> list[Chunk]:
    """Split one document; sections with no text of their own (only sub-headings) yield nothing."""
    out = []
    for section in parse_markdown(_quarto_to_markdown(text), stem, source):
        for window in _windows(section.text):
            if not plain(window):
                continue
            digest = hashlib.sha1(f"{source}\0{section.anchor}\0{window}".encode()).hexdigest()
            out.append(Chunk(digest, source, section.anchor, section.heading_path, window, origin))
    return out


def chunk_file(path: Path, source: str, origin: str) -> list[Chunk]:
    return chunk_text(path.read_text(encoding="utf-8", errors="replace"), path.stem, source, origin)


def lexical_text(c: Chunk) -> str:
    """What BM25 indexes of a chunk. The section's own heading twice: it names what the section
    is about, so its words weigh more. Not the parent headings: every section of a document shares
    them, so for BM25 they are noise that lets a generic word ("training") match a whole document."""
    title = c.heading_path.rsplit(" › ", 1)[-1]
    return f"{title}\n{title}\n{plain(c.text)}"


def dense_text(c: Chunk) -> str:
    """What the embedding model reads of a chunk: the full heading path, then the text."""
    return f"{c.heading_path}\n{plain(c.text)}"

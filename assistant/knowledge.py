"""The guide write-up in knowledge/: sections, their anchors and heading paths.

Rules cite sections by a stable anchor ``<file-stem>/<heading-slug>``; this
module resolves an anchor to the document, the heading path a person sees
("OOM Debugging › Step 2: Enable Gradient Checkpointing") and a snippet.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Section", "KNOWLEDGE_DIR", "slugify", "load_sections", "sections_by_anchor"]

from assistant.paths import KNOWLEDGE_DIR
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Section:
    anchor: str
    doc: str            # path relative to the project root, e.g. knowledge/oom.md
    title: str          # the heading text
    path: tuple[str, ...]  # heading path from the H1 down
    text: str           # the section body (without sub-sections)

    @property
    def heading_path(self) -> str:
        return " › ".join(self.path)

    def snippet(self, limit: int = 240) -> str:
        body = " ".join(line.strip() for line in self.text.splitlines() if line.strip() and not line.startswith("```"))
        return body if len(body) <= limit else body[: limit - 1].rsplit(" ", 1)[0] + "…"


def slugify(heading: str) -> str:
    """Heading text -> anchor slug: lowercase, runs of non [a-z0-9] become '-'."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def parse_markdown(text: str, stem: str, doc: str) -> list[Section]:
    """Split one Markdown file along its headings, skipping fenced code."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []
    in_fence = False

    def close() -> None:
        if stack:
            title = stack[-1][1]
            sections.append(Section(f"{stem}/{slugify(title)}", doc, title, tuple(t for _, t in stack), "\n".join(body).strip()))

    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        m = None if in_fence else _HEADING.match(line)
        if m:
            close()
            body = []
            level = len(m.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, m.group(2).strip()))
        else:
            body.append(line)
    close()
    return sections


@lru_cache(maxsize=4)
def load_sections(root: Path = KNOWLEDGE_DIR) -> tuple[Section, ...]:
    out: list[Section] = []
    for md in sorted(root.glob("*.md")):
        out.extend(parse_markdown(md.read_text(encoding="utf-8"), md.stem, f"knowledge/{md.name}"))
    return tuple(out)


def sections_by_anchor(root: Path = KNOWLEDGE_DIR) -> dict[str, Section]:
    return {s.anchor: s for s in load_sections(root)}

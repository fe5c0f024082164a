"""Markdown/Quarto splitting: heading paths, anchors, Quarto syntax, windows."""
from __future__ import annotations

from pathlib import Path

from assistant.knowledge import sections_by_anchor
from assistant.paths import KNOWLEDGE_DIR
from assistant.retrieval.chunks import WINDOW_WORDS, chunk_file, chunk_text, plain

QUARTO = """---
title: "Mixed Precision Training"
format: html
---

Intro words.

::: {.callout-tip}
Use **bf16** where the GPU supports it.
:::

## FP16 Mixed Precision {#sec-fp16}

### Configuration {#sec-fp16-config}

```yaml
# not a heading
fp16: true
```

| key | value |
|-----|-------|
| fp16 | true |
"""


def test_front_matter_title_becomes_the_h1_and_attributes_drop() -> None:
    chunks = chunk_text(QUARTO, "mixed_precision", "mixed_precision.qmd", "user")
    paths = [c.heading_path for c in chunks]
    assert paths == ["Mixed Precision Training", "Mixed Precision Training › FP16 Mixed Precision › Configuration"]
    assert chunks[1].anchor == "mixed_precision/configuration"
    assert "callout" not in chunks[0].text and "Use **bf16**" in chunks[0].text
    assert "fp16: true" in chunks[1].text          # code stays: config names live there
    assert "# not a heading" in chunks[1].text     # a comment inside a fence is not a heading


def test_plain_drops_markup_but_keeps_names() -> None:
    text = plain("See [the docs](https://x.y/z) and `use_reentrant: false`\n|a|b|\n|---|---|\n| fp16 | true |")
    assert "https" not in text and "use_reentrant: false" in text and "---" not in text


def test_long_sections_become_windows_with_the_same_heading_path() -> None:
    para = " ".join(["word"] * 60)
    text = "# Title\n\n## Long\n\n" + "\n\n".join([para] * 8)
    chunks = chunk_text(text, "doc", "doc.md", "user")
    assert len(chunks) > 1
    assert {c.heading_path for c in chunks} == {"Title › Long"}
    assert all(len(c.text.split()) <= WINDOW_WORDS for c in chunks)


def test_every_cited_knowledge_section_is_a_chunk_with_the_same_anchor() -> None:
    anchors = {c.anchor for p in KNOWLEDGE_DIR.glob("*.md") for c in chunk_file(p, f"knowledge/{p.name}", "knowledge")}
    with_text = {a for a, s in sections_by_anchor().items() if s.text.strip()}
    assert with_text <= anchors


def test_chunk_ids_are_content_hashes(tmp_path: Path) -> None:
    doc = tmp_path / "a.md"
    doc.write_text("# A\n\nsame text\n")
    first = chunk_file(doc, "a.md", "user")
    assert [c.id for c in first] == [c.id for c in chunk_file(doc, "a.md", "user")]
    doc.write_text("# A\n\nother text\n")
    assert first[0].id != chunk_file(doc, "a.md", "user")[0].id

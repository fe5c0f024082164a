"""Importing the retrieval and LLM packages (as the consultation and `ask` do) loads nothing heavy."""
from __future__ import annotations

import subprocess
import sys

HEAVY = ("chromadb", "numpy", "bm25s", "tokenizers", "openai", "langchain_openai", "sentence_transformers", "torch")


def test_package_imports_are_cheap() -> None:
    code = ("import sys\n"
            "import assistant.retrieval, assistant.retrieval.grounding, assistant.llm, assistant.cli.kb\n"
            "from assistant.llm import LLMSettings\n"
            "LLMSettings.load()\n"
            f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr[-2000:]

"""`ask` is one-shot: on the rules path it must not pay for heavy libraries."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["torch", "chromadb", "langchain_core", "langchain_openai", "openai", "sentence_transformers", "textual",
         "fastapi", "slack_bolt", "numpy", "onnxruntime", "bm25s", "uvicorn", "transformers", "mcp", "slack_sdk"]


def test_ask_on_a_small_case_imports_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from assistant.cli import _run\n"
        f"_run(['ask', '--no-probe', '--json', '-a', {str(ROOT / 'examples/lora-nan/train.log')!r}, 'loss nan'])\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in proc.stderr, proc.stderr[-2000:]

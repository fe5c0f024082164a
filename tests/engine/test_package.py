"""The engine is domain-free: it imports nothing else from the project and
names nothing from the domain it is used for."""
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import assistant.engine as engine

ENGINE_DIR = Path(engine.__file__).parent
SOURCES = sorted(ENGINE_DIR.glob("*.py"))
DOMAIN_WORDS = re.compile(
    r"\b(loss|grad|gpu|nan|training|lora|learning_rate|cuda|epoch|batch|optimi[sz]er|deepspeed|axolotl)", re.I
)


def test_sources_found():
    assert {"engine.py", "facts.py", "loader.py"} <= {p.name for p in SOURCES}


def test_imports_only_itself_and_errors_from_the_project():
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                if name == "assistant" or name.startswith("assistant."):
                    assert name == "assistant.errors" or name.startswith("assistant.engine"), f"{path.name}: {name}"


def test_importing_loads_no_other_project_module():
    code = "import json, sys, assistant.engine; print(json.dumps([m for m in sys.modules if m.startswith('assistant')]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    assert all(m in ("assistant", "assistant.errors") or m.startswith("assistant.engine") for m in loaded), loaded


def test_no_domain_words():
    hits = [
        f"{path.name}:{n}: {line.strip()}"
        for path in SOURCES
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if DOMAIN_WORDS.search(line)
    ]
    assert hits == []


def test_public_api():
    assert set(engine.__all__) >= {"Fact", "Engine", "RuleBase", "Rule", "load_rulebase", "run_examples"}
    for name in engine.__all__:
        assert getattr(engine, name) is not None

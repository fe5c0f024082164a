"""The same case gives the same report in every process: a user comparing two runs of `ask`
(or a test) must not see the HOW trace or the evidence reorder because Python's hash seed changed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted(p for p in (ROOT / "tests/cases/dev").iterdir() if p.is_dir())

_SCRIPT = """
import sys
from pathlib import Path
from assistant.consult import consult
from assistant.render.json import render_json
for case in map(Path, sys.argv[1:]):
    files = [case / n for n in ("log.txt", "config.yaml") if (case / n).exists()]
    print(render_json(consult((case / "question.txt").read_text(), files)))
"""


def _reports(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-c", _SCRIPT, *map(str, CASES)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_reports_do_not_depend_on_the_hash_seed() -> None:
    first, second = _reports("1"), _reports("7")
    assert first.count('"diagnoses"') == len(CASES)
    assert first == second

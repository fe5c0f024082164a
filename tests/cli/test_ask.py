"""`ask` as a user runs it: JSON valid against the spec, one-line errors, exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from assistant.cli import _run

ROOT = Path(__file__).resolve().parents[2]


def run_ask(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = _run(["ask", "--no-probe", *[str(a) for a in args]])
    out, err = capsys.readouterr()
    return code, out, err


def case_args(case: Path) -> list[str]:
    args = []
    for name in ("log.txt", "config.yaml"):
        if (case / name).exists():
            args += ["-a", str(case / name)]
    return args + [(case / "question.txt").read_text().strip()]


def cases(shared_root: Path) -> list[Path]:
    return sorted(p for p in (shared_root / "cases").iterdir() if p.is_dir())


SHARED = ROOT.parent / "shared"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is not beside this checkout")
@pytest.mark.parametrize("case", cases(SHARED) if SHARED.exists() else [], ids=lambda p: p.name)
def test_json_report_is_valid_for_every_case(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = json.loads((SHARED / "spec" / "report.schema.json").read_text())
    code, out, err = run_ask(capsys, "--json", *case_args(case))
    assert code == 0, err
    report = json.loads(out)
    jsonschema.validate(report, schema)
    certs = [d["certainty"] for d in report["diagnoses"]]
    assert certs == sorted(certs, reverse=True)
    assert {i["path"] for i in report["inputs"]} == {a for a in case_args(case) if a.startswith(str(case))}


def test_text_report_names_evidence_with_lines_and_fixes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_ask(capsys, "-a", ROOT / "examples/lora-nan/train.log", "-a", ROOT / "examples/lora-nan/config.yaml",
                           "my loss goes to nan around step 210")
    assert code == 0
    first = out.split("\n1. ", 1)[1].splitlines()[0]
    assert first.startswith("gradient_explosion")
    assert "train.log:" in out and "config.yaml:" in out  # evidence carries file:line
    assert "max_grad_norm: 1.0" in out  # the config patch, as YAML
    assert "Worth answering:" in out and "--answer " in out


def test_answer_option_must_be_fact_equals_value(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_ask(capsys, "--answer", "nonsense", "loss is nan")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "FACT=VALUE" in err


def test_console_script_runs_the_readme_example() -> None:
    exe = Path(sys.executable).with_name("ask")
    proc = subprocess.run([str(exe), "--no-probe", "--json", "-a", "examples/lora-nan/train.log", "-a",
                           "examples/lora-nan/config.yaml", "my loss goes to nan around step 210"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["diagnoses"][0]["id"] == "gradient_explosion"

"""`assistant kb add|list|search|remove|rebuild` end to end (lexical-only, isolated user dirs)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import _run

DOC = "# Team Runbook\n\n## Slurm requeue\n\nRequeue a preempted job with scontrol requeue JOBID.\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = _run(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_add_search_list_remove(user_dirs: Path, lexical_only, capsys: pytest.CaptureFixture[str]) -> None:
    folder = user_dirs / "runbooks"
    folder.mkdir()
    (folder / "slurm.md").write_text(DOC)
    code, out, err = run(capsys, "kb", "add", str(folder))
    assert code == 0 and f"added {folder} (1 documents)" in out
    assert "lexical only" in err                        # the one-line notice, on stderr

    code, out, _ = run(capsys, "kb", "search", "requeue", "a", "preempted", "job", "-k", "2")
    assert code == 0 and out.startswith("1. Team Runbook › Slurm requeue  [" + str(folder / "slurm.md") + "]")
    assert "score" in out and "scontrol requeue" in out

    code, out, _ = run(capsys, "kb", "search", "--json", "frac_reward_zero_std", "-k", "1")
    rows = json.loads(out)
    assert rows[0]["source"] == "knowledge/monitoring.md" and "›" in rows[0]["section"]
    assert set(rows[0]) == {"source", "section", "anchor", "score", "snippet"}

    code, out, _ = run(capsys, "kb", "list")
    assert f"{folder}  (1 documents)" in out and "passages, lexical only" in out

    (folder / "slurm.md").write_text(DOC.replace("Slurm requeue", "Preemption"))
    code, out, _ = run(capsys, "kb", "search", "requeue", "-k", "1")
    assert "Team Runbook › Preemption" in out          # an edited document is re-indexed on next use

    code, out, _ = run(capsys, "kb", "remove", str(folder))
    assert code == 0
    code, out, _ = run(capsys, "kb", "search", "scontrol", "requeue", "-k", "3")
    assert "Team Runbook" not in out


def test_bad_paths_are_one_line_errors(user_dirs: Path, lexical_only, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "kb", "add", str(user_dirs / "nope"))
    assert code == 2 and err.strip().endswith("no such file or folder")
    (user_dirs / "notes.txt").write_text("x")
    code, _, err = run(capsys, "kb", "add", str(user_dirs / "notes.txt"))
    assert code == 2 and "not a Markdown or Quarto file" in err
    code, _, err = run(capsys, "kb", "remove", str(user_dirs))
    assert code == 2 and "kb list" in err


def test_rebuild(user_dirs: Path, lexical_only, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kb", "list")
    assert "index: not built yet" in out
    code, out, _ = run(capsys, "kb", "rebuild")
    assert code == 0 and out.startswith("rebuilt: ") and "passages" in out

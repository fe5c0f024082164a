"""Reading a typed line: commands, answers, pasted paths; and completing it."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.tui.commands import Command, match_choice, parse_command, pasted_paths, split_args, suggest_command
from assistant.tui.completion import complete


@pytest.mark.parametrize("line, expected", [
    ("/attach a.log b.yaml", Command("attach", "a.log b.yaml")),
    ("/HOW lr_too_high", Command("how", "lr_too_high")),
    ("  /help ", Command("help", "")),
    ("my loss is nan", None),
    ("/data/run/train.log", None),  # a pasted absolute path, not a command
])
def test_parse_command(line: str, expected: Command | None) -> None:
    assert parse_command(line) == expected


def test_unknown_command_gets_a_suggestion() -> None:
    assert suggest_command("atach") == "attach"
    assert suggest_command("zzz") is None


def test_split_args_handles_terminal_quoting_and_unbalanced_quotes() -> None:
    assert split_args("'/tmp/my run/train.log' b\\ c.yaml") == ["/tmp/my run/train.log", "b c.yaml"]
    assert split_args("it's nan") == ["it's", "nan"]


@pytest.mark.parametrize("text, choices, expected", [
    ("2", ["gone", "still_there", "not_tried"], "still_there"),
    ("Still there", ["gone", "still_there", "not_tried"], "still_there"),
    ("yes.", ["yes", "no"], "yes"),
    ("4", ["yes", "no"], None),
    ("my loss is nan", ["yes", "no"], None),
])
def test_match_choice(text: str, choices: list[str], expected: str | None) -> None:
    assert match_choice(text, choices) == expected


def test_pasted_paths_are_taken_out_of_the_words(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("x")
    spaced = tmp_path / "my run"
    spaced.mkdir()
    assert pasted_paths(f"loss is nan {log}") == ([str(log)], "loss is nan")
    assert pasted_paths(f"file://{log} '{spaced}'") == ([str(log), str(spaced)], "")
    assert pasted_paths("train.log", cwd=tmp_path) == ([str(log)], "")
    assert pasted_paths("the loss/grad ratio is odd") == ([], "the loss/grad ratio is odd")


def test_complete_commands_and_paths(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_text("x")
    (tmp_path / "trainer_state.json").write_text("{}")
    (tmp_path / "runs").mkdir()
    assert complete("/att") == "/attach "
    assert complete("/attach ", cwd=tmp_path) == "/attach runs/"
    assert complete("/attach tr", cwd=tmp_path) == "/attach train"  # the common prefix first
    assert complete("/attach train.", cwd=tmp_path) == "/attach train.log"
    assert complete(f"/attach a.log {tmp_path}/ru") == f"/attach a.log {tmp_path}/runs/"
    assert complete("/attach nothing-here", cwd=tmp_path) is None
    assert complete("my loss") is None

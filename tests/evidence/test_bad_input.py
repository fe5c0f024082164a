"""What the dispatcher refuses, and how it says so; files are never changed or executed."""
from __future__ import annotations

import codecs
import json
import os
import random
import time
from pathlib import Path
from typing import Callable

import pytest

import assistant.evidence._input as input_mod
from assistant.errors import InputError
from assistant.evidence import read_attachment
from tests.evidence.conftest import CASES, TRAINER_STATES


def make_missing(tmp: Path) -> Path:
    return tmp / "nope.log"


def make_empty_dir(tmp: Path) -> Path:
    d = tmp / "outdir"
    d.mkdir()
    (d / "README.md").write_text("# nothing here\n")
    return d


def make_empty(tmp: Path) -> Path:
    (tmp / "empty.log").write_bytes(b"")
    return tmp / "empty.log"


def make_blank(tmp: Path) -> Path:
    (tmp / "blank.log").write_bytes(b"  \n\n \t\n")
    return tmp / "blank.log"


def make_png(tmp: Path) -> Path:
    (tmp / "loss.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(200))
    return tmp / "loss.png"


def make_random(tmp: Path) -> Path:
    (tmp / "blob.log").write_bytes(random.Random(0).randbytes(4096))
    return tmp / "blob.log"


def make_nul(tmp: Path) -> Path:
    (tmp / "nul.log").write_bytes(b"{'loss': 1.0}\n\x00\x00\x00\n")
    return tmp / "nul.log"


def make_utf16(tmp: Path) -> Path:
    (tmp / "ps.log").write_bytes(codecs.BOM_UTF16_LE + "{'loss': 1.0}\r\n".encode("utf-16-le"))
    return tmp / "ps.log"


def make_mostly_high_bytes(tmp: Path) -> Path:
    (tmp / "mojibake.log").write_bytes(bytes(random.Random(1).randrange(0x80, 0x100) for _ in range(4000)))
    return tmp / "mojibake.log"


def make_bad_json_config(tmp: Path) -> Path:
    (tmp / "ds.json").write_text('{"zero_optimization": {"stage": 3,')
    return tmp / "ds.json"


def make_alias_bomb(tmp: Path) -> Path:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefgh"[i]
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    (tmp / "bomb.yml").write_text("base_model: x\n" + "\n".join(levels) + "\n")
    return tmp / "bomb.yml"


def make_recursive_alias(tmp: Path) -> Path:
    (tmp / "loop.yml").write_text("base_model: x\nlearning_rate: &a [*a]\n")
    return tmp / "loop.yml"


def make_python_tag(tmp: Path) -> Path:
    marker = tmp / "PWNED"
    (tmp / "evil.yml").write_text(f"base_model: x\nlearning_rate: !!python/object/apply:os.system ['touch {marker}']\n")
    return tmp / "evil.yml"


def make_custom_tag(tmp: Path) -> Path:
    (tmp / "tag.yml").write_text("base_model: x\nlearning_rate: !custom 1\n")
    return tmp / "tag.yml"


def make_bad_yaml(tmp: Path) -> Path:
    (tmp / "bad.yml").write_text("base_model: x\nlearning_rate: [1, 2\n")
    return tmp / "bad.yml"


def make_big_yaml(tmp: Path) -> Path:
    path = tmp / "huge.yml"
    with open(path, "w") as f:
        f.write("base_model: x\nlearning_rate: 2e-5\n")
        line = "# " + "x" * 1020 + "\n"
        for _ in range(17 * 1024):
            f.write(line)
    return path


CASES_BAD: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (make_missing, "no such file or directory"),
    "empty_dir": (make_empty_dir, "directory holds nothing readable"),
    "empty": (make_empty, "empty file"),
    "blank": (make_blank, "empty file (only whitespace)"),
    "png": (make_png, "binary file"),
    "random": (make_random, "binary file"),
    "nul": (make_nul, "binary file (NUL bytes)"),
    "utf16": (make_utf16, "UTF-16 text"),
    "high_bytes": (make_mostly_high_bytes, "undecodable text"),
    "bad_json": (make_bad_json_config, "not valid JSON"),
    "alias_bomb": (make_alias_bomb, "alias bomb"),
    "recursive_alias": (make_recursive_alias, "recursive YAML alias"),
    "python_tag": (make_python_tag, "unsafe YAML tag !!python/object/apply:os.system"),
    "custom_tag": (make_custom_tag, "unsafe YAML tag !custom"),
    "bad_yaml": (make_bad_yaml, "not valid YAML"),
    "big_yaml": (make_big_yaml, "too large for a config file (17.0 MB, limit 16.0 MB)"),
}


@pytest.mark.parametrize("case", sorted(CASES_BAD))
def test_refused_with_a_short_problem(tmp_path: Path, case: str) -> None:
    make, problem = CASES_BAD[case]
    path = make(tmp_path)
    started = time.monotonic()
    with pytest.raises(InputError) as err:
        read_attachment(path)
    assert time.monotonic() - started < 5
    assert err.value.path == str(path)
    assert str(err.value).startswith(f"{path}: ")
    assert problem in err.value.problem
    assert len(err.value.problem) < 120


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    path = make_python_tag(tmp_path)
    with pytest.raises(InputError):
        read_attachment(path)
    assert not (tmp_path / "PWNED").exists()


def test_big_yaml_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: object, **k: object) -> str:
        raise AssertionError("the whole file was read")
    monkeypatch.setattr(input_mod, "read_text", boom)   # every config reader reads through it
    with pytest.raises(InputError, match="too large"):
        read_attachment(make_big_yaml(tmp_path))


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.log"
    path.write_text("{'loss': 1.0}\n")

    def denied(*a: object, **k: object) -> None:
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(input_mod, "open", denied, raising=False)  # root could read a chmod-000 file
    with pytest.raises(InputError) as err:
        read_attachment(path)
    assert err.value.problem == "permission denied"


def test_truncated_trainer_state_is_partial_not_refused(tmp_path: Path) -> None:
    text = json.dumps({"global_step": 3, "log_history": [{"loss": 1.0, "step": 1}, {"loss": 0.9, "step": 2},
                                                          {"loss": 0.8, "step": 3}]}, indent=2)
    path = tmp_path / "trainer_state.json"
    path.write_text(text[: text.index('"step": 3')])
    r, = read_attachment(path)
    assert len(r.series["loss"]) == 2 and "truncated JSON" in r.warnings[0]


def _inputs() -> list[Path]:
    paths = sorted(CASES.glob("*/log.txt"))[:5] + sorted(CASES.glob("*/config.yaml"))[:3]
    return paths + sorted(TRAINER_STATES.glob("*.json"))[:2]


@pytest.mark.skipif(not CASES.is_dir(), reason="../shared is not available")
def test_files_are_never_modified() -> None:
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in _inputs()}
    for p in before:
        read_attachment(p)
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in before} == before


def test_written_files_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "train.log"
    path.write_text("{'loss': 1.0}\nValueError: x\n")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    read_attachment(path)
    assert path.stat().st_mtime_ns == 1_000_000_000 and path.read_text() == "{'loss': 1.0}\nValueError: x\n"


def _snippets() -> list[str]:
    """Real text of every format the non-axolotl readers take (dumps, commands, other tools' logs, pastes)."""
    from tests.evidence import test_command_line as cmd, test_hf_args as dumps, test_probe_paste as paste
    from tests.evidence import test_text_metrics as metrics, test_tool_config as tools

    return [dumps.PRINTED, dumps.DATACLASS_REPR, dumps.SCRIPT, cmd.ALPACA, cmd.VERL, cmd.SWIFT, cmd.OPENRLHF,
            tools.LLAMAFACTORY_QLORA, tools.VERL_YAML, tools.TRL_CLI, metrics.VERL, metrics.UNSLOTH_TABLE,
            metrics.LLAMAFACTORY_BANNER, metrics.UNSLOTH_BANNER_2025, paste.SMI_450, paste.SMI_535, paste.TRL_ENV,
            paste.COLLECT_ENV, paste.CONDA, paste.PIP_FREEZE]


def test_cut_and_garbled_pastes_read_in_part_or_refuse_with_a_reason(tmp_path: Path) -> None:
    """Every real snippet cut at many points, and with bytes swapped for quotes, brackets and
    backslashes, is read (possibly with warnings) or refused with an InputError: never a traceback."""
    rng = random.Random(7)
    path = tmp_path / "paste.txt"
    for text in _snippets():
        variants = [text[:n] for n in sorted(rng.sample(range(1, len(text)), min(12, len(text) - 1)))]
        for _ in range(6):
            chars = list(text)
            for i in rng.sample(range(len(chars)), min(8, len(chars))):
                chars[i] = rng.choice("'\"()[]{}\\=:|-\n")
            variants.append("".join(chars))
        for variant in variants:
            if not variant.strip():
                continue
            path.write_text(variant)
            try:
                readings = read_attachment(path)
            except InputError:
                continue
            assert readings and all(isinstance(w, str) for r in readings for w in r.warnings)


def test_huge_command_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "run.sh"
    with open(path, "w") as f:
        f.write("python train.py --learning_rate 1e-5 \\\n")
        for _ in range(17 * 1024):
            f.write("    --flag " + "x" * 1000 + " \\\n")
    with pytest.raises(InputError, match="too large"):
        read_attachment(path)

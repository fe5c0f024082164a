"""Bad input is normal input: one line naming the file and the problem, exit 2, no traceback,
and the user's file left exactly as it was."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.cli import _run


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    (tmp / "empty.log").write_bytes(b"")
    (tmp / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    (tmp / "random.bin").write_bytes(os.urandom(4096))
    (tmp / "nuls.log").write_bytes(b"loss\x00\x00\x00" * 500)
    (tmp / "dir_with_nothing").mkdir()
    (tmp / "dir_with_nothing" / "notes.bin").write_bytes(b"\x00\x01\x02" * 100)
    bomb = ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
    for i, (prev, cur) in enumerate(zip("abcdefgh", "bcdefghi")):
        bomb.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    (tmp / "bomb.yaml").write_text("base_model: m\n" + "\n".join(bomb) + "\n")
    big = tmp / "huge.yaml"
    with big.open("wb") as fh:  # sparse: 20 MB of config without writing 20 MB
        fh.write(b"base_model: m\nlearning_rate: 0.0002\n")
        fh.seek(20 * 1024 * 1024)
        fh.write(b"\nmicro_batch_size: 1\n")
    return {
        "missing": tmp / "does-not-exist.log",
        "empty": tmp / "empty.log",
        "png": tmp / "image.png",
        "random": tmp / "random.bin",
        "nul bytes": tmp / "nuls.log",
        "directory with nothing readable": tmp / "dir_with_nothing",
        "yaml alias bomb": tmp / "bomb.yaml",
        "config of many megabytes": big,
    }


KINDS = ["missing", "empty", "png", "random", "nul bytes", "directory with nothing readable", "yaml alias bomb",
         "config of many megabytes"]


@pytest.mark.parametrize("kind", KINDS)
def test_unreadable_attachment_is_one_line_exit_2(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _bad_inputs(tmp_path)[kind]
    before = path.read_bytes() if path.is_file() else None
    code = _run(["ask", "--no-probe", "-a", str(path), "loss is nan"])
    out, err = capsys.readouterr()
    assert code == 2, (kind, out, err)
    assert out == ""
    assert err.count("\n") == 1 and str(path.name) in err, err
    assert "Traceback" not in err
    if before is not None:
        assert path.read_bytes() == before


def test_yaml_python_tag_is_never_executed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "pwned"
    cfg = tmp_path / "evil.yaml"
    cfg.write_text(f"base_model: m\nx: !!python/object/apply:os.system ['touch {marker}']\n")
    code = _run(["ask", "--no-probe", "-a", str(cfg), "oom"])
    capsys.readouterr()
    assert code in (0, 2)
    assert not marker.exists()


def test_non_utf8_text_is_read_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "latin1.log"
    log.write_bytes("{'loss': 1.25, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'epoch': 0.1}  caf\xe9\n".encode("latin-1") * 3)
    code = _run(["ask", "--no-probe", "--json", "-a", str(log), ""])
    out, _ = capsys.readouterr()
    assert code == 0
    import json
    report = json.loads(out)
    assert report["inputs"][0]["kind"] == "stdout_log"


def test_ansi_crlf_tqdm_log_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "train.log"
    lines = []
    for s in range(1, 40):
        v = "nan" if s >= 30 else f"{1.0 + 0.01 * s:.4f}"
        lines.append(f"\r\x1b[33m {s}/100 [00:01<00:10,  1.00it/s]\x1b[0m\r[rank0]: {{'loss': {v}, 'grad_norm': {'inf' if s >= 29 else 0.5}, 'learning_rate': 2e-05, 'epoch': {s / 100}}}\r\n")
    log.write_text("".join(lines))
    code = _run(["ask", "--no-probe", "--json", "-a", str(log), ""])
    out, err = capsys.readouterr()
    assert code == 0, err
    import json
    ids = [d["id"] for d in json.loads(out)["diagnoses"]]
    assert "gradient_explosion" in ids

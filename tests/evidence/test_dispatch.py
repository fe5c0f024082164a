"""The registry and the dispatcher: sniffing by content, directories, unknown files."""
from __future__ import annotations

import json
import pkgutil
from pathlib import Path

import assistant.evidence as evidence
from assistant.evidence import READERS, KINDS, read_attachment, reader_for
from tests.evidence.conftest import fact, names

STATE = {"global_step": 20, "max_steps": 100, "log_history": [{"loss": 1.0, "step": 10}, {"loss": 0.9, "step": 20}]}


def test_registry() -> None:
    assert [r.name for r in READERS] == [
        "tensorboard", "probe_report", "trainer_state", "deepspeed_config", "metrics_table", "nvidia_smi",
        "package_list", "tool_config", "axolotl_config", "hf_args", "command_line", "assignments", "traceback",
        "stdout_log", "wandb_run"]
    assert all(r.kind in KINDS for r in READERS)
    modules = {m.name for m in pkgutil.iter_modules(evidence.__path__) if not m.name.startswith("_")} - {"series"}
    assert modules == {r.__module__.rsplit(".", 1)[1] for r in READERS}  # every reader module registers


def test_recognised_by_content_not_name(tmp_path: Path) -> None:
    cfg = tmp_path / "notes.log"
    cfg.write_text("base_model: x\nlearning_rate: 1e-4\n")
    log = tmp_path / "config.yaml"
    log.write_text("{'loss': 1.0, 'grad_norm': 0.3}\n")
    assert read_attachment(cfg)[0].kind == "axolotl_config"
    assert read_attachment(log)[0].kind == "stdout_log"
    assert reader_for(b"{'loss': 1.0}\n", tmp_path / "x").name == "stdout_log"


def test_unknown_json_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"architectures": ["LlamaForCausalLM"], "hidden_size": 4096}, indent=2))
    r, = read_attachment(path)
    assert r.kind == "unknown" and not r.facts
    assert r.warnings == ["config.json: not a recognised log, config or metrics file; nothing read"]


def test_latin1_text_reads_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "train.log"
    path.write_bytes("Entraînement terminé\n{'loss': 1.5}\n".encode("latin-1"))
    r, = read_attachment(path)
    assert r.series["loss"].first.value == 1.5
    assert r.warnings[0] == "train.log: not valid UTF-8; undecodable bytes were replaced"


def test_checkpoint_directory(tmp_path: Path) -> None:
    (tmp_path / "trainer_state.json").write_text(json.dumps(STATE))
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8}))  # model config: skipped
    (tmp_path / "tokenizer.json").write_text(json.dumps({"version": "1.0", "model": {}}))
    (tmp_path / "training_args.bin").write_bytes(b"\x80\x04pickle")  # never opened by a reader
    readings = read_attachment(tmp_path)
    assert [r.kind for r in readings] == ["trainer_state"]


def test_output_dir_takes_newest_checkpoint(tmp_path: Path) -> None:
    for step in (100, 200, 50):
        ckpt = tmp_path / f"checkpoint-{step}"
        ckpt.mkdir()
        (ckpt / "trainer_state.json").write_text(json.dumps({**STATE, "global_step": step}))
    (tmp_path / "train.log").write_text("{'loss': 2.0}\nKilled\n")
    readings = read_attachment(tmp_path)
    assert [r.kind for r in readings] == ["trainer_state", "stdout_log"]
    assert fact(readings[0], "run.last_step") == 200 and "checkpoint-200" in readings[0].path
    assert "error.killed" in names(readings[1])


def test_unreadable_member_becomes_a_warning(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_text("{'loss': 2.0}\n")
    (tmp_path / "empty.txt").write_text("")
    readings = read_attachment(tmp_path)
    assert len(readings) == 1 and any("empty.txt: empty file" in w for w in readings[0].warnings)


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text("{'loss': 1.0}\n" * 50)
    seen: list[tuple[int, int]] = []
    read_attachment(path, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (path.stat().st_size, path.stat().st_size)


NASTY_HEADS = [b"", b"\x00" * 100, b"\xff\xfe" + "x".encode("utf-16-le"), bytes(range(256)), b"{", b"[1, 2",
               b"\r\r\r", b"a,b\r\nc\rd", b"{'loss': }", b"---\n- a\n", b"\x1b[33m\x1b[0m", "é".encode() * 10,
               b"\xef\xbb\xbfstep,loss\n1,2\n", b"| 5/10 [", b'{"probe_version": ', b"key: [unclosed"]


def test_sniff_never_raises(tmp_path: Path) -> None:
    for cls in READERS:
        for head in NASTY_HEADS:
            assert cls().sniff(head, tmp_path / "does-not-exist") in (True, False), (cls.name, head)

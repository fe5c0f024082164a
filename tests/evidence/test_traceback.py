"""Pasted tracebacks and bare exception lines."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evidence import read_attachment
from assistant.evidence.traceback_paste import TracebackReader
from tests.evidence.conftest import fact, names

TRACEBACK = '''Traceback (most recent call last):
  File "/opt/conda/lib/python3.10/site-packages/transformers/trainer.py", line 1859, in train
    return inner_training_loop(
  File "/opt/conda/lib/python3.10/site-packages/accelerate/accelerator.py", line 2013, in backward
    loss.backward(**kwargs)
torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 512.00 MiB. GPU 0 has a total capacity of 79.15 GiB of which 11.88 MiB is free.
'''


def read(tmp_path: Path, text: str):
    path = tmp_path / "paste.txt"
    path.write_text(text)
    reading, = read_attachment(path)
    return reading


def test_traceback_block(tmp_path: Path) -> None:
    r = read(tmp_path, TRACEBACK)
    assert r.kind == "traceback"
    exc = fact(r, "log.exception")
    assert exc["type"] == "torch.OutOfMemoryError" and exc["message"].startswith("CUDA out of memory.")
    oom = fact(r, "error.cuda_oom")
    assert oom["tried_gib"] == 0.5 and oom["total_gib"] == 79.15
    assert {f.source for f in r.facts} == {"paste.txt:6"}


@pytest.mark.parametrize("line, signature", [
    ("ValueError: Asking to pad but the tokenizer does not have a padding token.", "error.missing_pad_token"),
    ("AttributeError: 'DummyOptim' object has no attribute 'step'", "error.dummy_optim"),
    ("[rank0]: RuntimeError: 'weight' must be 2-D", "error.weight_must_be_2d"),
])
def test_one_exception_line(tmp_path: Path, line: str, signature: str) -> None:
    r = read(tmp_path, line + "\n")
    assert r.kind == "traceback" and signature in names(r) and "log.exception" in names(r)


def test_chained_exceptions_each_reported(tmp_path: Path) -> None:
    r = read(tmp_path, "Traceback (most recent call last):\n  File \"a\", line 1\nKeyError: 'labels'\n\n"
                       "During handling of the above exception, another exception occurred:\n\n"
                       "Traceback (most recent call last):\n  File \"b\", line 2\nValueError: bad batch\n")
    assert {f.value["type"] for f in r.facts if f.name == "log.exception"} == {"KeyError", "ValueError"}


def test_a_training_log_is_not_a_paste(tmp_path: Path) -> None:
    head = b"{'loss': 1.0, 'grad_norm': 0.5}\nValueError: x\n"
    assert not TracebackReader().sniff(head, tmp_path / "x")
    path = tmp_path / "x.log"
    path.write_bytes(head)
    reading, = read_attachment(path)
    assert reading.kind == "stdout_log" and "log.exception" in names(reading)


def test_indented_and_prose_lines_are_not_exceptions(tmp_path: Path) -> None:
    r = read(tmp_path, "Traceback (most recent call last):\n    raise ValueError('x')\nError: not a type\n")
    assert "log.exception" not in names(r)

"""TensorBoard event files, written here by hand-encoding TFRecord framing and Event protobufs."""
from __future__ import annotations

import struct
from pathlib import Path

from assistant.evidence import read_attachment
from assistant.evidence.tensorboard_events import masked_crc32c
from tests.evidence.conftest import fact, points


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, wire: int, payload: bytes) -> bytes:
    key = varint(number << 3 | wire)
    return key + (varint(len(payload)) + payload if wire == 2 else payload)


def scalar(tag: str, value: float, as_tensor: bool = False) -> bytes:
    if as_tensor:  # TensorProto{dtype: DT_FLOAT, float_val: [value]}
        tensor = field(1, 0, varint(1)) + field(5, 5, struct.pack("<f", value))
        body = field(1, 2, tag.encode()) + field(8, 2, tensor)
    else:
        body = field(1, 2, tag.encode()) + field(2, 5, struct.pack("<f", value))
    return field(1, 2, body)  # Summary.value


def event(step: int, *values: bytes, wall_time: float = 1.7e9) -> bytes:
    data = field(1, 1, struct.pack("<d", wall_time)) + field(2, 0, varint(step))
    if values:
        data += field(5, 2, b"".join(values))
    return data


def record(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


def events_file(tmp_path: Path, records: list[bytes], name: str = "events.out.tfevents.1772359331.host.123.0") -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join(record(r) for r in records))
    return path


RECORDS = [
    field(3, 2, b"brain.Event:2"),  # file_version event
    event(10, scalar("train/loss", 2.0), scalar("train/grad_norm", 1.0), scalar("train/learning_rate", 2e-5)),
    event(20, scalar("train/loss", 1.5), scalar("train/grad_norm", float("nan"))),
    event(20, scalar("eval/loss", 1.75, as_tensor=True)),
    event(30, scalar("train/loss", 1.25)),
    event(30, scalar("train/train_runtime", 80.0), scalar("train/train_loss", 1.6)),
]


def test_crc32c_check_value() -> None:
    crc = masked_crc32c(b"123456789")  # CRC32C("123456789") = 0xE3069283, then masked
    assert crc == ((((0xE3069283 >> 15) | (0xE3069283 << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


def test_scalars_steps_and_facts(tmp_path: Path) -> None:
    r, = read_attachment(events_file(tmp_path, RECORDS))
    assert r.kind == "tensorboard"
    assert points(r, "loss") == [(10, 2.0), (20, 1.5), (30, 1.25)]
    assert points(r, "eval_loss") == [(20, 1.75)]
    assert r.series["grad_norm"].nonfinite_count == 1
    assert r.series["learning_rate"].first.value == struct.unpack("<f", struct.pack("<f", 2e-5))[0]
    assert "train_runtime" not in r.series and "train_loss" not in r.series
    assert fact(r, "run.steps_logged") == 3 and fact(r, "run.last_step") == 30
    assert fact(r, "run.completed") is True and fact(r, "run.has_eval") is True


def test_truncated_file_keeps_what_was_read(tmp_path: Path) -> None:
    path = events_file(tmp_path, RECORDS)
    data = path.read_bytes()
    path.write_bytes(data[:-30])
    r, = read_attachment(path)
    assert [s for s, _ in points(r, "loss")] == [10, 20, 30]
    assert any("truncated" in w for w in r.warnings)


def test_event_folder(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "Mar01_10-02-11_host"
    run.mkdir(parents=True)
    events_file(run, RECORDS)
    (tmp_path / "README.md").write_text("# notes\n")
    readings = read_attachment(tmp_path)
    assert [r.kind for r in readings] == ["tensorboard"]

"""TensorBoard event files (``events.out.tfevents.*``), read with the standard library.

The file is a TFRecord stream: ``uint64 length, uint32 masked CRC32C(length),
data, uint32 masked CRC32C(data)``; each record is an ``Event`` protobuf. Only the
wire format needed for scalars is walked here (Event.step = field 2,
Event.summary = field 5 -> Summary.value = field 1 -> tag = 1, simple_value = 2,
tensor = 8), which avoids a tensorboard/protobuf dependency. The length CRC is
checked (it is how the format is recognised); data CRCs are not, since CRC32C in
pure Python would cost far more than the parse. A truncated file keeps what was read.
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO, Iterator

from assistant.evidence import Progress, Reader, register
from assistant.evidence._input import check_file, open_input
from assistant.evidence._records import EVAL, SUMMARY, RunTracker, record_kind, is_metric
from assistant.evidence.series import Reading, canonical_metric

__all__ = ["TensorBoardReader", "masked_crc32c"]

MAX_RECORD = 64 * 1024 * 1024
# HF's TensorBoardCallback writes the end-of-training summary as ordinary scalars.
_SUMMARY_TAGS = ("train/train_", "train/total_flos")


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC32C (Castagnoli polynomial)."""
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


@register
class TensorBoardReader(Reader):
    name = "tensorboard"
    kind = "tensorboard"
    binary = True

    def sniff(self, head: bytes, path: Path) -> bool:
        if len(head) < 12:
            return False
        length = struct.unpack("<Q", head[:8])[0]
        return 0 < length <= MAX_RECORD and struct.unpack("<I", head[8:12])[0] == masked_crc32c(head[:8])

    def read(self, path: Path, progress: Progress | None = None) -> Reading:
        total = check_file(path)
        reading = Reading(str(path), self.kind)
        run = RunTracker(path.name)
        last_train_step: int | None = None
        with open_input(path) as f:
            for n, data in enumerate(_records(f, reading, path.name)):
                step, scalars = _event(data)
                for tag, value in scalars:
                    name = canonical_metric(tag)
                    kind = record_kind([name], tabular=True)
                    if kind == SUMMARY or tag.startswith(_SUMMARY_TAGS):
                        run.summary(0)
                        continue
                    if not is_metric(kind, name):
                        continue
                    reading.series_for(name).add(step, value, 0)
                    run.metric(name, 0)
                    if kind == EVAL:
                        run.eval(0)
                    elif step != last_train_step:
                        run.train(step, 0)
                        last_train_step = step
                if progress is not None and n % 4096 == 0:
                    progress(f.tell(), total)
        if progress is not None:
            progress(total, total)
        reading.facts.extend(run.facts())
        return reading


def _records(f: BinaryIO, reading: Reading, name: str) -> Iterator[bytes]:
    while True:
        header = f.read(12)
        if not header:
            return
        length = struct.unpack("<Q", header[:8])[0] if len(header) == 12 else 0
        if len(header) < 12 or struct.unpack("<I", header[8:12])[0] != masked_crc32c(header[:8]) \
                or length > MAX_RECORD:
            reading.warnings.append(f"{name}: truncated or corrupt event record; kept what was read before it")
            return
        data = f.read(length)
        footer = f.read(4)
        if len(data) < length or len(footer) < 4:
            reading.warnings.append(f"{name}: truncated event file; kept what was read before the cut")
            return
        yield data


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:  # a protobuf varint is at most 10 bytes; longer is damage
            raise ValueError("varint too long")


def _fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of a protobuf message; ints for varints, bytes otherwise."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
            yield field, wire, value
        elif wire == 1:
            yield field, wire, buf[i:i + 8]
            i += 8
        elif wire == 2:
            n, i = _varint(buf, i)
            yield field, wire, buf[i:i + n]
            i += n
        elif wire == 5:
            yield field, wire, buf[i:i + 4]
            i += 4
        else:  # groups (3, 4) are not used by Event
            return


def _event(data: bytes) -> tuple[int, list[tuple[str, float]]]:
    """(step, [(tag, value)]) of one Event; non-scalar summaries are skipped."""
    step, scalars = 0, []
    try:
        for field, wire, value in _fields(data):
            if field == 2 and wire == 0:
                step = value - (1 << 64) if value >= 1 << 63 else value  # int64
            elif field == 5 and wire == 2:
                for vfield, vwire, v in _fields(value):
                    if vfield == 1 and vwire == 2:
                        scalar = _summary_value(v)
                        if scalar is not None:
                            scalars.append(scalar)
    except (ValueError, struct.error):
        pass  # a damaged record: keep what it held before the damage
    return step, scalars


def _summary_value(buf: bytes) -> tuple[str, float] | None:
    tag, value = None, None
    for field, wire, v in _fields(buf):
        if field == 1 and wire == 2:
            tag = v.decode("utf-8", "replace")
        elif field == 2 and wire == 5:
            value = struct.unpack("<f", v)[0]
        elif field == 8 and wire == 2 and value is None:
            value = _tensor_value(v)
    return (tag, value) if tag and value is not None else None


# TensorProto dtype -> struct format for tensor_content; DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64.
_DTYPES = {1: "<f", 2: "<d", 3: "<i", 9: "<q"}


def _tensor_value(buf: bytes) -> float | None:
    """First element of a scalar TensorProto (float_val 5, double_val 6, int_val 7, int64_val 10, content 4)."""
    dtype, content = 0, None
    for field, wire, v in _fields(buf):
        if field == 1 and wire == 0:
            dtype = v
        elif field == 4 and wire == 2:
            content = v
        elif field == 5 and wire in (2, 5) and len(v) >= 4:  # float_val: packed, or one fixed32
            return struct.unpack("<f", v[:4])[0]
        elif field == 6 and wire in (1, 2) and len(v) >= 8:  # double_val: one fixed64, or packed
            return struct.unpack("<d", v[:8])[0]
        elif field in (7, 10) and wire in (0, 2):  # int_val / int64_val: a varint, or packed varints
            return float(v if isinstance(v, int) else _varint(v, 0)[0])
    fmt = _DTYPES.get(dtype)
    if content and fmt and len(content) >= struct.calcsize(fmt):
        return float(struct.unpack(fmt, content[:struct.calcsize(fmt)])[0])
    return None

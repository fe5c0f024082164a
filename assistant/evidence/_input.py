"""Opening attachments safely: existence, permissions, emptiness, binary and encoding checks.

Every problem becomes an ``InputError(path, problem)`` with a few words the CLI
prints as ``path: problem``. Files are only ever opened for reading.
"""
from __future__ import annotations

import codecs
from pathlib import Path
from typing import BinaryIO

from assistant.errors import InputError

__all__ = [
    "HEAD_BYTES", "CONFIG_LIMIT", "check_file", "open_input", "read_head", "read_text",
    "text_status", "size_text",
]

HEAD_BYTES = 64 * 1024
CONFIG_LIMIT = 16 * 1024 * 1024  # a YAML/JSON config beyond this is not a config someone wrote

# Bytes that never occur in text (besides tab/newline/CR/ESC/form feed).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"
_HIGH = bytes(range(0x80, 0x100))


def check_file(path: Path) -> int:
    """Size of a readable regular file, or InputError saying why it cannot be read."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(str(path), "no such file or directory") from None
    except PermissionError:
        raise InputError(str(path), "permission denied") from None
    except OSError as e:
        raise InputError(str(path), f"cannot be read ({e.strerror or e})") from None
    if path.is_dir():
        raise InputError(str(path), "is a directory")
    if not path.is_file():
        raise InputError(str(path), "not a regular file")
    return st.st_size


def open_input(path: Path) -> BinaryIO:
    """Open for reading in binary mode, turning OS errors into InputError."""
    try:
        return open(path, "rb")
    except PermissionError:
        raise InputError(str(path), "permission denied") from None
    except OSError as e:
        raise InputError(str(path), f"cannot be read ({e.strerror or e})") from None


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    with open_input(path) as f:
        return f.read(size)


def read_text(path: Path, limit: int | None = None) -> str:
    """The whole file as text (undecodable bytes replaced), refusing files over ``limit``."""
    size = check_file(path)
    if limit is not None and size > limit:
        raise InputError(str(path), f"too large for a config file ({size_text(size)}, limit {size_text(limit)})")
    with open_input(path) as f:
        return f.read().decode("utf-8", "replace")


def text_status(head: bytes) -> tuple[str | None, str | None]:
    """(problem, warning) for a file starting with ``head``.

    problem: the file is not text (binary, UTF-16, undecodable); warning: it is text
    but not valid UTF-8, so undecodable bytes will be replaced.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16 text; save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)", None
    if b"\x00" in head:
        return "binary file (NUL bytes), not a log, config or metrics file", None
    if not head:
        return None, None
    control = len(head) - len(head.translate(None, _CONTROL))
    if control > max(2, len(head) // 100):
        return "binary file (control bytes), not a log, config or metrics file", None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return None, None
    except UnicodeDecodeError:
        pass
    high = len(head) - len(head.translate(None, _HIGH))
    replaced = head.decode("utf-8", "replace").count("\ufffd")
    if high > len(head) * 0.3 and replaced > len(head) * 0.1:
        return "undecodable text (not UTF-8, mostly non-ASCII bytes)", None
    return None, "not valid UTF-8; undecodable bytes were replaced"


def size_text(n: int) -> str:
    """``17825792`` -> ``17.0 MB``."""
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"

"""assistant/warmstart.py: compiled regexes and dataclass methods cached across processes.

Each check runs in a child interpreter: `install()` changes `re`'s cache and `dataclasses` for the
whole process, which the test process must not inherit.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent("""
    import json, re, sys
    from assistant import warmstart
    warmstart.install("test")
    import dataclasses

    @dataclasses.dataclass(frozen=True, order=True)
    class Point:
        x: int
        y: int = 2
        tags: tuple = ()

    patterns = [re.compile(r"(?P<key>\\w+)=(?P<value>[^,]+)", re.I), re.compile(rb"loss[\\s:=]+([-+.\\deE]+)"),
                re.compile(r"(?m)^\\s*#.*$")] + [re.compile(r"case%d\\b(x|y)+" % i) for i in range(12)]
    out = {
        "seeded": len(warmstart._state["seeded"]),
        "cached_codes": len(warmstart._state["codes"]),
        "match": patterns[0].search("LR=3e-4, beta=0.9").groupdict(),
        "bytes": patterns[1].findall(b"loss: 0.5 loss=1e-3"),
        "multiline": patterns[2].findall("a\\n  # c\\nb"),
        "groupindex": dict(patterns[0].groupindex),
        "flags": [p.flags for p in patterns[:3]],
        "point": [repr(Point(1)), Point(1) < Point(2), Point(1) == Point(1, 2), hash(Point(1)) == hash(Point(1))],
    }
    try:
        Point(1).x = 3
    except dataclasses.FrozenInstanceError:
        out["frozen"] = True
    print(json.dumps(out, default=lambda b: b.decode()))
""")


def _run(cache: Path) -> dict:
    env = {**os.environ, "TSA_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _file(cache: Path) -> Path:
    (found,) = cache.glob("warmstart-test-*.marshal")
    return found


def test_second_process_takes_what_the_first_compiled(tmp_path: Path) -> None:
    first = _run(tmp_path)
    assert first["seeded"] == 0 and first["cached_codes"] == 0
    assert _file(tmp_path).stat().st_size > 0
    second = _run(tmp_path)
    assert second["seeded"] >= 15 and second["cached_codes"] > 0
    # the same answers, whether the patterns and methods were compiled or taken from the file
    assert {k: v for k, v in first.items() if k not in ("seeded", "cached_codes")} == \
        {k: v for k, v in second.items() if k not in ("seeded", "cached_codes")}
    assert second["match"] == {"key": "LR", "value": "3e-4"}
    assert second["bytes"] == ["0.5", "1e-3"]
    assert second["point"] == ["Point(x=1, y=2, tags=())", True, True, True] and second["frozen"]


def test_a_second_run_does_not_rewrite_the_file(tmp_path: Path) -> None:
    _run(tmp_path)
    _run(tmp_path)
    before = _file(tmp_path).stat().st_mtime_ns
    _run(tmp_path)
    assert _file(tmp_path).stat().st_mtime_ns == before


@pytest.mark.parametrize("content", [b"", b"not marshal at all", b"\x00" * 64])
def test_an_unreadable_file_is_ignored_and_replaced(tmp_path: Path, content: bytes) -> None:
    tag = sys.implementation.cache_tag
    (tmp_path / f"warmstart-test-{tag}.marshal").write_bytes(content)
    got = _run(tmp_path)
    assert got["seeded"] == 0 and got["match"] == {"key": "LR", "value": "3e-4"}
    assert _run(tmp_path)["seeded"] >= 15


def test_another_interpreters_file_is_ignored(tmp_path: Path) -> None:
    import marshal

    _run(tmp_path)
    path = _file(tmp_path)
    header, patterns, codes = marshal.loads(path.read_bytes())
    path.write_bytes(marshal.dumps((header[:1] + ("3.99.0 (other)",) + header[2:], patterns, codes)))
    got = _run(tmp_path)
    assert got["seeded"] == 0 and got["cached_codes"] == 0 and got["bytes"] == ["0.5", "1e-3"]


def test_a_read_only_cache_directory_costs_nothing_but_time(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.write_text("a file where the directory should be")
    got = _run(cache)
    assert got["match"] == {"key": "LR", "value": "3e-4"}

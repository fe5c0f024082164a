"""Every data file the package loads at run time ships in the wheel, not only in a checkout."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_shipped_array_is_package_data() -> None:
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["assistant"])
    arrays = {p.relative_to(ROOT / "assistant").as_posix() for p in (ROOT / "assistant").rglob("*.npz")}
    assert arrays and arrays <= declared, arrays - declared

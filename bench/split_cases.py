"""The real-case corpus: check new cases and file them into the dev or validation split.

The split is fixed by a hash of each case's source URL (about 30% validation), so it never
depends on when a case was added or on how the rules do on it. Rules, phrases and signatures
are written from dev only; validation is only scored.

usage: python bench/split_cases.py [INCOMING_DIR]   (default tests/cases/_incoming)
       moves each valid case folder to tests/cases/dev/ or tests/cases/validation/, refuses
       duplicates of a source already in the corpus or in ../shared/cases, and prints problems.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
SHARED_CASES = ROOT.parent / "shared" / "cases"
SPEC = ROOT.parent / "shared" / "spec" / "diagnoses.yaml"
VALIDATION_SHARE = 30  # percent
AREAS = {"sft", "rl", "nan", "oom", "errors", "healthy"}


def split_of(source: str) -> str:
    """'validation' for about 30% of source URLs, 'dev' for the rest; fixed forever."""
    digest = hashlib.sha256(normalise_url(source).encode()).hexdigest()
    return "validation" if int(digest, 16) % 100 < VALIDATION_SHARE else "dev"


def normalise_url(url: str) -> str:
    return url.strip().split("#", 1)[0].rstrip("/")


def catalog_ids() -> set[str]:
    spec = yaml.safe_load(SPEC.read_text()) if SPEC.exists() else {}
    return {i for area in spec.values() for i in area}


def problems(case: Path, ids: set[str]) -> list[str]:
    """What is wrong with one case folder ([] when it is well formed)."""
    out = []
    exp_path = case / "expected.json"
    if not exp_path.is_file():
        return ["no expected.json"]
    try:
        exp = json.loads(exp_path.read_text())
    except json.JSONDecodeError as e:
        return [f"expected.json: {e}"]
    if not (case / "question.txt").is_file() or not (case / "question.txt").read_text().strip():
        out.append("no question.txt")
    if not str(exp.get("source", "")).startswith("https://"):
        out.append("source is not an https URL")
    if exp.get("area") not in AREAS:
        out.append(f"area {exp.get('area')!r} not one of {sorted(AREAS)}")
    named = list(exp.get("expected", [])) + list(exp.get("acceptable", []))
    unknown = [i for i in named if ids and i not in ids]
    if unknown:
        out.append(f"ids not in the catalog: {unknown}")
    if (exp.get("area") == "healthy") != (not exp.get("expected")):
        out.append("healthy cases (and only they) have no expected ids")
    return out


def sources(root: Path) -> dict[str, Path]:
    out = {}
    for exp in root.rglob("expected.json"):
        try:
            out[normalise_url(json.loads(exp.read_text())["source"])] = exp.parent
        except (json.JSONDecodeError, KeyError):
            continue
    return out


def main(argv: list[str]) -> int:
    incoming = Path(argv[0]) if argv else CASES / "_incoming"
    ids = catalog_ids()
    known = {**sources(SHARED_CASES), **sources(CASES / "dev"), **sources(CASES / "validation")}
    moved = {"dev": 0, "validation": 0}
    bad = 0
    for case in sorted(p for p in incoming.iterdir() if p.is_dir()):
        issues = problems(case, ids)
        source = normalise_url(json.loads((case / "expected.json").read_text()).get("source", "")) if not issues else ""
        if source in known:
            issues.append(f"duplicate of {known[source]}")
        if issues:
            bad += 1
            print(f"{case.name}: " + "; ".join(issues))
            continue
        split = split_of(source)
        target = CASES / split / case.name
        if target.exists():
            print(f"{case.name}: {target} already exists")
            bad += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(case), target)
        known[source] = target
        moved[split] += 1
    print(f"moved {moved['dev']} to dev, {moved['validation']} to validation; {bad} left with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

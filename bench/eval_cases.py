"""Accuracy of the consultation over a folder of cases (default: ../shared/cases).

Each case folder holds question.txt, optional log.txt / config.yaml, and expected.json
(`expected`, `acceptable`, `area`). A problem case passes when an expected or acceptable id
is among the top three diagnoses; a healthy case (expected == []) fails when any diagnosis of
severity warning or critical is reported. Prints top-1, top-3, the false-alarm rate on healthy
cases, per-area figures and a line per failing case.

usage: python bench/eval_cases.py [CASES_DIR] [--verbose]
"""
from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.consult import consult  # noqa: E402

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "cases"


def run_case(case: Path):
    question = (case / "question.txt").read_text().strip() if (case / "question.txt").exists() else ""
    attachments = [case / f for f in ("log.txt", "config.yaml") if (case / f).exists()]
    return consult(question, attachments=attachments)


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    verbose = "--verbose" in argv
    root = Path(args[0]) if args else DEFAULT
    n = top1 = top3 = healthy = false_alarms = 0
    per_area: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    times = []
    for case in sorted(p for p in root.iterdir() if p.is_dir()):
        exp = json.loads((case / "expected.json").read_text())
        t = time.perf_counter()
        report = run_case(case)
        times.append(time.perf_counter() - t)
        ids = [d.id for d in report.diagnoses]
        area = exp.get("area", "?")
        if not exp["expected"]:
            healthy += 1
            bad = [f"{d.id}({d.severity})" for d in report.diagnoses if d.severity in ("warning", "critical")]
            per_area[area][1] += 1
            if bad:
                false_alarms += 1
                print(f"FA   {case.name}: {bad[:4]}")
            else:
                per_area[area][0] += 1
            continue
        n += 1
        ok = set(exp["expected"]) | set(exp.get("acceptable", []))
        per_area[area][1] += 1
        if ids[:1] and ids[0] in ok:
            top1 += 1
        if ok & set(ids[:3]):
            top3 += 1
            per_area[area][0] += 1
            if verbose:
                print(f"ok   {case.name}: {[f'{d.id}:{d.certainty:.2f}' for d in report.diagnoses[:3]]}")
        else:
            print(f"MISS {case.name}: want {exp['expected']} got {[f'{d.id}:{d.certainty:.2f}' for d in report.diagnoses[:4]]}")
    times.sort()
    print("per area (top-3 / healthy-clean): " + ", ".join(f"{a} {p}/{t}" for a, (p, t) in sorted(per_area.items())))
    print(f"top1={top1}/{n} ({top1 / max(n, 1):.2f}) top3={top3}/{n} ({top3 / max(n, 1):.2f}) "
          f"healthy_false_alarms={false_alarms}/{healthy} p50={times[len(times) // 2] * 1000:.0f}ms per case (in-process)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Accuracy of the consultation over a folder of real cases, scored as shared/tools/score_cases.py scores `ask`.

A case folder holds question.txt, optional log.txt / config.yaml, and expected.json (`expected`,
`acceptable`, `area`, optionally `framework`; a rewording in tests/paraphrases names its original
with `of` and shares its files). A problem case passes top-k when an expected or
acceptable id is among the first k diagnoses; a healthy case (expected == []) fails when any
diagnosis of severity warning or critical is reported. Folders are searched recursively, so
`tests/cases` scores dev and validation together and `tests/cases/validation` one split.

Prints, per area and per framework, top-1 / top-3 (and healthy runs kept quiet), the confusion of
wrong first answers (expected -> what came first instead), and one line per miss and false alarm.

usage: python bench/eval_cases.py [CASES_DIR ...] [--verbose] [--json OUT]
       (default: ../shared/cases)
"""
from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.consult import consult  # noqa: E402
from assistant.retrieval.cases import holding_out  # noqa: E402
from bench.split_cases import CASES  # noqa: E402

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "cases"
QUIET = ("info",)


@dataclass
class Tally:
    """Counts for one group of cases (an area, a framework, or all)."""

    problems: int = 0
    top1: int = 0
    top3: int = 0
    healthy: int = 0
    quiet: int = 0

    def add(self, result: "Result") -> None:
        if result.healthy:
            self.healthy += 1
            self.quiet += not result.alarms
        else:
            self.problems += 1
            self.top1 += result.top1
            self.top3 += result.top3

    def text(self) -> str:
        parts = []
        if self.problems:
            parts.append(f"top1 {self.top1}/{self.problems} ({self.top1 / self.problems:.2f}) "
                         f"top3 {self.top3}/{self.problems} ({self.top3 / self.problems:.2f})")
        if self.healthy:
            parts.append(f"healthy quiet {self.quiet}/{self.healthy}")
        return ", ".join(parts)


@dataclass
class Result:
    name: str
    area: str
    framework: str
    expected: list[str]
    ok: set[str]
    got: list[str]
    alarms: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def healthy(self) -> bool:
        return not self.expected

    @property
    def top1(self) -> bool:
        return bool(self.got[:1]) and self.got[0] in self.ok

    @property
    def top3(self) -> bool:
        return bool(self.ok & set(self.got[:3]))


def case_dirs(roots: list[Path]) -> list[Path]:
    """Every folder holding an expected.json under the roots, sorted."""
    return sorted({p.parent for root in roots for p in root.rglob("expected.json")})


def attachments_of(case: Path, exp: dict) -> list[Path]:
    """The log and config a case attaches. A rewording of a corpus case (tests/paraphrases: `of` names the
    case under tests/cases) keeps only the files it changed; the others are its original's, unless `without`
    says the rewording leaves them out."""
    original = CASES / exp["of"] if "of" in exp else None
    out = []
    for name in ("log.txt", "config.yaml"):
        if (case / name).exists():
            out.append(case / name)
        elif original is not None and name not in exp.get("without", ()) and (original / name).exists():
            out.append(original / name)
    return out


def run_case(case: Path) -> Result:
    exp = json.loads((case / "expected.json").read_text())
    question = (case / "question.txt").read_text().strip() if (case / "question.txt").exists() else ""
    attachments = attachments_of(case, exp)
    t = time.perf_counter()
    with holding_out([exp.get("source", "")]):   # a dev case must not find itself among the resolved threads
        report = consult(question, attachments=attachments)
    seconds = time.perf_counter() - t
    got = [d.id for d in report.diagnoses]
    alarms = [f"{d.id}({d.severity})" for d in report.diagnoses if d.severity not in QUIET]
    return Result(case.name, exp.get("area", "?"), exp.get("framework", "?"), list(exp["expected"]),
                  set(exp["expected"]) | set(exp.get("acceptable", [])), got, alarms, seconds)


def report(results: list[Result], verbose: bool = False) -> dict[str, object]:
    """Print the figures; return them as a mapping (for --json)."""
    total = Tally()
    by_area: dict[str, Tally] = defaultdict(Tally)
    by_framework: dict[str, Tally] = defaultdict(Tally)
    confusion: Counter[tuple[str, str]] = Counter()
    for r in results:
        total.add(r)
        by_area[r.area].add(r)
        by_framework[r.framework].add(r)
        if r.healthy:
            if r.alarms:
                print(f"FA   {r.name}: {r.alarms[:4]}")
            continue
        if not r.top1:
            confusion[(r.expected[0], r.got[0] if r.got else "(nothing)")] += 1
        if not r.top3:
            print(f"MISS {r.name}: want {r.expected} got {r.got[:4]}")
        elif verbose:
            print(f"ok   {r.name}: {r.got[:3]}")
    print("\nper area:")
    for area, t in sorted(by_area.items()):
        print(f"  {area:10s} {t.text()}")
    print("per framework:")
    for fw, t in sorted(by_framework.items()):
        print(f"  {fw:12s} {t.text()}")
    if confusion:
        print("wrong first answers (expected -> ranked first instead):")
        for (want, got), n in confusion.most_common():
            print(f"  {n:3d}  {want} -> {got}")
    times = sorted(r.seconds for r in results) or [0.0]
    fa = total.healthy - total.quiet
    print(f"\ncases {len(results)}: top1={total.top1}/{total.problems} ({total.top1 / max(total.problems, 1):.2f}) "
          f"top3={total.top3}/{total.problems} ({total.top3 / max(total.problems, 1):.2f}) "
          f"healthy_false_alarms={fa}/{total.healthy} p50={times[len(times) // 2] * 1000:.0f}ms per case (in-process)")
    return {
        "cases": len(results), "problems": total.problems, "top1": total.top1, "top3": total.top3,
        "healthy": total.healthy, "false_alarms": fa,
        "areas": {a: vars(t) for a, t in sorted(by_area.items())},
        "frameworks": {f: vars(t) for f, t in sorted(by_framework.items())},
        "misses": [r.name for r in results if not r.healthy and not r.top3],
        "false_alarm_cases": [r.name for r in results if r.healthy and r.alarms],
    }


def main(argv: list[str]) -> int:
    out = argv[argv.index("--json") + 1] if "--json" in argv else None
    roots = [Path(a) for i, a in enumerate(argv) if not a.startswith("--") and (i == 0 or argv[i - 1] != "--json")]
    results = [run_case(case) for case in case_dirs(roots or [DEFAULT])]
    figures = report(results, verbose="--verbose" in argv)
    if out:
        Path(out).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

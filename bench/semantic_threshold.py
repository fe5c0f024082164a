"""Choose the meaning matcher's threshold on dev, report it on validation.

The matcher (assistant/words/semantic.py) asserts a symptom when a clause of the question is
within a cosine similarity of one of the symptom's descriptions. Too low and ordinary sentences
become symptoms (false alarms on healthy runs); too high and paraphrases are missed. This sweeps
the threshold over the dev split, scoring top-3 with healthy false alarms counted as misses, and
prints the figures of the chosen one on validation (never used to choose).

usage: python bench/semantic_threshold.py [--from 0.55 --to 0.85 --step 0.025]
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import assistant.words.semantic as semantic  # noqa: E402
from bench.eval_cases import case_dirs, run_case  # noqa: E402

CASES = Path(__file__).resolve().parent.parent / "tests" / "cases"


BASE = semantic.load_meanings()


def score(cases: list[Path], threshold: float) -> tuple[int, int, int, int]:
    """(top-3 hits, problems, false alarms, healthy) with the matcher at `threshold`."""
    semantic.load_meanings = lambda path=semantic.MEANINGS: replace(BASE, threshold=threshold)
    hits = problems = alarms = healthy = 0
    for case in cases:
        r = run_case(case)
        if r.healthy:
            healthy += 1
            alarms += bool(r.alarms)
        else:
            problems += 1
            hits += r.top3
    return hits, problems, alarms, healthy


def main(argv: list[str]) -> int:
    def arg(name: str, default: float) -> float:
        return float(argv[argv.index(name) + 1]) if name in argv else default

    lo, hi, step = arg("--from", 0.55), arg("--to", 0.85), arg("--step", 0.025)
    dev, validation = case_dirs([CASES / "dev"]), case_dirs([CASES / "validation"])
    best: tuple[float, float] | None = None
    t = lo
    while t <= hi + 1e-9:
        hits, n, alarms, healthy = score(dev, t)
        merit = (hits + healthy - alarms) / (n + healthy)
        print(f"dev threshold {t:.3f}: top3 {hits}/{n}, healthy false alarms {alarms}/{healthy}, merit {merit:.3f}")
        if best is None or merit > best[1]:
            best = (t, merit)
        t += step
    assert best is not None
    hits, n, alarms, healthy = score(validation, best[0])
    print(f"chosen {best[0]:.3f} on dev; validation: top3 {hits}/{n} ({hits / max(n, 1):.2f}), "
          f"healthy false alarms {alarms}/{healthy}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

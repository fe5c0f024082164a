"""Fuzz every reader, the user's words and the whole consultation with mutated real files.

One worker process per target runs at once for ``--seconds`` (see tests/fuzz/harness.py);
a worker that dies (SIGSEGV) or hangs is counted and replaced. A target stops at ``--stop-at``
inputs (100,000), leaving the cores to the slower ones; the words and the consultation (an
embedding per input) run niced, on what the readers leave. Prints, per target: inputs tried
and whether that reached --stop-at, the share its own reader read, inputs refused with a
one-line error (allowed), unexpected exceptions, inputs over their CPU budget, process deaths,
inputs per CPU second of its worker, and the sizes tried: the share made big (from a whole
seed, up to 4 MB: tests/fuzz/mutate.py), the share over 4 KB (mutate.MAX_LEN) and over 1 MB.
Findings (the inputs, with what went wrong) are saved under ``--out``; each one found so far is
a regression file in tests/fuzz/regressions/. Target: 0 unexpected, 0 over budget, 0 deaths.

usage: python bench/fuzz.py [--seconds 600] [--stop-at 100000] [--targets stdout_log,words]
                            [--out bench/out/fuzz] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzz.harness import as_dict, run_fuzz  # noqa: E402
from tests.fuzz.targets import targets  # noqa: E402


READER_EXERCISES = "read_attachment (sniff + reader)"
EXERCISES = {
    "wandb_run": "read_attachment on a run folder (one file mutated)",
    "words": "facts_from_words: phrases, claims, quantities; embedder when they find no symptom",
    "consult": "consult() + render_json on a question and a mutated attachment (not a reader)",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--targets", default="", help="comma-separated target names (default: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/out/fuzz")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stop-at", type=int, default=100_000, help="inputs after which a target stops (0: never)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    names = [n for n in args.targets.split(",") if n] or None
    unknown = set(names or ()) - set(targets())
    if unknown:
        print(f"unknown targets: {', '.join(sorted(unknown))}; known: {', '.join(targets())}", file=sys.stderr)
        return 2
    stats = run_fuzz(args.seconds, names, args.out, args.seed, max_inputs=args.stop_at or None)
    print(f"fuzz: {args.seconds:.0f} s, all targets at once on {os.cpu_count()} CPUs, each stopping at "
          f"{args.stop_at or 'no'} inputs; findings under {args.out}")
    print(f"{'target':17} {'seeds':>5} {'tried':>7} {'100k':>4} {'own':>4} {'refused':>7} {'unexp':>5} {'budget':>6} "
          f"{'deaths':>6} {'cpu-s':>6} {'in/cpu-s':>8} {'big':>5} {'bigcpu':>6} {'>4K':>5} {'>1M':>6}  exercises")
    for name, s in stats.items():
        per_cpu = s.tried / s.cpu_s if s.cpu_s else 0.0
        own = f"{s.reached / s.tried:.0%}" if s.tried else "-"
        reached = "yes" if args.stop_at and s.tried >= args.stop_at else "no"
        share = (lambda n: f"{n / s.tried:.1%}") if s.tried else (lambda n: "-")
        print(f"{name:17} {s.seeds:5} {s.tried:7} {reached:>4} {own:>4} {s.refused:7} {s.unexpected:5} "
              f"{s.over_budget:6} {s.deaths:6} {s.cpu_s:6.0f} {per_cpu:8.1f} {share(s.big):>5} "
              f"{s.big_cpu_s / s.cpu_s if s.cpu_s else 0:6.0%} "
              f"{share(s.over_max_len):>5} {share(s.over_1m):>6}  {EXERCISES.get(name, READER_EXERCISES)}")
    print("own: read by the target's own reader; cpu-s: CPU seconds of its workers; in/cpu-s: inputs per CPU second; "
          "big: made from a whole seed, up to 4 MB (the rest from a window of at most 4 KB), bigcpu: their share of "
          "the CPU; >4K, >1M: input sizes")
    total = {k: sum(getattr(s, k) for s in stats.values()) for k in ("tried", "unexpected", "over_budget", "deaths")}
    print(f"total: {total['tried']} inputs, {total['unexpected']} unexpected exceptions, "
          f"{total['over_budget']} over budget, {total['deaths']} process deaths")
    if args.json:
        args.json.write_text(json.dumps({"seconds": args.seconds, "targets": as_dict(stats)}, indent=1))
    return 1 if total["unexpected"] or total["over_budget"] or total["deaths"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

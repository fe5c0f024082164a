"""Fuzz every reader, the user's words and the whole consultation with mutated real files.

One worker process per target runs at once for ``--seconds`` (see tests/fuzz/harness.py);
a worker that dies (SIGSEGV) or hangs is counted and replaced. Prints, per target: inputs
tried, the share its own reader read, inputs refused with a one-line error (allowed),
unexpected exceptions, inputs over their CPU budget, process deaths, and inputs per second
as a ratio to the seeds' own rate (the unmutated files, read in this run). Findings (the
inputs, with what went wrong) are saved under ``--out``; each one found so far is a
regression file in tests/fuzz/regressions/. Target: 0 unexpected, 0 over budget, 0 deaths.

usage: python bench/fuzz.py [--seconds 600] [--targets stdout_log,words] [--out bench/out/fuzz] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzz.harness import as_dict, run_fuzz  # noqa: E402
from tests.fuzz.targets import targets  # noqa: E402


def seed_rate(name: str) -> float:
    """Unmutated seeds of a target per CPU second: the reference the fuzz rate is a ratio to."""
    target = targets()[name]
    seeds = target.seeds[:50]
    if not seeds:
        return 0.0
    try:
        target.run(seeds[0])
    except Exception:
        pass
    start = time.process_time()
    for path in seeds:
        try:
            target.run(path)
        except Exception:
            pass
    return len(seeds) / max(time.process_time() - start, 1e-6)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--targets", default="", help="comma-separated target names (default: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/out/fuzz")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    names = [n for n in args.targets.split(",") if n] or None
    unknown = set(names or ()) - set(targets())
    if unknown:
        print(f"unknown targets: {', '.join(sorted(unknown))}; known: {', '.join(targets())}", file=sys.stderr)
        return 2
    stats = run_fuzz(args.seconds, names, args.out, args.seed)
    print(f"fuzz: {args.seconds:.0f} s, all targets at once on {os.cpu_count()} CPUs; findings under {args.out}")
    print(f"{'target':17} {'seeds':>5} {'tried':>8} {'own':>4} {'refused':>7} {'unexp':>5} {'budget':>6} {'deaths':>6} "
          f"{'in/cpu-s':>8} {'per core in':>11} {'rate/seeds':>10}")
    for name, s in stats.items():
        per_cpu = s.tried / s.cpu_s if s.cpu_s else 0.0
        ref = seed_rate(name)
        own = f"{s.reached / s.tried:.0%}" if s.tried else "-"
        print(f"{name:17} {s.seeds:5} {s.tried:8} {own:>4} {s.refused:7} {s.unexpected:5} {s.over_budget:6} "
              f"{s.deaths:6} {per_cpu:8.1f} {per_cpu * args.seconds:11.0f} {per_cpu / ref if ref else 0:10.3f}")
    print("in/cpu-s: inputs per CPU second of its worker; per core in: what one core of its own would try in "
          "--seconds; rate/seeds: that rate as a ratio to the unmutated seeds' (measured in this run)")
    total = {k: sum(getattr(s, k) for s in stats.values()) for k in ("tried", "unexpected", "over_budget", "deaths")}
    print(f"total: {total['tried']} inputs, {total['unexpected']} unexpected exceptions, "
          f"{total['over_budget']} over budget, {total['deaths']} process deaths")
    if args.json:
        args.json.write_text(json.dumps({"seconds": args.seconds, "targets": as_dict(stats)}, indent=1))
    return 1 if total["unexpected"] or total["over_budget"] or total["deaths"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

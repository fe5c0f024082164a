"""Engine speed: a 300-rule, three-layer rulebase over 300 input facts, run to fixpoint.

Prints the best of several runs (target: well under 50 ms on one core). Benchmarks print;
tests never assert timings.

usage: python bench/bench_engine.py [--runs 5]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.engine import Engine, Fact, load_rulebase  # noqa: E402


def _big_rulebase(n_rules: int = 300, n_inputs: int = 300) -> str:
    """Three layers: inputs -> middle facts -> top facts -> conclusions, with not/expr mixed in."""
    lines = ["rules:"]
    third = n_rules // 3
    for i in range(n_rules):
        if i < third:
            a, b = i % n_inputs, (i * 7 + 3) % n_inputs
            when = f"all: [{{fact: in.f{a}, gt: {i % 40}}}, {{fact: in.f{b}, as: b}}, {{expr: 'b + in.f{a} > 10'}}]"
            then = f"assert: [{{fact: mid.m{i}, cf: 0.9}}]"
        elif i < 2 * third:
            a, b = i % third, (i * 5) % third
            when = f"any: [{{fact: mid.m{a}}}, {{all: [{{fact: mid.m{b}}}, {{absent: in.f{i % n_inputs}}}]}}]"
            then = f"assert: [{{fact: top.t{i % 40}, cf: 0.8}}]"
        else:
            when = f"all: [{{fact: top.t{i % 40}}}, {{not: {{fact: in.f{i % n_inputs}, lt: 5}}}}]"
            then = f"conclude: c{i % 60}\n      cf: {(0.3, 0.6, -0.4, 0.9)[i % 4]}\n      evidence: 'seen {{top.t{i % 40}.cf:.2f}}'"
        lines.append(f"  - id: r{i}\n    salience: {i % 3}\n    when: {{{when}}}\n    then:\n      {then}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 5
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(_big_rulebase())
        rb = load_rulebase([path])
    facts = [Fact(f"in.f{i}", (i * 37) % 100, "bench") for i in range(300)]
    times, fired = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        eng = Engine(rb)
        for f in facts:
            eng.assert_fact(f)
        fired = eng.run()
        times.append(time.perf_counter() - start)
    print(f"engine: {len(rb.rules)} rules, {len(facts)} facts, {fired} firings, {len(eng.conclusions())} conclusions; "
          f"best {min(times) * 1000:.1f} ms, median {sorted(times)[len(times) // 2] * 1000:.1f} ms over {runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Wall time of a one-shot `ask` on a small case: a question, a 1 MB training log and a config.

Runs the installed console script in a fresh process each time (what a user pays), after one
warm-up run that builds the rulebase cache. Prints min/p50/max over N runs. Then the same
consultation in-process (a server's or the chat's cost once started): `consult` + rendering,
repeated in one fresh interpreter after one warm-up, beside reading the two files' bytes.

usage: python bench/bench_ask.py [--runs 7]
"""
from __future__ import annotations

import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_log(path: Path, size: int = 1_000_000) -> None:
    """A transformers-4.x style stdout log with tqdm fragments, about `size` bytes."""
    out, step = [], 0
    written = 0
    while written < size:
        step += 1
        loss = 1.5 * math.exp(-step / 800) + 0.6 + 0.02 * math.sin(step)
        bar = f"\r {step % 100:2d}%|█████     | {step}/5000 [01:00<10:00,  1.20it/s]"
        line = f"{bar}{bar}\n{{'loss': {loss:.4f}, 'grad_norm': {0.4 + 0.05 * math.cos(step):.6f}, 'learning_rate': 2e-05, 'epoch': {step / 5000:.2f}}}\n"
        out.append(line)
        written += len(line.encode())
    path.write_text("".join(out))


QUESTION = "loss stopped improving, is my learning rate right?"
CONFIG = ROOT / "examples/lora-nan/config.yaml"

IN_PROCESS = """
import json, sys, time
from pathlib import Path
runs, files, question = int(sys.argv[1]), [Path(p) for p in sys.argv[2:4]], sys.argv[4]
from assistant.consult import consult
from assistant.render.text import render_text

def once():
    render_text(consult(question, attachments=files))

def read_bytes():
    for f in files:
        f.read_bytes()

once()  # warm-up: imports, tables, rulebase
took, ref = [], []
for _ in range(runs):
    t = time.perf_counter(); once(); took.append(time.perf_counter() - t)
    t = time.perf_counter(); read_bytes(); ref.append(time.perf_counter() - t)
print(json.dumps({"consult": took, "read_bytes": ref}))
"""


def in_process(log: Path, runs: int, env: dict[str, str] | None = None) -> dict[str, list[float]]:
    """Seconds per in-process consultation (and per read of the files' bytes), in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", IN_PROCESS, str(runs), str(log), str(CONFIG), QUESTION],
                         capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cpu_check() -> float:
    """Seconds for 10M trivial Python loop steps: says how fast this (virtual) CPU is right now."""
    t = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return time.perf_counter() - t


def main(argv: list[str]) -> int:
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 7
    exe = shutil.which("ask", path=str(Path(sys.executable).parent)) or "ask"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "train.log"
        make_log(log)
        cmd = [exe, "--no-probe", "-a", str(log), "-a", str(CONFIG), QUESTION]
        subprocess.run(cmd, capture_output=True, check=True)  # warm-up: rulebase cache, page cache
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times.append(time.perf_counter() - t)
        inner = in_process(log, runs)["consult"]
    print(f"ask on a small case (question + {log.stat().st_size if log.exists() else 1_000_000} B log + config), {runs} runs: "
          f"min {min(times):.3f}s  p50 {statistics.median(times):.3f}s  max {max(times):.3f}s  (target p50 <= 0.30s)")
    print(f"in-process consultation, {runs} runs: min {min(inner) * 1000:.1f} ms  p50 {statistics.median(inner) * 1000:.1f} ms"
          f"  max {max(inner) * 1000:.1f} ms  (target p50 <= 40 ms)")
    print(f"cpu check: {cpu_check():.2f}s for 10M Python loop steps (about 0.4s on an idle machine of this kind)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

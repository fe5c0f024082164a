"""`assistant watch` on a log that grows at 1 MB/s: CPU share of one core and memory.

    python bench/bench_watch.py                    # 20 s at 1 MB/s
    python bench/bench_watch.py --seconds 60 --rate-mb 2

A writer appends the log-reader bench's realistic axolotl/transformers-5.x steps (tqdm
redraws around an 11-field metrics dict, ~700 bytes a step) in 0.1 s bursts, far faster
than any trainer logs (about 1,400 steps a second), while the real
CLI (`assistant watch --json`, a subprocess) follows the file. The watcher's CPU time is
read from /proc between the first and the last burst (start-up excluded) and its resident
memory is sampled throughout. References measured in the same run:

* the one-shot reader (`read_attachment`, what `ask` does) reading the same bytes once,
  in a fresh process: the watcher's total CPU over that is the price of reading live;
* the watcher's own memory right after start-up: peak and end over that show whether
  memory grows with the log (the live series are bounded, so it should not).

Targets: CPU <= 5% of one core at 1 MB/s; memory flat (end/half-way ~ 1.0).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_ask import cpu_check  # this folder is on sys.path when run as a script
from bench_log_reader import bar, train_line

BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")


def step_text(step: int, total: int, rng: random.Random) -> str:
    """One training step as axolotl + transformers 5.x print it (the log-reader bench's realistic lines:
    tqdm redraws around a metrics dict of 11 fields), without its NaN and spike: a healthy run."""
    return (f"\r{bar(step - 1, total)}\r{bar(step, total)}\r{' ' * 60}\r"
            f"{train_line(step, total, 5, rng, -1, -1)}\n\r{bar(step, total)}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def one_shot_cpu(log: Path) -> float:
    """CPU seconds of reading the whole log once, as `ask` does (a fresh process, imports excluded)."""
    code = ("import sys, time; from pathlib import Path; from assistant.evidence import read_attachment; "
            "t = time.process_time(); read_attachment(Path(sys.argv[1])); print(time.process_time() - t)")
    out = subprocess.run([sys.executable, "-c", code, str(log)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rate-mb", type=float, default=1.0)
    ns = ap.parse_args(argv)
    burst_s = 0.1
    per_burst = int(ns.rate_mb * 1_000_000 * burst_s)
    total_steps = int(ns.rate_mb * 1_000_000 / 700 * ns.seconds * 1.5) + 1000  # the run's length (~700 B a step)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "train.log"
        log.write_text("")
        watch = subprocess.Popen([str(BIN / "assistant"), "watch", "--json", "--status-every", "1", str(log)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        events: list[dict] = []
        ready = threading.Event()

        def read() -> None:
            assert watch.stdout is not None
            for line in watch.stdout:
                e = json.loads(line)
                events.append(e)
                if e["event"] == "source" and "kind" in e:
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(120):
            print("the watcher did not start")
            return 1
        time.sleep(1.0)
        rss_start = rss_mb(watch.pid)
        cpu0, t0 = cpu_seconds(watch.pid), time.monotonic()
        step, written, rss_half, rss_samples = 0, 0, 0.0, []
        rng = random.Random(0)
        with open(log, "a", encoding="utf-8") as f:
            next_burst = time.monotonic()
            while time.monotonic() - t0 < ns.seconds:
                chunk = []
                size = 0
                while size < per_burst:
                    step += 1
                    line = step_text(step, total_steps, rng)
                    chunk.append(line)
                    size += len(line.encode())
                f.write("".join(chunk))
                f.flush()
                written += size
                rss_samples.append(rss_mb(watch.pid))
                if not rss_half and time.monotonic() - t0 >= ns.seconds / 2:
                    rss_half = rss_mb(watch.pid)
                next_burst += burst_s
                time.sleep(max(0.0, next_burst - time.monotonic()))
        deadline = time.monotonic() + 30  # let it catch up with the last burst
        while time.monotonic() < deadline:
            last = next((e for e in reversed(events) if e["event"] == "status"), None)
            if last and last.get("step") == step:
                break
            time.sleep(0.1)
        wall = time.monotonic() - t0
        cpu = cpu_seconds(watch.pid) - cpu0
        rss_end, rss_peak = rss_mb(watch.pid), rss_mb(watch.pid, "VmHWM")
        caught_up = bool(last and last.get("step") == step)
        watch.terminate()
        watch.wait(10)
        reference = one_shot_cpu(log)
    alerts = [e for e in events if e["event"] == "alert"]
    mb = written / 1e6
    print(f"assistant watch, log growing at {mb / ns.seconds:.2f} MB/s for {ns.seconds:.0f} s "
          f"({mb:.1f} MB, {step} steps; caught up: {'yes' if caught_up else 'NO'}; "
          f"alerts: {', '.join(e['alert']['id'] for e in alerts) or 'none'})")
    print(f"  CPU: {cpu:.2f} s over {wall:.1f} s = {100 * cpu / wall:.2f}% of one core (target <= 5%)")
    print(f"  reference, one-shot read of the same {mb:.1f} MB (as ask reads it): {reference:.2f} s CPU; "
          f"watching live cost {cpu / reference:.2f}x that")
    print(f"  cpu check: {cpu_check():.2f}s for 10M Python loop steps (about 0.4s on an idle machine of this kind)")
    print(f"  memory: {rss_start:.0f} MB after start-up (reference), {rss_half:.0f} MB half-way, {rss_end:.0f} MB at "
          f"the end (end/half-way {rss_end / rss_half:.2f}x), peak {rss_peak:.0f} MB = {rss_peak / rss_start:.2f}x "
          f"the start-up reference")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

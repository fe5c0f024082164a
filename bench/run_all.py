"""Every figure of issue 11 in one run, each beside its reference measured in the same run.

    python bench/run_all.py                 # all rows (the API row calls bench/bench_api_load.py)
    python bench/run_all.py --runs 7 --skip-api --log-mb 200

The machine is shared and absolute times drift, so each row is timed alternately with a
reference that runs on the same machine at the same moment (`python -c pass` for whole
processes, `grep -c loss` for the big log, reading the files' bytes for the in-process
consultation, a shell printing the footer's words for the chat's first paint), and shown
as medians of --runs runs with their spread (min-max), and as a ratio to the reference.
Processes run as an installed copy runs: bytecode cached (a private PYTHONPYCACHEPREFIX,
written once), rulebase and tables cached, except the "first question ever" row, whose
cache and data folders are new and empty on every run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ask  # noqa: E402
import bench_log_reader  # noqa: E402
import bench_tui  # noqa: E402

BIN = Path(sys.executable).parent
QUESTION = "what does frac_reward_zero_std mean?"


@dataclass
class Row:
    name: str
    values: list[float]       # seconds (or MB/s where `unit` says so)
    reference: str
    ref_values: list[float]
    goal: str
    met: bool
    unit: str = "s"
    note: str = ""


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def fmt(xs: list[float], unit: str) -> str:
    if not xs:
        return "-"
    scale, u = (1000, "ms") if unit == "ms" else (1, unit)
    return f"{median(xs) * scale:.3g} {u} ({min(xs) * scale:.3g}-{max(xs) * scale:.3g})"


def timed(cmd: list[str], env: dict[str, str], rss: list[float] | None = None) -> float:
    """Wall seconds of one process; its peak RSS (MB) is appended to `rss`. Output goes to a pipe
    and is read (to /dev/null GNU grep would stop at the first match)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    while proc.stdout.read(1 << 16):
        pass
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    if rss is not None:
        rss.append(usage.ru_maxrss / 1024)
    return took


def alternate(runs: int, target: Callable[[], float], reference: Callable[[], float]) -> tuple[list[float], list[float]]:
    """Target and reference timed in turn, so both see the same machine."""
    out, ref = [], []
    for _ in range(runs):
        out.append(target())
        ref.append(reference())
    return out, ref


def whole_process_rows(runs: int, env: dict[str, str], work: Path, small_log: Path) -> list[Row]:
    ask, assistant = str(BIN / "ask"), str(BIN / "assistant")
    bare = [ask, "--no-probe", QUESTION]
    small = [ask, "--no-probe", "-a", str(small_log), "-a", str(bench_ask.CONFIG), bench_ask.QUESTION]
    search = [assistant, "kb", "search", "frac_reward_zero_std"]
    noop = [sys.executable, "-c", "pass"]
    for cmd in (bare, small, search, noop):   # warm: bytecode, rulebase, tables, weights, query vectors
        timed(cmd, env)

    def fresh() -> float:
        home = Path(tempfile.mkdtemp(dir=work))
        try:
            return timed(bare, {**env, "TSA_CACHE_DIR": str(home / "cache"), "TSA_DATA_DIR": str(home / "data")})
        finally:
            shutil.rmtree(home, ignore_errors=True)

    rows = []
    for name, goal, limit, fn in (
        ("first bare question ever (`ask`, empty cache and data dirs)", "<= 1.0 s", 1.0, fresh),
        ("the same question again", "<= 0.35 s", 0.35, lambda: timed(bare, env)),
        ("`assistant kb search` (bundled knowledge)", "<= 0.5 s", 0.5, lambda: timed(search, env)),
        ("small case: question + 1 MB log + config, whole process", "<= 0.30 s", 0.30, lambda: timed(small, env)),
    ):
        values, ref = alternate(runs, fn, lambda: timed(noop, env))
        rows.append(Row(name, values, "`python -c pass`", ref, goal, median(values) <= limit))
    return rows


def in_process_row(runs: int, env: dict[str, str], small_log: Path) -> Row:
    got = bench_ask.in_process(small_log, max(runs, 5), env)
    return Row("small case, in-process (`consult` + render, warm process)", got["consult"],
               "reading the two files' bytes", got["read_bytes"], "<= 40 ms", median(got["consult"]) <= 0.040, "ms")


def big_log_rows(runs: int, env: dict[str, str], work: Path, size_mb: float) -> list[Row]:
    log = work / "big.log"
    bench_log_reader.generate(log, size_mb, 5, 200)
    mb = log.stat().st_size / 1e6
    cmd = [str(BIN / "ask"), "--no-probe", "-a", str(log), "my loss spikes, what happened?"]
    grep = ["grep", "-c", "loss", str(log)]
    timed(cmd, env)   # warm: page cache, bytecode
    timed(grep, env)
    rss: list[float] = []
    values, ref = alternate(runs, lambda: timed(cmd, env, rss), lambda: timed(grep, env))
    found = bench_log_reader.read_in_child(log)
    ratio = median(values) / median(ref)
    speed = [mb / v for v in values]
    peak = max(rss)   # the `ask` process; its parse workers are measured by the reader's own run below
    workers = found["workers_rss_kb"] / 1024
    note = (f"{mb:.0f} MB; loss spike at step {found['spike'][0] if found['spike'] else '-'}, first NaN at step "
            f"{found['nan_step']}; peak RSS {peak:.0f} MB (`ask`), {workers:.0f} MB (largest parse worker)")
    return [Row(f"`ask` on a {mb:.0f} MB stdout log", values, "`grep -c loss` (same file)", ref,
                ">= 150 MB/s and <= 12x grep; RSS <= 150 MB",
                median(speed) >= 150 and ratio <= 12 and max(peak, workers) <= 150,
                note=f"{median(speed):.0f} MB/s; {note}")]


def tui_row(runs: int, env: dict[str, str]) -> Row:
    if shutil.which("tmux") is None:
        return Row("terminal chat first paint (tmux)", [], "-", [], "<= 0.5 s", False, note="tmux not installed")
    bench_tui.terminal_once(env, 0, linger=2.0)   # warm: page cache, the chat's start-up cache
    n = iter(range(1, 10_000))
    values, ref = alternate(runs, lambda: bench_tui.terminal_once(env, next(n)) or float("nan"),
                            lambda: bench_tui.terminal_once(env, next(n), bench_tui.REFERENCE) or float("nan"))
    return Row("terminal chat first paint (real process in tmux)", values, "a shell printing the footer's words",
               ref, "<= 0.5 s", median(values) <= 0.5)


def api_row(runs: int, work: Path) -> Row:
    """bench_api_load.py run `runs` times (1,000 consultations, 50 at a time, each beside the no-op endpoint)."""
    per_s, p95, ref_per_s, ref_p95, errors = [], [], [], [], 0
    for i in range(runs):
        out = work / f"api-{i}.json"
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_api_load.py"), "--json", str(out)],
                              capture_output=True, text=True, cwd=ROOT)
        if not out.exists():
            return Row("HTTP API (bench_api_load.py)", [], "a no-op endpoint", [], ">= 25 consultations/s, p95 <= 3 s, "
                       "0 errors", False, note=(done.stderr.strip().splitlines() or ["no output"])[-1])
        got = json.loads(out.read_text())
        per_s.append(got["per_s"]), p95.append(got["p95_s"]), ref_per_s.append(got["ref_per_s"])
        ref_p95.append(got["ref_p95_s"])
        errors += got["errors"] + got["lost"]
    note = (f"throughput {median(per_s):.1f}/s ({min(per_s):.1f}-{max(per_s):.1f}) vs the no-op endpoint's "
            f"{median(ref_per_s):.1f}/s (3 calls a consultation); p95 {fmt(p95, 's')} vs {fmt(ref_p95, 's')}; "
            f"{errors} errors or lost requests in {runs} x 1,000 consultations")
    return Row("HTTP API, 1,000 small consultations, 50 concurrent: p95 latency (bench_api_load.py)", p95,
               "the no-op endpoint's p95, same run", ref_p95, ">= 25 consultations/s, p95 <= 3 s, 0 errors",
               median(per_s) >= 25 and median(p95) <= 3 and errors == 0, note=note)


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per row (medians; at least 5 for the issue)")
    ap.add_argument("--log-mb", type=float, default=200, help="size of the generated big log")
    ap.add_argument("--skip-api", action="store_true", help="leave out the HTTP API row (minutes of load)")
    ap.add_argument("--skip-tui", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tsa-run-all-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "TSA_CACHE_DIR": str(work / "cache"), "TSA_DATA_DIR": str(work / "data"),
               "PYTHONPYCACHEPREFIX": str(work / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)   # as installed: bytecode written once, then read
        small_log = work / "small.log"
        bench_ask.make_log(small_log)
        rows = whole_process_rows(args.runs, env, work, small_log)
        rows.append(in_process_row(args.runs, env, small_log))
        rows += big_log_rows(args.runs, env, work, args.log_mb)
        if not args.skip_api:
            rows.append(api_row(args.runs, work))
        if not args.skip_tui:
            rows.append(tui_row(args.runs, env))
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at the end; {args.runs} runs per row\n")
    print("| path | median (min-max) | reference, same run | ratio | goal | met |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        unit = r.unit
        ratio = f"{median(r.values) / median(r.ref_values):.1f}x" if r.values and r.ref_values else "-"
        ref = f"{r.reference}: {fmt(r.ref_values, unit)}" if r.ref_values else r.reference
        print(f"| {r.name} | {fmt(r.values, unit)} | {ref} | {ratio} | {r.goal} | {'yes' if r.met else 'NO'} |")
    notes = [f"- {r.name}: {r.note}" for r in rows if r.note]
    if notes:
        print("\n" + "\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())

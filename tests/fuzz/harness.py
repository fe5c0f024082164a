"""The fuzz loop: one worker process per target, supervised, so a crash is counted, not fatal.

Each worker mutates its target's seeds, runs one input at a time and measures its CPU time
against the target's budget (``targets.budget_s``). It reports counts to the supervisor and
saves every finding (an unexpected exception, an input over budget) under ``out``. The
supervisor restarts a worker that died (SIGSEGV, the OOM killer) or hung, after saving the
input it was on, so one bad input costs one count, not the run. Workers run under an
address-space limit: an input that makes a parser allocate without bound fails with
MemoryError, an unexpected exception, instead of swapping the machine.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import resource
import shutil
import signal
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from random import Random

from tests.fuzz.targets import all_seed_files, budget_s, check_error, targets

__all__ = ["Stats", "run_fuzz"]

MEMORY_LIMIT = 6 * 1024 ** 3
REPORT_EVERY_S = 0.5
HANG_FACTOR = 10  # wall seconds per CPU second of budget before a silent worker is taken for hung
HANG_FLOOR_S = 60.0
HANG_CEILING_S = 300.0


@dataclass
class Stats:
    """What one target went through."""

    tried: int = 0  # inputs run to the end
    reached: int = 0  # of those, read by the target's own reader (the rest were claimed by another, or refused)
    refused: int = 0  # of those, refused with a one-line InputError (allowed)
    unexpected: int = 0  # exceptions other than a one-line InputError
    over_budget: int = 0  # inputs over their CPU budget, hangs included
    deaths: int = 0  # worker processes killed by a signal while on an input
    cpu_s: float = 0.0  # CPU seconds the workers spent (making and running inputs): tried / cpu_s = one core's rate
    seeds: int = 0
    findings: list[str] = field(default_factory=list)  # saved inputs, under ``out``


def _save(out: Path, target: str, kind: str, source: Path, detail: str) -> str:
    """Copy an input (file or run folder) into ``out`` under a content hash; returns its name."""
    digest = hashlib.sha1()
    files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
    for p in files:
        digest.update(p.read_bytes())
    name = f"{target}-{kind}-{digest.hexdigest()[:12]}"
    dest = out / name
    if not dest.exists():
        out.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            dest.mkdir()
            shutil.copy(source, dest / source.name)
        (out / f"{name}.txt").write_text(detail + "\n")
    return name


def _worker(name: str, rng_seed: int, conn: Connection, work: Path, out: Path, deadline: float,
            max_inputs: int | None) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    from assistant.evidence import reader_for
    from assistant.evidence._input import read_head

    target = targets()[name]
    partners = all_seed_files()
    rnd = Random(rng_seed)
    counts: dict[str, float] = {"tried": 0, "reached": 0, "refused": 0, "unexpected": 0, "over_budget": 0,
                                "cpu_s": 0.0}
    try:  # one-off costs (rulebase, embedder) are not an input's
        target.run(target.make_input(Random(rng_seed), work, partners)[0])
    except Exception:
        pass
    last = time.monotonic()
    began = time.process_time()
    while time.time() < deadline and (max_inputs is None or counts["tried"] < max_inputs):
        try:
            path, size = target.make_input(rnd, work, partners)
        except MemoryError:  # a mutant too big for the address-space limit: draw another
            continue
        (work / "current.json").write_text(json.dumps({"path": str(path), "size": size}))
        if target.kind == "file" and path.stat().st_size:
            reader = reader_for(read_head(path), path)
            counts["reached"] += reader is not None and reader.name == name
        elif target.kind != "file":
            counts["reached"] += 1
        start = time.process_time()
        try:
            target.run(path)
        except Exception as e:  # noqa: BLE001 (every exception is looked at)
            problem = check_error(e)
            if problem is None:
                counts["refused"] += 1
            else:
                counts["unexpected"] += 1
                where = "".join(traceback.format_exception(e)[-4:])[-1500:]
                conn.send(("finding", _save(out, name, "unexpected", path, f"{problem}\n{where}")))
        spent = time.process_time() - start
        if spent > budget_s(name, size):
            counts["over_budget"] += 1
            conn.send(("finding", _save(out, name, "slow", path, f"{spent:.2f} s CPU for {size} bytes "
                                                                   f"(budget {budget_s(name, size):.2f} s)")))
        counts["tried"] += 1
        counts["cpu_s"] = time.process_time() - began
        if time.monotonic() - last > REPORT_EVERY_S:
            conn.send(("counts", dict(counts)))
            last = time.monotonic()
    conn.send(("counts", dict(counts)))
    conn.send(("done", None))


@dataclass
class _Running:
    name: str
    process: mp.Process
    conn: Connection
    work: Path
    counts: dict[str, float] = field(default_factory=dict)
    heard: float = field(default_factory=time.monotonic)
    done: bool = False


def run_fuzz(seconds: float, names: list[str] | None = None, out: Path | None = None, seed: int = 0,
             max_inputs: int | None = None) -> dict[str, Stats]:
    """Fuzz each target (all by default) for ``seconds`` at once, in parallel; stats per target."""
    ctx = mp.get_context("fork")
    chosen = {n: t for n, t in targets().items() if names is None or n in names}
    stats = {n: Stats(seeds=len(t.seeds)) for n, t in chosen.items()}
    out = out or Path(tempfile.mkdtemp(prefix="tsa-fuzz-findings-"))
    scratch = Path(tempfile.mkdtemp(prefix="tsa-fuzz-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    deadline = time.time() + seconds
    rng = Random(seed)
    running: dict[str, _Running] = {}

    def start(name: str) -> None:
        work = scratch / name
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        parent, child = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_worker, args=(name, rng.getrandbits(64), child, work, out, deadline, max_inputs),
                              daemon=True)
        process.start()
        child.close()
        running[name] = _Running(name, process, parent, work)

    def absorb(run: _Running) -> None:
        """Fold a finished or dead worker's counts into the target's totals."""
        s = stats[run.name]
        for key, value in run.counts.items():
            setattr(s, key, getattr(s, key) + value)
        run.counts = {}

    def lost(run: _Running, kind: str, detail: str) -> None:
        """A worker died or hung on an input: save that input, count it, start a fresh worker."""
        absorb(run)
        s = stats[run.name]
        try:
            current = json.loads((run.work / "current.json").read_text())
            s.findings.append(_save(out, run.name, kind, Path(current["path"]), detail))
        except (OSError, ValueError):
            pass
        if kind == "death":
            s.deaths += 1
        else:
            s.over_budget += 1
        s.tried += 1
        run.done = True
        if time.time() < deadline - 1 and (max_inputs is None or s.tried < max_inputs):
            start(run.name)

    for name, target in chosen.items():
        if target.seeds:
            start(name)
    try:
        while any(not r.done for r in running.values()):
            live = {r.conn: r for r in running.values() if not r.done}
            for conn in wait(list(live), timeout=0.5):
                run = live[conn]
                try:
                    kind, payload = conn.recv()
                except (EOFError, OSError):
                    run.process.join(5)
                    if run.process.exitcode not in (0, None):
                        code = run.process.exitcode
                        what = signal.Signals(-code).name if code < 0 else f"exit status {code}"
                        lost(run, "death", f"worker died ({what})")
                    else:
                        absorb(run)
                        run.done = True
                    continue
                run.heard = time.monotonic()
                if kind == "counts":
                    run.counts = payload
                elif kind == "finding":
                    stats[run.name].findings.append(payload)
                elif kind == "done":
                    run.process.join(10)
                    absorb(run)
                    run.done = True
            for run in list(running.values()):
                if run.done:
                    continue
                limit = min(HANG_CEILING_S, HANG_FLOOR_S + HANG_FACTOR * _current_budget(run))
                if time.monotonic() - run.heard > limit:
                    run.process.kill()
                    run.process.join(5)
                    lost(run, "hang", f"no word from the worker for {limit:.0f} s")
    finally:
        for run in running.values():
            if run.process.is_alive():
                run.process.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    return stats


def _current_budget(run: _Running) -> float:
    try:
        current = json.loads((run.work / "current.json").read_text())
        return budget_s(run.name, int(current["size"]))
    except (OSError, ValueError, KeyError):
        return budget_s(run.name, 0)


def as_dict(stats: dict[str, Stats]) -> dict[str, dict]:
    return {name: asdict(s) for name, s in stats.items()}

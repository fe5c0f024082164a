"""The fuzz loop: one worker process per target, supervised, so a crash is counted, not fatal.

Each worker mutates its target's seeds, runs one input at a time and measures its CPU time
against the target's budget (``targets.budget_s``). It reports counts to the supervisor and
saves every finding (an unexpected exception, an input over budget) under ``out``. The
supervisor restarts a worker that died (SIGSEGV, the OOM killer) or hung, after saving the
input it was on, so one bad input costs one count, not the run. Workers run under an
address-space limit: an input that makes a parser allocate without bound fails with
MemoryError, an unexpected exception, instead of swapping the machine.

The loop costs little besides the target's own work, as libFuzzer's does: seeds are read
once (before the fork), a mutant is one write to /dev/shm, the input in hand is told to the
supervisor through shared memory (read only when the worker died or went silent), the reader
that took a file is noted as the dispatcher picks it (no second sniff), and counts go to the
supervisor twice a second. Mutants are mostly small (``mutate.MAX_LEN``), a share big
(``mutate.BIG_SHARE``); the stats say how many and what they cost. A target stops at
``max_inputs``, leaving the CPU to the others; the words and the consultation run niced. Workers
take turns, one running per CPU (``_Rotation``), so each keeps the caches it warmed.
"""
from __future__ import annotations

import hashlib
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
from multiprocessing.context import BaseContext
from pathlib import Path
from random import Random

from tests.fuzz.mutate import MAX_LEN
from tests.fuzz.targets import all_seed_files, budget_s, check_error, load_seed_bytes, targets

__all__ = ["Stats", "run_fuzz"]

MEMORY_LIMIT = 6 * 1024 ** 3
REPORT_EVERY_S = 0.5
# A silent worker is taken for hung when it spent this much CPU since it last reported (its own CPU time,
# from /proc: a worker starved of the CPU by the others, or niced, is not hung), or this much wall time
# where /proc is not there; one blocked without using the CPU, after HANG_WALL_S.
HANG_FACTOR = 10  # seconds per CPU second of the input's budget
HANG_FLOOR_S = 60.0
HANG_CEILING_S = 300.0
HANG_WALL_S = 1800.0
# Targets that cannot reach a long run's input count (an embedding per input) yield the CPU to the readers,
# which stop at it: they run on whatever the readers leave (only in a run with a stop count).
NICE = {"words": 10, "consult": 10}
TURN_S = 1.0  # wall seconds a worker runs before another takes its CPU (see _Rotation)
YIELD_EVERY = 16


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
    big: int = 0  # inputs made from a whole seed, growing up to mutate.MAX_OUTPUT (the rest: mutate.MAX_LEN)
    over_max_len: int = 0  # inputs over mutate.MAX_LEN bytes (a run folder or a consultation counts all its files)
    over_64k: int = 0  # of those, over 64 KiB
    over_1m: int = 0  # of those, over 1 MiB
    big_cpu_s: float = 0.0  # of cpu_s, spent running the big inputs
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


class _Current:
    """The input a worker is on, in memory shared with the supervisor: a path and a size, set before
    each input without a system call, read only when the worker died or went silent."""

    def __init__(self, ctx: BaseContext) -> None:
        self.path = ctx.RawArray("c", 4096)
        self.size = ctx.RawValue("q", 0)

    def set(self, path: Path, size: int) -> None:
        self.path.value = os.fsencode(path)[:4095]
        self.size.value = size

    def get(self) -> tuple[Path | None, int]:
        raw = self.path.value
        return (Path(os.fsdecode(raw)) if raw else None), int(self.size.value)


def _tally_readers() -> list[str | None]:
    """Which reader the dispatcher hands each file to, noted as it goes (no second sniff)."""
    from assistant.evidence import _dispatch

    chosen: list[str | None] = [None]
    first = _dispatch._first

    def noting(head: bytes, path: Path, binary: bool):  # noqa: ANN202
        reader = first(head, path, binary)
        if reader is not None:
            chosen[0] = reader.name
        return reader

    _dispatch._first = noting
    return chosen


def _worker(name: str, rng_seed: int, conn: Connection, work: Path, out: Path, deadline: float,
            max_inputs: int | None, current: _Current) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    if name in NICE and max_inputs is not None:
        os.nice(NICE[name])
    target = targets()[name]
    partners = all_seed_files()
    rnd = Random(rng_seed)
    counts: dict[str, float] = {"tried": 0, "reached": 0, "refused": 0, "unexpected": 0, "over_budget": 0,
                                "cpu_s": 0.0, "big": 0, "over_max_len": 0, "over_64k": 0, "over_1m": 0,
                                "big_cpu_s": 0.0}
    try:  # one-off costs (rulebase, embedder) are not an input's
        target.warm()
        target.run(target.make_input(Random(rng_seed), work, partners)[0])
    except Exception:
        pass
    chosen = _tally_readers() if target.kind == "file" else [name]
    make_input, run, process_time = target.make_input, target.run, time.process_time
    tried = reached = refused = big = over_max_len = over_64k = over_1m = 0
    big_cpu_s = 0.0
    report_at = time.monotonic() + REPORT_EVERY_S
    began = process_time()
    while max_inputs is None or tried < max_inputs:
        try:
            path, size, was_big = make_input(rnd, work, partners)
        except MemoryError:  # a mutant too big for the address-space limit: draw another
            continue
        current.set(path, size)
        if target.kind == "file":
            chosen[0] = None
        start = process_time()
        try:
            run(path)
        except Exception as e:  # noqa: BLE001 (every exception is looked at)
            problem = check_error(e)
            if problem is None:
                refused += 1
            else:
                counts["unexpected"] += 1
                where = "".join(traceback.format_exception(e)[-4:])[-1500:]
                conn.send(("finding", _save(out, name, "unexpected", path, f"{problem}\n{where}")))
        spent = process_time() - start
        if spent > budget_s(name, size):
            counts["over_budget"] += 1
            conn.send(("finding", _save(out, name, "slow", path, f"{spent:.2f} s CPU for {size} bytes "
                                                                   f"(budget {budget_s(name, size):.2f} s)")))
        tried += 1
        reached += chosen[0] == name
        if was_big:
            big += 1
            big_cpu_s += spent
        if size > MAX_LEN:
            over_max_len += 1
            over_64k += size > 65536
            over_1m += size > 1 << 20
        if time.monotonic() > report_at:
            counts.update(tried=tried, reached=reached, refused=refused, big=big, over_max_len=over_max_len,
                          over_64k=over_64k, over_1m=over_1m, big_cpu_s=big_cpu_s, cpu_s=process_time() - began)
            conn.send(("counts", dict(counts)))
            report_at = time.monotonic() + REPORT_EVERY_S
            if time.time() >= deadline:
                break
    counts.update(tried=tried, reached=reached, refused=refused, big=big, over_max_len=over_max_len,
                  over_64k=over_64k, over_1m=over_1m, big_cpu_s=big_cpu_s, cpu_s=process_time() - began)
    conn.send(("counts", dict(counts)))
    conn.send(("done", None))


@dataclass
class _Running:
    name: str
    process: mp.Process
    conn: Connection
    work: Path
    current: _Current
    counts: dict[str, float] = field(default_factory=dict)
    heard: float = field(default_factory=time.monotonic)
    heard_cpu: float = 0.0  # the worker's CPU seconds when it last reported
    done: bool = False

    def hear(self) -> None:
        self.heard = time.monotonic()
        self.heard_cpu = _cpu_s(self.process.pid) or 0.0

    def silent_for(self) -> tuple[float, bool]:
        """(seconds since the worker last reported, whether they are its CPU seconds)."""
        cpu = _cpu_s(self.process.pid)
        if cpu is None:
            return time.monotonic() - self.heard, False
        return cpu - self.heard_cpu, True


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_s(pid: int | None) -> float | None:
    """A process's CPU seconds (user + system) from /proc; None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, ValueError, IndexError):
        return None


def run_fuzz(seconds: float, names: list[str] | None = None, out: Path | None = None, seed: int = 0,
             max_inputs: int | None = None) -> dict[str, Stats]:
    """Fuzz each target (all by default) for ``seconds`` at once, in parallel; stats per target."""
    ctx = mp.get_context("fork")
    chosen = {n: t for n, t in targets().items() if names is None or n in names}
    load_seed_bytes()
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
        current = _Current(ctx)
        left = None if max_inputs is None else max_inputs - stats[name].tried
        process = ctx.Process(target=_worker, args=(name, rng.getrandbits(64), child, work, out, deadline, left,
                                                    current), daemon=True)
        process.start()
        child.close()
        running[name] = _Running(name, process, parent, work, current)
        running[name].hear()

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
        path, _ = run.current.get()
        try:
            if path is not None:
                s.findings.append(_save(out, run.name, kind, path, detail))
        except OSError:
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
    rotation = _Rotation(running, deadline, yielding=set(NICE) if max_inputs is not None else set())
    try:
        while any(not r.done for r in running.values()):
            rotation.turn()
            live = {r.conn: r for r in running.values() if not r.done}
            for conn in wait(list(live), timeout=max(0.0, min(0.5, rotation.next_turn - time.monotonic()))):
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
                run.hear()
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
                silent, on_cpu = run.silent_for()
                if silent > limit or time.monotonic() - run.heard > HANG_WALL_S:
                    run.process.kill()
                    run.process.join(5)
                    lost(run, "hang", f"no word from the worker for {limit:.0f} s{' of CPU' if on_cpu else ''}")
    finally:
        for run in running.values():
            if run.process.is_alive():
                run.process.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    return stats


class _Rotation:
    """At most one running worker per CPU, the others stopped (SIGSTOP), taking turns of TURN_S: sixteen
    workers sharing two cores every few milliseconds ran a third slower per CPU second (each turn
    found the caches full of another's data). A worker of ``yielding`` (the words, the consultation in
    a run with a stop count) gets one turn in YIELD_EVERY (each in turn) while readers are still running. Off where
    there is no /proc (the hang check needs a worker's CPU time: a stopped worker's wall time is no sign)."""

    def __init__(self, running: dict[str, _Running], deadline: float, yielding: set[str]) -> None:
        self.running, self.deadline, self.yielding = running, deadline, yielding
        self.slots = max(1, os.cpu_count() or 1)
        self.on = _cpu_s(os.getpid()) is not None
        self.next_turn = time.monotonic()
        self.count = self.patient_turns = 0
        self.stopped: set[int] = set()  # pids

    def turn(self) -> None:
        if not self.on or time.monotonic() < self.next_turn:
            return
        self.next_turn = time.monotonic() + TURN_S
        live = [r for r in self.running.values() if not r.done]
        if time.time() >= self.deadline - TURN_S or len(live) <= self.slots:
            self._set(live, set())  # the end: everyone finishes its input and reports
            if time.time() >= self.deadline - TURN_S:
                self.on = False
            return
        eager = [r for r in live if r.name not in self.yielding]
        patient = [r for r in live if r.name in self.yielding]
        self.count += 1
        picked: list[_Running] = []
        if patient and (len(eager) < self.slots or self.count % YIELD_EVERY == 0):
            self.patient_turns += 1
            k = self.patient_turns % len(patient)
            picked += (patient[k:] + patient[:k])[:max(1, self.slots - len(eager))]
        if eager:
            k = self.count * self.slots % len(eager)
            picked += (eager[k:] + eager[:k])[:self.slots - len(picked)]
        self._set(live, {r.name for r in live} - {r.name for r in picked})

    def _set(self, live: list[_Running], stop: set[str]) -> None:
        for run in live:
            pid, want = run.process.pid, run.name in stop
            if pid is None or want == (pid in self.stopped):
                continue
            try:
                os.kill(pid, signal.SIGSTOP if want else signal.SIGCONT)
            except OSError:
                continue
            (self.stopped.add if want else self.stopped.discard)(pid)


def _current_budget(run: _Running) -> float:
    return budget_s(run.name, run.current.get()[1])


def as_dict(stats: dict[str, Stats]) -> dict[str, dict]:
    return {name: asdict(s) for name, s in stats.items()}

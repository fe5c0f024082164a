"""Load on the HTTP API: N consultations, C at a time, against `assistant serve` on loopback.

Each consultation is what a bridge or CI job does: create it, upload a small training log
(multipart), fetch the report. The server runs in its own process (as deployed, workers
one per core), with a bearer token and rate limits off. Prints p50/p95 latency per request
kind and per whole consultation, throughput, errors (a non-2xx answer or a report that is
not the expected JSON) and lost requests (no answer at all: refused connection, reset,
timeout). The reference, in the same run against the same server: as many "consultations"
of three calls to the no-op endpoint (`/healthz`), same client, same concurrency.
Targets: >= 25 consultations/s, p95 <= 3 s, 0 errors, 0 lost.

usage: python bench/bench_api_load.py [--n 1000] [--concurrency 50] [--log examples/lora-nan/train.log]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, data_dir: str, n: int, log: Path, **extra_env: str) -> subprocess.Popen:
    """`assistant serve` in its own process, token set and rate limits off; returns once it answers."""
    env = {**os.environ, "TSA_API_TOKENS": TOKEN, "TSA_DATA_DIR": data_dir, "TSA_RATE_USER_PER_MIN": "0",
           "TSA_RATE_WORKSPACE_PER_MIN": "0", "TSA_MAX_CONSULTATIONS": str(2 * n + 100), **extra_env}
    exe = Path(sys.executable).parent / "assistant"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=log.open("w"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start: {log.read_text()[-2000:]}")


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds of the server ("main") and of its worker processes together ("workers")."""
    import psutil

    main = psutil.Process(pid)
    workers = 0.0
    for child in main.children(recursive=True):
        try:
            t = child.cpu_times()
            workers += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    t = main.cpu_times()
    return {"main": t.user + t.system, "workers": workers}


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


async def one(client: httpx.AsyncClient, log: bytes, times: dict[str, list[float]], problems: dict[str, list[str]]) -> None:
    """One consultation; every request either answers (2xx or error) or is lost."""
    started = time.perf_counter()

    async def call(kind: str, method: str, url: str, **kw) -> httpx.Response | None:
        t = time.perf_counter()
        try:
            resp = await client.request(method, url, **kw)
        except httpx.TransportError as e:
            problems["lost"].append(f"{kind}: {type(e).__name__}")
            return None
        times[kind].append(time.perf_counter() - t)
        if not resp.is_success:
            problems["errors"].append(f"{kind}: {resp.status_code} {resp.text[:200]}")
            return None
        return resp

    created = await call("create", "POST", "/v1/consultations", json={"question": "loss goes nan around step 210"})
    if created is None:
        return
    cid = created.json()["id"]
    if await call("upload", "POST", f"/v1/consultations/{cid}/attachments", files={"file": ("train.log", log)}) is None:
        return
    report = await call("report", "GET", f"/v1/consultations/{cid}/report")
    if report is None:
        return
    if not report.json().get("diagnoses"):
        problems["errors"].append("report: no diagnosis")
        return
    times["consultation"].append(time.perf_counter() - started)


async def noop(client: httpx.AsyncClient, log: bytes, times: dict[str, list[float]], problems: dict[str, list[str]]) -> None:
    """The reference: three calls to the no-op endpoint, timed as a consultation is."""
    started = time.perf_counter()
    for _ in range(3):
        try:
            resp = await client.get("/healthz")
        except httpx.TransportError as e:
            problems["lost"].append(f"noop: {type(e).__name__}")
            return
        if not resp.is_success:
            problems["errors"].append(f"noop: {resp.status_code}")
            return
    times["consultation"].append(time.perf_counter() - started)


async def run(base: str, n: int, concurrency: int, log: bytes, work=one
              ) -> tuple[dict[str, list[float]], dict[str, list[str]], float]:
    times: dict[str, list[float]] = defaultdict(list)
    problems: dict[str, list[str]] = defaultdict(list)
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, limits=limits,
                                 timeout=httpx.Timeout(120.0)) as client:

        async def gated() -> None:
            async with gate:
                await work(client, log, times, problems)

        t = time.perf_counter()
        await asyncio.gather(*(gated() for _ in range(n)))
        return times, problems, time.perf_counter() - t


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--log", type=Path, default=ROOT / "examples/lora-nan/train.log")
    ap.add_argument("--json", type=Path, help="also write the figures here (bench/run_all.py reads them)")
    args = ap.parse_args(argv)
    log = args.log.read_bytes()
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        server_log = Path(data_dir) / "server.log"
        server = start_server(port, data_dir, args.n, server_log)
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(run(base, args.concurrency, args.concurrency, log))  # warm: workers' tables, connections
            ref_times, _, ref_wall = asyncio.run(run(base, args.n, args.concurrency, log, noop))
            before = cpu_seconds(server.pid)
            times, problems, wall = asyncio.run(run(base, args.n, args.concurrency, log))
            spent = {k: v - before.get(k, 0.0) for k, v in cpu_seconds(server.pid).items()}
        finally:
            server.terminate()
            server.wait(timeout=30)
        server_errors = server_log.read_text()
    print(f"API load: {args.n} consultations ({args.concurrency} concurrent; create + upload {len(log)} B log + "
          f"report), server `assistant serve` on 127.0.0.1, {os.cpu_count()} CPUs")
    for kind in ("create", "upload", "report", "consultation"):
        if times[kind]:
            v = times[kind]
            print(f"  {kind:<13} n={len(v):5d}  p50 {pct(v, 50) * 1000:8.1f} ms  p95 {pct(v, 95) * 1000:8.1f} ms  "
                  f"max {max(v) * 1000:8.1f} ms")
    ref = ref_times["consultation"]
    print(f"  wall {wall:.1f} s, {args.n / wall:.1f} consultations/s")
    print(f"  reference (no-op endpoint, 3 calls each, same run): p50 {pct(ref, 50) * 1000:.1f} ms  p95 "
          f"{pct(ref, 95) * 1000:.1f} ms, {args.n / ref_wall:.1f}/s; consultations at "
          f"{ref_wall / wall:.2f}x its throughput, p95 {pct(times['consultation'], 95) / pct(ref, 95):.1f}x")
    print(f"  server CPU per consultation: {spent['main'] / args.n * 1000:.1f} ms in the HTTP process, "
          f"{spent['workers'] / args.n * 1000:.1f} ms in its workers")
    print(f"  errors {len(problems['errors'])}, lost {len(problems['lost'])}  (target 0/0)")
    if args.json:
        c = times["consultation"]
        args.json.write_text(json.dumps({
            "per_s": args.n / wall, "p50_s": pct(c, 50), "p95_s": pct(c, 95), "errors": len(problems["errors"]),
            "lost": len(problems["lost"]), "ref_per_s": args.n / ref_wall, "ref_p50_s": pct(ref, 50),
            "ref_p95_s": pct(ref, 95)}))
    for p in (problems["errors"] + problems["lost"])[:10]:
        print(f"    {p}")
    if server_errors.strip():
        print("  server log (tail):\n" + server_errors[-3000:])
    return 0 if not problems["errors"] and not problems["lost"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

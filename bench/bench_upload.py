"""Hostile uploads against `assistant serve`: the server's memory while 50 clients each send 200 MB.

The server runs in its own process (as deployed) with a token and its default 64 MiB upload
limit; its RSS is sampled from /proc every 20 ms. Three rounds, each with ``--clients`` at once:

1. oversize, declared: 200 MB bodies with a Content-Length: every one must get 413 at once,
   unread (the bench counts the bytes the clients managed to send);
2. oversize, chunked: the same bodies without a length: 413 once the limit is crossed, the rest
   never read;
3. accepted: uploads of a real log grown to ``--accepted-mb`` (under the limit): 201, read.

Figures are ratios to references measured in the same run: peak RSS over the idle server's RSS
(after one consultation), and each round's wall time over one small upload's. Targets: every
oversize answered 413, peak RSS a small multiple of idle (no body held in memory).

usage: python bench/bench_upload.py [--clients 50] [--mb 200] [--accepted-mb 8]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_api_load import TOKEN, free_port, start_server  # noqa: E402

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHUNK = 1024 * 1024
LOG = (ROOT / "examples/lora-nan/train.log").read_bytes()


class RssSampler:
    """Peak resident memory of a process and its worker processes together, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        import psutil

        main = psutil.Process(self.pid)
        total = main.memory_info().rss
        for child in main.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(0.02)

    def __enter__(self) -> "RssSampler":
        self.peak = self.now()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._stop.clear()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def multipart(name: str, size: int, sent: list[int], declared: bool) -> tuple[dict[str, str], object]:
    """Headers and a streamed multipart body holding ``size`` bytes of log lines; ``sent`` counts what left."""
    boundary = "benchboundary7e3f"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    block = (LOG * (CHUNK // len(LOG) + 1))[:CHUNK]

    async def body():
        yield head
        left = size
        while left > 0:
            piece = block[:min(CHUNK, left)]
            left -= len(piece)
            sent[0] += len(piece)
            yield piece
        yield tail

    headers = {**AUTH, "content-type": f"multipart/form-data; boundary={boundary}"}
    if declared:
        headers["content-length"] = str(len(head) + size + len(tail))
    return headers, body()


async def one_upload(client: httpx.AsyncClient, size: int, declared: bool, codes: Counter, sent: list[int]) -> None:
    cid = (await client.post("/v1/consultations", json={"question": "loss nan"}, headers=AUTH)).json()["id"]
    headers, body = multipart("train.log", size, sent, declared)
    try:
        resp = await client.post(f"/v1/consultations/{cid}/attachments", content=body, headers=headers)
        codes[resp.status_code] += 1
    except httpx.HTTPError as e:  # the server answered and closed while the body was still being sent
        codes[type(e).__name__] += 1


async def round_(base: str, clients: int, size: int, declared: bool) -> tuple[Counter, int, float]:
    codes: Counter = Counter()
    sent = [0]
    start = time.perf_counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=600, limits=limits) as client:
        await asyncio.gather(*(one_upload(client, size, declared, codes, sent) for _ in range(clients)))
    return codes, sent[0], time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--mb", type=int, default=200, help="size of each oversize upload")
    ap.add_argument("--accepted-mb", type=int, default=8, help="size of each accepted upload (under the limit)")
    ap.add_argument("--reads", type=int, default=4, help="TSA_MAX_CONCURRENT_READS of the server")
    args = ap.parse_args(argv)
    mib = 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="tsa-bench-upload-") as tmp:
        port = free_port()
        home = Path(tmp)
        (home / "tmp").mkdir()
        proc = start_server(port, str(home / "data"), 4 * args.clients, home / "server.log",
                            TSA_MAX_CONCURRENT_READS=str(args.reads), TSA_CONFIG_DIR=str(home / "config"),
                            TSA_STORAGE_MAX_BYTES=str(64 * 1024 ** 3), TMPDIR=str(home / "tmp"))
        base = f"http://127.0.0.1:{port}"
        try:
            rss = RssSampler(proc.pid)
            small = time.perf_counter()
            asyncio.run(round_(base, 1, len(LOG), True))  # one small upload: warm-up, then the time reference
            asyncio.run(round_(base, 1, len(LOG), True))
            small = (time.perf_counter() - small) / 2
            idle = rss.now()
            print(f"server idle RSS (HTTP process and its workers) after one consultation: {idle / mib:.0f} MiB (reference); one small upload "
                  f"{small * 1000:.0f} ms (reference); {args.reads} attachments read at once")
            print(f"{'round':26} {'answers':28} {'sent by clients':>16} {'peak RSS/idle':>13} {'time/small':>10}")
            ok = True
            for label, size, declared, want in (
                    (f"{args.mb} MB, Content-Length", args.mb * mib, True, 413),
                    (f"{args.mb} MB, chunked", args.mb * mib, False, 413),
                    (f"{args.accepted_mb} MB log, accepted", args.accepted_mb * mib, True, 201)):
                with rss:
                    codes, sent, wall = asyncio.run(round_(base, args.clients, size, declared))
                answers = ", ".join(f"{n}x {c}" for c, n in sorted(codes.items(), key=str))
                total = args.clients * size
                print(f"{label:26} {answers:28} {sent / total:15.1%} {rss.peak / idle:13.2f} {wall / small:10.1f}")
                ok = ok and codes.get(want, 0) == args.clients
            print(f"({args.clients} clients at once per round; 'sent by clients': share of the bodies' bytes the "
                  "clients sent: httpx sends a whole body before it reads the answer, which the server gave at once "
                  "and discards the rest, as the RSS shows)")
            return 0 if ok else 1
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    raise SystemExit(main())

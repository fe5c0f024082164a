"""Retrieval quality and speed on troubleshooting questions written in users' words.

    python bench/bench_retrieval.py                  # index knowledge/ + ../shared/data/axolotl-docs
    python bench/bench_retrieval.py --rebuild        # rebuild the bench index first (timed)
    python bench/bench_retrieval.py --show-misses    # print the questions hybrid misses at 3
    python bench/bench_retrieval.py --ask            # also time `ask` end to end, fresh processes

Questions and their answering sections are in bench/retrieval_questions.yaml. For
lexical-only (BM25), dense-only (MiniLM via Chroma) and hybrid (reciprocal rank
fusion) it prints recall@1, recall@3 and MRR (first correct section within the
top 10), then warm query latency p50/p95 for hybrid search (query embedding,
BM25, Chroma query and fusion; the index and model already loaded). The same
figures follow for the guide as shipped in the package (`assistant.retrieval.bundled`,
searched in-process, what a user without documents of their own gets), over the
questions whose answers are sections of knowledge/.
With --ask it also times whole `ask` runs in fresh processes: one the rules
answer (examples/lora-nan, no retrieval) and one no rule covers (answered from
the default index, which an untimed first run builds).
Targets: hybrid recall@3 >= 0.9 and above both halves; p50 < 50 ms; `ask` from
rules < 0.5 s, from retrieval < 2 s cold.
The indexes are kept under <cache dir>/bench-retrieval*, so later runs skip the builds.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import assistant.retrieval  # noqa: E402,F401  (sets the BLAS thread count before numpy loads)
from assistant.paths import KNOWLEDGE_DIR, cache_dir  # noqa: E402
from assistant.retrieval.bundled import bundled_index  # noqa: E402
from assistant.retrieval.index import KnowledgeIndex, Source  # noqa: E402
from assistant.retrieval.search import SearchableIndex, search  # noqa: E402
from assistant.retrieval.settings import IndexSettings  # noqa: E402

QUESTIONS = ROOT / "bench" / "retrieval_questions.yaml"
MODES = ("lexical", "dense", "hybrid")
DEPTH = 10


def corpus(docs: Path) -> list[Source]:
    knowledge = [Source(p, f"knowledge/{p.name}", "knowledge") for p in sorted(KNOWLEDGE_DIR.glob("*.md"))]
    return knowledge + [Source(p, p.name, "user") for p in sorted(docs.glob("*.qmd"))]


def quality(index: SearchableIndex, questions: list[dict]) -> list[tuple[dict, int | None]]:
    """Print recall@1, recall@3 and MRR per mode; the hybrid misses at 3."""
    misses = []
    for mode in MODES:
        ranks = [rank_of(index, q["q"], set(q["answers"]), mode) for q in questions]
        r1 = sum(r == 1 for r in ranks) / len(ranks)
        r3 = sum(r is not None and r <= 3 for r in ranks) / len(ranks)
        mrr = sum(1 / r for r in ranks if r) / len(ranks)
        print(f"  {mode:<15}  {r1:8.3f}  {r3:8.3f}  {mrr:8.3f}")
        if mode == "hybrid":
            misses = [(q, r) for q, r in zip(questions, ranks) if r is None or r > 3]
    return misses


def rank_of(index: SearchableIndex, question: str, answers: set[str], mode: str) -> int | None:
    for rank, p in enumerate(search(index, question, k=DEPTH, mode=mode), 1):   # type: ignore[arg-type]
        if p.anchor in answers:
            return rank
    return None


ASK_CASES = {
    "rules": ["--no-probe", "--no-llm", "-a", str(ROOT / "examples/lora-nan/train.log"),
              "-a", str(ROOT / "examples/lora-nan/config.yaml"), "my loss goes to nan around step 210"],
    "retrieval": ["--no-probe", "--no-llm", "what does frac_reward_zero_std mean?"],
}


def time_ask(data_dir: Path, runs: int) -> None:
    """Wall time of whole `ask` processes (interpreter start included), as a user waits for them."""
    env = {**os.environ, "TSA_DATA_DIR": str(data_dir)}
    for name, argv in ASK_CASES.items():
        cmd = [sys.executable, "-c", "from assistant.oneshot import main; main()", *argv]
        subprocess.run(cmd, env=env, capture_output=True, check=True)   # untimed: builds the index once
        took = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True, check=True)
            took.append(time.perf_counter() - t)
        print(f"ask ({name}): median {statistics.median(took):.2f} s, min {min(took):.2f} s over {runs} runs")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=Path, default=ROOT.parent / "shared" / "data" / "axolotl-docs")
    ap.add_argument("--index-dir", type=Path, default=cache_dir() / "bench-retrieval")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--repeat", type=int, default=5, help="timed passes over the questions")
    ap.add_argument("--ask", action="store_true", help="also time whole `ask` runs")
    args = ap.parse_args()
    if not args.docs.is_dir():
        print(f"{args.docs}: not found (the axolotl docs live in ../shared/data/axolotl-docs)", file=sys.stderr)
        return 2
    questions = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["questions"]

    index = KnowledgeIndex(IndexSettings(args.index_dir), corpus(args.docs))
    t0 = time.perf_counter()
    built = index.ensure(force=args.rebuild)
    took = time.perf_counter() - t0
    print(f"index: {index.info.chunks} passages from {len(index.sources)} documents; "
          f"{'built' if built else 'opened'} in {took:.1f} s; dense: {index.info.collection is not None}")
    for notice in index.notices:
        print(f"notice: {notice}")

    print(f"\n{len(questions)} questions      recall@1  recall@3  MRR@{DEPTH}")
    misses = quality(index, questions)
    guide = bundled_index()
    anchors = {c.anchor for c in guide.chunks}
    own = [{**q, "answers": [a for a in q["answers"] if a in anchors]} for q in questions]
    own = [q for q in own if q["answers"]]
    print(f"\nthe shipped guide alone (in-process), {len(own)} questions answered by knowledge/")
    quality(guide, own)

    for q in questions[:3]:   # warm-up: model, Chroma client, BM25 arrays
        search(index, q["q"], k=5)
    times = []
    for _ in range(args.repeat):
        for q in questions:
            t = time.perf_counter()
            search(index, q["q"], k=5)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"\nhybrid query latency (warm, {len(times)} queries): p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms")

    if args.ask:
        print()
        time_ask(args.index_dir.with_name("bench-retrieval-ask"), args.repeat)

    if args.show_misses:
        for q, r in misses:
            got = [p.anchor for p in search(index, q["q"], k=3)]
            print(f"\nmiss (rank {r}): {q['q']}\n  want {q['answers']}\n  got  {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

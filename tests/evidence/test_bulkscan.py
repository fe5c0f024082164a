"""The fast paths of the console-log scan read exactly what the per-record loop reads.

Big files take `_bulkscan.parse_bulk` (numpy); buffers of plain dicts take
`_columnscan.parse_columns`; every buffer they decline takes the per-record loop of
`parse_buffer`. All must give the same reading: the same facts, run facts, warnings and
series (counts, extremes, first non-finite, every kept point), whatever the chunking. The
bench's generator makes realistic logs (tqdm bars, dicts over them, eval dicts, a spike, a
NaN, an OOM traceback) in both transformers dict styles.
"""
from __future__ import annotations

import itertools
import math
import random
import sys
from array import array
from pathlib import Path

import numpy as np
import pytest

from assistant.evidence import _logscan
from assistant.evidence._buckets import kept_points, span, total_of
from assistant.evidence._bulknumbers import read_decimals
from assistant.evidence._bulkscan import parse_bulk
from assistant.evidence._logscan import LogScanner
from assistant.evidence.series import MetricSeries, Reading, _most_extreme

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_log_reader import generate  # noqa: E402


def summary(reading: Reading) -> dict:
    out: dict = {"facts": sorted((f.name, repr(f.value), f.source) for f in reading.facts),
                 "warnings": reading.warnings}
    for name, s in sorted(reading.series.items()):
        out[name] = (s.count, s.first, s.last, s.min, s.max, repr(s.first_nonfinite), s.nonfinite_count,
                     [(p.step, repr(p.value), p.line) for p in s])
    return out


def read(path: Path, bulk: bool, cuts: list[int] | None = None, capacity: int | None = None) -> dict:
    """The log fed to a scanner in chunks (at `cuts`, else 256 KiB), on the bulk or per-record path."""
    data = path.read_bytes()
    reading = Reading(str(path), "stdout_log")
    if capacity:   # small series capacity: decimation (and its bulk bucket choice) runs on small logs
        reading.series_for = lambda name: reading.series.setdefault(name, MetricSeries(name, capacity))  # type: ignore[method-assign]
    scanner = LogScanner(reading, path.name, len(data), bulk=bulk)
    bounds = [0, *(cuts or range(256 * 1024, len(data), 256 * 1024)), len(data)]
    for a, b in zip(bounds, bounds[1:]):
        scanner.feed(data[a:b])
    scanner.finish()
    return summary(reading)


@pytest.fixture(scope="module", params=[5, 4], ids=["transformers5", "transformers4"])
def big_log(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "train.log"
    generate(path, 1.5, request.param, eval_every=50)
    return path


def test_a_generated_buffer_takes_the_bulk_path(big_log: Path) -> None:
    data = big_log.read_bytes()
    buf = data[:data.rfind(b"\n", 0, 512 * 1024) + 1]
    assert parse_bulk(buf) is not None


def test_bulk_and_per_record_paths_read_the_same(big_log: Path) -> None:
    assert read(big_log, bulk=True) == read(big_log, bulk=False)


def test_the_same_at_odd_chunk_boundaries(big_log: Path) -> None:
    size = big_log.stat().st_size
    rng = random.Random(7)
    cuts = sorted(rng.sample(range(1, size), 5))
    assert read(big_log, bulk=True, cuts=cuts) == read(big_log, bulk=False, cuts=cuts)


def test_the_same_when_series_are_decimated(big_log: Path) -> None:
    assert read(big_log, bulk=True, capacity=300) == read(big_log, bulk=False, capacity=300)


@pytest.mark.parametrize("odd", [
    b"{'loss': 1.0, 'grad_norm':\n 0.5}\n",                          # a dict cut by a line break
    b"{'loss': {'a': 1}, 'grad_norm': 0.5}\n",                       # nested
    b"{'loss': \x1b[31m1.0\x1b[0m, 'grad_norm': 0.5}\n",              # colours inside
    b"{'loss': '1, 2', 'grad_norm': 0.5}\n",                         # a value holding `, `
    b"{'model': 'llama', 'lr_scheduler': 'cosine'}\n",               # a dict that is no record
    b"{'loss': nan, 'grad_norm': inf, 'learning_rate': 1_000}\n",    # values for float()
    b"{'loss': 1.0, 'grad_norm': tensor(0.5)}\n",                    # an unreadable value
])
def test_buffers_the_bulk_path_declines_or_defers_read_the_same(tmp_path: Path, odd: bytes) -> None:
    line = b"{'loss': 1.25, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'epoch': 0.01}\n"
    path = tmp_path / "odd.log"
    path.write_bytes(line * 700 + odd + line * 700)
    assert read(path, bulk=True) == read(path, bulk=False)


def test_decimals_read_as_float_reads_them() -> None:
    rng = random.Random(3)
    texts = []
    for _ in range(20_000):
        k = rng.random()
        if k < 0.3:
            t = repr(rng.uniform(-1e3, 1e3))
        elif k < 0.5:
            t = "%.4g" % rng.uniform(-10, 10)
        elif k < 0.6:
            t = "%.6e" % rng.uniform(-1e-3, 1e-3)
        elif k < 0.7:
            t = str(rng.randint(-10**18, 10**18))
        else:
            t = "".join(rng.choice("0123456789.eE+-_ naif") for _ in range(rng.randint(0, 10)))
        texts.append(t.encode())
    data = b"".join(texts)
    lo = np.cumsum([0] + [len(t) for t in texts[:-1]])
    hi = lo + np.array([len(t) for t in texts])
    values, ok = read_decimals(np.frombuffer(data, dtype=np.uint8), lo, hi)
    assert ok.sum() > 10_000
    for t, v, good in zip(texts, values.tolist(), ok.tolist()):
        if good:
            f = float(t)
            assert f == v and math.copysign(1, f) == math.copysign(1, v), t


def test_bucket_choice_is_the_per_bucket_choice() -> None:
    rng = random.Random(5)
    values = [rng.choice([rng.gauss(1, 0.3), 1.0, 0.0, -0.0, math.nan, math.inf, -math.inf]) for _ in range(64 * 16)]
    for bucket in (1, 2, 16):
        for centre in (0.0, 1.0):
            expected = [b * bucket + _most_extreme(values[b * bucket:(b + 1) * bucket], centre)
                        for b in range(len(values) // bucket)]
            assert kept_points(array("d", values), bucket, centre) == expected
            assert kept_points(values, bucket, centre) == expected


def test_long_batch_statistics_match_the_builtins() -> None:
    rng = random.Random(9)
    values = array("d", (rng.uniform(-5, 5) for _ in range(10_000)))
    steps = array("q", range(10_000))
    assert span(values) == (min(values), max(values)) and span(steps) == (0, 9_999)
    assert total_of(values) - total_of(values) == 0.0
    values[77] = math.nan
    assert total_of(values) - total_of(values) != 0.0


def test_small_files_never_import_numpy_for_the_scan() -> None:
    assert _logscan.BULK_MIN_BYTES >= 8 * 1024 * 1024


def test_the_same_on_one_big_buffer_of_a_decimated_series(tmp_path: Path) -> None:
    """Batches long enough for the numpy statistics and the bulk bucket choice of the series."""
    path = tmp_path / "big.log"
    generate(path, 4, 5, eval_every=100)
    assert read(path, bulk=True, cuts=[], capacity=1000) == read(path, bulk=False, cuts=[], capacity=1000)



@pytest.fixture(scope="module")
def loop_reading(big_log: Path) -> dict:
    """The reading of the per-record loop alone, computed once per log."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_logscan, "parse_columns", lambda *args: None)
        return read(big_log, bulk=False)


def test_the_column_path_reads_what_the_loop_reads(big_log: Path, loop_reading: dict) -> None:
    assert read(big_log, bulk=False) == loop_reading


def test_a_buffer_of_plain_dicts_takes_the_column_path(big_log: Path) -> None:
    from assistant.evidence._columnscan import parse_columns

    data = big_log.read_bytes()
    buf = data[:data.rfind(b"\n", 0, 256 * 1024) + 1]
    pieces = _logscan._DICT_SPLIT.split(buf)
    newlines = [0, *itertools.accumulate(p.count(b"\n") for p in pieces)]
    assert parse_columns(buf, pieces, newlines) is not None


@pytest.mark.parametrize("odd", [
    b"{'loss': 1.0, 'grad_norm':\n 0.5}\n",
    b"{'loss': \x1b[31m1.0\x1b[0m, 'grad_norm': 0.5}\n",
    b"{'loss': '1, 2', 'grad_norm': 0.5}\n",
    b"{'model': 'llama', 'lr_scheduler': 'cosine'}\n",
    b"{'loss': nan, 'grad_norm': inf, 'learning_rate': 1_000}\n",
    b"{'eval_loss': 1.5, 'epoch': 0.5}\n",
])
def test_the_column_path_declines_or_reads_odd_dicts_as_the_loop(tmp_path: Path, odd: bytes,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    line = b"\r 5%|#   | 10/200 [00:01<00:20,  9.50it/s]{'loss': 1.25, 'grad_norm': 0.5, 'epoch': 0.01}\n"
    path = tmp_path / "odd.log"
    path.write_bytes(line * 100 + odd + line * 100)
    fast = read(path, bulk=False)
    monkeypatch.setattr(_logscan, "parse_columns", lambda *args: None)
    assert fast == read(path, bulk=False)


def test_bars_of_many_gaps_are_last_bar_of_each() -> None:
    """`_bulkscan._bars` (a window after each gap's last `| `) against `_last_bar` on each gap:
    random text of bar pieces (counters with spaces and `_`, data bars, bars cut by the gap's end
    or the buffer's), gaps of every length, a bar running into the buffer's last bytes."""
    from assistant.evidence._bulkscan import _bars, _Gaps
    from assistant.evidence._logscan import _last_bar

    rng = random.Random(11)
    pieces = [b"| ", b"/", b" [", b"it", b"s/it]", b"it/s]", b" ", b"_", b"12", b"7", b"500", b"x", b"\r", b"\n",
              b"examples/s]", b"[02:41<19:45,  2.69", b"|", b"i", b"t", b"123456789012345678901234"]
    for trial in range(60):
        def bar() -> bytes:   # a counter, then ` [` and the rate unit at distances around the limits
            counter = rng.choice([b"60/500", b"1 /2", b"1_0/20", b"7/", b"/9", b"12345678901234567890/1"])
            return (b"| " + counter + b" " * rng.randrange(0, 44) + b" [" + b"0" * rng.randrange(0, 66)
                    + rng.choice([b"it", b"s/it]", b"examples/s]", b"i"]))
        buf = b"".join(bar() if rng.random() < 0.3 else rng.choice(pieces)
                       for _ in range(rng.randrange(50, 1500)))
        if trial % 3 == 0:
            buf += b"| 60/500 [02:41<19:45,  2.69s/i"[:rng.randrange(1, 31)]   # a bar cut by the buffer's end
        a = np.frombuffer(buf, dtype=np.uint8)
        cuts = sorted({0, len(buf), *rng.sample(range(len(buf) + 1), min(len(buf), rng.randrange(1, 40)))})
        lo, hi = np.array(cuts[:-1], dtype=np.int64), np.array(cuts[1:], dtype=np.int64)
        # the gaps as the bulk path holds them: each followed by a record's `{`, then an empty tail
        text = b"{".join([*(buf[x:y] for x, y in zip(cuts, cuts[1:])), b""])
        found = _bars(a, buf, _Gaps(text, np.append(lo, len(buf)), np.append(hi, len(buf))))
        if found is None:   # a counter past int64: the buffer is left to the per-record path
            assert any(max(_last_bar(buf[x:y]) or (0,)) >= 2 ** 63 for x, y in zip(lo.tolist(), hi.tolist()))
            continue
        bar_n, bar_m = found
        for x, y, n, m in zip(lo.tolist(), hi.tolist(), bar_n.tolist(), bar_m.tolist()):
            assert ((n, m) if n >= 0 else None) == _last_bar(buf[x:y]), (buf[x:y], n, m)

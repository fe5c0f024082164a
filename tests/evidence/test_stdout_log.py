"""The console-log reader: dict-line formats, tqdm interleaving, steps, chunking, real case logs."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from assistant.evidence import read_attachment
from assistant.evidence._logscan import LogScanner, _pool, parse_range, scan_file
from assistant.evidence.series import Reading
from assistant.evidence.stdout_log import StdoutLogReader
from tests.evidence.conftest import CASES, bar, fact, facts, names, needs_shared, points

V4 = "{'loss': 1.2345, 'grad_norm': 0.4512345790863037, 'learning_rate': 1.998e-05, 'epoch': 0.04}\n"
V5 = ("{'loss': '1.234', 'grad_norm': '0.4512', 'learning_rate': '1.998e-05', 'ppl': '3.435', "
      "'memory/max_active (GiB)': '18.2', 'tokens/trainable': 1250304, 'epoch': '0.04'}\n")


def read_text(tmp_path: Path, text: str | bytes, name: str = "train.log", **kw) -> Reading:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return StdoutLogReader(**kw).read(path)


def tqdm_log(steps: int = 30, total: int = 500, log_every: int = 10, eval_at: int = 20,
             clear: str = "\r" + " " * 60) -> str:
    """What `python train.py 2>&1 | tee train.log` leaves: bar redraws, dicts over the bar.

    ``clear`` is what tqdm.write prints between the last redraw and the dict (`\r` + spaces).
    """
    out = ["[2026-03-01 10:02:11,532] [INFO] [axolotl.utils.data.sft] Maximum number of steps set at "
           f"{total}\x1b[39m\n", "\r" + bar(0, total)]
    for step in range(1, steps + 1):
        out.append("\r" + bar(step, total))
        if step % log_every == 0:
            out.append(clear + "{'loss': %s, 'grad_norm': 0.45, 'learning_rate': 1.998e-05, "
                       "'epoch': %.2f}\n" % (2.0 - step / 100, step / total))
            out.append("\r" + bar(step, total))
        if step == eval_at:
            out.extend("\r" + bar(k, 25) for k in (0, 10, 25))
            out.append("\r" + " " * 60 + "{'eval_loss': 1.1, 'eval_runtime': 12.4, 'epoch': 0.04}\n")
    return "".join(out)


class TestDictFormats:
    def test_transformers_4_raw_floats(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, V4 * 3)
        assert points(r, "loss") == [(1, 1.2345), (2, 1.2345), (3, 1.2345)]
        assert points(r, "learning_rate")[0] == (1, 1.998e-05)
        assert set(facts(r, "metric.logged")) == {"loss", "grad_norm", "learning_rate", "epoch"}
        assert fact(r, "run.steps_logged") == 3 and fact(r, "run.last_step") == 3
        assert fact(r, "log.framework") == "hf"

    def test_transformers_5_quoted_numbers(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, V5 * 2)
        assert points(r, "loss") == [(1, 1.234), (2, 1.234)]
        assert points(r, "tokens/trainable") == [(1, 1250304.0), (2, 1250304.0)]
        assert fact(r, "log.framework") == "axolotl"  # memory/max_active is axolotl's key

    def test_bare_and_quoted_nonfinite(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "{'loss': nan, 'grad_norm': inf, 'learning_rate': 1e-05}\n"
                                "{'loss': '-inf', 'grad_norm': 'nan', 'learning_rate': '1e-05'}\n")
        loss = r.series["loss"]
        assert loss.nonfinite_count == 2 and math.isnan(loss.first_nonfinite.value)
        assert math.isinf(r.series["grad_norm"].first_nonfinite.value)

    def test_json_style_swift_lines(self, tmp_path: Path) -> None:
        line = ('{"loss": -0.0, "grad_norm": 0.0, "learning_rate": 3.2e-07, "reward": 0.64, '
                '"epoch": 0.016, "global_step/max_steps": "%d/547", "percentage": "1.65%%", '
                '"elapsed_time": "45m 20s"}\n')
        r = read_text(tmp_path, line % 9 + line % 10)
        assert points(r, "loss") == [(9, -0.0), (10, -0.0)]
        assert "percentage" not in r.series and "elapsed_time" not in r.series
        assert fact(r, "run.max_steps") == 547 and fact(r, "run.last_step") == 10
        assert fact(r, "log.framework") == "swift"

    def test_grpo_keys(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "{'loss': 0.0, 'grad_norm': 0.0, 'reward': 0.5, 'rewards/acc/mean': 0.5, "
                                "'completions/clipped_ratio': 1.0, 'kl': 0.01, 'epoch': 0.1}\n")
        assert {"reward", "rewards/acc/mean", "completions/clipped_ratio", "kl"} <= set(r.series)
        assert fact(r, "log.framework") == "trl"

    def test_explicit_step_key(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "{'loss': 1.0, 'step': 40}\n{'loss': 0.9, 'step': 80}\n")
        assert points(r, "loss") == [(40, 1.0), (80, 0.9)]
        assert "step" not in r.series

    def test_eval_and_summary_lines(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, V4 + "{'eval_loss': 1.1, 'eval_runtime': 12.4, 'epoch': 0.04}\n" + V4 +
                      "{'train_runtime': 5980.69, 'train_samples_per_second': 14.4, 'train_loss': 0.97, "
                      "'epoch': 3.0}\n")
        assert points(r, "eval_loss") == [(1, 1.1)]
        assert "epoch" in r.series and len(r.series["epoch"]) == 2  # eval lines add no train epoch
        assert fact(r, "run.has_eval") is True and fact(r, "run.completed") is True
        assert "train_loss" not in r.series and "train_runtime" not in r.series

    def test_no_summary_means_not_completed(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, V4)
        assert fact(r, "run.completed") is False and fact(r, "run.has_eval") is False

    def test_dict_that_is_not_metrics_is_text(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "tensor at position 4: saved {'shape': [1024]} vs recomputed {'shape': [0]}\n")
        assert not r.series and "run.steps_logged" not in names(r)

    def test_value_with_comma_takes_slow_path(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "{'loss': 1.5, 'note': 'a, b: c', 'grad_norm': 0.3}\n")
        assert points(r, "loss") == [(1, 1.5)] and points(r, "grad_norm") == [(1, 0.3)]

    def test_cut_dict_line_reads_complete_fields(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "{'loss': 1.5, 'grad_norm': 0.3, 'learning_rate': 1e-0\n" + V4)
        assert points(r, "loss") == [(1, 1.5), (2, 1.2345)]
        assert any("cut off" in w for w in r.warnings)


class TestProgressBars:
    @pytest.mark.parametrize("clear", ["\r" + " " * 60, "\r", ""], ids=["spaces", "cr", "mid-line"])
    def test_steps_come_from_the_training_bar(self, tmp_path: Path, clear: str) -> None:
        r = read_text(tmp_path, tqdm_log(clear=clear))
        assert points(r, "loss") == [(10, 1.9), (20, 1.8), (30, 1.7)]
        assert points(r, "eval_loss") == [(20, 1.1)]  # the eval bar (25/25) is not the training bar
        assert fact(r, "run.max_steps") == 500 and fact(r, "run.last_step") == 30
        assert fact(r, "log.framework") == "axolotl"

    def test_line_numbers_count_newlines_only(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, tqdm_log())
        assert [p.line for p in r.series["loss"]] == [2, 3, 5]
        assert [p.line for p in r.series["eval_loss"]] == [4]

    def test_epoch_times_steps_per_epoch_when_no_bar(self, tmp_path: Path) -> None:
        text = tqdm_log(steps=20) + "{'loss': 1.0, 'epoch': 0.06}\n"  # no redraw before it
        r = read_text(tmp_path, text)
        assert points(r, "loss")[-1] == (30, 1.0)

    def test_order_of_appearance_without_bars(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "{'loss': 1.0}\n{'loss': 0.9}\n{'loss': 0.8}\n")
        assert [s for s, _ in points(r, "loss")] == [1, 2, 3]

    def test_logging_interval_continues_after_bars_stop(self, tmp_path: Path) -> None:
        text = tqdm_log(steps=20, eval_at=0) + "{'loss': 1.0}\n"
        r = read_text(tmp_path, text)
        assert [s for s, _ in points(r, "loss")] == [10, 20, 30]

    def test_data_bars_are_not_training_bars(self, tmp_path: Path) -> None:
        text = ("\rTokenizing Prompts (num_proc=16): 100%|██████████| 51760/51760 [00:12<00:00, 4123.45 examples/s]\n"
                + V4)
        r = read_text(tmp_path, text)
        assert points(r, "loss") == [(1, 1.2345)] and "run.max_steps" not in names(r)


class TestConsoleNoise:
    def test_ansi_colours(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "\x1b[33m[2026-01-01] [WARNING] [axolotl.train] Loss is too high, stopping training"
                                "\x1b[39m\n\x1b[32m{'loss': 1.5, 'grad_norm': 0.5}\x1b[0m\n")
        assert fact(r, "log.loss_watchdog")["line"].startswith("[2026-01-01] [WARNING]")
        assert points(r, "loss") == [(1, 1.5)]

    def test_rank_prefix(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "[rank0]: {'loss': 1.5, 'grad_norm': 0.5}\n[rank0]: Traceback (most recent call "
                                "last):\n[rank0]:   File \"t.py\", line 3, in f\n[rank0]: KeyError: 'input_ids'\n")
        assert points(r, "loss") == [(1, 1.5)]
        assert fact(r, "log.exception") == {"type": "KeyError", "message": "'input_ids'",
                                            "line": "KeyError: 'input_ids'"}
        assert fact(r, "error.key_error")["key"] == "input_ids"

    def test_crlf(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, (V4 * 2 + "ValueError: boom\n").replace("\n", "\r\n"))
        assert points(r, "loss") == [(1, 1.2345), (2, 1.2345)]
        assert [p.line for p in r.series["loss"]] == [1, 2]
        assert fact(r, "log.exception")["message"] == "boom"

    def test_message_after_a_bar_fragment_on_the_same_line(self, tmp_path: Path) -> None:
        # a crash prints its traceback right after the last bar redraw, on the same physical line
        r = read_text(tmp_path, tqdm_log() + "\r" + bar(31, 500) + "Traceback (most recent call last):\n"
                      '  File "t.py", line 3, in f\nRuntimeError: NCCL communicator was aborted on rank 1.\n')
        assert fact(r, "error.nccl")["line"] == "RuntimeError: NCCL communicator was aborted on rank 1."
        assert fact(r, "log.exception")["type"] == "RuntimeError"
        assert fact(r, "run.last_step") == 30

    def test_traceback_exception_line_and_signature(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, tqdm_log() + "\nTraceback (most recent call last):\n  File \"a.py\", line 1\n"
                      "    raise ValueError(\"x\")\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate "
                      "2.00 GiB. GPU 0 has a total capacity of 23.69 GiB of which 8 MiB is free.\n")
        oom = fact(r, "error.cuda_oom")
        assert oom["tried_gib"] == 2.0 and oom["total_gib"] == 23.69 and oom["count"] == 1
        assert fact(r, "log.exception")["type"] == "torch.OutOfMemoryError"
        assert any(f.source == "train.log:10" for f in r.facts if f.name == "error.cuda_oom")

    def test_counted_marker(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "x\n" + "WARNING: tokenization mismatch: 385 vs. 399. (ignored)\n" * 5)
        assert fact(r, "log.tokenization_mismatch")["count"] == 5
        assert fact(r, "log.tokenization_mismatch")["first_line"] == 2

    def test_nothing_found_says_so(self, tmp_path: Path) -> None:
        r = read_text(tmp_path, "hello\nworld\n")
        assert not r.facts and any("no training metrics" in w for w in r.warnings)


class TestChunking:
    """A record or a message split across the reader's chunks reads the same as a whole file."""

    @staticmethod
    def summary(r: Reading) -> tuple:
        return ({k: [(p.step, p.value, p.line) for p in s] for k, s in r.series.items()},
                sorted((f.name, repr(f.value), f.source) for f in r.facts), r.warnings)

    TEXT = tqdm_log() + "\x1b[33mWARNING: tokenization mismatch: 3 vs. 4.\x1b[39m\r\n" + V5 + V4 + \
        "[rank0]: ValueError: Asking to pad but the tokenizer does not have a padding token.\n" + \
        "{'train_runtime': 10.0, 'epoch': 1.0}"  # no final newline

    @pytest.mark.parametrize("chunk", [1, 7, 64, 1000, 10**6])
    def test_chunk_sizes(self, tmp_path: Path, chunk: int) -> None:
        whole = read_text(tmp_path, self.TEXT, chunk_size=10**7)
        assert self.summary(read_text(tmp_path, self.TEXT, chunk_size=chunk)) == self.summary(whole)

    def test_split_at_every_byte(self, tmp_path: Path) -> None:
        data = self.TEXT.encode()
        expected = self.summary(read_text(tmp_path, data))
        for cut in range(1, len(data)):
            r = Reading("x", "stdout_log")
            scanner = LogScanner(r, "train.log")
            scanner.feed(data[:cut])
            scanner.feed(data[cut:])
            scanner.finish()
            assert self.summary(r) == expected, f"split at byte {cut}"

    def test_worker_ranges_match_in_process(self, tmp_path: Path) -> None:
        pool = _pool(2)
        if pool is None:
            pytest.skip("no worker processes here (not Linux, or threads running)")
        pool.shutdown()
        path = tmp_path / "big.log"
        path.write_text((tqdm_log(steps=400, total=400) + "ValueError: boom\n") * 3)
        one, many = Reading(str(path), "stdout_log"), Reading(str(path), "stdout_log")
        scan_file(path, one, "big.log", workers=0)
        scan_file(path, many, "big.log", chunk_size=997, workers=2)
        assert self.summary(one) == self.summary(many)

    def test_ranges_meet_at_line_starts(self, tmp_path: Path) -> None:
        path = tmp_path / "r.log"
        path.write_bytes(b"ab\ncd\r\nef")
        size = path.stat().st_size
        total = sum(parse_range(str(path), a, min(a + 2, size)).newlines for a in range(0, size, 2))
        assert total == 2

    def test_line_starts_found_past_one_probe(self, tmp_path: Path) -> None:
        """A range edge in a line longer than one read of the probe still moves to that line's end."""
        from assistant.evidence._logscan import _PROBE, _line_start

        path = tmp_path / "long.log"
        long = b"x" * (3 * _PROBE + 5)
        path.write_bytes(b"ab\n" + long + b"\rcd\n" + b"y" * 10)
        with open(path, "rb") as f:
            assert _line_start(f, 0) == 0
            assert _line_start(f, 3) == 3                        # just after a break already
            assert _line_start(f, 4) == 3 + len(long) + 1        # to the `\r` 3 probes on
            assert _line_start(f, 3 + len(long) + 2) == 3 + len(long) + 4
            assert _line_start(f, path.stat().st_size - 2) == path.stat().st_size - 2   # no break left

    def test_empty_and_truncated(self, tmp_path: Path) -> None:
        r = Reading("x", "stdout_log")
        scanner = LogScanner(r, "x")
        scanner.finish()
        assert not r.facts and not r.series
        r = read_text(tmp_path, "{'loss': 1.5, 'grad_n")
        assert points(r, "loss") == [(1, 1.5)]

    def test_progress_is_reported_per_chunk(self, tmp_path: Path) -> None:
        seen: list[tuple[int, int]] = []
        path = tmp_path / "p.log"
        path.write_text(V4 * 100)
        StdoutLogReader(chunk_size=1000).read(path, progress=lambda d, t: seen.append((d, t)))
        size = path.stat().st_size
        assert len(seen) == -(-size // 1000) and seen[-1] == (size, size)


@needs_shared
class TestRealCaseLogs:
    EXPECTED = {
        "016": "error.cuda_oom", "018": "error.cuda_oom", "022": "error.reward_not_implemented",
        "023": "error.generation_batch_indivisible", "024": "error.dummy_optim", "025": "error.missing_pad_token",
        "026": "error.checkpoint_error", "027": "error.weight_must_be_2d", "028": "error.bf16_unsupported",
    }

    @staticmethod
    def case(prefix: str) -> Path:
        return next(CASES.glob(f"{prefix}-*")) / "log.txt"

    @pytest.mark.parametrize("log", sorted(CASES.glob("*/log.txt")), ids=lambda p: p.parent.name[:3])
    def test_every_case_log_reads(self, log: Path) -> None:
        reading, = read_attachment(log)
        assert reading.facts
        expected = self.EXPECTED.get(log.parent.name[:3])
        if expected:
            assert expected in names(reading)
        if "healthy" in log.parent.name:
            assert not [n for n in names(reading) if n.startswith("error.")]

    def test_003_tokenization_mismatch_count(self) -> None:
        reading, = read_attachment(self.case("003"))
        assert fact(reading, "log.tokenization_mismatch")["count"] == 16

    def test_004_quoted_numbers_first_step(self) -> None:
        reading, = read_attachment(self.case("004"))
        assert reading.series["loss"].first.step == 1 and reading.series["loss"].first.value == 185.9
        assert fact(reading, "log.framework") == "unsloth"

    def test_011_intermittent_nan(self) -> None:
        reading, = read_attachment(self.case("011"))
        loss, grad = reading.series["loss"], reading.series["grad_norm"]
        assert loss.nonfinite_count == 6 and loss.first_nonfinite.step == 6
        assert grad.count == 1 and grad.nonfinite_count == 1 and grad.first_nonfinite.step == 3
        assert reading.series["learning_rate"].count == 20  # `lr` and `learning_rate` are one metric

    def test_009_swift_steps(self) -> None:
        reading, = read_attachment(self.case("009"))
        assert [p.step for p in reading.series["loss"]] == [9, 10]
        assert fact(reading, "run.max_steps") == 547

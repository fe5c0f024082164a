"""`assistant watch --json` as a user runs it beside a trainer writing its log line by line."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from .cli import WatchProcess, is_
from .trainer_log import lines, write

NAN_STEP = 60
LINE_GAP_S = 0.01  # a trainer logging ~100 steps a second: far faster than real, to keep the test short


def following(e: dict) -> bool:
    return e["event"] == "source" and "kind" in e


def test_nan_alert_arrives_within_two_seconds_of_the_line(tmp_path: Path) -> None:
    """The alert names the step and the cause, and arrives within 2 s of the NaN line landing in the file."""
    log = tmp_path / "train.log"
    log.write_text("")
    watch = WatchProcess(str(log))
    try:
        watch.wait_for(following)
        landed = None
        for line in lines(total=120, nan_at=NAN_STEP):
            write(log, line)
            if landed is None and "'nan'" in line:
                landed = time.monotonic()
                break
            time.sleep(LINE_GAP_S)
        assert landed is not None
        arrived, alert = watch.wait_for(is_("alert"), timeout=10)
    finally:
        watch.stop()
    latency = arrived - landed
    print(f"NaN line -> alert: {latency:.3f}s")
    assert latency <= 2.0
    a = alert["alert"]
    assert a["severity"] == "critical" and a["step"] == NAN_STEP
    assert a["id"] == "gradient_explosion" and "non-finite" in a["why"]
    assert a["where"] == f"train.log:{NAN_STEP + 1}"  # the banner is line 1
    assert a["fix"]


def test_the_healthy_twin_emits_no_alert(tmp_path: Path) -> None:
    """The same run without the NaN: statuses, no alert; --until-done ends it at the summary line."""
    log = tmp_path / "train.log"
    watch = WatchProcess(str(log), "--until-done", "--status-every", "0.5")
    try:
        watch.wait_for(is_("waiting"))  # started before the trainer created its log
        for line in lines(total=120):
            write(log, line)
            time.sleep(LINE_GAP_S)
        assert watch.finish() == 0
    finally:
        watch.stop()
    assert watch.named("alert") == []
    assert watch.named("stop")[-1]["reason"] == "the run completed"
    status = watch.named("status")[-1]
    assert status["step"] == 120 and status["worst"] is None and status["completed"] is True


def test_exit_on_critical_ends_a_job_script_with_code_3(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    for line in lines(total=120, nan_at=NAN_STEP):
        write(log, line)
    watch = WatchProcess(str(log), "--exit-on", "critical")
    assert watch.finish() == 3
    stop = watch.named("stop")[-1]
    assert stop["code"] == 3 and "gradient_explosion" in stop["reason"]


def test_same_alert_is_not_repeated_while_nothing_changes(tmp_path: Path) -> None:
    """After the NaN, every later line is NaN too: the findings stay the same, so nothing is said again."""
    log = tmp_path / "train.log"
    watch = WatchProcess(str(log), "--until-done", "--status-every", "0.5")
    try:
        watch.wait_for(is_("waiting"))
        for line in lines(total=120, nan_at=NAN_STEP):
            write(log, line)
            time.sleep(LINE_GAP_S / 2)
        watch.wait_for(lambda e: e["event"] == "status" and e["step"] == 120, timeout=30)
        time.sleep(1.5)  # several more polls and judgements with nothing new
    finally:
        watch.stop()
    ids = [e["alert"]["id"] for e in watch.named("alert")]
    assert "gradient_explosion" in ids
    assert len(ids) == len(set(ids))


def test_log_that_vanishes_and_comes_back_from_a_restart(tmp_path: Path) -> None:
    """The log is deleted and written again by a run restarted from step 30: the watch follows it, says the run
    went back, and the new run's NaN still raises the alert at the new file's step."""
    log = tmp_path / "train.log"
    run = list(lines(total=120, nan_at=NAN_STEP))
    watch = WatchProcess(str(log), "--status-every", "0.5")
    try:
        watch.wait_for(is_("waiting"))
        write(log, "".join(run[:50]))
        watch.wait_for(lambda e: e["event"] == "status" and (e.get("step") or 0) >= 49, timeout=30)
        log.unlink()
        watch.wait_for(lambda e: e["event"] == "source" and e["message"].endswith("vanished"), timeout=30)
        resumed = run[31:]  # steps 31.. of the same run (run[0] is the banner)
        write(log, "garbage \x00\x01 line that is no log at all\n" + "".join(resumed))
        watch.wait_for(lambda e: e["event"] == "source" and e["message"].endswith("returned"), timeout=30)
        _, alert = watch.wait_for(is_("alert"), timeout=30)
    finally:
        watch.stop()
    assert alert["alert"]["step"] == NAN_STEP
    assert [e["step"] for e in watch.named("restart")] == [31]


@pytest.mark.parametrize("post", ["ftp://example.invalid/hook", "http://198.51.100.7/hook", "somewhere"])
def test_a_bad_post_target_is_refused_before_watching(tmp_path: Path, post: str) -> None:
    watch = WatchProcess(str(tmp_path / "train.log"), "--post", post, env={"TSA_WEBHOOK_SECRET": "s3cret-value"})
    assert watch.finish() == 2
    assert watch.events == []
    err = watch.stderr()
    assert "--post" in err and "Traceback" not in err

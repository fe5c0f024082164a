"""``StabilityCallback``: the watch inside a transformers/TRL trainer.

    from assistant.integrations.hf import StabilityCallback
    trainer.add_callback(StabilityCallback(stop_on="critical", alert_file="alerts.jsonl"))

``on_train_begin`` reads the TrainingArguments (and a PEFT model's LoRA config)
as config facts; ``on_log`` adds each logged dict to the same live reading
``assistant watch`` keeps and judges it when due: at once when a metric turned
non-finite, else every ``every`` logs (deterministic, so every rank of a
distributed run judges the same steps and agrees on stopping). Alerts go to the
``assistant.watch`` logger and to any of a file, Slack, a signed webhook; only
the main process sends them. ``stop_on="critical"`` (or ``"warning"``) sets
``control.should_training_stop`` when an alert that severe is raised.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

from transformers import TrainerCallback

from assistant.integrations.trainer_config import merged, trainer_config_facts
from assistant.watch.alerts import Alert, at_least
from assistant.watch.live import LiveReading
from assistant.watch.monitor import Judgement, RunMonitor
from assistant.watch.post import DEFAULT_SECRET_ENV, Dispatcher, FileTarget, LogTarget, SlackTarget, Target, WebhookTarget
from assistant.watch.schedule import EveryN
from assistant.watch.sources.records import RecordSource

__all__ = ["StabilityCallback"]

STOP_LEVELS = ("warning", "critical")
_log = logging.getLogger("assistant.watch")


class StabilityCallback(TrainerCallback):
    """Judges the run's logs as it trains; alerts, and optionally stops it."""

    def __init__(self, stop_on: str | None = None, alert_file: str | Path | None = None, *,
                 slack_channel: str | None = None, slack_webhook: str | None = None, webhook_url: str | None = None,
                 secret_env: str = DEFAULT_SECRET_ENV, logger: logging.Logger | None = None, every: int = 10,
                 config: Mapping[str, Any] | None = None, targets: list[Target] | None = None) -> None:
        if stop_on is not None and stop_on not in STOP_LEVELS:
            raise ValueError(f"stop_on={stop_on!r}: expected one of {STOP_LEVELS} or None")
        self.stop_on = stop_on
        self.every = every
        self.alerts: list[Alert] = []  # every alert raised, in order
        self.stopped_by: Alert | None = None
        self.judgement: Judgement | None = None
        self._axolotl = dict(config) if config else None
        self._targets = list(targets) if targets is not None else _targets(
            alert_file, slack_channel, slack_webhook, webhook_url, secret_env, logger)
        self._monitor: RunMonitor | None = None
        self._records: RecordSource | None = None
        self._dispatcher: Dispatcher | None = None
        self._main = True

    # --- trainer events -----------------------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        try:
            facts = trainer_config_facts(args, model)
            if self._axolotl is not None:
                from assistant.integrations.trainer_config import axolotl_config_facts

                facts = merged(axolotl_config_facts(self._axolotl), facts)
        except Exception as e:  # noqa: BLE001 - an odd argument must not stop the training run
            _log.warning("the trainer's settings could not be read (%s: %s); judging the metrics alone",
                         type(e).__name__, e)
            facts = []
        reading = LiveReading("trainer", "stdout_log")  # evidence reads `trainer#step=N`
        self._records = RecordSource(reading, "trainer")
        self._monitor = RunMonitor(reading, [self._records], schedule=EveryN(self.every),
                                   extra_facts=facts)
        self._main = bool(getattr(state, "is_world_process_zero", True))
        if self._main:
            self._dispatcher = Dispatcher(self._targets, str(getattr(args, "output_dir", None) or "trainer"))
        if self.stop_on is None and not self._main:
            return
        self._judge_now(control, charge=False)  # the config alone may already say something

    def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None,
               **kwargs: Any) -> None:
        if self._monitor is None or self._records is None or not logs:
            return
        if not self._main and self.stop_on is None:
            return  # only the main process alerts; others judge only to agree on stopping
        self._records.add({k: v for k, v in logs.items() if k != "total_flos"}, int(state.global_step))
        self._monitor.poll()
        judged = self._monitor.maybe_judge()  # a failed judgement is logged, never raised into the training loop
        for problem in self._monitor.new_warnings():
            _log.warning("%s", problem)
        if judged is not None:
            self._handle(judged, control)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._monitor is None:
            return
        if self._monitor.due() or self._monitor.report is None:
            self._judge_now(control)
        if self._dispatcher is not None:
            self._dispatcher.close()

    # --- alerts -------------------------------------------------------------------------------

    def _judge_now(self, control: Any, charge: bool = True) -> None:
        assert self._monitor is not None
        try:
            judged = self._monitor.judge(charge=charge)
        except Exception as e:  # noqa: BLE001 - never raised into the training loop
            _log.warning("judging the run failed (%s: %s); training goes on", type(e).__name__, e)
            return
        self._handle(judged, control)

    def _handle(self, judged: Judgement, control: Any) -> None:
        self.judgement = judged
        self.alerts.extend(judged.alerts)
        if self._main and self._dispatcher is not None:
            for alert in judged.alerts:
                self._dispatcher.send(alert)
        if self.stop_on is not None and self.stopped_by is None:
            hit = next((a for a in judged.alerts if at_least(a.severity, self.stop_on)), None)
            if hit is not None:
                self.stopped_by = hit
                control.should_training_stop = True
                _log.warning("stopping training: %s alert %s (stop_on=%s)", hit.severity, hit.id, self.stop_on)


def _targets(alert_file: str | Path | None, slack_channel: str | None, slack_webhook: str | None,
             webhook_url: str | None, secret_env: str, logger: logging.Logger | None) -> list[Target]:
    targets: list[Target] = [LogTarget(logger)]
    if alert_file is not None:
        targets.append(FileTarget(Path(alert_file)))
    if slack_channel or slack_webhook:
        targets.append(SlackTarget(channel=slack_channel, webhook_url=slack_webhook))
    if webhook_url:
        targets.append(WebhookTarget(webhook_url, secret_env))
    return targets

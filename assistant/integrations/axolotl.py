"""An axolotl plugin that adds ``StabilityCallback`` to axolotl's trainer.

In the axolotl YAML:

    plugins:
      - assistant.integrations.axolotl.StabilityPlugin

axolotl calls ``add_callbacks_post_trainer(cfg, trainer)`` once the trainer
exists; the callback gets axolotl's own config (so the config facts are the
user's axolotl keys) and its options from the environment, since axolotl checks
the YAML's keys against its schema: ``TSA_STOP_ON`` (critical | warning),
``TSA_ALERT_FILE``, ``TSA_SLACK_CHANNEL`` (with ``SLACK_BOT_TOKEN``),
``TSA_SLACK_WEBHOOK``, ``TSA_WEBHOOK_URL`` (signed with ``TSA_WEBHOOK_SECRET``).
"""
from __future__ import annotations

import os
from typing import Any, Mapping

try:  # subclass axolotl's base when it is there, so every other hook is its no-op
    from axolotl.integrations.base import BasePlugin
except ImportError:  # outside axolotl (tests, docs): the two hooks below are all it needs
    BasePlugin = object  # type: ignore[misc,assignment]

__all__ = ["StabilityPlugin", "callback_from_env"]


def callback_from_env(cfg: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Any:
    """A ``StabilityCallback`` configured by the TSA_* variables, reading ``cfg`` as the run's config."""
    from assistant.integrations.hf import StabilityCallback

    env = os.environ if environ is None else environ
    return StabilityCallback(stop_on=env.get("TSA_STOP_ON") or None, alert_file=env.get("TSA_ALERT_FILE") or None,
                             slack_channel=env.get("TSA_SLACK_CHANNEL") or None,
                             slack_webhook=env.get("TSA_SLACK_WEBHOOK") or None,
                             webhook_url=env.get("TSA_WEBHOOK_URL") or None, config=cfg)


class StabilityPlugin(BasePlugin):  # type: ignore[misc,valid-type]
    """axolotl plugin: the stability callback on every run that lists it under ``plugins:``."""

    def get_input_args(self) -> None:
        return None

    def add_callbacks_pre_trainer(self, cfg: Any, model: Any) -> list:
        return []

    def add_callbacks_post_trainer(self, cfg: Any, trainer: Any) -> list:
        return [callback_from_env(dict(cfg) if cfg is not None else None)]

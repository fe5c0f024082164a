"""A trainer's settings become the config facts the readers produce; the axolotl plugin hands over axolotl's config."""
from __future__ import annotations

from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")

from assistant.evidence import read_attachment  # noqa: E402
from assistant.integrations.axolotl import StabilityPlugin, callback_from_env  # noqa: E402
from assistant.integrations.hf import StabilityCallback  # noqa: E402
from assistant.integrations.trainer_config import axolotl_config_facts, trainer_config_facts  # noqa: E402


def values(facts: list) -> dict:
    return {f.name: f.value for f in facts}


def test_training_arguments_read_like_the_hf_args_reader(tmp_path: Path) -> None:
    args = transformers.TrainingArguments(output_dir=str(tmp_path), learning_rate=3e-4, per_device_train_batch_size=4,
                                          gradient_accumulation_steps=2, max_grad_norm=0.0, bf16=False,
                                          report_to=[], use_cpu=True)
    got = values(trainer_config_facts(args))
    # the same call written in a script, read by the HF-arguments reader
    script = tmp_path / "train.py"
    script.write_text("from transformers import TrainingArguments\nargs = TrainingArguments(output_dir='o', "
                      "learning_rate=3e-4, per_device_train_batch_size=4, gradient_accumulation_steps=2, "
                      "max_grad_norm=0.0, bf16=False)\n")
    read = values(f for r in read_attachment(script) for f in r.facts)
    for name in ("config.learning_rate", "config.micro_batch_size", "config.gradient_accumulation_steps",
                 "config.max_grad_norm", "config.bf16", "run.kind", "config.tool"):
        assert got[name] == read[name], name
    assert got["config.precision"] == "fp32"


def test_axolotl_config_keeps_axolotl_names() -> None:
    got = values(axolotl_config_facts({"base_model": "x", "learning_rate": "2e-4", "rl": "grpo", "adapter": "lora",
                                       "trl": {"num_generations": 8, "beta": 0.0}, "micro_batch_size": 2}))
    assert got["config.learning_rate"] == 2e-4 and got["run.kind"] == "grpo"
    assert got["config.trl.num_generations"] == 8 and got["config.adapter"] == "lora"


def test_the_plugin_adds_the_callback_configured_from_the_environment(tmp_path: Path) -> None:
    (cb,) = StabilityPlugin().add_callbacks_post_trainer({"learning_rate": 2e-4, "rl": "grpo"}, trainer=None)
    assert isinstance(cb, StabilityCallback) and cb.stop_on is None
    cb = callback_from_env({"learning_rate": 1e-5}, {"TSA_STOP_ON": "critical", "TSA_ALERT_FILE": str(tmp_path / "a")})
    assert cb.stop_on == "critical"
    with pytest.raises(ValueError, match="stop_on"):
        StabilityCallback(stop_on="sometimes")

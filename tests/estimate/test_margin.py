"""The estimate's own error (issue 10): a fit with less than ~15% to spare is tight and names the ladder's
rung that leaves that margin (rules/probes.yaml probes.tight_fit_and_oom uses it only when the run did run out
of memory; its examples cover that); 8-bit still has the 4-bit rung above it; LLaMA-Factory checkpoints
activations unless told not to."""
from __future__ import annotations

from assistant.estimate import assess
from assistant.estimate.assess import TIGHT
from assistant.estimate.facts import estimate_facts
from assistant.estimate.memory import GIB
from assistant.estimate.setup import setup_from_config

LORA_13B_8BIT = {"base_model": "huggyllama/llama-13b", "adapter": "lora", "load_in_8bit": True, "precision": "fp16",
                 "micro_batch_size": 1, "sequence_len": 1024, "gradient_checkpointing": True}


def peak_gib(config: dict) -> float:
    return assess(config, memory_gib=None).estimate.peak_bytes / GIB


def test_a_fit_inside_the_margin_is_tight_and_names_a_rung() -> None:
    peak = peak_gib(LORA_13B_8BIT)
    a = assess(LORA_13B_8BIT, memory_gib=peak / 0.9)          # 10% to spare
    assert a.fits and a.tight
    assert a.ladder is not None and a.ladder.rung is not None
    assert a.ladder.peak_bytes <= TIGHT * a.memory_gib * GIB
    names = {f.name: f.value for f in estimate_facts(a)}
    assert names["estimate.fits"] is True and names["estimate.tight"] is True and names["estimate.next_rung"]


def test_a_comfortable_fit_is_not_tight() -> None:
    peak = peak_gib(LORA_13B_8BIT)
    a = assess(LORA_13B_8BIT, memory_gib=peak / 0.6)
    assert a.fits and not a.tight and a.ladder is None
    assert "estimate.tight" not in {f.name for f in estimate_facts(a)}


def test_eight_bit_still_has_the_four_bit_rung() -> None:
    config = {**LORA_13B_8BIT, "sequence_len": 256}
    a = assess(config, memory_gib=peak_gib(config) * 0.8)      # short of memory; batch and checkpointing done
    assert a.ladder is not None and a.ladder.rung is not None
    assert a.ladder.rung.name == "quantization" and a.ladder.patch.get("load_in_4bit") is True


def test_llamafactory_checkpoints_by_default() -> None:
    assert setup_from_config({"tool": "llamafactory"}).gradient_checkpointing is True
    assert setup_from_config({"tool": "llamafactory", "disable_gradient_checkpointing": True}).gradient_checkpointing is False
    assert setup_from_config({"tool": "llamafactory", "gradient_checkpointing": False}).gradient_checkpointing is False
    assert setup_from_config({}).gradient_checkpointing is False   # axolotl's default stays off


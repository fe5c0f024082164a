"""The words layer on real questions from the corpus's dev split (tests/cases/dev): each case's
question.txt is what a user wrote (in our words), and the facts below are what a practitioner reads
in it. Only dev questions are used here; the validation split stays unseen."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.engine.facts import Fact
from assistant.words import facts_from_words

DEV = Path(__file__).resolve().parents[1] / "cases" / "dev"


def read(case: str) -> list[Fact]:
    return facts_from_words((DEV / case / "question.txt").read_text(encoding="utf-8"))


def has(facts: list[Fact], name: str, **attrs: object) -> bool:
    for f in facts:
        if f.name != name:
            continue
        if not attrs:
            return True
        if hasattr(f.value, "get") and all(f.value.get(k) == v for k, v in attrs.items()):
            return True
        if "value" in attrs and f.value == attrs["value"]:
            return True
    return False


@pytest.mark.parametrize("case,name,attrs", [
    # quantitative claims, English and Chinese
    ("s-lomo-small-lr-loss-flat", "symptom.plateau", {"metric": "loss"}),                      # "loss基本不降"
    ("s-baichuan2-13b-lora-fp16-loss-all-zero", "symptom.stuck_zero", {"metric": "loss", "all": True}),  # "从头到尾全是 0"
    ("s-qlora-eval-loss-down-then-up", "symptom.trend", {"metric": "eval_loss", "direction": "rising", "turned": True}),
    ("h-vlm2vec-qwen2vl-gradnorm-high-at-start", "symptom.trend", {"metric": "grad_norm", "direction": "falling"}),
    ("r-grpo-qlora-num-generations-2-flat-reward", "symptom.trend", {"metric": "reward", "direction": "flat"}),
    ("r-grpo-qlora-num-generations-2-flat-reward", "user.reward_mean", {"value": 0.18}),
    # numbers the estimator and the RL arithmetic need
    ("r-grpo-qlora-num-generations-2-flat-reward", "user.num_generations", {"value": 2}),
    ("o-llamafactory-baichuan13b-8bit-lora-mig-20gb-oom", "user.model_params", {"value": 13e9}),
    ("o-llamafactory-baichuan13b-8bit-lora-mig-20gb-oom", "user.gpu_memory_gib", {"value": 20.0}),
    ("o-llamafactory-baichuan13b-8bit-lora-mig-20gb-oom", "user.quant_bits", {"value": 8}),
    # phrases, including ones keywords used to miss
    ("o-llamafactory-dpo-full-7b-400g-ram", "user.host_ram", {}),                               # "内存爆掉"
    ("e-a6000-ddp-wont-start-p2p", "user.hang", {}),                                            # "it just sits there"
    ("s-unsloth-llama3-never-emits-eos", "user.no_stop", {}),
])
def test_a_real_question_reads_as_a_practitioner_reads_it(case: str, name: str, attrs: dict) -> None:
    facts = read(case)
    assert has(facts, name, **attrs), f"{case}: {name} {attrs} not in {[(f.name, f.value) for f in facts]}"


@pytest.mark.parametrize("case,name", [
    # two models' starting losses are no series: no spike, no rise
    ("h-yi34b-sft-initial-loss-high", "symptom.spikes"),
    ("h-yi34b-sft-initial-loss-high", "symptom.trend"),
    # a question about a possible cause states no symptom
    ("h-dpo-reference-negative-rewards", "user.repetition"),
    # a GRPO loss swinging around 0 is a signed objective, not a stuck or collapsed loss
    ("h-simple-grpo-loss-sign-flips", "symptom.stuck_zero"),
    ("r-healthy-trl-grpo-loss-zero-cosmetic", "user.loss_zero"),
])
def test_what_a_real_question_does_not_say(case: str, name: str) -> None:
    assert not has(read(case), name), [(f.name, f.value) for f in read(case)]

"""StabilityCallback in a real transformers Trainer on CPU: a tiny Llama built here from a config (no download).

The data are random token sequences that follow one rule (each token is the last plus one, from a random
start), so the model can learn them. The model is first trained a little with plain torch, so that the
Trainer run is a fine-tune: at a learning rate the guide calls plausible for a small run it keeps
improving (no alert); at an absurd one it turns NaN within a few steps, and the alert names the step
and the cause, and stops the run.
"""
from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from assistant.integrations.hf import StabilityCallback  # noqa: E402

VOCAB, LENGTH, STEPS = 32, 16, 40


class CountingSequences(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 512

    def __getitem__(self, i: int) -> dict[str, Any]:
        start = torch.randint(0, VOCAB, (1,), generator=torch.Generator().manual_seed(i))
        ids = (start + torch.arange(LENGTH)) % VOCAB
        return {"input_ids": ids, "labels": ids.clone()}


@pytest.fixture(scope="module")
def pretrained() -> dict[str, Any]:
    """Weights after 30 plain steps at a high rate: the starting point of each fine-tune."""
    torch.set_num_threads(1)  # tensors this small run fastest on one thread, and CI has two cores
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(transformers.LlamaConfig(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=LENGTH))
    data, opt = CountingSequences(), torch.optim.AdamW(model.parameters(), lr=3e-3)
    for step in range(30):
        batch = torch.stack([data[(step * 8 + j) % len(data)]["input_ids"] for j in range(8)])
        model(input_ids=batch, labels=batch).loss.backward()
        opt.step()
        opt.zero_grad()
    return {"config": model.config, "state": {k: v.clone() for k, v in model.state_dict().items()}}


def fine_tune(pretrained: dict[str, Any], tmp_path: Path, callback: StabilityCallback, *, lr: float, warmup: int,
              clip: float) -> Any:
    model = transformers.LlamaForCausalLM(pretrained["config"])
    model.load_state_dict(pretrained["state"])
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), max_steps=STEPS, logging_steps=1, learning_rate=lr, warmup_steps=warmup,
        lr_scheduler_type="cosine", per_device_train_batch_size=8, max_grad_norm=clip, report_to=[],
        save_strategy="no", disable_tqdm=True, use_cpu=True, seed=0)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=CountingSequences(), callbacks=[callback])
    trainer.train()
    return trainer


def test_a_healthy_fine_tune_raises_no_alert(pretrained: dict[str, Any], tmp_path: Path) -> None:
    cb = StabilityCallback(alert_file=tmp_path / "alerts.jsonl", every=5)
    trainer = fine_tune(pretrained, tmp_path, cb, lr=2.4e-4, warmup=2, clip=1.0)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == STEPS and losses[-1] < losses[0]
    assert cb.alerts == [] and not (tmp_path / "alerts.jsonl").exists()
    assert cb.judgement is not None
    assert all(d.severity == "info" for d in cb.judgement.report.diagnoses)
    facts = {f["name"]: f["value"] for f in cb.judgement.report.facts}
    assert facts["config.learning_rate"] == 2.4e-4 and facts["config.micro_batch_size"] == 8  # from TrainingArguments


def test_a_learning_rate_that_drives_it_to_nan_is_named_and_stops_the_run(
        pretrained: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cb = StabilityCallback(stop_on="critical", alert_file=tmp_path / "alerts.jsonl", every=5)
    with caplog.at_level(logging.WARNING, logger="assistant.watch"):
        trainer = fine_tune(pretrained, tmp_path, cb, lr=1e8, warmup=10, clip=0.0)
    history = [h for h in trainer.state.log_history if "grad_norm" in h]
    nan_step = next(h["step"] for h in history if not math.isfinite(h["grad_norm"]))
    assert cb.stopped_by is not None and cb.stopped_by.severity == "critical"
    assert trainer.state.global_step == nan_step < STEPS  # stopped right there
    hit = next(a for a in cb.alerts if a.id == "gradient_explosion")
    assert hit.severity == "critical" and hit.step == nan_step and hit.where == f"trainer#step={nan_step}"
    assert "non-finite" in hit.why and "max_grad_norm" in hit.why  # the cause: no clipping, the backward pass
    sent = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert {"id": "gradient_explosion", "step": nan_step} in [{"id": r["id"], "step": r["step"]} for r in sent]
    assert any("gradient_explosion" in r.getMessage() and f"at step {nan_step}" in r.getMessage() for r in caplog.records)
    assert any("stopping training" in r.getMessage() for r in caplog.records)

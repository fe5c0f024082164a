"""DeepSpeed JSON configs: flattened facts, derived ZeRO stage and offload."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evidence import read_attachment
from tests.evidence.conftest import AXOLOTL_EXAMPLES, fact, names, needs_shared


def test_flattened_and_derived(tmp_path: Path) -> None:
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({
        "zero_optimization": {"stage": 3, "offload_optimizer": {"device": "cpu", "pin_memory": True},
                              "offload_param": {"device": "none"}, "reduce_bucket_size": "auto"},
        "bf16": {"enabled": True}, "fp16": {"enabled": "auto"}, "gradient_clipping": 1.0,
        "train_micro_batch_size_per_gpu": "auto"}, indent=2))
    r, = read_attachment(path)
    assert r.kind == "deepspeed_config"
    assert fact(r, "deepspeed.zero_optimization.stage") == 3
    assert fact(r, "deepspeed.zero_optimization.reduce_bucket_size") == "auto"
    assert fact(r, "deepspeed.bf16.enabled") is True and fact(r, "deepspeed.fp16.enabled") == "auto"
    assert fact(r, "deepspeed.gradient_clipping") == 1.0
    assert fact(r, "config.deepspeed.zero_stage") == 3
    assert fact(r, "config.deepspeed.offload_optimizer") is True
    assert fact(r, "config.deepspeed.offload_param") is False  # device "none"
    # each key's source is its line; the two `device` keys are told apart
    sources = {f.name: f.source for f in r.facts}
    lines = path.read_text().splitlines()
    for key in ("deepspeed.zero_optimization.offload_optimizer.device", "deepspeed.zero_optimization.offload_param.device"):
        line = int(sources[key].rsplit(":", 1)[1])
        assert key.split(".")[-2] in lines[line - 2] or key.split(".")[-2] in lines[line - 1]


@needs_shared
@pytest.mark.parametrize("path", sorted(AXOLOTL_EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_real_deepspeed_configs(path: Path) -> None:
    r, = read_attachment(path)
    assert r.kind == "deepspeed_config"
    stage = int(path.stem.split("zero")[1][0])
    assert fact(r, "config.deepspeed.zero_stage") == stage
    assert "deepspeed.gradient_clipping" in names(r)
    offload_all = "cpuoffload_all" in path.stem
    assert fact(r, "config.deepspeed.offload_param") is offload_all

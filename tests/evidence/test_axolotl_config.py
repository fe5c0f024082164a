"""Axolotl YAML configs: every real example, normalisation, aliases, derived facts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evidence import read_attachment
from assistant.evidence.axolotl_config import AxolotlConfigReader
from tests.evidence.conftest import AXOLOTL_EXAMPLES, CASES, fact, names, needs_shared


def read(tmp_path: Path, text: str, name: str = "config.yml"):
    path = tmp_path / name
    path.write_text(text)
    reading, = read_attachment(path)
    return reading


def test_scalars_nesting_and_lines(tmp_path: Path) -> None:
    r = read(tmp_path, "# a comment\nbase_model: meta-llama/Llama-3.2-1B\nlearning_rate: 2e-5\n"
                       "trl:\n  num_generations: 8\n  reward_funcs:\n    - rw.acc\n    - rw.fmt\n"
                       "gradient_checkpointing_kwargs:\n  use_reentrant: false\n"
                       "special_tokens:\n  pad_token: \"1\"\nadapter:\n")
    assert fact(r, "config.learning_rate") == 2e-05  # a string to PyYAML
    assert fact(r, "config.trl.num_generations") == 8
    assert fact(r, "config.trl.reward_funcs") == ("rw.acc", "rw.fmt")
    assert fact(r, "config.trl")["num_generations"] == 8  # the mapping as a whole, too
    assert fact(r, "config.gradient_checkpointing_kwargs.use_reentrant") is False
    assert fact(r, "config.special_tokens.pad_token") == "1"  # a token, never a number
    assert "config.adapter" not in names(r)  # `key:` with no value is unset
    sources = {f.name: f.source for f in r.facts}
    assert sources["config.learning_rate"] == "config.yml:3"
    assert sources["config.trl.num_generations"] == "config.yml:5"


@pytest.mark.parametrize("flag, value", [("flash_attention", "flash_attention_2"), ("sdp_attention", "sdpa"),
                                         ("xformers_attention", "xformers"), ("flex_attention", "flex_attention"),
                                         ("eager_attention", "eager")])
def test_deprecated_attention_flags(tmp_path: Path, flag: str, value: str) -> None:
    r = read(tmp_path, f"base_model: x\n{flag}: true\n")
    assert fact(r, "config.attn_implementation") == value
    assert f"config.{flag}" not in names(r)
    assert fact(r, "config.deprecated_keys") == (flag,)


def test_explicit_attn_implementation_wins(tmp_path: Path) -> None:
    r = read(tmp_path, "flash_attention: true\nattn_implementation: sdpa\n")
    assert fact(r, "config.attn_implementation") == "sdpa"


def test_renamed_keys(tmp_path: Path) -> None:
    r = read(tmp_path, "base_model: x\ndataset_processes: 4\nnoisy_embedding_alpha: 5\ndpo_beta: 0.1\n"
                       "evaluation_strategy: steps\nmodel_type: AutoModelForCausalLM\n"
                       "fsdp_config:\n  fsdp_offload_params: true\n  fsdp_version: 2\n")
    assert fact(r, "config.dataset_num_proc") == 4 and fact(r, "config.neftune_noise_alpha") == 5
    assert fact(r, "config.rl_beta") == 0.1 and fact(r, "config.eval_strategy") == "steps"
    assert fact(r, "config.type_of_model") == "AutoModelForCausalLM"
    assert fact(r, "config.fsdp_config.offload_params") is True
    assert fact(r, "config.fsdp_version") == 2
    assert "config.dataset_processes" not in names(r)


@pytest.mark.parametrize("text, precision", [
    ("bf16: true", "bf16"), ("bf16: full", "bf16"), ("bf16: auto", "bf16_auto"), ("fp16: true", "fp16"),
    ("float16: true", "pure_fp16"), ("bfloat16: true", "pure_bf16"), ("bf16: false\nfp16: false", "fp32"),
    ("fp8: true\nbf16: true", "fp8"), ("bf16: auto\nfp16: true", "fp16"),
])
def test_precision(tmp_path: Path, text: str, precision: str) -> None:
    assert fact(read(tmp_path, "base_model: x\n" + text + "\n"), "config.precision") == precision


def test_precision_not_stated_gives_no_fact(tmp_path: Path) -> None:
    # no fact, so that the follow-up question about precision is still asked
    assert "config.precision" not in names(read(tmp_path, "base_model: x\n"))


@pytest.mark.parametrize("rl, kind", [("grpo", "grpo"), ("gdpo", "grpo"), ("dpo", "dpo"), ("ipo", "dpo"),
                                      ("simpo", "dpo"), ("kto", "kto"), ("orpo", "orpo"), ("ebft", "ebft")])
def test_run_kind(tmp_path: Path, rl: str, kind: str) -> None:
    assert fact(read(tmp_path, f"rl: {rl}\n"), "run.kind") == kind


def test_run_kind_sft_and_reward(tmp_path: Path) -> None:
    assert fact(read(tmp_path, "base_model: x\n"), "run.kind") == "sft"
    assert fact(read(tmp_path, "base_model: x\nreward_model: true\n"), "run.kind") == "reward"


@pytest.mark.parametrize("value, stage, offload", [
    ("zero3", 3, {}), ("deepspeed_configs/zero2.json", 2, {}),
    ("deepspeed_configs/zero3_bf16_cpuoffload_params.json", 3, {"offload_param": True}),
    ("deepspeed_configs/zero3_bf16_cpuoffload_all.json", 3, {"offload_param": True, "offload_optimizer": True}),
])
def test_deepspeed_from_name(tmp_path: Path, value: str, stage: int, offload: dict) -> None:
    r = read(tmp_path, f"deepspeed: {value}\n")
    assert fact(r, "config.deepspeed") == value and fact(r, "config.deepspeed.zero_stage") == stage
    for key in ("offload_param", "offload_optimizer"):
        assert (f"config.deepspeed.{key}" in names(r)) == (key in offload)


def test_deepspeed_inline_dict(tmp_path: Path) -> None:
    r = read(tmp_path, "deepspeed:\n  zero_optimization:\n    stage: 2\n    offload_optimizer:\n      device: cpu\n")
    assert fact(r, "config.deepspeed.zero_stage") == 2
    assert fact(r, "config.deepspeed.offload_optimizer") is True
    assert fact(r, "config.deepspeed.offload_param") is False


def test_deepspeed_json_next_to_config_is_read(tmp_path: Path) -> None:
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "zero2.json").write_text(json.dumps(
        {"zero_optimization": {"stage": 3, "offload_param": {"device": "cpu"}}, "gradient_clipping": "auto"}))
    r = read(tmp_path, "deepspeed: ds/zero2.json\n")
    assert fact(r, "config.deepspeed.zero_stage") == 3  # the JSON beats the file name
    assert fact(r, "config.deepspeed.offload_param") is True
    assert fact(r, "deepspeed.gradient_clipping") == "auto"


def test_wandb_config_yaml(tmp_path: Path) -> None:
    r = read(tmp_path, "wandb_version: 1\n_wandb:\n  value:\n    cli_version: 0.19.1\n"
                       "learning_rate:\n  desc: null\n  value: 0.0002\nper_device_train_batch_size:\n  value: 4\n"
                       "hidden_size:\n  value: 4096\nbf16:\n  value: true\n")
    assert fact(r, "config.learning_rate") == 0.0002 and fact(r, "config.micro_batch_size") == 4
    assert fact(r, "config.precision") == "bf16"
    assert "config.hidden_size" not in names(r)  # not an axolotl key


def test_sniff_needs_known_keys_and_yaml_shape(tmp_path: Path) -> None:
    reader = AxolotlConfigReader()
    assert reader.sniff(b"# comment\nlearning_rate: 2e-5\nmicro_batch_size: 2\n", tmp_path / "a")
    assert not reader.sniff(b"foo: 1\nbar: 2\n", tmp_path / "a")
    assert not reader.sniff(b"step 1 done\nlearning_rate: 2e-5\nloss went down\nstep 2\n", tmp_path / "a")
    assert not reader.sniff(b'{"learning_rate": 1}', tmp_path / "a")


@needs_shared
@pytest.mark.parametrize("path", sorted(AXOLOTL_EXAMPLES.glob("*.y*ml")), ids=lambda p: p.stem)
def test_every_real_example_loads(path: Path) -> None:
    reading, = read_attachment(path)
    assert reading.kind == "axolotl_config" and not reading.warnings
    assert "run.kind" in names(reading) and "config.learning_rate" in names(reading)
    assert isinstance(fact(reading, "config.learning_rate"), float)


@needs_shared
def test_real_example_details() -> None:
    fft, = read_attachment(AXOLOTL_EXAMPLES / "llama-3__fft-8b.yaml")
    assert fact(fft, "config.learning_rate") == 2e-05
    gdpo, = read_attachment(AXOLOTL_EXAMPLES / "llama-3__qlora-1b-gdpo.yaml")
    assert fact(gdpo, "run.kind") == "grpo" and fact(gdpo, "config.trl.num_generations") == 2
    assert fact(gdpo, "config.precision") == "bf16_auto"
    falcon, = read_attachment(AXOLOTL_EXAMPLES / "falcon-e__falcon-e-3b-ft.yaml")
    assert fact(falcon, "config.attn_implementation") == "flash_attention_2"
    ds, = read_attachment(AXOLOTL_EXAMPLES / "mistral__bigstral__bigstral-ds-zero3.yaml")
    assert fact(ds, "config.deepspeed.zero_stage") == 3 and fact(ds, "config.deepspeed.offload_param") is True
    fp8, = read_attachment(AXOLOTL_EXAMPLES / "llama-3__3b-fp8-fsdp2.yaml")
    assert fact(fp8, "config.precision") == "fp8" and fact(fp8, "config.fsdp_version") == 2


@needs_shared
@pytest.mark.parametrize("path", sorted(CASES.glob("*/config.yaml")), ids=lambda p: p.parent.name[:3])
def test_every_case_config_loads(path: Path) -> None:
    reading, = read_attachment(path)
    assert reading.kind == "axolotl_config" and "run.kind" in names(reading)

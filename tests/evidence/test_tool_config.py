"""Other tools' config files (LLaMA-Factory, TRL CLI, verl/EasyR1 YAML, HF training_args.json)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evidence import read_attachment, reader_for
from tests.evidence.conftest import AXOLOTL_EXAMPLES, fact, names, needs_shared

# hiyouga/LLaMA-Factory examples/train_qlora/llama3_lora_sft_otfq.yaml
LLAMAFACTORY_QLORA = """### model
model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct
quantization_bit: 4
quantization_method: bitsandbytes  # choices: [bitsandbytes (4/8), hqq (2/3/4/5/6/8), eetq (8)]

### method
stage: sft
do_train: true
finetuning_type: lora
lora_target: all

### dataset
dataset: identity,alpaca_en_demo
template: llama3
cutoff_len: 2048
max_samples: 1000
overwrite_cache: true
preprocessing_num_workers: 16

### output
output_dir: saves/llama3-8b/lora/sft
logging_steps: 10
save_steps: 500
plot_loss: true
overwrite_output_dir: true

### train
per_device_train_batch_size: 1
gradient_accumulation_steps: 8
learning_rate: 1.0e-4
num_train_epochs: 3.0
lr_scheduler_type: cosine
warmup_ratio: 0.1
bf16: true
ddp_timeout: 180000000

### eval
val_size: 0.1
per_device_eval_batch_size: 1
eval_strategy: steps
eval_steps: 500
"""

LLAMAFACTORY_DPO = """### model
model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct
trust_remote_code: true

### method
stage: dpo
do_train: true
finetuning_type: lora
lora_rank: 8
lora_target: q_proj,v_proj
pref_beta: 0.1
pref_loss: sigmoid  # choices: [sigmoid (dpo), orpo, simpo]
flash_attn: fa2
deepspeed: examples/deepspeed/ds_z3_config.json

### train
per_device_train_batch_size: 1
gradient_accumulation_steps: 8
learning_rate: 5.0e-6
num_train_epochs: 3.0
report_to: wandb
"""

# trl examples/cli_configs/example_config.yaml style: values on the next line
TRL_CLI = """# This is an example configfile that showcases the trl CLI
model_name_or_path:
  Qwen/Qwen2.5-0.5B
dataset_name:
  stanfordnlp/imdb
report_to:
  none
learning_rate:
  0.0001
lr_scheduler_type:
  cosine
num_generations: 8
per_device_train_batch_size: 8
"""

VERL_YAML = """data:
  train_batch_size: 1024
  max_prompt_length: 512
  max_response_length: 1024
actor_rollout_ref:
  model:
    path: Qwen/Qwen2.5-7B-Instruct
    enable_gradient_checkpointing: true
  actor:
    ppo_micro_batch_size_per_gpu: 8
    optim:
      lr: 1e-6
  rollout:
    name: vllm
    n: 8
algorithm:
  adv_estimator: grpo
trainer:
  n_gpus_per_node: 8
  nnodes: 2
"""

# zefang-liu/AdaMoLE#2: a training_args.json (TrainingArguments.to_json_string), abridged
TRAINING_ARGS_JSON = {
    "output_dir": "outputs/meta-llama-3-8b-instruct-adamole-the4-commonsense-qa", "overwrite_output_dir": True,
    "do_train": False, "do_eval": True, "evaluation_strategy": "steps", "per_device_train_batch_size": 1,
    "per_device_eval_batch_size": 1, "per_gpu_train_batch_size": None, "gradient_accumulation_steps": 16,
    "learning_rate": 0.0001, "weight_decay": 0.0, "max_grad_norm": 1.0, "num_train_epochs": 1, "max_steps": -1,
    "lr_scheduler_type": "constant_with_warmup", "lr_scheduler_kwargs": {}, "warmup_ratio": 0.0, "warmup_steps": 200,
    "logging_steps": 10, "bf16": True, "fp16": False, "fsdp": [], "deepspeed": None,
}


def read(tmp_path: Path, text: str, name: str = "config.yaml"):
    path = tmp_path / name
    path.write_text(text)
    reading, = read_attachment(path)
    return reading


def test_llamafactory_qlora(tmp_path: Path) -> None:
    r = read(tmp_path, LLAMAFACTORY_QLORA)
    assert r.kind == "axolotl_config" and r.warnings == []
    assert fact(r, "config.tool") == "llamafactory" and fact(r, "run.kind") == "sft"
    assert fact(r, "config.load_in_4bit") is True and fact(r, "config.adapter") == "qlora"
    assert fact(r, "config.lora_target_linear") is True and fact(r, "config.sequence_len") == 2048
    assert fact(r, "config.chat_template") == "llama3" and fact(r, "config.base_model") == "meta-llama/Meta-Llama-3-8B-Instruct"
    assert fact(r, "config.micro_batch_size") == 1 and fact(r, "config.gradient_accumulation_steps") == 8
    assert fact(r, "config.learning_rate") == 1e-4 and fact(r, "config.num_epochs") == 3.0
    assert fact(r, "config.val_set_size") == 0.1 and fact(r, "config.precision") == "bf16"
    assert not names(r) & {"config.stage", "config.cutoff_len", "config.finetuning_type", "config.quantization_bit"}
    sources = {f.name: f.source for f in r.facts}
    assert sources["config.sequence_len"] == "config.yaml:15" and sources["config.adapter"] == "config.yaml:9"


def test_llamafactory_dpo(tmp_path: Path) -> None:
    r = read(tmp_path, LLAMAFACTORY_DPO)
    assert fact(r, "run.kind") == "dpo" and fact(r, "config.rl_beta") == 0.1
    assert fact(r, "config.lora_r") == 8 and fact(r, "config.lora_target_modules") == ("q_proj", "v_proj")
    assert fact(r, "config.attn_implementation") == "flash_attention_2" and fact(r, "config.use_wandb") is True
    assert fact(r, "config.deepspeed") == "examples/deepspeed/ds_z3_config.json"


def test_llamafactory_orpo_loss_is_orpo(tmp_path: Path) -> None:
    r = read(tmp_path, LLAMAFACTORY_DPO.replace("pref_loss: sigmoid", "pref_loss: orpo"))
    assert fact(r, "run.kind") == "orpo"


def test_trl_cli_yaml(tmp_path: Path) -> None:
    r = read(tmp_path, TRL_CLI, "grpo.yaml")
    assert fact(r, "config.base_model") == "Qwen/Qwen2.5-0.5B" and fact(r, "config.learning_rate") == 0.0001
    assert fact(r, "run.kind") == "grpo" and fact(r, "config.trl.num_generations") == 8
    assert fact(r, "config.micro_batch_size") == 8 and fact(r, "config.tool") == "hf"


def test_verl_yaml(tmp_path: Path) -> None:
    r = read(tmp_path, VERL_YAML, "ppo_trainer.yaml")
    assert fact(r, "config.tool") == "verl" and fact(r, "run.kind") == "grpo"
    assert fact(r, "config.learning_rate") == 1e-6 and fact(r, "config.trl.num_generations") == 8
    assert fact(r, "config.trl.max_completion_length") == 1024 and fact(r, "config.micro_batch_size") == 8
    assert fact(r, "config.world_size") == 16 and fact(r, "config.trl.use_vllm") is True


def test_training_args_json(tmp_path: Path) -> None:
    path = tmp_path / "training_args.json"
    path.write_text(json.dumps(TRAINING_ARGS_JSON, indent=2))
    r, = read_attachment(path)
    assert r.kind == "axolotl_config"
    assert fact(r, "config.micro_batch_size") == 1 and fact(r, "config.gradient_accumulation_steps") == 16
    assert fact(r, "config.eval_strategy") == "steps" and fact(r, "config.lr_scheduler") == "constant_with_warmup"
    assert fact(r, "config.warmup_steps") == 200 and fact(r, "config.precision") == "bf16"
    assert "config.max_steps" not in names(r) and "config.fsdp" not in names(r)
    assert fact(r, "config.learning_rate") == 0.0001
    assert {f.source for f in r.facts if f.name == "config.learning_rate"} == {"training_args.json:11"}


def test_an_axolotl_config_stays_axolotl(tmp_path: Path) -> None:
    axolotl = "base_model: Qwen/Qwen2.5-0.5B\nmicro_batch_size: 2\nnum_epochs: 1\nlearning_rate: 2e-5\n"
    assert reader_for(axolotl.encode(), tmp_path / "x").name == "axolotl_config"
    mixed = axolotl + "per_device_train_batch_size: 4\n"  # an HF name inside an axolotl file: still axolotl
    assert reader_for(mixed.encode(), tmp_path / "x").name == "axolotl_config"


@needs_shared
def test_no_axolotl_example_is_taken_for_another_tool() -> None:
    for path in sorted(AXOLOTL_EXAMPLES.glob("*.y*ml")):
        head = path.read_bytes()[:65536]
        reader = reader_for(head, path)
        assert reader is not None and reader.name == "axolotl_config", path.name


@pytest.mark.parametrize("text", ["stage: sft\nfinetuning_type: [unclosed\n", "stage: sft\ncutoff_len: !!python/object:os.system x\n"])
def test_bad_yaml_is_refused_with_a_reason(tmp_path: Path, text: str) -> None:
    from assistant.errors import InputError

    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(InputError):
        read_attachment(path)


# An `accelerate config` file (default_config.yaml) as posted in a TRL DPO issue, trimmed.
ACCELERATE_DEEPSPEED = """compute_environment: LOCAL_MACHINE
debug: false
deepspeed_config:
  deepspeed_multinode_launcher: standard
  gradient_accumulation_steps: 8
  offload_optimizer_device: cpu
  offload_param_device: cpu
  zero3_init_flag: false
  zero_stage: 2
distributed_type: DEEPSPEED
downcast_bf16: 'no'
machine_rank: 0
main_training_function: main
mixed_precision: 'bf16'
num_machines: 1
num_processes: 8
rdzv_backend: static
same_network: true
use_cpu: false
"""


def test_accelerate_config_file(tmp_path: Path) -> None:
    """accelerate's own config file says what its launch flags say: ZeRO stage, precision, processes."""
    r = read(tmp_path, ACCELERATE_DEEPSPEED, "default_config.yaml")
    assert r.kind == "axolotl_config" and fact(r, "config.tool") == "accelerate"
    assert fact(r, "config.deepspeed.zero_stage") == 2 and fact(r, "config.bf16") is True
    assert fact(r, "config.world_size") == 8 and fact(r, "config.gradient_accumulation_steps") == 8


def test_accelerate_config_pasted_under_its_command_stays_the_commands(tmp_path: Path) -> None:
    """A launch command with the accelerate config pasted below it is read as the command line."""
    text = ("accelerate launch --config_file accelerate/default_config.yaml src/train_bash.py \\\n"
            "    --stage sft \\\n    --finetuning_type lora \\\n    --per_device_train_batch_size 2 \\\n"
            "    --learning_rate 5e-5 \\\n    --fp16\n\n# accelerate_config.yaml\n" + ACCELERATE_DEEPSPEED)
    r = read(tmp_path, text)
    assert fact(r, "config.tool") != "accelerate" and fact(r, "config.micro_batch_size") == 2


def test_trl_generation_keys_alone_are_a_grpo_config(tmp_path: Path) -> None:
    r = read(tmp_path, "max_completion_length: 256\nnum_generations: 4\n")
    assert r.kind == "axolotl_config" and fact(r, "run.kind") == "grpo" and fact(r, "config.tool") == "hf"
    assert fact(r, "config.trl.max_completion_length") == 256 and fact(r, "config.trl.num_generations") == 4
    call = read(tmp_path, "GRPOConfig(max_completion_length=256, num_generations=4)\n", "args.txt")
    assert fact(call, "config.trl.max_completion_length") == 256 and fact(call, "run.kind") == "grpo"
    # the same keys nested under axolotl's `trl:` stay axolotl's
    axo = read(tmp_path, "base_model: Qwen/Qwen2.5-0.5B\nrl: grpo\ntrl:\n  num_generations: 4\n")
    assert fact(axo, "config.trl.num_generations") == 4 and "config.tool" not in {f.name for f in axo.facts}

"""HF/TRL config dumps: calls in scripts, transformers' printed arguments, dataclass reprs; never run."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evidence import read_attachment
from assistant.evidence._calls import find_calls
from tests.evidence.conftest import fact, names

# transformers 4.47 `Training/evaluation parameters` as run_clm.py logs it (the log line, then __str__).
PRINTED = """11/11/2024 14:08:17 - INFO - __main__ - Training/evaluation parameters TrainingArguments(
_n_gpu=4,
accelerator_config={'split_batches': False, 'dispatch_batches': None, 'even_batches': True, 'use_seedable_sampler': True, 'non_blocking': False, 'gradient_accumulation_kwargs': None, 'use_configured_state': False},
adafactor=False,
adam_beta1=0.9,
adam_beta2=0.999,
adam_epsilon=1e-08,
bf16=False,
data_seed=None,
ddp_timeout=1800,
debug=[],
deepspeed=None,
eval_steps=None,
eval_strategy=IntervalStrategy.NO,
evaluation_strategy=None,
fp16=False,
fp16_backend=auto,
fsdp=[],
fsdp_config={'min_num_params': 0, 'xla': False, 'xla_fsdp_v2': False, 'xla_fsdp_grad_ckpt': False},
gradient_accumulation_steps=1,
gradient_checkpointing=False,
hub_strategy=HubStrategy.EVERY_SAVE,
hub_token=<HUB_TOKEN>,
learning_rate=5e-05,
logging_dir=/tmp/test-clm-wo-finetuning/runs/Nov11_14-08-17_Fairfax4way04RTX4090,
logging_steps=500,
lr_scheduler_kwargs={},
lr_scheduler_type=SchedulerType.LINEAR,
max_grad_norm=1.0,
max_steps=-1,
mp_parameters=,
num_train_epochs=3.0,
optim=OptimizerNames.ADAMW_TORCH,
output_dir=/tmp/test-clm-wo-finetuning,
per_device_eval_batch_size=4,
per_device_train_batch_size=4,
push_to_hub_token=<PUSH_TO_HUB_TOKEN>,
report_to=[],
save_steps=500,
seed=42,
warmup_ratio=0.0,
warmup_steps=0,
weight_decay=0.0,
)
"""

# unsloth-zoo PR #297: the dataclass repr on one line (enums as <Enum.X: 'x'>).
DATACLASS_REPR = ("training_args=UnslothSFTConfig(output_dir='.', overwrite_output_dir=None, do_train=False, do_eval=True, "
                  "do_predict=False, eval_strategy=<IntervalStrategy.STEPS: 'steps'>, prediction_loss_only=False, "
                  "per_device_train_batch_size=4, per_device_eval_batch_size=4, per_gpu_train_batch_size=None, "
                  "per_gpu_eval_batch_size=None, gradient_accumulation_steps=1, eval_accumulation_steps=2, eval_delay=0, "
                  "torch_empty_cache_steps=250, learning_rate=1e-06, weight_decay=0.01, adam_beta1=0.9, adam_beta2=0.999, "
                  "adam_epsilon=1e-08, max_grad_norm=1.0, num_train_epochs=1, max_steps=-1, "
                  "lr_scheduler_type=<SchedulerType.COSINE: 'cosine'>, lr_scheduler_kwargs={}, warmup_ratio=0.0, "
                  "warmup_steps=0, log_level='passive', logging_steps=2, save_steps=0.1, save_total_limit=1, "
                  "fsdp=[<FSDPOption.FULL_SHARD: 'full_shard'>, <FSDPOption.AUTO_WRAP: 'auto_wrap'>])\n")

# The unsloth GRPO notebook's script (Qwen2.5 3B), abridged to its config calls.
SCRIPT = '''from unsloth import FastLanguageModel, is_bfloat16_supported
import torch
max_seq_length = 1024 # Can increase for longer reasoning traces
lora_rank = 64 # Larger rank = smarter, but slower

model, tokenizer = FastLanguageModel.from_pretrained(
    model_name = "Qwen/Qwen2.5-3B-Instruct",
    max_seq_length = max_seq_length,
    load_in_4bit = True, # False for LoRA 16bit
    fast_inference = True, # Enable vLLM fast inference
    max_lora_rank = lora_rank,
    gpu_memory_utilization = 0.5, # Reduce if out of memory
)

model = FastLanguageModel.get_peft_model(
    model,
    r = lora_rank, # Choose any number > 0 ! Suggested 8, 16, 32, 64, 128
    target_modules = [
        "q_proj", "k_proj", "v_proj", "o_proj",
        "gate_proj", "up_proj", "down_proj",
    ], # Remove QKVO if out of memory
    lora_alpha = lora_rank,
    use_gradient_checkpointing = "unsloth", # Enable long context finetuning
    random_state = 3407,
)

from trl import GRPOConfig, GRPOTrainer
training_args = GRPOConfig(
    use_vllm = True, # use vLLM for fast inference!
    learning_rate = 5e-6,
    adam_beta1 = 0.9,
    adam_beta2 = 0.99,
    weight_decay = 0.1,
    warmup_ratio = 0.1,
    lr_scheduler_type = "cosine",
    optim = "adamw_8bit",
    logging_steps = 1,
    bf16 = is_bfloat16_supported(),
    fp16 = not is_bfloat16_supported(),
    per_device_train_batch_size = 1,
    gradient_accumulation_steps = 1, # Increase to 4 for smoother training
    num_generations = 8, # Decrease if out of memory
    max_prompt_length = 256,
    max_completion_length = max_seq_length - 256,
    max_steps = 250,
    save_steps = 250,
    max_grad_norm = 0.1,
    report_to = "none", # Can use Weights & Biases
    output_dir = "outputs",
)
'''


def read(tmp_path: Path, text: str, name: str = "config.yaml"):
    path = tmp_path / name
    path.write_text(text)
    reading, = read_attachment(path)
    return reading


def test_printed_training_arguments(tmp_path: Path) -> None:
    r = read(tmp_path, PRINTED.split(" - Training/evaluation parameters ", 1)[1])  # the paste, without the log line
    assert r.kind == "axolotl_config" and not r.warnings
    assert fact(r, "config.learning_rate") == 5e-05
    assert fact(r, "config.micro_batch_size") == 4 and fact(r, "config.num_epochs") == 3.0
    assert fact(r, "config.lr_scheduler") == "linear" and fact(r, "config.optimizer") == "adamw_torch"
    assert fact(r, "config.eval_strategy") == "no" and fact(r, "config.max_grad_norm") == 1.0
    assert fact(r, "config.precision") == "fp32" and fact(r, "run.kind") == "sft"
    # Trainer defaults meaning "off" are not config: no fsdp, no -1 max_steps, no tokens
    assert not names(r) & {"config.fsdp", "config.fsdp_config", "config.max_steps", "config.deepspeed",
                           "config.hub_token", "config.world_size"}
    sources = {f.name: f.source for f in r.facts}
    assert sources["config.learning_rate"] == "config.yaml:24"


def test_dataclass_repr_on_one_line(tmp_path: Path) -> None:
    r = read(tmp_path, DATACLASS_REPR, "args.txt")
    assert fact(r, "config.eval_strategy") == "steps" and fact(r, "config.lr_scheduler") == "cosine"
    assert fact(r, "config.fsdp") == ("full_shard", "auto_wrap")
    assert fact(r, "config.learning_rate") == 1e-06 and fact(r, "config.weight_decay") == 0.01
    assert fact(r, "run.kind") == "sft"


def test_unsloth_grpo_script(tmp_path: Path) -> None:
    r = read(tmp_path, SCRIPT, "notes.txt")
    assert r.kind == "axolotl_config"
    assert fact(r, "run.kind") == "grpo" and fact(r, "config.rl") == "grpo"
    assert fact(r, "config.base_model") == "Qwen/Qwen2.5-3B-Instruct"
    assert fact(r, "config.sequence_len") == 1024  # a module constant, resolved
    assert fact(r, "config.trl.max_completion_length") == 768  # arithmetic over constants
    assert fact(r, "config.trl.num_generations") == 8 and fact(r, "config.trl.use_vllm") is True
    assert fact(r, "config.lora_r") == 64 and fact(r, "config.lora_alpha") == 64
    assert fact(r, "config.adapter") == "qlora" and fact(r, "config.load_in_4bit") is True
    assert fact(r, "config.gradient_checkpointing") == "offload"
    assert fact(r, "config.max_grad_norm") == 0.1 and fact(r, "config.max_steps") == 250
    assert fact(r, "config.tool") == "unsloth"
    assert r.warnings == ["notes.txt: 2 arguments are not literal values and were not read (bf16, fp16)"]


@pytest.mark.parametrize("cls, kind, extra", [
    ("DPOConfig", "dpo", {"config.rl_beta": 0.1, "config.sequence_len": 1024}),
    ("CPOConfig", "dpo", {"config.rl_beta": 0.1}),
    ("KTOConfig", "kto", {"config.rl_beta": 0.1}),
    ("ORPOConfig", "orpo", {"config.orpo_alpha": 0.1}),
    ("SFTConfig", "sft", {"config.sequence_len": 1024}),
    ("GRPOConfig", "grpo", {"config.trl.beta": 0.1}),
])
def test_the_class_states_the_kind(tmp_path: Path, cls: str, kind: str, extra: dict) -> None:
    r = read(tmp_path, f"from trl import {cls}\nargs = trl.{cls}(output_dir='out', beta=0.1, max_length=1024, "
                       "per_device_train_batch_size=2, bf16=True)\n", "train.py")
    assert fact(r, "run.kind") == kind and fact(r, "config.micro_batch_size") == 2
    assert fact(r, "config.precision") == "bf16"
    for name, value in extra.items():
        assert fact(r, name) == value


def test_peft_and_bitsandbytes_calls(tmp_path: Path) -> None:
    r = read(tmp_path, "from peft import LoraConfig\nfrom transformers import BitsAndBytesConfig\n"
                       "bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16)\n"
                       "peft_config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules='all-linear')\n"
                       "args = SFTConfig(output_dir='x', learning_rate=2e-4)\n", "train.py")
    assert fact(r, "config.adapter") == "qlora" and fact(r, "config.lora_r") == 16
    assert fact(r, "config.lora_target_linear") is True and "config.lora_target_modules" not in names(r)
    assert r.warnings == []  # bnb_4bit_compute_dtype is not a setting rules read: no noise about it


def test_nothing_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (f"import os\nos.system('touch {marker}')\n"
            f"args = TrainingArguments(output_dir=__import__('os').system('touch {marker}'), learning_rate=1e-5)\n")
    r = read(tmp_path, text, "train.py")
    assert not marker.exists()
    assert fact(r, "config.learning_rate") == 1e-5 and "config.output_dir" not in names(r)
    printed = f"TrainingArguments(\noutput_dir=__import__('os').system('touch {marker}'),\nlearning_rate=1e-05,\n)\n"
    r = read(tmp_path, printed, "args.txt")
    assert not marker.exists() and fact(r, "config.learning_rate") == 1e-05


@pytest.mark.parametrize("text", [
    "args = GRPOConfig(learning_rate=5e-6, num_generations=",  # cut off mid-call
    "TrainingArguments(\nlearning_rate=5e-05,\nnum_train_epochs=3.0,\n",  # printed, no closing line
    "GRPOConfig(learning_rate=" + "(" * 5000 + "1" + ")" * 5000 + ", num_generations=8)",  # nesting past the parser
    "SFTConfig(learning_rate='unterminated, per_device_train_batch_size=2)\n",
])
def test_malformed_dumps_read_in_part_never_raise(tmp_path: Path, text: str) -> None:
    found = find_calls(text)
    path = tmp_path / "dump.txt"
    path.write_text(text)
    readings = read_attachment(path)  # whichever reader takes it, no traceback
    assert readings and found is not None


def test_truncated_printed_dump_keeps_what_is_there() -> None:
    dump, = find_calls("TrainingArguments(\nlearning_rate=5e-05,\nnum_train_epochs=3.0,\n")
    assert [(s.key, s.value, s.line) for s in dump.settings] == [("learning_rate", 5e-05, 2), ("num_train_epochs", 3.0, 3)]


def test_a_log_printing_the_arguments_is_a_log_with_config(tmp_path: Path) -> None:
    """The dump inside a console log: the log reader keeps the metrics and reads the dump from the head."""
    text = (PRINTED + "[INFO|trainer.py:2134] 2024-11-11 14:08:20,479 >> ***** Running training *****\n"
            "{'loss': 3.4512, 'grad_norm': 1.234, 'learning_rate': 4.9e-05, 'epoch': 0.01}\n")
    r = read(tmp_path, text, "train.log")
    assert r.kind == "stdout_log" and r.series["loss"].first.value == 3.4512
    assert fact(r, "config.learning_rate") == 5e-05 and fact(r, "config.micro_batch_size") == 4
    assert "run.kind" not in names(r)  # a printed TrainingArguments does not make a log SFT; its metrics decide
    assert fact(r, "config.learning_rate") and {f.source for f in r.facts if f.name == "config.learning_rate"} == {"train.log:24"}

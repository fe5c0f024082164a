"""Training command lines and launch scripts -> the same config facts as an axolotl YAML."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evidence import read_attachment
from assistant.evidence._cmdline import parse_commands
from tests.evidence.conftest import fact, names

# tatsu-lab/stanford_alpaca#308: torchrun + FSDP, quoted values, `true\` without a space.
ALPACA = """#!/bin/bash
module load  compilers/cuda/11.8 compilers/gcc/9.3.0 cudnn/8.4.0.27_cuda11.x anaconda
source activate torch_new
export PYTHONUNBUFFERED=1 
torchrun --nproc_per_node=4 --master_port=11223 train.py \\
    --model_name_or_path llama2 \\
    --data_path alpaca_data.json \\
    --output_dir alpaca_llama2 \\
    --num_train_epochs 3 \\
    --per_device_train_batch_size 1 \\
    --per_device_eval_batch_size 1 \\
    --gradient_accumulation_steps 1 \\
    --evaluation_strategy "no" \\
    --save_strategy "steps" \\
    --save_steps 1000 \\
    --save_total_limit 1 \\
    --learning_rate 2e-5 \\
    --weight_decay 0. \\
    --warmup_ratio 0.03 \\
    --lr_scheduler_type "cosine" \\
    --logging_steps 1 \\
    --bf16 true\\
    --fsdp "full_shard auto_wrap" \\
    --fsdp_transformer_layer_cls_to_wrap 'LlamaDecoderLayer'
"""

# verl examples/grpo_trainer/run_qwen2-7b.sh
VERL = """set -x

python3 -m verl.trainer.main_ppo \\
    algorithm.adv_estimator=grpo \\
    data.train_files=$HOME/data/gsm8k/train.parquet \\
    data.val_files=$HOME/data/gsm8k/test.parquet \\
    data.train_batch_size=1024 \\
    data.max_prompt_length=512 \\
    data.max_response_length=1024 \\
    data.filter_overlong_prompts=True \\
    data.truncation='error' \\
    actor_rollout_ref.model.path=Qwen/Qwen2-7B-Instruct \\
    actor_rollout_ref.actor.optim.lr=1e-6 \\
    actor_rollout_ref.model.use_remove_padding=True \\
    actor_rollout_ref.actor.ppo_mini_batch_size=256 \\
    actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=40 \\
    actor_rollout_ref.actor.use_kl_loss=True \\
    actor_rollout_ref.actor.kl_loss_coef=0.001 \\
    actor_rollout_ref.actor.kl_loss_type=low_var_kl \\
    actor_rollout_ref.actor.entropy_coeff=0 \\
    actor_rollout_ref.model.enable_gradient_checkpointing=True \\
    actor_rollout_ref.actor.fsdp_config.param_offload=False \\
    actor_rollout_ref.actor.fsdp_config.optimizer_offload=False \\
    actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=40 \\
    actor_rollout_ref.rollout.tensor_model_parallel_size=2 \\
    actor_rollout_ref.rollout.name=vllm \\
    actor_rollout_ref.rollout.gpu_memory_utilization=0.6 \\
    actor_rollout_ref.rollout.n=5 \\
    actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=40 \\
    actor_rollout_ref.ref.fsdp_config.param_offload=True \\
    algorithm.use_kl_in_reward=False \\
    trainer.critic_warmup=0 \\
    trainer.logger=['console','wandb'] \\
    trainer.project_name='verl_grpo_example_gsm8k' \\
    trainer.experiment_name='qwen2_7b_function_rm' \\
    trainer.n_gpus_per_node=8 \\
    trainer.nnodes=1 \\
    trainer.save_freq=20 \\
    trainer.test_freq=5 \\
    trainer.total_epochs=15 $@
"""

# ms-swift docs: GRPO with colocated vLLM, env prefixes, a multi-value flag, a quoted `#` value.
SWIFT = """CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7 \\
NPROC_PER_NODE=8 \\
swift rlhf \\
    --rlhf_type grpo \\
    --model Qwen/Qwen2.5-7B \\
    --reward_funcs accuracy format \\
    --use_vllm true \\
    --vllm_mode colocate \\
    --vllm_gpu_memory_utilization 0.5 \\
    --train_type lora \\
    --torch_dtype bfloat16 \\
    --dataset 'AI-MO/NuminaMath-TIR#5000' \\
    --max_completion_length 1024 \\
    --num_train_epochs 1 \\
    --per_device_train_batch_size 4 \\
    --learning_rate 1e-6 \\
    --gradient_accumulation_steps 2 \\
    --num_generations 8 \\
    --temperature 0.9 \\
    --beta 0.04 \\
    --deepspeed zero2 \\
    --log_completions true
"""

# OpenRLHF README: PPO with Ray, launched through `ray job submit ... --`.
OPENRLHF = """ray job submit --address="http://127.0.0.1:8265" \\
   --runtime-env-json='{"working_dir": "/openrlhf"}' \\
   -- python3 -m openrlhf.cli.train_ppo_ray \\
   --ref_num_nodes 1 \\
   --ref_num_gpus_per_node 8 \\
   --actor_num_nodes 1 \\
   --actor_num_gpus_per_node 8 \\
   --vllm_num_engines 4 \\
   --colocate_all_models \\
   --pretrain OpenRLHF/Llama-3-8b-sft-mixture \\
   --micro_train_batch_size 8 \\
   --train_batch_size 128 \\
   --micro_rollout_batch_size 16 \\
   --rollout_batch_size 1024 \\
   --n_samples_per_prompt 8 \\
   --max_epochs 1 \\
   --prompt_max_len 1024 \\
   --generate_max_len 1024 \\
   --zero_stage 3 \\
   --bf16 \\
   --actor_learning_rate 5e-7 \\
   --init_kl_coef 0.01 \\
   --advantage_estimator group_norm \\
   --normalize_reward \\
   --gradient_checkpointing \\
   --packing_samples \\
   --flash_attn
"""


def read(tmp_path: Path, text: str, name: str = "config.yaml"):
    path = tmp_path / name
    path.write_text(text)
    reading, = read_attachment(path)
    return reading


def test_torchrun_hf_script(tmp_path: Path) -> None:
    r = read(tmp_path, ALPACA)
    assert r.kind == "axolotl_config" and r.warnings == []
    assert fact(r, "config.world_size") == 4 and fact(r, "config.base_model") == "llama2"
    assert fact(r, "config.learning_rate") == 2e-5 and fact(r, "config.micro_batch_size") == 1
    assert fact(r, "config.eval_strategy") == "no" and fact(r, "config.lr_scheduler") == "cosine"
    assert fact(r, "config.weight_decay") == 0.0 and fact(r, "config.precision") == "bf16"
    assert fact(r, "config.fsdp") == "full_shard auto_wrap"
    assert fact(r, "run.kind") == "sft" and fact(r, "config.tool") == "hf"
    sources = {f.name: f.source for f in r.facts}
    assert sources["config.learning_rate"] == "config.yaml:17" and sources["config.world_size"] == "config.yaml:5"


def test_verl_hydra_overrides(tmp_path: Path) -> None:
    r = read(tmp_path, VERL, "run_qwen2-7b.sh")
    assert fact(r, "run.kind") == "grpo" and fact(r, "config.tool") == "verl"
    assert fact(r, "config.learning_rate") == 1e-6 and fact(r, "config.base_model") == "Qwen/Qwen2-7B-Instruct"
    assert fact(r, "config.trl.num_generations") == 5 and fact(r, "config.trl.max_completion_length") == 1024
    assert fact(r, "config.trl.max_prompt_length") == 512 and fact(r, "config.trl.beta") == 0.001
    assert fact(r, "config.trl.use_vllm") is True and fact(r, "config.vllm.gpu_memory_utilization") == 0.6
    assert fact(r, "config.micro_batch_size") == 40 and fact(r, "config.gradient_checkpointing") is True
    assert fact(r, "config.world_size") == 8 and fact(r, "config.num_epochs") == 15


def test_swift_rlhf(tmp_path: Path) -> None:
    r = read(tmp_path, SWIFT, "log.txt")
    assert fact(r, "run.kind") == "grpo" and fact(r, "config.tool") == "swift"
    assert fact(r, "config.base_model") == "Qwen/Qwen2.5-7B" and fact(r, "config.adapter") == "lora"
    assert fact(r, "config.trl.reward_funcs") == ("accuracy", "format")
    assert fact(r, "config.trl.beta") == 0.04 and fact(r, "config.trl.temperature") == 0.9
    assert fact(r, "config.trl.num_generations") == 8 and fact(r, "config.trl.vllm_mode") == "colocate"
    assert fact(r, "config.deepspeed.zero_stage") == 2 and fact(r, "config.precision") == "bf16"
    assert fact(r, "config.world_size") == 8 and fact(r, "config.micro_batch_size") == 4


def test_openrlhf_through_ray(tmp_path: Path) -> None:
    r = read(tmp_path, OPENRLHF, "ppo.sh")
    assert fact(r, "run.kind") == "grpo"  # group_norm advantages are GRPO's
    assert fact(r, "config.micro_batch_size") == 8 and fact(r, "config.learning_rate") == 5e-7
    assert fact(r, "config.trl.num_generations") == 8 and fact(r, "config.trl.beta") == 0.01
    assert fact(r, "config.trl.max_completion_length") == 1024 and fact(r, "config.trl.max_prompt_length") == 1024
    assert fact(r, "config.deepspeed.zero_stage") == 3 and fact(r, "config.attn_implementation") == "flash_attention_2"
    assert fact(r, "config.sample_packing") is True and fact(r, "config.world_size") == 8
    assert fact(r, "config.base_model") == "OpenRLHF/Llama-3-8b-sft-mixture"


def test_llamafactory_flags_and_overrides(tmp_path: Path) -> None:
    r = read(tmp_path, "CUDA_VISIBLE_DEVICES=0 python src/train_bash.py --stage sft --do_train --model_name_or_path "
                       "THUDM/chatglm2-6b --dataset alpaca_gpt4_zh --template chatglm2 --finetuning_type lora "
                       "--lora_target query_key_value --output_dir out --per_device_train_batch_size 4 "
                       "--gradient_accumulation_steps 4 --lr_scheduler_type cosine --logging_steps 10 "
                       "--learning_rate 5e-5 --num_train_epochs 3.0 --plot_loss --fp16 --quantization_bit 8 "
                       "--cutoff_len 1024 --lora_rank 8\n", "cmd.txt")
    assert fact(r, "config.tool") == "llamafactory" and fact(r, "run.kind") == "sft"
    assert fact(r, "config.load_in_8bit") is True and fact(r, "config.adapter") == "lora"
    assert fact(r, "config.sequence_len") == 1024 and fact(r, "config.lora_r") == 8
    assert fact(r, "config.chat_template") == "chatglm2" and fact(r, "config.lora_target_modules") == "query_key_value"
    assert fact(r, "config.precision") == "fp16"
    cli = read(tmp_path, "FORCE_TORCHRUN=1 NNODES=2 NPROC_PER_NODE=8 llamafactory-cli train "
                         "examples/train_lora/llama3_lora_dpo.yaml learning_rate=1e-5 stage=dpo pref_beta=0.2\n",
               "cmd.txt")
    assert fact(cli, "run.kind") == "dpo" and fact(cli, "config.rl_beta") == 0.2
    assert fact(cli, "config.world_size") == 16 and fact(cli, "config.learning_rate") == 1e-5


@pytest.mark.parametrize("command, world, extra", [
    ("accelerate launch --config_file deepspeed_zero3.yaml --num_processes 8 train_grpo.py --learning_rate=2e-5 "
     "--num_generations 16 --use_vllm", 8, {"run.kind": "grpo", "config.trl.use_vllm": True}),
    ("deepspeed --num_gpus 2 train.py --deepspeed ds_config_zero3.json --lr 1e-5", 2,
     {"config.learning_rate": 1e-5, "config.deepspeed.zero_stage": 3}),
    ("CUDA_VISIBLE_DEVICES=0,1,2,3 deepspeed train.py --deepspeed ds.json --learning_rate 1e-5", 4, {}),
    ("python -m torch.distributed.run --nproc-per-node=2 run_clm.py --model_name_or_path gpt2 --block_size 1024",
     2, {"config.sequence_len": 1024}),
    ("$ trl sft --model_name_or_path Qwen/Qwen2-0.5B --dataset_name trl-lib/Capybara --learning_rate 2.0e-5 "
     "--packing --use_peft --lora_r 32 --load_in_4bit", None,
     {"config.adapter": "qlora", "config.sample_packing": True, "run.kind": "sft"}),
])
def test_launchers(tmp_path: Path, command: str, world: int | None, extra: dict) -> None:
    r = read(tmp_path, command + "\n", "run.sh")
    assert (fact(r, "config.world_size") if world else "config.world_size" not in names(r)) in (world, True)
    for name, value in extra.items():
        assert fact(r, name) == value


def test_shell_variables(tmp_path: Path) -> None:
    r = read(tmp_path, "LR=2e-5\nexport MODEL=meta-llama/Llama-3.1-8B\n"
                       "python train.py --model_name_or_path ${MODEL} --learning_rate $LR --num_train_epochs $EPOCHS "
                       "--max_steps ${STEPS:-500}  # a comment\n", "run.sh")
    assert fact(r, "config.learning_rate") == 2e-5 and fact(r, "config.base_model") == "meta-llama/Llama-3.1-8B"
    assert fact(r, "config.max_steps") == 500
    assert "config.num_epochs" not in names(r)
    assert r.warnings == ["run.sh: --num_train_epochs use shell variables not defined in the file; not read"]


def test_pipes_redirects_and_more_commands(tmp_path: Path) -> None:
    r = read(tmp_path, "nohup python train_sft.py --learning_rate 1e-4 --bf16 > train.log 2>&1 &\n"
                       "python train_dpo.py --learning_rate 5e-7 | tee dpo.log\n", "run.sh")
    assert fact(r, "config.learning_rate") == 1e-4 and fact(r, "run.kind") == "sft"
    assert r.warnings == ["run.sh: 1 more training commands after line 1; only the first was read"]


def test_flag_lines_pasted_without_backslashes_continue_the_command(tmp_path: Path) -> None:
    """Forum pastes often lose the `\\` at line ends (and keep trailing spaces): a line of flags right
    after a command is still its flags; a flag line after a blank line is not."""
    r = read(tmp_path, "CUDA_VISIBLE_DEVICES=0 python src/train_bash.py     \n--stage sft     \n"
                       "--per_device_train_batch_size 1     \n--learning_rate 3e-5  \n--quantization_bit 8\n"
                       "\n--num_train_epochs 9\n", "cmd.txt")
    assert fact(r, "config.learning_rate") == 3e-5 and fact(r, "config.micro_batch_size") == 1
    assert fact(r, "config.load_in_8bit") is True
    assert "config.num_epochs" not in names(r)


def test_only_the_flags_pasted_are_read_as_the_command(tmp_path: Path) -> None:
    """A paste of a command's flags without its program is that command; the keys tell the tool,
    and the tool's own defaults come with it (LLaMA-Factory checkpoints unless told not to)."""
    r = read(tmp_path, "\n    --stage dpo \\\n    --finetuning_type lora \\\n    --per_device_train_batch_size 1 \\\n"
                       "    --gradient_accumulation_steps 1 \\\n", "args.txt")
    assert fact(r, "config.tool") == "llamafactory" and fact(r, "run.kind") == "dpo"
    assert fact(r, "config.micro_batch_size") == 1 and fact(r, "config.adapter") == "lora"
    assert fact(r, "config.gradient_checkpointing") is True
    assert next(f.source for f in r.facts if f.name == "config.micro_batch_size") == "args.txt:4"
    off = read(tmp_path, "--finetuning_type lora\n--disable_gradient_checkpointing\n", "args.txt")
    assert fact(off, "config.gradient_checkpointing") is False
    hf = read(tmp_path, "--learning_rate 2e-5\n--per_device_train_batch_size 4\n", "args.txt")
    assert "config.gradient_checkpointing" not in names(hf)  # the Trainer's default is off
    (tmp_path / "one.txt").write_text("--learning_rate 2e-5\n")  # one flag line is too little to call a command
    assert [r.kind for r in read_attachment(tmp_path / "one.txt")] != ["axolotl_config"]


def test_flags_pasted_one_per_line_without_backslashes_are_one_command(tmp_path: Path) -> None:
    """The flags of a GRPO launch as posted in an issue: indented, one per line, no continuations."""
    r = read(tmp_path, '    --nproc_per_node="6"\n    --num_generations 4 \n    --per_device_train_batch_size 4 \n'
                       "    --gradient_accumulation_steps 1 \n    --learning_rate 1e-6\n", "config.yaml")
    assert fact(r, "run.kind") == "grpo" and fact(r, "config.trl.num_generations") == 4
    assert fact(r, "config.micro_batch_size") == 4 and fact(r, "config.learning_rate") == 1e-6
    assert next(f.source for f in r.facts if f.name == "config.micro_batch_size") == "config.yaml:3"


def test_unbalanced_quotes_give_a_partial_reading(tmp_path: Path) -> None:
    r = read(tmp_path, "python train.py --learning_rate 3e-5 --run_name 'oops\n", "run.sh")
    assert fact(r, "config.learning_rate") == 3e-5
    assert any("No closing quotation" in w for w in r.warnings)


def test_logs_and_tools_that_do_not_train_are_not_commands(tmp_path: Path) -> None:
    log = read(tmp_path, "+ python train.py --learning_rate 1e-5 --bf16\n{'loss': 1.5, 'grad_norm': 0.3, 'learning_rate': 1e-05}\n"
                         "{'loss': 1.4, 'grad_norm': 0.3, 'learning_rate': 1e-05}\n", "train.log")
    assert log.kind == "stdout_log" and fact(log, "config.learning_rate") == 1e-5  # the echoed command, read from the head
    assert parse_commands("swift infer --model x --max_new_tokens 10\ntrl env\n")[0] == []
    prose = read(tmp_path, "I ran python train.py and then\nthe loss went to nan after a while,\nany idea why?\n"
                           "it is on 8 GPUs\n", "notes.txt")
    assert prose.kind != "axolotl_config"


@pytest.mark.parametrize("command", [
    "torchrun --nproc_per_node 4 train.py --model_name_or_path meta-llama/Llama-2-7b-hf --max_len 4096 --bf16",
    "deepspeed --num_gpus 4 train.py --max-seq-len 4096 --learning_rate 1e-5",
    "torchrun --nproc_per_node=4 fastchat/train/train.py --model_max_length 4096 --per_device_train_batch_size 1",
])
def test_other_spellings_of_the_sequence_length(tmp_path: Path, command: str) -> None:
    assert fact(read(tmp_path, command + "\n", "run.sh"), "config.sequence_len") == 4096


@pytest.mark.parametrize("command, template", [
    ("CUDA_VISIBLE_DEVICES=0 swift sft --model_type qwen-7b-chat --template_type AUTO --sft_type lora --dataset x", "AUTO"),
    ("swift sft --model Qwen/Qwen2.5-7B --template default-generation --train_type lora --dataset x", "default-generation"),
])
def test_swift_template_is_the_chat_template(tmp_path: Path, command: str, template: str) -> None:
    r = read(tmp_path, command + "\n", "run.sh")
    assert fact(r, "config.tool") == "swift" and fact(r, "config.chat_template") == template

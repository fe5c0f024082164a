"""Other trainers' metric lines and the training banners, read by the console-log scan."""
from __future__ import annotations

import math
from pathlib import Path

from assistant.evidence import read_attachment
from assistant.evidence.stdout_log import StdoutLogReader
from tests.evidence.conftest import fact, facts, names, points

# verl-project/verl#7412 (one step, cut after response_length/min as posted)
VERL = ("(TaskRunner pid=222265) step:34 - global_seqlen/min:419336 - global_seqlen/max:497506 - "
        "actor/entropy:0.22266578674316406 - perf/mfu/actor_infer:0.0 - actor/pg_clipfrac:0.0007935191160472839 - "
        "actor/ppo_kl:-8.163164312320433e-06 - actor/pg_clipfrac_lower:6.1140820869933e-07 - "
        "actor/pg_loss:0.042396901015308686 - actor/kl_loss:0.0013280365410537343 - actor/kl_coef:0.0010000000000000002 - "
        "actor/loss:0.042398229241371155 - actor/grad_norm:0.129638671875 - actor/lr:2e-06 - training/global_step:34 - "
        "training/epoch:0 - critic/score/mean:-0.0182796623557806 - critic/score/max:1.0 - critic/score/min:-1.0 - "
        "response_length/mean:1267.024169921875 - response_length/max:3072.0 - response_length/min:38.0\n")
# zhaochenyang20/Awesome-ML-SYS-Tutorial#106: an older verl, values printed with :.3f, entropy as entropy_loss
VERL_OLD = ("(TaskRunner pid=87031) step:83 - global_seqlen/min:340538.000 - actor/entropy_loss:0.317 - "
            "actor/kl_loss:0.024 - actor/kl_coef:0.001 - actor/pg_loss:0.000 - actor/pg_clipfrac:0.000 - "
            "actor/ppo_kl:0.000 - actor/grad_norm:0.006 - actor/lr:0.000 - training/global_step:83.000 - "
            "critic/score/mean:0.906 - response_length/mean:330.437 - response_length/max:1024.000 - "
            "response_length/clip_ratio:0.004 - timing_s/gen:29.641\n")
# unslothai/unsloth#2291: the notebook table as GitHub renders a paste of it
UNSLOTH_TABLE = """Step | Training Loss | reward | reward_std | completion_length | kl | rewards / match_format_exactly | rewards / match_format_approximately | rewards / check_grounding_references_from_response
-- | -- | -- | -- | -- | -- | -- | -- | --
1 | 0.000000 | -17.250000 | 1.500000 | 445.500000 | 0.000000 | 0.000000 | -1.250000 | -16.000000
2 | -0.000000 | -10.500000 | 1.732051 | 389.250000 | 0.000000 | 0.000000 | -0.500000 | -10.000000
3 | 0.000000 | 0.000000 | 0.000000 | 452.000000 | 0.000010 | 0.000000 | -2.000000 | 2.000000
4 | 0.000000 | -18.750000 | 1.500000 | 340.000000 | 0.000028 | 0.000000 | -1.250000 | -17.500000
"""
# LLaMA-Factory (hiyouga/LlamaFactory#4026): the transformers banner, then an OOM
LLAMAFACTORY_BANNER = """[INFO|trainer.py:2078] 2024-06-01 16:22:16,125 >> ***** Running training *****
[INFO|trainer.py:2079] 2024-06-01 16:22:16,125 >>   Num examples = 1,000
[INFO|trainer.py:2080] 2024-06-01 16:22:16,125 >>   Num Epochs = 2
[INFO|trainer.py:2081] 2024-06-01 16:22:16,125 >>   Instantaneous batch size per device = 2
[INFO|trainer.py:2084] 2024-06-01 16:22:16,125 >>   Total train batch size (w. parallel, distributed & accumulation) = 64
[INFO|trainer.py:2085] 2024-06-01 16:22:16,125 >>   Gradient Accumulation steps = 4
[INFO|trainer.py:2086] 2024-06-01 16:22:16,125 >>   Total optimization steps = 30
[INFO|trainer.py:2087] 2024-06-01 16:22:16,129 >>   Number of trainable parameters = 20,971,520
  0%|          | 0/30 [00:00<?, ?it/s]Traceback (most recent call last):
  File "/workspace/LLaMA-Factory/src/llamafactory/launcher.py", line 9, in <module>
    launch()
torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.96 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.12 GiB is free.
"""
# unslothai/unsloth#1194 (2024 layout) and the 2025 layout
UNSLOTH_BANNER_2024 = """==((====))==  Unsloth - 2x faster free finetuning | Num GPUs = 1
    \\\\   /|    Num examples = 1,760 | Num Epochs = 1
O^O/ \\_/ \\    Batch size per device = 5 | Gradient Accumulation steps = 8
\\        /    Total batch size = 40 | Total steps = 220
 "-____-"     Number of trainable parameters = 469,762,048
"""
UNSLOTH_BANNER_2025 = """==((====))==  Unsloth - 2x faster free finetuning | Num GPUs used = 1
   \\\\   /|    Num examples = 7,473 | Num Epochs = 1 | Total steps = 250
O^O/ \\_/ \\    Batch size per device = 1 | Gradient accumulation steps = 4
\\        /    Data Parallel GPUs = 1 | Total batch size (1 x 4 x 1) = 4
 "-____-"     Trainable parameters = 36,929,536 of 3,000,000,000 (1.23% trained)
"""
# the model-loading banner has GPUs but no training figures: not a training banner
UNSLOTH_LOAD_BANNER = """==((====))==  Unsloth 2025.6.4: Fast Qwen3 patching. Transformers: 4.52.4.
   \\\\   /|    NVIDIA L4. Num GPUs = 1. Max memory: 22.045 GB. Platform: Linux.
O^O/ \\_/ \\    Torch: 2.7.0+cu128. CUDA: 8.9. CUDA Toolkit: 12.8. Triton: 3.3.0
\\        /    Bfloat16 = TRUE. FA [Xformers = 0.0.30. FA2 = False]
 "-____-"     Free license: http://github.com/unslothai/unsloth
"""


def read(tmp_path: Path, text: str, name: str = "train.log", **kw):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return StdoutLogReader(**kw).read(path)


def test_verl_step_lines(tmp_path: Path) -> None:
    r = read(tmp_path, VERL + VERL_OLD.replace("step:83", "step:35"))
    assert points(r, "entropy") == [(34, 0.22266578674316406), (35, 0.317)]
    assert points(r, "loss") == [(34, 0.042396901015308686), (35, 0.0)]
    assert points(r, "grad_norm") == [(34, 0.129638671875), (35, 0.006)]
    assert points(r, "kl") == [(34, 0.0013280365410537343), (35, 0.024)]
    assert points(r, "reward") == [(34, -0.0182796623557806), (35, 0.906)]
    assert points(r, "completions/mean_length")[0] == (34, 1267.024169921875)
    assert points(r, "completions/clipped_ratio") == [(35, 0.004)]
    assert points(r, "clip_ratio/region_mean")[0] == (34, 0.0007935191160472839)
    assert "actor/loss" in r.series  # names without a TRL twin stay as verl spells them
    assert fact(r, "run.last_step") == 35 and fact(r, "run.steps_logged") == 2
    assert fact(r, "log.framework") == "verl"
    assert r.series["loss"].first.line == 1 and r.series["loss"].last.line == 2


def test_verl_nan_and_numpy_values(tmp_path: Path) -> None:
    r = read(tmp_path, "step:1 - actor/pg_loss:0.5 - actor/grad_norm:nan - critic/score/mean:np.float64(0.25)\n"
                       "step:2 - actor/pg_loss:0.4 - actor/grad_norm:1.5 - critic/score/mean:0.3\n")
    assert r.series["grad_norm"].first_nonfinite.step == 1
    assert points(r, "reward") == [(1, 0.25), (2, 0.3)]


def test_unsloth_markdown_table(tmp_path: Path) -> None:
    r = read(tmp_path, UNSLOTH_TABLE, "notebook.txt")
    assert points(r, "loss") == [(1, 0.0), (2, -0.0), (3, 0.0), (4, 0.0)]
    assert points(r, "reward")[0] == (1, -17.25) and points(r, "reward_std")[1] == (2, 1.732051)
    assert points(r, "completions/mean_length")[2] == (3, 452.0)
    assert points(r, "rewards/match_format_exactly")[0] == (1, 0.0)
    assert fact(r, "run.last_step") == 4 and r.series["loss"].first.line == 3


def test_tab_table_with_validation_columns(tmp_path: Path) -> None:
    r = read(tmp_path, "Epoch\tTraining Loss\tValidation Loss\tAccuracy\n1\t0.693100\t0.512300\t0.781000\n"
                       "2\tNo log\t0.498700\t0.802000\n3\t0.401200\t0.530100\t0.799000\n", "table.txt")
    assert points(r, "eval_loss") == [(1, 0.5123), (2, 0.4987), (3, 0.5301)]
    assert points(r, "eval_accuracy")[1] == (2, 0.802)
    assert points(r, "loss") == [(1, 0.6931), (3, 0.4012)]  # `No log` is no value
    assert fact(r, "run.has_eval") is True


def test_nanogpt(tmp_path: Path) -> None:
    r = read(tmp_path, "step 0: train loss 10.9870, val loss 10.9876\n"
                       "iter 0: loss 10.9897, time 33123.45ms, mfu -100.00%\n"
                       "iter 10: loss 9.1234, time 250.12ms, mfu 30.11%\n"
                       "step 250: train loss 4.1234, val loss 4.2345\n"
                       "iter 250: loss nan, time 250.12ms, mfu 30.11%\n")
    assert points(r, "loss")[:2] == [(0, 10.9897), (10, 9.1234)] and math.isnan(points(r, "loss")[2][1])
    assert points(r, "eval_loss") == [(0, 10.9876), (250, 4.2345)]
    assert fact(r, "log.framework") == "nanogpt" and fact(r, "run.has_eval") is True


def test_build_nanogpt_pipe_lines(tmp_path: Path) -> None:
    r = read(tmp_path, "step    0 | loss: 10.955328 | lr 8.3916e-07 | norm: 15.4286 | dt: 2432.15ms | tok/sec: 215565.23\n"
                       "step    1 | loss: 10.891651 | lr 1.6783e-06 | norm: 14.9371 | dt: 401.82ms | tok/sec: 1304765.40\n")
    assert points(r, "loss") == [(0, 10.955328), (1, 10.891651)]
    assert points(r, "grad_norm")[0] == (0, 15.4286) and points(r, "learning_rate")[1] == (1, 1.6783e-06)


def test_openrlhf_postfix_redraws_count_once(tmp_path: Path) -> None:
    bar = ("Episode [1/1]:   8%|▊         | 1/12 [01:23<15:20, 83.70s/it, policy_loss=0.0123, actor_lr=5e-7, "
           "reward=0.35, return=-0.02, response_length=412, total_length=612, kl=0.0001]")
    nxt = bar.replace("1/12 [01:23", "2/12 [02:40").replace("policy_loss=0.0123", "policy_loss=0.02").replace("kl=0.0001", "kl=0.0003")
    short = "Train epoch [1/1]: 100%|██████████| 8/8 [00:10<00:00,  1.30s/it, pg=0.0123, rm=0.35, ret=-0.02, glen=412, kl=0.0001]"
    r = read(tmp_path, "\r".join([bar, short, bar.replace("01:23", "01:30"), nxt]) + "\n", "ppo.log")
    assert points(r, "loss") == [(1, 0.0123), (2, 0.02)]
    assert points(r, "kl") == [(1, 0.0001), (2, 0.0003)] and points(r, "learning_rate")[0] == (1, 5e-7)
    assert points(r, "completions/mean_length") == [(1, 412.0), (2, 412.0)]
    assert "pg" not in r.series  # the inner bar's short names are not metrics


def test_transformers_banner(tmp_path: Path) -> None:
    r = read(tmp_path, LLAMAFACTORY_BANNER)
    assert fact(r, "config.micro_batch_size") == 2 and fact(r, "config.gradient_accumulation_steps") == 4
    assert fact(r, "config.num_epochs") == 2 and fact(r, "config.world_size") == 8  # 64 / (2 x 4)
    assert fact(r, "run.max_steps") == 30 and fact(r, "run.num_examples") == 1000
    assert fact(r, "run.trainable_params") == 20971520
    assert "error.cuda_oom" in names(r)
    sources = {f.name: f.source for f in r.facts}
    assert sources["config.micro_batch_size"] == "train.log:4" and sources["run.max_steps"] == "train.log:7"


def test_eval_banner_is_not_a_training_banner(tmp_path: Path) -> None:
    r = read(tmp_path, "[INFO|trainer.py:4162] 2024-11-11 14:08:20,479 >>\n***** Running Evaluation *****\n"
                       "[INFO|trainer.py:4164] 2024-11-11 14:08:20,479 >>   Num examples = 240\n"
                       "[INFO|trainer.py:4167] 2024-11-11 14:08:20,479 >>   Batch size = 16\n")
    assert not {n for n in names(r) if n.startswith(("config.", "run."))}


def test_unsloth_banners(tmp_path: Path) -> None:
    old = read(tmp_path, UNSLOTH_BANNER_2024)
    assert fact(old, "config.micro_batch_size") == 5 and fact(old, "config.gradient_accumulation_steps") == 8
    assert fact(old, "config.world_size") == 1 and fact(old, "run.max_steps") == 220
    assert fact(old, "run.trainable_params") == 469762048
    new = read(tmp_path, UNSLOTH_LOAD_BANNER + UNSLOTH_BANNER_2025)
    assert fact(new, "config.micro_batch_size") == 1 and fact(new, "config.gradient_accumulation_steps") == 4
    assert fact(new, "run.max_steps") == 250 and fact(new, "run.num_examples") == 7473
    assert facts(new, "config.world_size") == [1] and fact(new, "run.trainable_params") == 36929536
    assert fact(new, "log.framework") == "unsloth"


def test_swift_legacy_names_and_two_names_of_one_metric(tmp_path: Path) -> None:
    # shared case 029 (ms-swift GRPO, older names) and unsloth's completion_length beside TRL's own
    r = read(tmp_path, "{'loss': -0.01984474, 'grad_norm': 2.83724597, 'learning_rate': 9.6e-07, 'memory(GiB)': 87.34, "
                       "'train_speed(iter/s)': 0.01697, 'completion_length': 64.91666794, 'response_clip_ratio': 0.0, "
                       "'rewards/Format': 1.0, 'reward': 1.63541669, 'reward_std': 0.44870499, 'kl': 0.06542969, "
                       "'clip_ratio': 0.0, 'epoch': 0.14, 'global_step/max_steps': '17/124', 'percentage': '13.71%'}\n"
                       "{'loss': 0.0, 'grad_norm': 0.0, 'learning_rate': 3.03e-08, 'completions/mean_length': 77.5, "
                       "'completions/clipped_ratio': 0.0, 'reward': 4.0, 'reward_std': 0.0, 'completion_length': 81.0, "
                       "'kl': 0.0, 'epoch': 0.15, 'global_step/max_steps': '18/124'}\n")
    assert points(r, "completions/mean_length") == [(17, 64.91666794), (18, 77.5)]
    assert points(r, "completions/clipped_ratio") == [(17, 0.0), (18, 0.0)]
    assert points(r, "clip_ratio/region_mean") == [(17, 0.0)]


def test_big_text_log_through_the_parallel_path(tmp_path: Path) -> None:
    """verl logs are all text: records split over chunks keep their steps, lines and order."""
    lines = [f"step:{s} - actor/pg_loss:{s / 1000} - actor/grad_norm:0.5 - critic/score/mean:0.1\n" for s in range(1, 3001)]
    path = tmp_path / "verl.log"
    path.write_text("".join(lines))
    r, = read_attachment(path)
    small = StdoutLogReader(chunk_size=4096).read(path)
    for reading in (r, small):
        assert reading.series["loss"].count == 3000 and fact(reading, "run.last_step") == 3000
        assert reading.series["loss"].last == (3000, 3.0, 3000)


def test_verl_sft_scaled_lr_and_reward_after_kl(tmp_path: Path) -> None:
    # verl's SFT trainer logs `train/lr(1e-3)` = lr * 1000; the RL trainer logs critic/rewards/mean after the score
    r = read(tmp_path, "step:1 - train/loss:2.31 - train/grad_norm:14.98 - train/lr(1e-3):0.02\n"
                       "step:2 - train/loss:nan - train/grad_norm:nan - train/lr(1e-3):0.04\n")
    assert points(r, "learning_rate") == [(1, 2e-05), (2, 4e-05)]
    assert "lr(1e-3)" not in r.series and r.series["grad_norm"].first_nonfinite.step == 2
    r = read(tmp_path, "step:3 - actor/pg_loss:0.0 - critic/rewards/mean:0.25\n"
                       "step:4 - actor/pg_loss:0.0 - critic/score/mean:0.5 - critic/rewards/mean:0.45\n", "rl.log")
    assert points(r, "reward") == [(3, 0.25), (4, 0.5)]  # the score wins when the line has both


def test_openrlhf_sft_bar(tmp_path: Path) -> None:
    bar = ("Train step of epoch 0:  12%|█▏        | {n}/50 [00:{n:02d}<12:00,  2.31s/it, gpt_loss={v}, "
           "loss_mean={v}, lr=2e-05]")
    r = read(tmp_path, "\r".join(bar.format(n=n, v=v) for n, v in ((1, "2.7"), (2, "0")))+ "\n", "sft.log")
    assert points(r, "loss") == [(1, 2.7), (2, 0.0)] and points(r, "learning_rate")[0] == (1, 2e-05)


# torchtitan's metric line (its debug-model docs), rank-prefixed as torchrun prints it; older releases print wps
# and colour each field
TITAN = ("[rank0]:[titan] 2025-10-30 14:32:58,897 - root - INFO - step:  1  loss:  8.1661  grad_norm:  3.6855  "
         "memory:  2.47GiB(3.12%)  tps: 3,502  tflops: 1.90  mfu: 0.19%\n"
         "[rank0]:[titan] 2025-10-30 14:32:58,897 - root - INFO - Synchronizing and adjusting timeout for all "
         "ProcessGroups to 0:01:40\n"
         "[rank0]:[titan] 2025-10-30 14:32:58,990 - root - INFO - step:  2  loss:  6.1098  grad_norm:  4.6416  "
         "memory:  2.49GiB(3.14%)  tps: 177,138  tflops: 96.17  mfu: 9.72%\n"
         "[rank0]:[titan] 2025-10-30 14:32:59,077 - root - INFO - step:  3  loss:     nan  grad_norm:     nan  "
         "memory:  2.49GiB(3.14%)  tps: 189,694  tflops: 102.99  mfu: 10.41%\n")
TITAN_COLOURED = ("2024-04-10 10:01:02,345 - root - INFO - \x1b[31mstep:  10  \x1b[32mloss:  7.9123  \x1b[33m"
                  "memory: 12.61GiB(15.93%)  \x1b[34mwps: 8,123  \x1b[35mmfu: 4.21%\x1b[39m\n")
# mlx-lm's LoRA trainer report and validation lines
MLX = ("Starting training..., iters: 600\n"
       "Iter 1: Val loss 2.910, Val took 10.432s\n"
       "Iter 10: Train loss 2.783, Learning Rate 1.000e-05, It/sec 0.512, Tokens/sec 230.510, "
       "Trained Tokens 4502, Peak mem 12.300 GB\n"
       "Iter 20: Train loss 2.318, Learning Rate 1.000e-05, It/sec 0.498, Tokens/sec 226.004, "
       "Trained Tokens 9013, Peak mem 12.300 GB\n"
       "Iter 20: Val loss 2.412, Val took 10.211s\n")


def test_torchtitan_metric_lines(tmp_path: Path) -> None:
    r = read(tmp_path, TITAN)
    assert points(r, "loss")[:2] == [(1, 8.1661), (2, 6.1098)] and math.isnan(points(r, "loss")[2][1])
    assert points(r, "grad_norm")[:2] == [(1, 3.6855), (2, 4.6416)]
    assert r.series["grad_norm"].first_nonfinite.step == 3
    assert not {"tps", "mfu", "memory", "tflops"} & set(r.series)  # throughput is no training metric
    assert fact(r, "run.last_step") == 3 and r.series["loss"].first.line == 1
    old = read(tmp_path, TITAN_COLOURED, "old.log")
    assert points(old, "loss") == [(10, 7.9123)] and set(old.series) == {"loss"}


def test_torchtitan_lines_are_not_verl_lines(tmp_path: Path) -> None:
    r = read(tmp_path, "step:5 - actor/pg_loss:0.5 - actor/grad_norm:1.5\n")
    assert points(r, "loss") == [(5, 0.5)] and fact(r, "log.framework") == "verl"


def test_mlx_lm_train_and_val_lines(tmp_path: Path) -> None:
    r = read(tmp_path, MLX)
    assert points(r, "loss") == [(10, 2.783), (20, 2.318)]
    assert points(r, "learning_rate") == [(10, 1e-05), (20, 1e-05)]
    assert points(r, "eval_loss") == [(1, 2.91), (20, 2.412)]
    assert fact(r, "run.has_eval") is True
    assert not any("sec" in n or "mem" in n or "took" in n or "tokens" in n for n in r.series)


def test_mlx_lm_lines_of_a_script_adding_fields(tmp_path: Path) -> None:
    # a training script on mlx-lm printing its own fields in the same `Name value` layout
    r = read(tmp_path, "Iter 10: Train loss 1.3797, LR 4.500e-07, grad_norm 4.232,        skipped 0\n"
                       "Iter 20: Train loss 1.4634, LR 9.500e-07, grad_norm nan,          skipped 1\n")
    assert points(r, "learning_rate") == [(10, 4.5e-07), (20, 9.5e-07)]
    assert r.series["grad_norm"].first_nonfinite.step == 20


def test_whitespace_metric_table(tmp_path: Path) -> None:
    r = read(tmp_path, "Step  loss  grad_norm  reward_mean  clipped_ratio  mean_length\n"
                       "1     0     0          0            1.0            256\n"
                       "2     0.01  0.3        0.25         0.5            180\n"
                       "...\n"
                       "10    0.02  0.2        0.5          0.0            140\n", "table.txt")
    assert points(r, "loss") == [(1, 0.0), (2, 0.01), (10, 0.02)]
    assert points(r, "reward")[1] == (2, 0.25)
    assert points(r, "completions/clipped_ratio")[0] == (1, 1.0)
    assert points(r, "completions/mean_length")[2] == (10, 140.0)
    assert fact(r, "run.last_step") == 10


def test_pandas_frame_and_single_space_titles(tmp_path: Path) -> None:
    frame = read(tmp_path, "   step      loss  learning_rate  eval_loss\n"
                           "0    10  2.345000        0.00002      2.500\n"
                           "1    20  2.100000        0.00002      2.400\n", "frame.txt")
    assert points(frame, "loss") == [(10, 2.345), (20, 2.1)]
    assert points(frame, "learning_rate")[0] == (10, 2e-05)
    plain = read(tmp_path, "Step Training Loss Validation Loss\n100 1.2345 1.4000\n200 1.1000 1.3900\n", "plain.txt")
    assert points(plain, "loss") == [(100, 1.2345), (200, 1.1)]
    assert points(plain, "eval_loss") == [(100, 1.4), (200, 1.39)]


def test_prose_and_number_lists_are_no_table(tmp_path: Path) -> None:
    r = read(tmp_path, "Here are the numbers I saw\n1 2 3\n4 5 6\n"
                       "GPU memory usage\n40 41\n42 43\n", "notes.txt")
    assert not r.series

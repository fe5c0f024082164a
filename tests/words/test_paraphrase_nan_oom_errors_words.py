"""NaN / OOM / error signals said the way other users say them (paraphrase round): a model size in words ("7 billion",
"a 70bn model"), GPU kinds in the plural ("two 3090s"), a micro batch without "size", a version bump as two release
numbers, "whatever the batch size", a quantised variant named as the one that runs, a KL switched off that makes the
NaN go away, a NaN on some steps only, short assistant replies, "zero" as a value before "the NaN", and "no spike".
tests/words leaves precedent out, so the rankings asserted are the rules' own."""
from __future__ import annotations

import pytest


from .helpers import ids, phrases, quantities


# --- sizes and GPUs in other words ------------------------------------------------------------------

@pytest.mark.parametrize("text,size", [
    ("lora of a 7 billion model on four 3090 cards", 7e9),
    ("13 billion parameter llama on 2x L4", 13e9),
    ("a 70bn model on a 24GB card", 70e9),
    ("GPT-2 1.5 billion on 8x V100 32GB", 1.5e9),
    ("a 350 million parameter encoder", 350e6),
])
def test_a_model_size_said_in_words(text: str, size: float) -> None:
    assert quantities(text).get("user.model_params") == pytest.approx(size)


@pytest.mark.parametrize("text", ["pretraining on 2 billion tokens", "a corpus of 50 million samples", "15 million lines of text"])
def test_a_count_of_data_is_no_model_size(text: str) -> None:
    assert "user.model_params" not in quantities(text)


def test_a_verb_before_the_size_is_no_model_name() -> None:
    assert "user.model_name" not in quantities("full finetuning 7 billion llama on a single A100 80G")


@pytest.mark.parametrize("text,kind,count", [
    ("qwen 7B on two 3090s", "RTX 3090", 2),
    ("two A100s 80G, full finetune of an 8B", "A100", 2),
    ("1.5 billion param gpt2 on 4 H100s", "H100", 4),
])
def test_gpu_kinds_in_the_plural(text: str, kind: str, count: int) -> None:
    got = quantities(text)
    assert got.get("user.gpu_name") == kind and got.get("user.gpu_count") == count, got


def test_l40s_stays_the_l40s() -> None:
    assert quantities("four L40S cards").get("user.gpu_name") == "L40S"


@pytest.mark.parametrize("text", ["micro batch 32 per gpu", "micro-batch size of 32", "micro_batch_size=32"])
def test_a_micro_batch_without_size(text: str) -> None:
    assert quantities(text).get("user.batch_size") == 32


# --- phrases ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "after going from trl 0.7.1 to 0.7.2 it runs out of memory",
    "why does it need more memory in the new version?",
])
def test_a_version_bump_in_other_words(text: str) -> None:
    assert "user.library_upgrade" in phrases(text)


def test_a_loss_going_from_one_value_to_another_is_no_upgrade() -> None:
    assert "user.library_upgrade" not in phrases("the loss went from 2.5 to 0.3 in the first epoch")


@pytest.mark.parametrize("text", [
    "cuda out of memory whatever batch size I use",
    "OOM even at batch_size=1",
])
def test_oom_whatever_the_batch(text: str) -> None:
    assert "user.oom_any_batch" in phrases(text)


def test_micro_batch_bigger_than_a_prefixed_mini_batch() -> None:
    assert "user.micro_exceeds_mini" in phrases("the ppo_micro_batch_size_per_gpu is bigger than ppo_mini_batch_size")


@pytest.mark.parametrize("text", [
    "the int4 versions train on 4 GPUs, the full-precision ones don't even start",
    "the quantized model fits but the bf16 one is OOM",
])
def test_a_quantised_variant_that_runs(text: str) -> None:
    assert "user.quantized_fixes" in phrases(text)


def test_the_sixteen_bit_load_that_fails_while_four_bit_works_points_at_quantising() -> None:
    found = ids("LoRA training: model loaded in 16-bit -> CUDA OOM, loaded in 4bit -> works.")
    assert found and found[0] == "model_not_quantized", found


@pytest.mark.parametrize("text", [
    "GRPO loss is nan at the first step; if I put the KL coefficient to zero the nan disappears",
    "with beta = 0 the NaNs go away",
    "after disabling the kl loss the nans are gone",
])
def test_the_nan_goes_away_with_the_kl_off(text: str) -> None:
    assert "user.kl_off_fixes" in phrases(text)


def test_kl_off_fixing_the_nan_in_grpo_points_at_the_kl_overflow() -> None:
    found = ids("GRPO on a 7B vision model: nan loss right at the very first step. "
                "If I put the KL coefficient to zero the nan disappear.")
    assert found and found[0] == "logsoftmax_overflow", found


def test_zero_as_a_value_before_the_nan_is_no_denial() -> None:
    assert "user.nan_general" in phrases("if I set kl to zero the nan goes away")
    assert "user.nan_general" not in phrases("zero nans so far, loss looks fine")


@pytest.mark.parametrize("text", ["some steps print loss nan (not all)", "loss is nan but not on every step"])
def test_a_nan_on_some_steps_only(text: str) -> None:
    assert "user.nan_intermittent" in phrases(text)


def test_short_assistant_replies() -> None:
    assert "user.short_targets" in phrases("sft loss nan. some of the assistant answers are really short (a few characters)")


def test_no_spike_denies_a_loss_spike() -> None:
    assert "user.loss_spikes" not in phrases("the loss values before were totally normal, no spike")
    assert "user.loss_spikes" in phrases("the loss spikes at step 300")


def test_killed_with_exit_code_minus_seven_is_no_oom_kill() -> None:
    assert "user.killed" not in phrases("the workers get killed: 'exits with return code = -7'. nothing else in the log")
    assert "user.killed" in phrases("the workers get killed, exits with return code = -9")


@pytest.mark.parametrize("text", [
    "the pretraining step of my small llm worked, but in the sft stage the loss is nan from the start",
    "预训练那步一切正常，但 SFT 训练时 loss 一直是 NAN",
])
def test_the_pretraining_stage_said_to_work(text: str) -> None:
    assert "user.pretrain_stage_fine" in phrases(text)


def test_sft_nan_from_the_start_after_a_clean_pretraining_stage_points_at_the_label_mask() -> None:
    found = ids("The pretraining step of my small LLM worked and it generates text, but in the SFT stage the loss is NaN "
                "from the start and stays NaN. Is that normal?")
    assert found and found[0] == "label_masking_wrong", found


@pytest.mark.parametrize("text,expect", [
    ("qwen 7b on a 24 gig card", {"user.gpu_memory_gib": 24.0}),
    ("llama 8b on 80 gigs of vram", {"user.gpu_memory_gib": 80.0}),
    ("8xH100 full finetune of a 7-billion-parameter model", {"user.gpu_name": "H100", "user.gpu_count": 8, "user.model_params": 7e9}),
    ("RTX3090 with a 7B", {"user.gpu_name": "RTX 3090"}),
    ("H100 x 8", {"user.gpu_name": "H100", "user.gpu_count": 8}),
    ("a 4x3090 box", {"user.gpu_name": "RTX 3090", "user.gpu_count": 4}),
    ("8x7b moe on 8xh100", {"user.model_params": 56e9, "user.gpu_name": "H100", "user.gpu_count": 8}),
])
def test_gpu_and_size_forms(text: str, expect: dict[str, object]) -> None:
    got = quantities(text)
    for name, value in expect.items():
        assert got.get(name) == (pytest.approx(value) if isinstance(value, float) else value), (name, got)


def test_a_bit_width_is_no_model_name() -> None:
    assert "user.model_name" not in quantities("a 4-bit 7b on a 3090")


@pytest.mark.parametrize("text,kind", [
    ("on a single GPU (an RTX 4090); compared with the 8x A100 loss curve", "RTX 4090"),
    ("4 nodes of 8x H100 80GB; the recipe header says 4 nodes(8xh200)", "H100"),
    ("colab with an A100", "A100"),
])
def test_the_gpu_named_first_is_the_users(text: str, kind: str) -> None:
    assert quantities(text).get("user.gpu_name") == kind


@pytest.mark.parametrize("text", ["load_in_8bit False, still CUDA OOM", "load_in_4bit: false", "加载模型时 load_in_8bit 设成了 false"])
def test_a_quantisation_flag_turned_off_names_no_bit_width(text: str) -> None:
    assert "user.quant_bits" not in quantities(text.lower())


def test_a_quantisation_flag_turned_on_names_its_bit_width() -> None:
    assert quantities("load_in_8bit=true on a 3090").get("user.quant_bits") == 8


def test_a_setting_in_preprocessing_is_no_data_stage() -> None:
    assert "user.data_stage" not in phrases("lora on a v100 32gb, max_len=200 in preprocessing, bs=1, still cuda oom")
    assert "user.data_stage" in phrases("it runs out of memory during preprocessing of the dataset")


def test_memory_climbing_to_a_figure_is_growth() -> None:
    assert "user.memory_growing" in phrases("memory goes up to ~160GB with 16 lora layers")


def test_switching_the_kl_off_gets_rid_of_the_nan() -> None:
    assert "user.kl_off_fixes" in phrases("grpo loss nan at step 0; setting use_kl_loss to false gets rid of the nan")


def test_exclamation_output_with_a_nan_is_not_read_as_a_learning_rate_sign() -> None:
    found = ids("GRPO in verl with kl_loss_type low_var_kl: suddenly the rollouts are just '!!!!!!!!' and the kl is NaN "
                "afterwards, does not recover. pg loss looks normal at that step.")
    assert found and found[0] == "logsoftmax_overflow", found

"""Words about SFT and NaN runs (issue 10): noise against a trend, a loss that turned 0 only after
the first steps, what a GPU's kind says about its precision, answers cut off by truncation, and
worried questions about runs that are fine. Sentences are as users write them (the dev corpus's
questions and threads like them); the last test runs whole dev questions through `consult`."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.consult import consult
from assistant.words.claims import facts_from_claims
from assistant.words.phrases import phrase_facts
from assistant.words.quantities import facts_from_quantities

DEV = Path(__file__).resolve().parents[1] / "cases" / "dev"


def claim_names(text: str) -> dict[str, dict]:
    return {f.name: f.value for f in facts_from_claims(text, "sft")}


def phrases(text: str) -> set[str]:
    return {f.name for f in phrase_facts(text)}


# --- noise against a trend -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "the training loss went up for 5 logged steps in a row",
    "the loss went up in the last 3 steps",
    "loss increased for 4 consecutive steps",
])
def test_a_move_over_a_handful_of_steps_is_noise_not_a_trend(text: str) -> None:
    found = claim_names(text)
    assert "symptom.trend" not in found, found
    assert found["symptom.noisy"]["metric"] == "loss"


def test_a_step_count_with_a_qualifier_is_not_a_value_of_the_metric() -> None:
    # "5 logged steps" is a span, not a loss of 5
    found = claim_names("the training loss went up for 5 logged steps")
    assert all(v.get("last") != 5 for v in found.values() if isinstance(v, dict))


def test_a_rise_over_many_steps_is_still_a_trend() -> None:
    found = claim_names("loss rose from 1.2 to 3.5 over 2000 steps")
    assert found["symptom.trend"]["direction"] == "rising"


@pytest.mark.parametrize("text", ["the loss jumps high and low and never comes down", "loss goes back and forth"])
def test_high_and_low_is_oscillation(text: str) -> None:
    assert "symptom.noisy" in claim_names(text)


# --- a zero that came after the start --------------------------------------------------------

@pytest.mark.parametrize("text", [
    "the training loss is zero from the second step onward",
    "the loss is 0 after the first few steps",
    "the loss is exactly 0 starting from step 3",
])
def test_zero_after_the_first_steps_is_not_zero_from_the_start(text: str) -> None:
    zero = claim_names(text)["symptom.stuck_zero"]
    assert zero["from_step"] >= 2 and zero["all"] is False


@pytest.mark.parametrize("text", [
    "the loss suddenly jumps up and then becomes 0",
    "the loss becomes 0 after a while",
])
def test_a_loss_said_to_become_zero_was_not_zero_at_first(text: str) -> None:
    zero = claim_names(text)["symptom.stuck_zero"]
    assert zero["from_step"] >= 2 and zero["all"] is False


@pytest.mark.parametrize("text", ["the loss is 0 from the start", "loss is 0 from the first step", "loss becomes 0 immediately"])
def test_zero_from_the_start_stays_from_the_start(text: str) -> None:
    zero = claim_names(text)["symptom.stuck_zero"]
    assert zero["from_step"] == 0 and zero["all"] is True


def test_nan_from_the_first_step_is_still_from_start() -> None:
    assert claim_names("loss nan from the first step")["symptom.nonfinite"]["from_start"] is True


# --- what the GPU's kind says ----------------------------------------------------------------

@pytest.mark.parametrize("text,capability", [
    ("LoRA on a V100", 7.0), ("running it in Colab", 7.5), ("a T4 with 16GB", 7.5), ("2x A100 80GB", 8.0),
    ("on my 4090", 8.9), ("an RTX 2080 Ti", 7.5),
])
def test_a_named_gpu_gives_its_compute_capability(text: str, capability: float) -> None:
    values = {f.name: f.value for f in facts_from_quantities(text)}
    assert values["user.gpu_capability"] == capability


@pytest.mark.parametrize("text,expect", [
    ("finetune llama-7b on 2x A4000 16G, I already added --use_lora", {"user.adapter": "lora", "user.gpu_count": 2}),
    ("use_qlora on 2 a6000s", {"user.adapter": "qlora", "user.gpu_count": 2}),
])
def test_flag_style_adapters_and_counted_workstation_cards(text: str, expect: dict) -> None:
    values = {f.name: f.value for f in facts_from_quantities(text)}
    assert {k: values.get(k) for k in expect} == expect


def test_an_amd_part_has_no_cuda_capability() -> None:
    assert "user.gpu_capability" not in {f.name for f in facts_from_quantities("training on an MI300X")}


def test_v100_gpus_is_not_a_count_of_100() -> None:
    values = {f.name: f.value for f in facts_from_quantities("LoRA on V100 GPUs")}
    assert values.get("user.gpu_count") != 100
    assert "multi_gpu" not in str([f.value for f in phrase_facts("LoRA on V100 GPUs") if f.name == "user.multi_gpu"
                                   and f.value["words"].startswith("100")])


@pytest.mark.parametrize("text", [
    "My GPU is a V100, so bf16 is not an option.",
    "we can't use bf16 on these cards",
    "no bf16 support on the T4",
])
def test_naming_bf16_to_say_it_cannot_be_used_is_not_using_it(text: str) -> None:
    assert "user.uses_bf16" not in phrases(text)


@pytest.mark.parametrize("text", [
    "Training on a V100, which doesn't support bf16, so I use fp16; the loss becomes nan at step 300",
    "I use fp16 because the T4 does not support bf16, and the loss is nan",
])
def test_the_reason_for_another_precision_is_not_a_bf16_error(text: str) -> None:
    assert not {"user.bf16_error", "user.uses_bf16"} & phrases(text)
    assert [d.id for d in consult(text).diagnoses][:1] == ["mixed_precision_instability"]


def test_the_bf16_error_itself_is_still_read() -> None:
    assert "user.bf16_error" in phrases("ValueError: Your setup doesn't support bf16/gpu. when I start training")


def test_bf16_in_use_is_still_read() -> None:
    assert "user.uses_bf16" in phrases("training with bf16 on 8 H100s, loss spikes")


# --- answers cut by truncation ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "the collator truncates tokens past max_length, and for long samples the answer part gets cut off",
    "the labels get truncated when the prompt is long",
    "training fails with 'No tokens available to compute loss.'",
])
def test_truncation_cutting_the_answer_is_named(text: str) -> None:
    assert "user.labels_truncated" in phrases(text)


def test_truncating_the_dataset_is_not_truncating_labels() -> None:
    assert "user.labels_truncated" not in phrases("I truncated the dataset to 1000 samples and the loss is flat")


# --- worried questions -----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Is the SFT stage going wrong?",
    "Is the training diverging or starting to overfit? Should I stop it?",
    "is something wrong with my run?",
])
def test_worried_questions_are_health_checks(text: str) -> None:
    assert "user.healthy_check" in phrases(text)


# --- whole dev questions ---------------------------------------------------------------------

def top(case: str) -> list[str]:
    d = DEV / case
    attachments = [d / f for f in ("log.txt", "config.yaml") if (d / f).exists()]
    return [x.id for x in consult((d / "question.txt").read_text(encoding="utf-8"), attachments=attachments).diagnoses]


@pytest.mark.parametrize("case,expected", [
    ("n-llamafactory-qwen-v100-embedding-inf-upcast-layernorm", "mixed_precision_instability"),  # NaN on a V100
    ("n-smol-course-dpo-fp16-zero-loss-step2", "mixed_precision_instability"),   # 0 from step 2, Colab
    ("s-minicpmv-truncation-drops-labels-no-tokens", "label_masking_wrong"),     # answers cut by truncation
    ("s-llama2-7b-alpaca-loss-jumps-then-zero", "lr_too_high"),                   # a spike, then 0: not the labels
])
def test_dev_questions_lead_with_the_cause(case: str, expected: str) -> None:
    assert top(case)[:1] == [expected]


def test_a_worried_question_about_a_short_rise_raises_no_warning() -> None:
    d = DEV / "h-starcoder-ft-train-loss-up-few-steps"
    report = consult((d / "question.txt").read_text(encoding="utf-8"))
    assert all(x.severity not in ("warning", "critical") for x in report.diagnoses)


# --- SFT words that name a cause (issue 10, second batch) ----------------------------------------

@pytest.mark.parametrize("text, fact", [
    ("The model doesn't generate the EOS token after SFT", "user.no_stop"),
    ("outputs go on forever after fine-tuning", "user.no_stop"),
    ("模型学不会结束符", "user.no_stop"),
    ("I think the prompt is also being trained on", "user.prompt_trained"),
    ("train_on_inputs: true in my config", "user.prompt_trained"),
    ("labels are the same as input_ids", "user.prompt_trained"),
    ("all labels are -100 after preprocessing", "user.prompt_trained"),
    ("prompt部分也参与了loss计算", "user.prompt_trained"),
    ("I increased batch size from 8 to 64 and it got worse", "user.batch_changed"),
    ("with a bigger batch the loss is higher", "user.batch_changed"),
    ("增大了batch size之后效果变差", "user.batch_changed"),
    ("the model now parrots training examples verbatim", "user.memorised"),
    ("I added a new projection layer", "user.fresh_weights"),
    ("training from scratch", "user.fresh_weights"),
])
def test_sft_cause_words(text: str, fact: str) -> None:
    assert fact in phrases(text.lower())


@pytest.mark.parametrize("text", ["is my model overfitting?", "does the batch look right?", "the prompt is long"])
def test_worries_and_setup_are_not_cause_words(text: str) -> None:
    assert not phrases(text) & {"user.memorised", "user.batch_changed", "user.prompt_trained"}


def test_weight_decay_from_words() -> None:
    found = {f.name: f.value for f in facts_from_quantities("training with weight_decay 0.5 and lr 2e-4")}
    assert found["user.weight_decay"] == 0.5


@pytest.mark.parametrize("text, level", [("训练loss不下降，一直在2.5左右", 2.5), ("训练loss一直在2.5左右，不下降", 2.5)])
def test_chinese_numbers_and_negated_moves(text: str, level: float) -> None:
    found = claim_names(text)
    assert found["symptom.plateau"]["level"] == level
    assert "symptom.trend" not in found or found["symptom.trend"]["direction"] != "falling"


@pytest.mark.parametrize("text", [
    "the training loss suddenly drops at the start of every epoch",
    "my loss curve looks like a staircase",
    "训练loss在每个epoch开始时突然降低",
])
def test_epoch_boundary_drops(text: str) -> None:
    assert "user.epoch_drop" in phrases(text.lower())


@pytest.mark.parametrize("text", ["the Trainer only prints the training loss", "is there any way to see the eval loss?"])
def test_only_train_loss_is_no_eval_loss(text: str) -> None:
    assert "user.no_eval_loss" in phrases(text.lower())


def test_epoch_drops_are_a_lead_not_an_alarm() -> None:
    report = consult("The loss drops in a big step at each new epoch, flat within an epoch. Is something wrong?")
    assert report.diagnoses and all(d.severity == "info" for d in report.diagnoses)
    assert {d.id for d in report.diagnoses} <= {"lr_too_high", "overfitting", "no_eval_set"}


def test_full_fine_tune_states_beyond_the_gpu_need_offload() -> None:
    report = consult("Full fine-tune of LLaMA-7B on a single A100 80GB runs out of memory even with batch size 1.")
    assert report.diagnoses[0].id == "needs_offload"
    small = consult("Full fine-tune of a 1.5B model on a single A100 80GB runs out of memory.")
    assert "needs_offload" not in [d.id for d in small.diagnoses[:1]]


@pytest.mark.parametrize("text, fact", [
    ("Is gradient accumulation counted in a step?", "user.step_counting"),
    ("the epoch counter moves as if 640 samples pass between logs", "user.step_counting"),
    ("as soon as I add --cutoff_len 4096 it runs out of memory", "user.works_with_shorter_seq"),
    ("as soon as I set --max_len 4096 it runs out of memory", "user.works_with_shorter_seq"),
    ("a shorter max len works, 8192 does not", "user.works_with_shorter_seq"),
    ("training with max_len 8192 on one card", "user.long_sequences"),
    ("swift sft --template_type AUTO, the model never stops", "user.chat_template"),
    ("llamafactory-cli train with --template qwen", "user.chat_template"),
    ("fine-tuning qwen2.5-vl with ms-swift on two a800", "user.ms_swift"),
    ("用 swift 做全参 sft", "user.ms_swift"),
    ("with deepspeed 0.10.2 the same script trains fine", "user.version_regression"),
])
def test_setup_comparisons(text: str, fact: str) -> None:
    assert fact in phrases(text.lower())


def test_a_loss_that_comes_to_zero_was_not_zero_at_the_start() -> None:
    found = claim_names("after some steps the training loss comes to 0 and stays there")
    assert found["symptom.stuck_zero"]["from_step"] > 0


def test_int8_weights_over_half_the_card_point_at_4bit() -> None:
    report = consult("LoRA on a 13B model loaded in 8bit on a 20GB GPU, batch 1, still CUDA OOM")
    assert "model_not_quantized" in [d.id for d in report.diagnoses[:2]]


@pytest.mark.parametrize("text, fact", [
    ("the notebook sets tokenizer.pad_token = tokenizer.eos_token", "user.pad_is_eos"),
    ("my pad token is the same as eos", "user.pad_is_eos"),
    ("it dies with a memory error during the tokenization step", "user.host_ram"),
])
def test_pad_eos_and_preprocessing_memory(text: str, fact: str) -> None:
    assert fact in phrases(text.lower())


def test_never_stopping_with_pad_equal_to_eos_is_masked_eos() -> None:
    report = consult("My fine-tuned model never stops generating. I set tokenizer.pad_token = tokenizer.eos_token.")
    assert report.diagnoses[0].id == "label_masking_wrong"


@pytest.mark.parametrize("text, fact", [
    ("I swapped the LLM in the recipe for Qwen2.5", "user.model_swapped"),
    ("with a different base model it breaks", "user.model_swapped"),
    ("some conversations have very short assistant replies", "user.short_targets"),
    ("rows with an empty output in my dataset", "user.short_targets"),
    ("plain torch.nn.MultiheadAttention works", "user.plain_attention_works"),
    ("switching to eager attention fixes it", "user.plain_attention_works"),
])
def test_nan_context_words(text: str, fact: str) -> None:
    assert fact in phrases(text.lower())


@pytest.mark.parametrize("question, first", [
    ("I swapped the LLM in my recipe for Qwen2.5 and now the loss is nan.", "mixed_precision_instability"),
    ("SFT on chat data gives loss NaN; some conversations have very short assistant replies.", "label_masking_wrong"),
    ("Under fp16 autocast the loss is nan after the first update with the fused attention; plain MultiheadAttention works.", "attention_kernel_fault"),
])
def test_nan_context_ranks_the_cause_first(question: str, first: str) -> None:
    assert consult(question).diagnoses[0].id == first


def test_higher_than_is_a_comparison_not_a_rise() -> None:
    found = claim_names("the eval loss is a little bit higher than the train loss")
    assert "symptom.trend" not in found, found
    report = consult("The eval loss is a little bit higher than the train loss. Is it overfitting?")
    assert all(d.severity == "info" for d in report.diagnoses)


@pytest.mark.parametrize("question, first", [
    ("After LoRA SFT the model still answers exactly like the base model, as if nothing was learned.", "lr_too_low"),
    ("After full fine-tuning on my small dataset the model forgot its general abilities (catastrophic forgetting).", "overfitting"),
    ("The training loss keeps decreasing but the answers on my test questions get worse with each epoch.", "overfitting"),
])
def test_sft_outcomes_in_words(question: str, first: str) -> None:
    assert consult(question).diagnoses[0].id == first


def test_oom_words_about_checkpointing_and_batch() -> None:
    assert "user.gradient_checkpointing_off" in phrases("cuda oom with gradient checkpointing disabled")
    assert "user.gradient_checkpointing_on" not in phrases("cuda oom with gradient checkpointing disabled")
    ids = [d.id for d in consult("I get CUDA OOM with gradient checkpointing disabled, batch size 1, 7B LoRA on a 16GB T4.").diagnoses]
    assert ids[0] == "gradient_checkpointing_off" and "oom_batch_too_large" not in ids
    full = [d.id for d in consult("Full fine-tune of LLaMA-7B on a single A100 80GB, batch size 1, CUDA out of memory.").diagnoses]
    assert full[0] == "needs_offload"


def test_an_sft_model_that_repeats_the_prompt_is_a_labels_question_not_entropy_collapse() -> None:
    ids = [d.id for d in consult("After fine-tuning, the model just repeats the prompt instead of answering.").diagnoses]
    assert ids[:1] == ["label_masking_wrong"] and "entropy_collapse" not in ids


@pytest.mark.parametrize("question", [
    "The learning rate goes down to 0 at the end of training, is this a bug?",
    "The training loss is lower than the eval loss. Is that a problem?",
])
def test_normal_observations_raise_no_alarm(question: str) -> None:
    assert all(d.severity == "info" for d in consult(question).diagnoses)


@pytest.mark.parametrize("text", ["I don't know how to see or draw a loss curve", "wandb shows no lr or loss at all, only system stats",
                                  "how can I see the training loss curve?"])
def test_no_curves_is_logging_missing(text: str) -> None:
    assert "user.no_curves" in phrases(text.lower())
    assert consult(text).diagnoses[0].id == "logging_missing"


@pytest.mark.parametrize("text, fact", [
    ("训练时loss变成nan，用的是V100显卡fp16", "user.uses_fp16"),
    ("训练时loss变成nan，用的是V100显卡fp16", "user.loss_nan"),
    ("prompt部分也参与了loss计算", "user.prompt_trained"),
    ("怎么看loss曲线", "user.no_curves"),
])
def test_english_words_inside_chinese_text(text: str, fact: str) -> None:
    """CJK characters count as word characters, so '显卡fp16' had no word boundary before 'fp16'."""
    assert fact in phrases(text)


def test_not_using_clipping_is_clipping_off() -> None:
    found = phrases("grad_norm jumps to 1e5 and then the loss becomes nan, i don't use gradient clipping.")
    assert "user.clipping_off" in found and "user.clipping_set" not in found
    assert consult("grad_norm jumps to 1e5 and then the loss becomes nan, I don't use gradient clipping.").diagnoses[0].id == "gradient_explosion"


def test_trouble_after_raising_the_lr_points_at_the_lr() -> None:
    assert "user.lr_raised" in phrases("loss becomes nan when i increase the learning rate to 1e-4")
    assert consult("Loss becomes nan when I increase the learning rate to 1e-4 for full fine-tuning.").diagnoses[0].id == "lr_too_high"


@pytest.mark.parametrize("text", [
    "Test results improve for the first 1-2 epochs and then steadily get worse, while the training loss keeps going down",
    "validation loss goes up after epoch 2",
    "the held-out accuracy starts to drop after the second epoch",
])
def test_a_held_out_measure_getting_worse(text: str) -> None:
    assert "user.eval_rising" in phrases(text.lower())


def test_a_model_version_is_not_a_value_of_the_metric() -> None:
    """"loss always 0 when I fine-tune llama 2": a stuck zero, not a loss rising from 0 to 2."""
    found = claim_names("Why is the train loss always 0 when I fine-tune Llama 2 with LLaMA-Factory?")
    assert found["symptom.stuck_zero"]["all"] is True
    assert "symptom.trend" not in found


def test_a_zero_loss_in_fp16_points_at_precision_first() -> None:
    report = consult("The train loss is always 0 when I fine-tune Llama 2 with LLaMA-Factory. I'm training with fp16.")
    assert report.diagnoses[0].id == "mixed_precision_instability"

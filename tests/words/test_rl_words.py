"""RL runs in the user's words: a policy that learned and then fell apart, rollouts that break after a
weight sync, a rollout-vs-trainer log-prob gap - and the readings that must not fire (a reward that
paid out before is not a broken reward function; a number after "exit code" is not a reward).

The real questions come from the corpus's dev split only (tests/cases/dev)."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.consult import consult
from assistant.words import facts_from_words
from assistant.words.claims import facts_from_claims
from assistant.words.phrases import phrase_facts

DEV = Path(__file__).resolve().parents[1] / "cases" / "dev"


def names(text: str) -> set[str]:
    return {f.name for f in phrase_facts(text)}


def claimed(text: str, kind: str = "grpo") -> list[tuple[str, dict]]:
    return [(f.name, dict(f.value)) for f in facts_from_claims(text, kind)]


# --- claims -------------------------------------------------------------------------------------

def test_a_reward_that_falls_to_zero_after_paying_out_is_a_falling_curve_not_stuck_zero() -> None:
    out = claimed("The format reward rises at first but declines to zero after about 50 steps")
    assert [n for n, _ in out] == ["symptom.trend"]
    value = out[0][1]
    assert value["metric"] == "rewards/format/mean" and value["direction"] == "falling"
    assert value["last"] == 0.0 and value["turned"] is True and value["from_step"] == 50


def test_goes_to_zero_is_a_fall() -> None:
    out = claimed("why does the accuracy reward go to zero?")
    assert out and out[0][0] == "symptom.trend" and out[0][1]["direction"] == "falling"


@pytest.mark.parametrize("text", ["the reward stays at 0 for every step", "the format reward is 0.0 for every completion",
                                  "reward is zero from the first step"])
def test_a_reward_at_zero_throughout_is_still_stuck_zero(text: str) -> None:
    assert any(n == "symptom.stuck_zero" and v["all"] for n, v in claimed(text))


def test_a_falling_loss_to_zero_stays_a_loss_collapse() -> None:
    assert [n for n, _ in claimed("my loss goes to 0 after 10 steps", "sft")] == ["symptom.loss_collapse"]


@pytest.mark.parametrize("text", ["reward std looks plausible, exits with code 0", "the reward on rank 0 is fine",
                                  "reward seed 0 run looks plausible"])
def test_a_number_that_belongs_to_another_noun_is_not_the_metrics_value(text: str) -> None:
    assert not any(n == "symptom.stuck_zero" for n, _ in claimed(text))


# --- phrases ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "After training for a while, the training curves suddenly break and the run degrades",
    "the reward goes up at first and then gradually declines over the rest of training",
    "after ~1500 steps the policy collapses and samples become noise",
    "why does the reward collapse after 400 steps?",
    "accuracy drops sharply at step 300",
    "训练到400步训崩了",
])
def test_a_policy_that_learned_and_then_fell_apart(text: str) -> None:
    assert "user.rl_collapse" in names(text)


@pytest.mark.parametrize("text", [
    "is my model collapsing?",
    "I'm worried the run will collapse",
    "we use a KL penalty to avoid collapse",
    "entropy collapse after 100 steps",
    "the reward drops sharply at step 300 and then recovers",
    "the loss suddenly drops at step 50",
])
def test_worries_dips_and_other_collapses_are_not_a_policy_collapse(text: str) -> None:
    assert "user.rl_collapse" not in names(text)


def test_rollouts_that_break_after_a_sync_or_resume() -> None:
    text = ("After resuming, the first rollout batch is fine, but every later batch is malformed text "
            "without the format tags")
    assert {"user.breaks_after_sync", "user.completions_empty"} <= names(text)


@pytest.mark.parametrize("text", ["training/rollout_probs_diff_mean climbs", "there is a rollout-training mismatch",
                                  "vllm vs trainer logprob mismatch grows", "the log probs from vllm differ from the trainer's"])
def test_a_gap_between_rollout_and_trainer_log_probs(text: str) -> None:
    assert "user.is_ratio_odd" in names(text)


def test_an_overflow_word_in_another_sentence_is_no_log_prob_overflow() -> None:
    text = "the importance sampling ratio blows up. The mean per-token logprob difference is only 0.012"
    assert "user.logprob_overflow" not in names(text)
    assert "user.logprob_overflow" in names("the KL term goes NaN. The KL is exp(r) - r - 1 on the logprobs")


def test_a_grad_norm_that_blows_up_is_a_spike() -> None:
    assert "user.grad_norm_spikes" in names("after a while the actor grad_norm blows up")


# --- real dev questions ---------------------------------------------------------------------------

def read(case: str) -> set[str]:
    return {f.name for f in facts_from_words((DEV / case / "question.txt").read_text(encoding="utf-8"))}


@pytest.mark.parametrize("case,fact", [
    ("r-searchr1-ppo-long-run-collapse-high-lr", "user.rl_collapse"),
    ("r-verl-vllm-cascade-attn-gradnorm-explosion", "user.is_ratio_odd"),
    ("r-swift-vllm-lora-double-count-after-resume", "user.breaks_after_sync"),
])
def test_dev_questions(case: str, fact: str) -> None:
    assert fact in read(case)


def test_dev_format_reward_that_declines_is_not_read_as_never_paying_out() -> None:
    facts = read("r-openr1-format-reward-declines-length-cap")
    assert "symptom.stuck_zero" not in facts and "symptom.trend" in facts


# --- what the rules make of it --------------------------------------------------------------------

def first(question: str, *attachments: Path) -> list[str]:
    return [d.id for d in consult(question, attachments=list(attachments)).diagnoses]


def test_a_collapse_with_an_unknown_rate_leads_with_the_rate_and_asks_for_it() -> None:
    report = consult((DEV / "r-searchr1-ppo-long-run-collapse-high-lr" / "question.txt").read_text())
    assert report.diagnoses[0].id == "lr_too_high" and report.diagnoses[0].severity == "info"
    assert any("learning rate" in (q.get("text", "") if isinstance(q, dict) else getattr(q, "text", "")).lower()
               for q in report.questions)


def test_a_reward_that_fell_under_a_length_cap_suspects_truncation_not_the_reward_function() -> None:
    case = DEV / "r-openr1-format-reward-declines-length-cap"
    got = first((case / "question.txt").read_text(), case / "config.yaml")
    assert "completions_truncated" in got[:3] and "reward_function_broken" not in got


def test_rollouts_broken_after_resume_with_vllm_lora_blame_the_served_weights() -> None:
    case = DEV / "r-swift-vllm-lora-double-count-after-resume"
    got = first((case / "question.txt").read_text(), case / "config.yaml")
    assert got[0] == "vllm_wrong_model" and "model_too_weak" not in got


def test_a_rollout_trainer_log_prob_gap_with_exploding_grad_norm_is_off_policy() -> None:
    got = first((DEV / "r-verl-vllm-cascade-attn-gradnorm-explosion" / "question.txt").read_text())
    assert got[0] == "is_ratio_divergence"


# --- more RL words: entropy to zero, stale generations, missing reward inputs, repetition -----------

@pytest.mark.parametrize("text, fact", [
    ("the entropy dropped to almost 0 within 100 steps", "user.entropy_low"),
    ("entropy collapsed to zero after warmup", "user.entropy_low"),
    ("all the completions for a prompt are now identical", "user.same_output"),
    ("completion length explodes to the max", "user.length_growing"),
    ("logps/chosen is -inf", "user.logprob_overflow"),
    ("with use_vllm the generations don't change during training", "user.vllm"),
    ("the generations don't change during training", "user.generations_unchanged"),
    ("the rollouts still look like the base model", "user.generations_unchanged"),
    ("my reward function receives None for the solution column", "user.reward_input_missing"),
    ("the answer column is None inside the reward", "user.reward_input_missing"),
    ("the answers are full of repeated text", "user.repetition"),
])
def test_rl_symptom_words(text: str, fact: str) -> None:
    assert fact in names(text)


@pytest.mark.parametrize("text, fact", [
    ("entropy fell to 0.3 after warmup", "user.entropy_low"),       # a value, not zero
    ("the entropy coef went to 0", "user.entropy_low"),             # a setting, not the metric
    ("the answers are full of repeated text", "user.same_output"),  # repetition inside an answer is not identical samples
    ("after merging the LoRA the outputs are the same as the base model", "user.generations_unchanged"),
    ("vllmx is a package", "user.vllm"),
])
def test_rl_words_that_must_not_fire(text: str, fact: str) -> None:
    assert fact not in names(text)


@pytest.mark.parametrize("question, want", [
    ("During GRPO the entropy dropped to almost 0 within 100 steps and all the completions for a prompt are now identical.",
     "entropy_collapse"),
    ("With use_vllm the generations don't change during training, they look like the base model even though the loss moves.",
     "vllm_wrong_model"),
    ("My PPO run with learning rate 1e-8: after 2000 steps nothing changes, reward is flat and KL stays at 0.", "lr_too_low"),
    ("DPO loss becomes nan after a few steps, logps/chosen is -inf.", "logsoftmax_overflow"),
    ("GRPO training: my reward function receives None for the solution column, the dataset column is named answer.",
     "reward_columns_missing"),
    ("Some GRPO completions are empty strings and the loss turns into nan.", "empty_sequences"),
    ("GRPO: reward goes up but completion length explodes to the max and the answers are full of repeated text.",
     "reward_hacking_length"),
])
def test_plain_rl_questions_lead_with_the_cause(question: str, want: str) -> None:
    assert first(question)[0] == want


def test_completion_length_that_only_falls_is_a_truncation_lead_and_stays_quiet() -> None:
    report = consult("I followed the recipe with verl on a base model, but response_length/mean in wandb goes down "
                     "during training instead of up. What's the problem?")
    assert [(d.id, d.severity) for d in report.diagnoses][:1] == [("completions_truncated", "info")]


def test_a_fall_after_very_long_first_rollouts_is_a_truncation_finding() -> None:
    report = consult((DEV / "r-simplerl-verl-response-length-decreases-step0-truncated" / "question.txt").read_text())
    assert [(d.id, d.severity) for d in report.diagnoses][:1] == [("completions_truncated", "warning")]


@pytest.mark.parametrize("text, fact", [
    ("every rollout in a group gets the same score", "user.same_reward_group"),
    ("the advantage is all zeros", "user.same_reward_group"),
    ("the model learned to write extremely long answers to get higher reward", "user.length_growing"),
    ("KeyError: 'solution' in my accuracy reward", "user.reward_input_missing"),
])
def test_more_rl_symptom_words(text: str, fact: str) -> None:
    assert fact in names(text)


def test_a_keyerror_outside_the_reward_is_not_a_missing_reward_input() -> None:
    assert "user.reward_input_missing" not in names("KeyError: 'text' when tokenizing the dataset")


@pytest.mark.parametrize("question, want", [
    ("EasyR1 run: every rollout in a group gets the same score so the advantage is all zeros.", "no_learning_signal"),
    ("verl response_length/clip_ratio is 0.7 and the answers are cut off.", "completions_truncated"),
    ("The model learned to write extremely long answers to get higher reward from the reward model in PPO.",
     "reward_hacking_length"),
    ("KeyError: 'solution' in my accuracy reward during GRPOTrainer training.", "reward_columns_missing"),
])
def test_more_plain_rl_questions_lead_with_the_cause(question: str, want: str) -> None:
    assert first(question)[0] == want


def test_a_logged_advantage_mean_of_zero_is_normal(tmp_path: Path) -> None:
    log = tmp_path / "verl.log"
    log.write_text("".join(f"step:{s} - critic/advantages/mean:0.000 - critic/advantages/max:2.1 - "
                           f"critic/advantages/min:-1.5 - critic/score/mean:0.{s}\n" for s in range(1, 4)))
    report = consult("verl GRPO run, is this healthy? critic/advantages/mean:0.000", attachments=[log])
    assert not [d.id for d in report.diagnoses if d.severity != "info"]


@pytest.mark.parametrize("text, fact", [
    ("grpo训练loss一直为0", "user.loss_zero"),
    ("grad_norm也是0", "user.grad_norm_zero"),
    ("verl训练中entropy迅速降到0附近", "user.entropy_low"),
    ("所有回答都一样", "user.same_output"),
    ("大部分回答被截断了", "user.completions_truncated"),
    ("生成的结果和原模型一模一样", "user.generations_unchanged"),
    ("好像权重没有同步", "user.generations_unchanged"),
    ("模型回复越来越长", "user.length_growing"),
    ("PPO训练kl散度越来越大", "user.kl_high"),
    ("grad_norm经常突然飙升到几百", "user.grad_norm_spikes"),
])
def test_rl_symptoms_in_chinese(text: str, fact: str) -> None:
    assert fact in names(text)


@pytest.mark.parametrize("text, fact", [
    ("entropy降到0.3", "user.entropy_low"),
    ("loss一直为0.5左右", "user.loss_zero"),
    ("skl很大", "user.kl_high"),
])
def test_chinese_rl_words_that_must_not_fire(text: str, fact: str) -> None:
    assert fact not in names(text)


@pytest.mark.parametrize("question, want", [
    ("grpo训练loss一直为0，grad_norm也是0", "no_learning_signal"),
    ("verl训练中entropy迅速降到0附近，所有回答都一样", "entropy_collapse"),
    ("GRPO训练中大部分回答被截断了，没有输出答案标签", "completions_truncated"),
    ("PPO训练kl散度越来越大，到了20多", "policy_divergence_kl"),
    ("使用vllm生成，训练之后生成的结果和原模型一模一样，好像权重没有同步", "vllm_wrong_model"),
    ("GRPO训练grad_norm经常突然飙升到几百", "grad_norm_unstable"),
])
def test_plain_chinese_rl_questions_lead_with_the_cause(question: str, want: str) -> None:
    assert first(question)[0] == want


@pytest.mark.parametrize("text", [
    "In GRPO the loss is 0 at the first step and then slowly increases.",
    "GRPO loss starts at 0 and then rises",
])
def test_a_loss_that_is_zero_only_at_the_start_then_rises_is_not_a_zero_loss(text: str) -> None:
    assert "user.loss_zero" not in names(text)


def test_a_loss_zero_at_every_step_still_is() -> None:
    assert "user.loss_zero" in names("the loss is 0 at every step")


def test_orpo_log_odds_ratio_rising_is_not_the_loss_rising() -> None:
    out = claimed("My ORPO loss is around 1.2 and decreasing slowly, log_odds_ratio is increasing.", "orpo")
    assert not [v for n, v in out if n == "symptom.trend" and v["metric"] == "loss" and v["direction"] == "rising"]


@pytest.mark.parametrize("question", [
    "In GRPO the loss is 0 at the first step and then slowly increases. Is this normal?",
    "My ORPO loss is around 1.2 and decreasing slowly, log_odds_ratio is increasing. Healthy?",
    "My GRPO loss is negative sometimes, like -0.02. Is that a bug?",
    "In DPO both rewards/chosen and rewards/rejected are negative, but margins grow and accuracy is 0.9. Is this normal?",
])
def test_healthy_rl_worries_stay_quiet(question: str) -> None:
    assert not [d.id for d in consult(question).diagnoses if d.severity != "info"]


def test_a_reward_at_zero_before_it_starts_rising_is_a_rising_curve() -> None:
    text = "Unsloth GRPO: reward stays at 0 for the first 100 steps and then starts increasing."
    out = claimed(text)
    assert [(n, v["direction"]) for n, v in out] == [("symptom.trend", "rising")]
    assert "user.reward_zero" not in names(text)


def test_a_reward_at_zero_from_the_start_is_still_stuck() -> None:
    assert [n for n, _ in claimed("the reward is 0 from the start")] == ["symptom.stuck_zero"]


def test_asking_whether_the_model_degenerates_is_not_repetition() -> None:
    assert "user.repetition" not in names("the margin increased. Is the model degenerating?")
    assert "user.repetition" in names("the model is degenerating into repetition")


@pytest.mark.parametrize("question", [
    "Unsloth GRPO: reward stays at 0 for the first 100 steps and then starts increasing. Is this expected?",
    "After DPO, the chosen log-probs decreased even though the margin increased. Is the model degenerating?",
    "GRPO training: loss is exactly 0 for the first few steps. Is that a bug?",
    "The completion length in GRPO grows from 200 to 600 tokens while accuracy improves, max_completion_length is 2048. "
    "Is this reward hacking?",
])
def test_more_healthy_rl_worries_stay_quiet(question: str) -> None:
    assert not [d.id for d in consult(question).diagnoses if d.severity != "info"]


def test_length_exploding_to_the_cap_still_alarms() -> None:
    report = consult("GRPO: reward goes up but completion length explodes to the max and the answers are full of repeated text.")
    assert report.diagnoses[0].id == "reward_hacking_length" and report.diagnoses[0].severity != "info"


def test_verl_score_std_is_the_reward_std_not_the_reward() -> None:
    out = claimed("verl GRPO: critic/score/std is 0 and pg_loss is 0 on every step.")
    assert ("reward_std", True) in [(v["metric"], v.get("all")) for n, v in out if n == "symptom.stuck_zero"]
    assert "reward" not in [v["metric"] for n, v in out if n == "symptom.stuck_zero"]


def test_a_band_of_values_is_no_series() -> None:
    """"grad_norm is between 0.1 and 0.5": the band it moves in - no trend, no 5x spike."""
    out = claimed("grad_norm is between 0.1 and 0.5 the whole run")
    assert not [n for n, _ in out if n in ("symptom.trend", "symptom.spikes")]
    high = claimed("grad_norm is between 50 and 300 in my GRPO run")
    assert any(n == "symptom.out_of_range" for n, _ in high)


def test_a_length_in_tokens_is_a_value_not_a_count() -> None:
    out = claimed("my response length went from 300 to 4096 tokens (the max)")
    trend = [v for n, v in out if n == "symptom.trend"]
    assert trend and trend[0]["first"] == 300.0 and trend[0]["last"] == 4096.0 and trend[0]["direction"] == "rising"


def test_a_share_of_steps_is_not_a_value() -> None:
    """"reward_std is 0 on 90% of steps": 90% says how often, the value is 0."""
    out = claimed("reward_std is 0 on 90% of steps")
    assert [n for n, _ in out] == ["symptom.stuck_zero"] and out[0][1]["metric"] == "reward_std"


# --- rollout engine state, LoRA-only failures, truncation signals -----------------------------------

@pytest.mark.parametrize("text, fact", [
    ("GRPO with colocated vLLM and sleep_level 2", "user.vllm_sleep_mode"),
    ("with LoRA the output degenerates, without LoRA it trains normally", "user.only_with_lora"),
    ("the full-parameter run learns fine, but the lora one collapses", "user.only_with_lora"),
    ("it only happens with lora", "user.only_with_lora"),
    ("verl GRPO on gsm8k", "user.rollout_framework"),
    ("I switched the recipe to Qwen3 (thinking model)", "user.reasoning_model"),
    ("the importance ratio is completely off from 1", "user.is_ratio_odd"),
    ("prime-rl on hendrycks-math", "user.grpo"),
])
def test_rollout_and_truncation_words(text: str, fact: str) -> None:
    assert fact in names(text)


@pytest.mark.parametrize("text, fact", [
    ("the trainer uses the logprobs returned by vLLM as the old policy", "user.stale_weights"),
    ("no logprob recompute", "user.no_log_column"),
    ("LoRA training with lr 1e-5", "user.only_with_lora"),
    ("a non-thinking model", "user.reasoning_model"),
])
def test_rollout_words_that_must_not_fire(text: str, fact: str) -> None:
    assert fact not in names(text)


def test_a_no_eos_ratio_is_the_clipped_ratio() -> None:
    out = claimed("I also see no_eos_ratios close to 0.6 at the start")
    assert any(n == "symptom.out_of_range" and v["metric"] == "completions/clipped_ratio" for n, v in out)


def test_a_reward_that_falls_instead_of_rising_is_falling() -> None:
    out = claimed("the training reward goes down first and then converges at a lower level instead of rising", "ppo")
    assert [v["direction"] for n, v in out if n == "symptom.trend"] == ["falling"]


@pytest.mark.parametrize("question, want", [
    ("ms-swift GRPO with vLLM and sleep_level 2: the completions turn into gibberish during training.", "vllm_wrong_model"),
    ("verl GRPO: with LoRA the model's output degenerates into '!!!!', without LoRA it trains normally.", "vllm_wrong_model"),
    ("GRPO on a thinking model with max_new_tokens 4096: evaluation accuracy is near 0%.", "completions_truncated"),
    ("GRPO run: the no_eos ratio is about 0.6 and the reward does not increase.", "completions_truncated"),
    ("prime-rl: at a lower sampling temperature the importance ratio is far from 1 from the first step.",
     "is_ratio_divergence"),
])
def test_rollout_engine_and_truncation_questions_lead_with_the_cause(question: str, want: str) -> None:
    assert first(question)[:1] == [want]


def test_a_collapse_into_nan_does_not_lead_with_the_rl_rate() -> None:
    got = first("verl GRPO: at some step the outputs all become '!' and the KL turns NaN, training collapses.")
    assert got[:1] != ["lr_too_high"]


# --- signals named in words: correct answers scored 0, inner updates, clip bounds, early length, zero loss ---

@pytest.mark.parametrize("text, fact", [
    ("the score is 0 although the generated outputs clearly contain the correct answers", "user.outputs_correct"),
    ("i can see the right answers in the completions but nothing gets rewarded", "user.outputs_correct"),
    ("the rollouts end normally: normal lengths and almost no truncation", "user.not_truncated"),
    ("every rollout batch is reused for 8 policy updates", "user.many_inner_updates"),
    ("we run ppo_epochs=6 on each batch", "user.many_inner_updates"),
    ("our config uses clip_range = 1e-3", "user.clip_bounds_tight"),
    ("from the first steps the responses are very long and later they shrink", "user.early_completions_long"),
    ("the grpo loss stays at exactly 0 the whole time", "user.loss_zero"),
    ("why is my loss always zero", "user.loss_zero"),
])
def test_rl_signals_named_in_words(text: str, fact: str) -> None:
    assert fact in names(text)


@pytest.mark.parametrize("text, fact", [
    ("the model never gives the right answer", "user.outputs_correct"),
    ("the clipped ratio is 0.9 for most steps", "user.not_truncated"),
    ("num_iterations=1 and 3 epochs over the data", "user.many_inner_updates"),
    ("adam_epsilon=1e-5 and epsilon=0.2", "user.clip_bounds_tight"),
    ("if the rewards are not constant the advantages should not be zero", "user.reward_not_increasing"),
    ("we ran dpo as the last stage of our rlhf pipeline", "user.grpo"),
])
def test_rl_signal_words_that_must_not_fire(text: str, fact: str) -> None:
    assert fact not in names(text)


def test_reward_margin_in_words_is_the_preference_margin() -> None:
    out = claimed("the reward margin keeps growing through the run", "dpo")
    assert [v["metric"] for n, v in out if n == "symptom.trend"] == ["rewards/margins"]


@pytest.mark.parametrize("question, want", [
    ("GRPO with a math verifier: the reward is 0 on every step, yet the completions clearly contain the correct answers "
     "and there is almost no truncation.", "reward_function_broken"),
    ("Flow-matching GRPO with clip_range = 1e-4: the importance ratio almost always goes past the clip range.",
     "clipping_too_aggressive"),
    ("verl GRPO on a base model: at step 0 the responses are very long, then response_length goes down during training.",
     "completions_truncated"),
    ("PPO: the policy entropy keeps going up for the whole run and the samples turn into gibberish.", "entropy_too_high"),
    ("GRPO on a model I had already SFT-tuned on the task, custom reward: the training loss stays at exactly 0 the "
     "whole time.", "no_learning_signal"),
])
def test_named_rl_signals_lead_with_their_cause(question: str, want: str) -> None:
    assert first(question)[:1] == [want]


def test_entropy_at_zero_explains_a_flat_reward() -> None:
    got = first("PPO: the entropy has dropped to zero and stays there, and the reward is flat since then.")
    assert got[:1] == ["entropy_collapse"] and "reward_function_broken" not in got


def test_kl_spikes_with_an_inference_engine_name_the_logprob_mismatch() -> None:
    with_engine = first("PPO with rollouts from vLLM: now and then the KL metric spikes far above the rest of the curve.")
    without = first("PPO: now and then the KL metric spikes far above the rest of the curve.")
    assert "is_ratio_divergence" in with_engine[:2] and "is_ratio_divergence" not in without[:2]

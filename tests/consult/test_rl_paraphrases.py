"""RL symptoms in ordinary words, as users write them (not dev-case sentences): each catalog id of the
rl area in several wordings, English and short Chinese, must reach the expected diagnosis among the
first three from the question alone; healthy RL worries in words must stay quiet (no warning or critical)."""
from __future__ import annotations

import pytest

from assistant.consult import consult

P = [
 ("GRPO training with TRL: the reward curve is completely flat for 100 steps", {"reward_function_broken","no_learning_signal","lr_too_low","model_too_weak"}),
 ("Running GRPO, my rewards are always 0.0 no matter how long I train", {"reward_function_broken","reward_columns_missing","model_too_weak"}),
 ("the format reward is 0.0 for every completion during GRPO", {"reward_function_broken","completions_truncated","model_too_weak"}),
 ("rewards/accuracy_reward/mean is zero the entire run, trl grpo", {"reward_function_broken","reward_columns_missing","model_too_weak"}),
 ("my custom reward function returns None and training crashes", {"reward_function_broken"}),
 ("reward function returns an empty list", {"reward_function_broken"}),
 ("I'm training with verl and critic/score/mean stays at 0", {"reward_function_broken","model_too_weak","reward_columns_missing"}),
 ("The reward never goes above zero in my PPO run with OpenRLHF", {"reward_function_broken","model_too_weak"}),
 ("reward doesn't improve at all after 500 steps of GRPO", {"reward_function_broken","no_learning_signal","lr_too_low"}),
 ("GRPO 训练奖励一直是0", {"reward_function_broken","model_too_weak","reward_columns_missing"}),
 ("grpo训练reward一直不涨", {"reward_function_broken","no_learning_signal","lr_too_low"}),
 ("The model gets no reward at all, every sample scores 0", {"reward_function_broken","model_too_weak","no_learning_signal"}),
 ("EasyR1 training: the accuracy reward stays at zero the whole time while format reward goes up", {"reward_function_broken","model_too_weak"}),
 ("reward_std is 0 on almost every step and the loss is 0", {"no_learning_signal"}),
 ("frac_reward_zero_std is close to 1", {"no_learning_signal"}),
 ("all the generations in a group get identical rewards so advantage is zero", {"no_learning_signal"}),
 ("With num_generations=2 most groups have the same reward", {"no_learning_signal"}),
 ("The grad norm is 0 at every step in GRPO training", {"no_learning_signal"}),
 ("entropy drops to 0.001 after 50 steps and all answers are the same", {"entropy_collapse"}),
 ("the policy entropy collapses quickly during PPO", {"entropy_collapse"}),
 ("actor/entropy goes down to almost nothing in verl", {"entropy_collapse"}),
 ("熵崩塌了，输出都一样", {"entropy_collapse"}),
 ("the model became deterministic, every sample for a prompt is identical", {"entropy_collapse","no_learning_signal"}),
 ("entropy keeps increasing and the outputs turn into random garbage", {"entropy_too_high"}),
 ("actor/entropy explodes after step 100", {"entropy_too_high"}),
 ("entropy goes up to 5 and stays high", {"entropy_too_high"}),
 ("KL divergence explodes to 50 after a few hundred steps", {"policy_divergence_kl"}),
 ("kl keeps growing and the model drifts away from the reference", {"policy_divergence_kl"}),
 ("the kl loss goes up very fast in grpo", {"policy_divergence_kl"}),
 ("KL越来越大", {"policy_divergence_kl"}),
 ("actor/ppo_kl is huge", {"policy_divergence_kl","clipping_too_aggressive"}),
 ("vLLM generates with the base model weights, the LoRA updates are never synced", {"vllm_wrong_model"}),
 ("it seems the rollout engine uses stale weights, generations never change", {"vllm_wrong_model"}),
 ("training and rollout logprobs mismatch is large, importance sampling ratio goes to 0", {"is_ratio_divergence"}),
 ("the vllm server is serving a different model than the one I train", {"vllm_wrong_model"}),
 ("the completions look exactly like the base model even after 1000 steps with use_vllm", {"vllm_wrong_model"}),
 ("clip ratio is above 0.5 for most steps", {"clipping_too_aggressive"}),
 ("pg_clipfrac is 0.4 and rising", {"clipping_too_aggressive"}),
 ("completion length grows until it hits max_completion_length while reward rises", {"reward_hacking_length","completions_truncated"}),
 ("the model learned to write very long answers to get more reward", {"reward_hacking_length"}),
 ("response length keeps increasing and the model just repeats itself to reach the limit", {"reward_hacking_length","completions_truncated"}),
 ("most completions are truncated at max_completion_length, clipped_ratio is 0.9", {"completions_truncated"}),
 ("the responses get cut off before the answer", {"completions_truncated"}),
 ("all completions are exactly 256 tokens long", {"completions_truncated"}),
 ("grad_norm jumps between 0.1 and 500 in GRPO", {"grad_norm_unstable","gradient_explosion"}),
 ("the gradient norm is huge (above 100) during PPO training", {"grad_norm_unstable","gradient_explosion"}),
 ("the model just outputs empty strings during GRPO, reward 0", {"model_too_weak","empty_sequences"}),
 ("completions are gibberish from the start and the reward is zero", {"model_too_weak"}),
 ("the 0.5B model can never solve the math problems, accuracy reward is always 0", {"model_too_weak"}),
 ("the answer column is dropped before it reaches my reward function", {"reward_columns_missing"}),
 ("KeyError: 'solution' in the reward function", {"reward_columns_missing"}),
 ("my reward function receives None for the ground truth", {"reward_columns_missing"}),
 ("accuracy went from 57% to 2% after one round of GRPO", {"lr_too_high","policy_divergence_kl","entropy_collapse"}),
 ("reward goes up for 200 steps then suddenly crashes to zero", {"lr_too_high","policy_divergence_kl","entropy_collapse","grad_norm_unstable"}),
 ("GRPO with learning rate 5e-5, the model collapses", {"lr_too_high"}),
 # fewer keywords: the meaning matcher and broader phrasings
 ("GRPO: my policy gets nothing for any of its answers", {"reward_function_broken","model_too_weak","reward_columns_missing"}),
 ("PPO run: none of the sampled answers ever earns any points", {"reward_function_broken","model_too_weak","reward_columns_missing"}),
 ("GRPO: the answers keep getting longer every step until they hit the cap", {"reward_hacking_length","completions_truncated"}),
 ("GRPO: outputs are chopped off before reaching the final answer", {"completions_truncated"}),
 ("PPO: the actor wanders far away from the reference policy", {"policy_divergence_kl"}),
 ("GRPO: sampling diversity vanished, it always writes the same thing", {"entropy_collapse"}),
 ("GRPO with vllm: the rollouts look exactly like before training started", {"vllm_wrong_model"}),
 ("GRPO: the grader never sees the gold answer from my dataset", {"reward_columns_missing"}),
 ("GRPO training was going well and then it fell off a cliff", {"lr_too_high","policy_divergence_kl","entropy_collapse","grad_norm_unstable"}),
 ("GRPO: every candidate answer for a question is scored identically", {"no_learning_signal"}),
 ("PPO: the model becomes extremely confident and only ever produces one answer", {"entropy_collapse"}),
 ("GRPO: the generated text becomes random noise and the token distribution is too spread out", {"entropy_too_high"}),
 ("verl: the responses are all at the max response length", {"completions_truncated"}),
 ("GRPO: my correctness check always fails, even for right answers", {"reward_function_broken"}),
 ("GRPO: the format reward never fires even though the outputs look correct", {"reward_function_broken"}),
 ("GRPO: the model produces blank outputs most of the time", {"model_too_weak","empty_sequences"}),
 ("GRPO training: 训练了500步 奖励没有任何变化", {"reward_function_broken","no_learning_signal","lr_too_low"}),
 ("GRPO: 回复长度一直在增加，直到达到最大长度", {"reward_hacking_length","completions_truncated"}),
 ("GRPO: 熵很快降到接近0", {"entropy_collapse"}),
 ("GRPO: KL散度爆炸", {"policy_divergence_kl"}),
 ("GRPO: the model is not improving on my reward after many steps", {"reward_function_broken","no_learning_signal","lr_too_low"}),
 ("the model's performance on GSM8K dropped a lot after GRPO training", {"lr_too_high","policy_divergence_kl","entropy_collapse","overfitting"}),
]

H = [
 "My GRPO reward goes up steadily and the KL stays around 0.05, is this normal?",
 "the reward curve is noisy but trending up, entropy slowly decreasing from 0.6 to 0.4. Should I be worried?",
 "reward_std is around 0.3 and frac_reward_zero_std is 0.1, the loss is negative sometimes. Is that expected?",
 "The clip ratio is 0.02 and the kl is 0.001 at the start of training. Is that ok?",
 "completion length goes down from 400 to 250 tokens during training while accuracy improves, is that fine?",
 "The rollout generation takes most of the time in my verl run, is that normal?",
 "With num_generations 8, the reward rises from 0.2 to 0.6 over 300 steps. Does this look right?",
 "Is it normal that the GRPO loss is 0 at the first step?",
 "My reward function gives partial credit; the reward climbs then plateaus at 0.8 after 1000 steps. Is training done?",
]


@pytest.mark.parametrize(("question", "want"), P, ids=[q[:50] for q, _ in P])
def test_rl_wording_reaches_the_diagnosis(question: str, want: set[str]) -> None:
    got = [d.id for d in consult(question).diagnoses]
    assert set(got[:3]) & want, got


@pytest.mark.parametrize("question", H, ids=[q[:50] for q in H])
def test_healthy_rl_worries_stay_quiet(question: str) -> None:
    alarms = [(d.id, d.severity) for d in consult(question).diagnoses if d.severity != "info"]
    assert not alarms

"""What a training config asks for, in the terms the memory estimate needs.

Built from the normalised ``config.*`` facts the axolotl reader produces (so
deprecated names, `2e-5` strings and DeepSpeed JSON files are already
resolved), with axolotl's own defaults where a key is absent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["TrainSetup", "setup_from_config"]

_CKPT_ON = (True, "offload", "offload_disk", "unsloth")
_PAIRED_RL = {"dpo", "ipo", "simpo", "orpo", "cpo"}  # chosen and rejected run through the model together
_REF_MODEL_RL = {"dpo", "ipo", "kto"}                # keep a frozen reference copy (unless the adapter doubles as it)
_AXOLOTL_SEQUENCE_LEN = 512
# Another trainer's config that names no sequence length trains at that trainer's default, not axolotl's
# 512: LLaMA-Factory's cutoff_len 2048, TRL's SFTConfig/DPOConfig max_length 1024 (the `hf` layer: Trainer
# and TRL command lines), ms-swift 2.x max_length 2048, OpenRLHF's SFT max_len 2048, verl's
# max_prompt_length + max_response_length 512 + 512, and the max_seq_length Unsloth's notebooks set (2048).
_TOOL_SEQUENCE_LEN = {"llamafactory": 2048, "hf": 1024, "swift": 2048, "openrlhf": 2048, "verl": 1024,
                      "unsloth": 2048}
_AXOLOTL_LORA_R = 8


@dataclass(frozen=True)
class TrainSetup:
    """The memory-relevant choices of one run (one device's view before sharding)."""

    base_model: str | None = None
    base_model_config: str | None = None
    adapter: str | None = None            # None (full fine-tune) | "lora" | "qlora"
    quant: str | None = None              # None | "4bit" | "8bit" | "fp8"
    dtype_bytes: int = 2                  # how axolotl loads the model: bf16/fp16 -> 2, otherwise fp32 -> 4
    precision: str = "fp32"
    micro_batch_size: int = 1
    gradient_accumulation_steps: int = 1
    sequence_len: int = _AXOLOTL_SEQUENCE_LEN
    prompt_len: int | None = None         # GRPO: trl.max_prompt_length
    completion_len: int | None = None     # GRPO: trl.max_completion_length
    gradient_checkpointing: bool = False
    activation_offloading: bool = False
    attention: str = "sdpa"
    lora_r: int = _AXOLOTL_LORA_R
    lora_dropout: float = 0.0
    lora_targets: tuple[str, ...] = ()    # () with lora_target_linear false: PEFT's default (q_proj, v_proj)
    lora_target_linear: bool = False
    lora_modules_to_save: tuple[str, ...] = ()
    optimizer: str = "adamw_torch_fused"
    zero_stage: int = 0
    offload_optimizer: bool = False
    offload_param: bool = False
    fsdp: str | None = None               # None | "full_shard" | "shard_grad_op"
    fsdp_offload: bool = False
    rl: str | None = None
    num_generations: int = 1
    ref_model: bool = False
    chunked_loss: bool = False            # Liger fused linear cross-entropy / Cut Cross-Entropy

    @property
    def quadratic_attention(self) -> bool:
        """Only eager attention materialises the n x n scores; sdpa, flash, flex and xformers are O(n)."""
        return self.attention == "eager"

    @property
    def sequences_per_step(self) -> int:
        """Sequences in one forward pass: GRPO's num_generations per prompt (the guide's count), DPO's pairs."""
        if self.rl == "grpo":
            return self.micro_batch_size * self.num_generations
        if self.rl in _PAIRED_RL:
            return self.micro_batch_size * 2
        return self.micro_batch_size


def setup_from_config(config: Mapping[str, Any]) -> TrainSetup:
    """``config`` maps normalised keys (``micro_batch_size``, ``trl.num_generations``) to values."""
    def get(key: str, default: Any = None) -> Any:
        value = config.get(key)
        return default if value is None else value

    def number(key: str, default: float) -> float:
        value = get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default

    def integer(key: str, default: int) -> int:
        value = number(key, 0)
        return int(value) if 0 < value < 2 ** 62 else default  # not `inf` (a config's 1e999; found by fuzzing)

    def names(key: str) -> tuple[str, ...]:
        value = get(key, ())
        return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else (str(value),)

    adapter = str(get("adapter", "")).lower() or None
    quant = "4bit" if get("load_in_4bit") is True or adapter == "qlora" else \
        "8bit" if get("load_in_8bit") is True else "fp8" if get("fp8") is True else None
    precision = str(get("precision", "fp32"))
    rl = str(get("rl", "")).lower() or None
    prompt, completion = integer("trl.max_prompt_length", 0), integer("trl.max_completion_length", 0)
    sequence = integer("sequence_len", 0)
    if rl == "grpo" and prompt and completion:
        sequence = max(sequence, prompt + completion)  # the same length the oom rules derive
    plugins = " ".join(names("plugins"))
    return TrainSetup(
        base_model=_text(get("base_model")), base_model_config=_text(get("base_model_config")),
        adapter=adapter if adapter in ("lora", "qlora") else None, quant=quant,
        dtype_bytes=2 if precision != "fp32" or get("load_in_8bit") is True else 4, precision=precision,
        micro_batch_size=integer("micro_batch_size", 1),
        gradient_accumulation_steps=integer("gradient_accumulation_steps", 1),
        sequence_len=sequence or _TOOL_SEQUENCE_LEN.get(str(get("tool", "")), _AXOLOTL_SEQUENCE_LEN),
        prompt_len=prompt or None, completion_len=completion or None,
        gradient_checkpointing=get("gradient_checkpointing") in _CKPT_ON or (
            # LLaMA-Factory checkpoints by default (disable_gradient_checkpointing turns it off)
            get("tool") == "llamafactory" and get("gradient_checkpointing") is None
            and get("disable_gradient_checkpointing") is not True),
        activation_offloading=get("activation_offloading") not in (None, False),
        attention=str(get("attn_implementation", "sdpa")),
        lora_r=integer("lora_r", _AXOLOTL_LORA_R), lora_dropout=number("lora_dropout", 0.0),
        lora_targets=names("lora_target_modules") if get("lora_target_modules") else (),
        lora_target_linear=get("lora_target_linear") is True,
        lora_modules_to_save=names("lora_modules_to_save") if get("lora_modules_to_save") else (),
        optimizer=str(get("optimizer", "adamw_torch_fused")).lower(),
        zero_stage=integer("deepspeed.zero_stage", 0),
        offload_optimizer=get("deepspeed.offload_optimizer") is True,
        offload_param=get("deepspeed.offload_param") is True,
        fsdp=_fsdp(get("fsdp"), get("fsdp_config"), get("fsdp_version")),
        fsdp_offload=get("fsdp_config.offload_params") is True,
        rl=rl, num_generations=integer("trl.num_generations", 1) if rl == "grpo" else 1,
        ref_model=adapter is None and (rl in _REF_MODEL_RL or (rl == "grpo" and number("trl.beta", 0.0) > 0)),
        chunked_loss=get("liger_fused_linear_cross_entropy") is True or get("cut_cross_entropy") is True
        or "cut_cross_entropy" in plugins,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _fsdp(fsdp: Any, fsdp_config: Any, version: Any) -> str | None:
    """FSDP's sharding: `fsdp: [full_shard, auto_wrap]` (v1) or an fsdp_config / fsdp_version (v2)."""
    words = " ".join(str(w) for w in fsdp) if isinstance(fsdp, (list, tuple)) else str(fsdp or "")
    if "no_shard" in words:
        return None
    if "shard_grad_op" in words:
        return "shard_grad_op"
    if words.strip() or fsdp_config or version:
        return "full_shard"
    return None

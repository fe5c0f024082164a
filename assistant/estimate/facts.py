"""The estimate as facts for the rules: ``estimate.*`` (the verdict) and ``model.*`` (the shape used)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from assistant.engine.facts import Fact
from assistant.estimate.assess import Assessment
from assistant.estimate.memory import GIB

__all__ = ["estimate_facts", "estimate_from_facts", "SOURCE"]

SOURCE = "estimate"
WORDS_DEFAULT_SEQUENCE_LEN = 2048


def estimate_facts(a: Assessment) -> list[Fact]:
    """Always the peak and the model's shape; the verdict and next rung only when the memory is known."""
    est, dims = a.estimate, a.estimate.dims
    facts = [
        Fact("estimate.peak_gib", round(est.peak_bytes / GIB, 2), SOURCE),
        Fact("estimate.gpus", est.gpus, SOURCE),
        Fact("model.parameters", int(dims.params), SOURCE),
        Fact("model.vocab_size", dims.vocab, SOURCE),
        Fact("model.hidden_size", dims.hidden, SOURCE),
        Fact("model.layers", dims.layers, SOURCE),
    ]
    logits = est.line("grpo logits")
    if logits is not None:
        facts.append(Fact("estimate.grpo_logits_gib", round(logits.bytes / GIB, 2), SOURCE))
    if a.memory_gib is not None:
        facts += [Fact("estimate.memory_gib", a.memory_gib, a.memory_source or SOURCE),
                  Fact("estimate.fits", bool(a.fits), SOURCE)]
        if a.tight:
            facts.append(Fact("estimate.tight", True, SOURCE))
    if a.ladder is not None:
        facts.append(Fact("estimate.next_rung", a.ladder.rung.name if a.ladder.rung else "none", SOURCE))
    if a.sharded_peak_bytes is not None:  # several GPUs, each holding every weight: what ZeRO-3 would leave
        facts.append(Fact("estimate.sharded_peak_gib", round(a.sharded_peak_bytes / GIB, 2), SOURCE))
        if a.sharded_with:
            facts.append(Fact("estimate.sharded_with", " and ".join(n.replace("_", " ") for n in a.sharded_with), SOURCE))
    return facts


def estimate_from_facts(facts: Iterable[Fact]) -> list[Fact]:
    """The estimate of what the consultation knows: an attached config's keys, with the gaps filled
    from the user's words (model size, GPU, lengths, quantisation), judged against the memory per GPU
    that `--gpu-memory`, the question or the training host's probe gives. Nothing without a memory
    figure or a model; nothing when the model cannot be sized (an estimate is an extra, never a
    reason to lose the diagnosis)."""
    from assistant.estimate.assess import assess, config_from_facts
    from assistant.estimate.model import UnknownModel

    facts = list(facts)

    def first(name: str, source: str | None = None) -> Any:
        return next((f.value for f in facts if f.name == name and (source is None or f.source == source)), None)

    memory = first("user.gpu_memory_gib", "--gpu-memory") or first("user.gpu_memory_gib") or first("probe.gpu.memory_free_gib")
    config = config_from_facts((f.name, f.value) for f in facts)
    params = first("user.model_params")
    if not isinstance(memory, (int, float)) or not (config or params):
        return []
    from_words = not config   # every setting guessed from the question: a weaker prediction
    config = {**_from_words(first, has_config=_says_its_defaults(config)), **config}
    gpus = first("user.gpu_count") or first("probe.gpu.count") or first("config.world_size") or 1
    source = next((f.source for f in facts if f.name == "user.gpu_memory_gib"), "free GPU memory (probe)")
    try:
        out = estimate_facts(assess(config, gpus=int(gpus) if isinstance(gpus, (int, float)) else 1,
                                    memory_gib=float(memory), memory_source=source,
                                    params=params if isinstance(params, (int, float)) else None))
    except (UnknownModel, ValueError, TypeError, ZeroDivisionError):
        return []
    return out + [Fact("estimate.from_words", True, SOURCE)] if from_words else out


def _says_its_defaults(config: dict[str, Any]) -> bool:
    """Whether the attached config's silence means its own defaults: an axolotl config without bf16/fp16
    trains in fp32 at 512 tokens, but a few launcher flags of another trainer (LLaMA-Factory, swift,
    a transformers script) say nothing of the dtype, which those load in 16-bit (torch_dtype auto, or
    the best the GPU supports) - there the words' assumptions fill the gaps as with no config."""
    if not config:
        return False
    return config.get("tool") in (None, "axolotl") or any(k in config for k in ("precision", "bf16", "fp16"))


def _from_words(first: Callable[[str], Any], has_config: bool) -> dict[str, Any]:
    """Config keys the user's words give (a config attached beside them wins key by key)."""
    out: dict[str, Any] = {}
    if first("user.model_name"):
        out["base_model"] = first("user.model_name")
    adapter, bits = first("user.adapter"), first("user.quant_bits")
    if adapter in ("lora", "qlora"):
        out["adapter"] = adapter
    if adapter == "qlora" or bits == 4:
        out["load_in_4bit"] = True
    elif bits == 8:
        out["load_in_8bit"] = True
    for key, name in (("sequence_len", "user.sequence_len"), ("micro_batch_size", "user.batch_size")):
        if first(name):
            out[key] = first(name)
    # the sharding the user names: "ZeRO-3" splits the weights over the GPUs (what is offloaded, words rarely
    # say for sure: "tried cpu offload" may be another config, so offload stays a config's word)
    if first("user.llamafactory"):
        out["tool"] = "llamafactory"  # its defaults: gradient checkpointing on unless disabled
    if first("user.zero3"):
        out["deepspeed.zero_stage"] = 3
    elif first("user.deepspeed") and not has_config:
        # DeepSpeed without a stage said: at least ZeRO-1's accounting (fp32 master weights and Adam
        # moments beside the 16-bit weights, the optimizer state split over the GPUs)
        out["deepspeed.zero_stage"] = 1
    if first("user.gradient_checkpointing_off"):
        out["gradient_checkpointing"] = False
    elif first("user.gradient_checkpointing_on"):
        out["gradient_checkpointing"] = True
    if not has_config:
        # Without a config, assume what most scripts run: bf16 weights (a config without bf16/fp16
        # does mean fp32) and 2048-token samples (LLaMA-Factory's cutoff_len, common chat lengths).
        out["precision"] = "bf16"
        out.setdefault("sequence_len", WORDS_DEFAULT_SEQUENCE_LEN)
    return out

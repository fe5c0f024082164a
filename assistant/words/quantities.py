"""The numbers a memory estimate needs, read from the user's words.

"QLoRA on a 13B model in 8-bit runs out of memory on a 20 GB MIG slice", "Qwen3-0.6B on two
A100 40GB", "full fine-tune of Llama-3-70B at 4096 tokens on a 4090": people say the model, the
GPU and the lengths even when they attach no config. Each number becomes a `user.*` fact with
source "question"; the consultation's estimate step fills what a config does not say with them.
GPU kinds are data (rules/gpus.yaml: name pattern -> memory per card).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from assistant.datafile import load_yaml_file
from assistant.engine.facts import Fact
from assistant.paths import RULES_DIR

__all__ = ["facts_from_quantities", "gpu_capabilities", "gpu_table"]

SOURCE = "question"
_NOT_NAMES = frozenset({"a", "an", "the", "of", "on", "with", "for", "my", "our", "this", "that", "to", "in", "at", "and", "or",
                        "model", "size", "is", "using", "use", "train", "training", "tune", "tuning", "from", "about",
                        "finetune", "finetuning", "fine-tune", "fine-tuning", "full", "lora", "qlora", "sft", "bit"})
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "eight": 8, "sixteen": 16, "single": 1,
                 "a": 1, "an": 1, "dual": 2, "quad": 4}

# "13B", "Qwen3-0.6B", "Llama-3-70B-Instruct", "8x7b", "30B-A3B", "350M": a size that is not a memory size.
# "7 billion", "a 70bn model", "350 million parameters": the long forms too, but not a count of data ("2 billion tokens")
_MODEL = re.compile(r"(?P<name>\b[a-z][\w./-]*?[-_ ])?(?:(?P<experts>\d+)x)?(?P<size>\d+(?:\.\d+)?)(?:\s|-(?=b|m))?(?P<unit>b|m|bn|billion|million)(?![a-z\d])(?!\s?(?:ytes?|it|its)\b)"
                    r"(?!\s?(?:tokens?|samples?|examples?|lines?|rows?|words?|steps?|images?|documents?|docs|sentences?|pairs?|records?|characters?|chars|instances?|queries|prompts?|conversations?|dialogues?|users?|requests?|files?)\b)")
# "two 3090s", "4 H100s", "A100s": a plural names the same kind
_GPU_PLURAL = re.compile(r"\b([a-z]{0,3}\d{2,4}[a-z]?)s\b")
_MEMORY = re.compile(r"(?<![\w.])(?P<size>\d+(?:\.\d+)?)\s?(?P<unit>gb|gib|g|gigs?|gigabytes?|mb|mib|tb)\b")
# "8xH100", "RTX3090": a count or a brand glued to the kind
_GPU_GLUED = re.compile(r"(?<=\b\d)x(?=[a-z]\w*\d|\d{4}\b)|(?<=\b\d\dx)(?=[a-z]\w*\d|\d{4}\b)|(?<=\brtx)(?=\d)")
# "H100 x 8", "3090 * 2": the count after the kind
_GPU_COUNT_AFTER = re.compile(r"\b(?:a100|h100|h200|h800|a800|v100|l40s?|a[2-6]000|t4|a10g?|a40|l4|\d{4})\s?(?:\(?\d+\s?gb?\)?\s?)?(?:x|×|\*)\s?(?P<n>\d{1,3})\b(?!\s?(?:gb|g)\b)")
_GPU_COUNT = re.compile(
    r"\b(?P<n>\d+|one|two|three|four|six|eight|sixteen|single|dual|quad)(?!\d)\s?(?:x|×|\*)?\s?(?:(?<=\s)\d+(?:\.\d+)?\s?(?:gb|gib|g)\s)?(?:(?!(?:gb|gib|g|mb|mib|tb)\s)[a-z]*\s)?(?:gpus?|cards|devices|npus|(?:nvidia\s)?(?:a100|h100|h200|h800|a800|v100|l40s?|a[2-6]000|rtx|t4|a10g?|a40|l4|\d{4})s?)\b"
    r"|--(?:nproc_per_node|num_gpus|nnodes_gpus)[= ](?P<flag>\d+)|\bnproc_per_node[= ](?P<flag2>\d+)")
_SEQ = re.compile(
    r"(?:seq(?:uence)?[ _]?len(?:gth)?|max[ _](?:seq[ _])?length|(?<![a-z_])(?<![a-z]-)max[ _-]len\b|cutoff[ _]len|context(?: length| window| size)?|max_tokens|block[ _]size|model_max_length)"
    r"\s*(?:of|=|:|is|to|at|set to)?\s*(?P<a>\d+(?:\.\d+)?)(?P<ak>k)?\b"
    r"|(?P<c>\d+(?:\.\d+)?)(?P<ck>k)\s?(?:context|ctx|seq(?:uence)?s?(?: length)?)\b"
    r"|(?P<b>\d+(?:\.\d+)?)(?P<bk>k)?\s?(?:-?token|tok)s?(?: context| sequences?| inputs?| samples?| prompts?| long)?\b")
_BITS = re.compile(r"\b(?P<bits>4|8)[- ]?bits?\b|\b(?:load_in_|quantization_bit[= :]+)(?P<flag>4|8)|\b(?P<nf4>nf4|int4|gptq|awq|bnb[- ]4)\b|\b(?P<int8>int8|llm\.int8)\b")
_FLAG_OFF = re.compile(r"\w*\s*(?:=|:|is|was|set to|to|设成了?|设为|设置为|为)?\s*(?:false|0|no|none|off)\b")
_ADAPTER = re.compile(r"(?:\b|(?<=_))(?P<qlora>q-?lora)\b|(?:\b|(?<=_))(?P<lora>lora|dora|peft)\b|\b(?P<full>full[- ](?:parameter[- ])?fine[- ]?tun\w*|full[- ]parameter|full[- ]sft|full fine[- ]?tune|full finetun\w*|finetuning_type[ =:]+full)\b")
_BATCH = re.compile(r"(?:batch[ _]size|per_device_train_batch_size|micro[ _-]?batch(?:[ _]size)?|\bbs)\s*(?:of|=|:|is)?\s*(?P<n>\d+)\b"
                    # terse "batch 4, grad accum 32": a bare "batch N" is the batch size - not "at batch 1200" (a
                    # position), "mini-batch 8" (an RL update split) or "batch 4 of 10" (a count)
                    r"|(?<![\w-])(?<!at )(?<!on )(?<!in )(?<!after )(?<!every )(?<!each )(?<!from )(?<!until )(?<!mini )(?<!the )"
                    r"batch\s(?P<n2>\d+)\b(?![.,]\d)(?!\s(?:of|/)\s?\d)(?!\s(?:steps?|batches|iterations?|tokens?)\b)")
# "a global batch size of 128", "halved accumulation to keep batch size 128": all GPUs' and steps' samples,
# not the per-device micro batch the memory estimate needs
_GLOBAL_BATCH = re.compile(r"(?:global|effective|total|overall|keep(?:ing)?(?: the)?(?: same)?)[ _]$")
_GA = re.compile(r"(?:gradient[ _]accumulation(?:[ _]steps?)?|grad[ _]accum\w*|\bga\b)\s*(?:steps\s*)?(?:of|=|:|is|to)?\s*(?P<n>\d+)\b")
_GENERATIONS = re.compile(r"(?:num_generations|n_samples_per_prompt|rollout\.n|group[ _]size|generations per prompt|completions per prompt)\s*(?:of|=|:|is|to|set to)?\s*(?P<n>\d+)\b|\b(?P<m>\d+)\s*(?:generations|completions|rollouts|samples) per (?:prompt|question|group)")
_WEIGHT_DECAY = re.compile(r"\b(?:weight[ _]decay|\bwd)\s*(?:was |is |of |set to |=|:)*\s*(?P<v>\d*\.\d+|\d+(?:\.\d+)?(?:e-?\d+)?)(?![\d.])")
# the generation cap an RL run samples completions up to ("max_completion_length 128", "max_response_length=1024")
# "max_new_tokens around 3-4k": a range is read as its upper end, a k as thousands
_COMPLETION_CAP = re.compile(r"\b(?:max_completion_length|max_response_length|max_new_tokens|response_length cap|completion length cap)"
                             r"\s*(?:was |is |of |set to |around |about |roughly |only |=|:|~)*\s*"
                             r"(?:\d{1,9}(?:\.\d{1,6})?k?\s?(?:-|–|~|to)\s?)?(?P<n>\d{1,9}(?:\.\d{1,6})?)(?P<k>k)?\b"
                             # the budget said as a count of new tokens ("a budget of ~3000-4000 new tokens")
                             r"|(?:budget|limit|cap|up to|at most|max(?:imum)?)\D{0,12}?(?:\d{1,9}k?\s?(?:-|–|~|to)\s?)?"
                             r"(?P<n2>\d{1,9})(?P<k2>k)?\s?(?:max(?:imum)?\s)?new[ _]tokens\b")
# (digits bounded: a run of thousands of them is no cap, and unbounded ones backtracked quadratically)
_BETA = re.compile(r"\b(?:beta|kl[ _](?:coef\w*|penalty|weight)|init_kl_coef|kl_loss_coef)\s*(?:was |is |of |left at |set to |=|:)*\s*(?P<v>\d+(?:\.\d+)?(?:e-?\d+)?)")
_BINARY = re.compile(r"\b(?:binary|0/1|0 or 1|pass/fail|correct/incorrect|right or wrong)\b")
# No size, count or length has 13 digits; runs that long would make the number patterns backtrack quadratically.
_LONG_NUMBER = re.compile(r"\d{13,}")
# Clause breaks, and what a clause about a setup that works (and not one that fails) says.
_CLAUSE = re.compile(r"[.;!?\n]+\s|,?\s+(?:but|while|whereas|however|though|yet)\s+|[，。；]")
_WORKS = re.compile(r"\b(?:works?|worked|working|(?:trains?|trained|runs?|ran|goes|went) (?:fine|well|ok|okay|normally|"
                    r"without (?:any )?(?:problems?|issues?|errors?))|no (?:problems?|issues?)|succe\w+|fits? fine)\b|正常|没问题")
_FAILS = re.compile(r"\b(?:oom\w*|out of (?:gpu |cuda )?memory|fail\w*|errors?|crash\w*|won'?t|can'?t|cannot|doesn'?t|"
                    r"don'?t|didn'?t|not|nan|never|unable|hangs?|stuck|killed)\b|报错|失败|不行|爆")
# A figure of memory in use, not the card's size: "the run takes about 16 GB", "uses 24 GB", "peaks at 70 GB".
_IN_USE_BEFORE = re.compile(r"\b(?:takes?|taking|took|uses?|using|used|consumes?|consuming|consumed|occupies|occupying|"
                            r"occupied|allocates?|allocated|reserves?|reserved|reach(?:es|ed)?|peaks? (?:at|of)|jumps? to|"
                            r"jumped to|grows? to|grew to|rises? to|rose to|goes up to|went up to|usage (?:is|of|at)|"
                            r"占用|用了)\s*(?:about|around|roughly|approximately|nearly|almost|only|just|up to|over|~)?\s*$")
_IN_USE_AFTER = re.compile(r"^\s*(?:of (?:gpu |cuda |v)?(?:ram|memory) )?(?:is |are |was |were )?(?:used|in use|allocated|"
                           r"reserved)\b")
_HOST = re.compile(r"^\s*(?:of\s+)?(?:system |host |cpu |ddr\d? )?(?:ram|memory on the host|system memory|cpu memory)\b")


@lru_cache(maxsize=1)
def gpu_table(path: Path = RULES_DIR / "gpus.yaml") -> tuple[tuple[re.Pattern[str], str, float], ...]:
    """(pattern, name, GiB per card) in file order: specific names before general ones."""
    data = load_yaml_file(path) or {}
    return tuple((re.compile(e["pattern"]), e["name"], float(e["memory_gib"])) for e in data["gpus"])


@lru_cache(maxsize=1)
def gpu_capabilities(path: Path = RULES_DIR / "gpus.yaml") -> dict[str, float]:
    """GPU kind -> CUDA compute capability, for the kinds whose capability the table gives."""
    data = load_yaml_file(path) or {}
    return {e["name"]: float(e["capability"]) for e in data["gpus"] if e.get("capability") is not None}


def _gib(size: float, unit: str) -> float:
    return {"tb": size * 1024, "mb": size / 1024, "mib": size / 1024}.get(unit, size)


def _model(text: str) -> list[Fact]:
    for m in _MODEL.finditer(text):
        size = float(m.group("size")) * (1e9 if m.group("unit") in ("b", "bn", "billion") else 1e6)
        experts = int(m.group("experts")) if m.group("experts") else 1
        name = (m.group("name") or "").strip(" -_")
        name = "" if name in _NOT_NAMES else name
        if size < 5e7 or size > 2e12 or (not name and m.start() > 0 and text[m.start() - 1].isalnum()):
            continue
        full = text[m.start():m.end()].strip()
        tail = re.match(r"[\w.-]*", text[m.end():]).group(0)
        facts = [Fact("user.model_params", size * experts, SOURCE)]
        if name:
            facts.append(Fact("user.model_name", (full + tail).strip(" -_"), SOURCE))
        return facts
    return []


def _gpu(text: str) -> list[Fact]:
    facts: list[Fact] = []
    singular = _GPU_PLURAL.sub(r"\1", _GPU_GLUED.sub(lambda m: "x " if m.group(0) == "x" else " ", text))  # positions shift by a few characters
    # the kind named first is the user's ("8x H100 ... the recipe says 8xh200"); the table order breaks ties, and a
    # notebook service (Colab) only stands in when no card is named
    found = [(m.start(), i, (name, gib, m)) for i, (pattern, name, gib) in enumerate(gpu_table())
             for m in [pattern.search(singular)] if m]
    named = [f for f in found if f[2][0] != "Colab T4"] or found
    kind = min(named)[2] if named else None
    memory = None
    for m in _MEMORY.finditer(text):
        after, before = text[m.end():m.end() + 30], text[max(0, m.start() - 40):m.start()]
        if _HOST.match(after) or re.search(r"\b(?:ram|cpu|system memory|host)\s*(?:of|:|=)?\s*$", before):
            continue  # host memory, not the GPU's
        if _IN_USE_BEFORE.search(before) or _IN_USE_AFTER.match(after):
            continue  # memory in use, not the card's size
        near_gpu = re.search(r"gpu|vram|card|mig|cuda|memory|slice|device|graphics", before + after) or (
            kind is not None and abs(kind[2].start() - m.start()) < 40)
        if near_gpu:
            memory = _gib(float(m.group("size")), m.group("unit"))
            break
    if kind is not None:
        facts.append(Fact("user.gpu_name", kind[0], SOURCE))
        capability = gpu_capabilities().get(kind[0])
        if capability is not None:  # what the card supports: bf16 needs 8.0, fp8 8.9
            facts.append(Fact("user.gpu_capability", capability, SOURCE))
    if memory is None and kind is not None:
        memory = kind[1]
    if memory is not None and 1 <= memory <= 512:
        facts.append(Fact("user.gpu_memory_gib", memory, SOURCE))
    count = _GPU_COUNT.search(text) or _GPU_COUNT_AFTER.search(text)
    if count is not None:
        raw = count.group("n") or (count.groupdict().get("flag") or count.groupdict().get("flag2"))
        n = int(raw) if raw.isdigit() else _WORD_NUMBERS.get(raw)
        if n and 1 <= n <= 4096 and not (raw.isdigit() and len(raw) == 4):  # "4090 gpu" is a kind, not a count
            facts.append(Fact("user.gpu_count", n, SOURCE))
    return facts


def _settings(text: str) -> list[Fact]:
    facts: list[Fact] = []
    seq = _SEQ.search(text)
    if seq is not None:
        num, k = next((seq.group(g), seq.group(g + "k")) for g in ("a", "b", "c") if seq.group(g))
        n = int(float(num) * (1024 if k else 1))
        if 16 <= n <= 10_000_000:
            facts.append(Fact("user.sequence_len", n, SOURCE))
    # "load_in_8bit set to False": a quantisation flag turned off names no bit width
    bits = next((m for m in _BITS.finditer(text) if not (m.group("flag") and _FLAG_OFF.match(text, m.end()))), None)
    if bits is not None:
        value = 4 if (bits.group("bits") == "4" or bits.group("flag") == "4" or bits.group("nf4")) else 8
        facts.append(Fact("user.quant_bits", value, SOURCE))
    adapter = _ADAPTER.search(text)
    if adapter is not None:
        facts.append(Fact("user.adapter", next(k for k in ("qlora", "lora", "full") if adapter.group(k)), SOURCE))
    generations = _GENERATIONS.search(text)
    if generations is not None:
        n = int(generations.group("n") or generations.group("m"))
        if 1 <= n <= 1024:
            facts.append(Fact("user.num_generations", n, SOURCE))
    wd = _WEIGHT_DECAY.search(text)
    if wd is not None and float(wd.group("v")) <= 10:
        facts.append(Fact("user.weight_decay", float(wd.group("v")), SOURCE))
    beta = _BETA.search(text)
    if beta is not None:
        facts.append(Fact("user.kl_beta", float(beta.group("v")), SOURCE))
    if _BINARY.search(text):
        facts.append(Fact("user.binary_reward", {"words": _BINARY.search(text).group(0)}, SOURCE))
    ga = _GA.search(text)
    if ga is not None and 0 < int(ga.group("n")) <= 4096:
        facts.append(Fact("user.gradient_accumulation_steps", int(ga.group("n")), SOURCE))
    batches = [m for m in _BATCH.finditer(text) if not _GLOBAL_BATCH.search(text, max(0, m.start() - 24), m.start())]
    # a named batch size / micro batch first; a bare "batch N" only when nothing names one
    batch = next((m for m in batches if m.group("n")), None) or next(iter(batches), None)
    n_batch = int(batch.group("n") or batch.group("n2")) if batch is not None else 0
    if 0 < n_batch <= 4096:
        facts.append(Fact("user.batch_size", n_batch, SOURCE))
    return facts


def facts_from_quantities(question: str) -> list[Fact]:
    """Model size and name, GPU kind, memory and count, sequence length, quantisation, adapter, batch,
    gradient accumulation, GRPO group size and KL weight, a binary reward."""
    whole = _LONG_NUMBER.sub("#", question.lower())
    text = _failing_setup(whole)
    # the model and the generation cap are usually the same in both ("the int4 72B trains, the 16-bit one
    # does not"; "a recipe that worked for X, kept its max_new_tokens, on Y")
    return (_model(text) or _model(whole)) + _gpu(text) + _settings(text) + (_cap(text) or _cap(whole))


def _cap(text: str) -> list[Fact]:
    """The generation cap ("max_new_tokens around 3-4k": a range read as its upper end, k as thousands)."""
    cap = _COMPLETION_CAP.search(text)
    tokens = (int(float(cap.group("n") or cap.group("n2")) * (1000 if (cap.group("k") or cap.group("k2")) else 1))
              if cap is not None else 0)
    return [Fact("user.max_completion_length", tokens, SOURCE)] if 1 <= tokens <= 1_000_000 else []


def _failing_setup(text: str) -> str:
    """The text without clauses that describe a setup that works ("the int4 version trains fine on 4
    cards, but the 16-bit one runs out of memory"): the numbers wanted are the failing run's.
    Unchanged when every clause says it works (then there is nothing else to read)."""
    clauses = _CLAUSE.split(text)
    kept = [c for c in clauses if not (_WORKS.search(c) and not _FAILS.search(c))]
    return " . ".join(kept) if kept and len(kept) < len(clauses) else text

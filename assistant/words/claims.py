"""Quantitative claims in the user's words -> the located symptom facts a detector asserts from a log.

"the loss drops to 0.8 then climbs to 6.2 and oscillates", "reward_std is 0 on every step",
"accuracy went from 57% to 2.4%", "grad_norm is inf at step 212, loss nan from 213": a person
who has looked at the curves says what a detector would have found. Each metric mentioned
owns the words after it (up to the next metric or the end of the sentence, plus a few words
before it: "nan loss", "zero reward"); those words give its values, the steps they were seen
at and the shape (stuck, flat, rising, falling, oscillating, spiking, non-finite). The claim
becomes `symptom.*` facts with the detectors' attributes and source "question", so the same
rules fire whether the evidence was a log or a sentence. The vocabulary is data
(rules/claims.yaml).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from assistant.datafile import load_yaml_file
from assistant.detectors._base import SIGNED_LOSS_KINDS
from assistant.engine.facts import Fact
from assistant.evidence._records import MAX_STEP
from assistant.lazyre import LazyPattern, literal_needs
from assistant.paths import RULES_DIR

__all__ = ["Claim", "read_claims", "claim_facts", "facts_from_claims"]

SOURCE = "question"
CF = 0.9  # a person's reading of a curve: strong evidence, not a log line
LOSS_LIKE = frozenset({"loss", "eval_loss", "grad_norm", "kl", "perplexity"})

# A sentence ends at . ! ? ; or a newline, but not at the point of a decimal ("0.8").
_SENTENCE = re.compile(r"(?<!\d)[.!?;](?!\d)|[.!?;](?=\s|$)|\n|[。！？；]")
_NUMBER = re.compile(
    # word characters around a number are ASCII ones: "一直在2.5左右" holds the value 2.5
    # nor is a number joined to a name by a hyphen: "ZeRO-3", "stage-2", "GPT-4" name things, they hold no value
    # nor is one an argument in a formula ("abs(20 - len(c))") or the first half of a compound ("a 20-character answer")
    r"(?<![a-z0-9_.])(?<![a-z]-)(?<![a-z_]\()(?P<num>[-+]?(?:\d+(?:[.,]\d+)?|\.\d+)(?:e[-+]?\d+)?)(?P<unit>\s?%|k(?![a-z0-9_])|\s?(?:gb|gib|mb|mib|b(?![a-z0-9_])|m(?![a-z0-9_])|x(?![a-z0-9_])))?(?![a-z0-9_.])(?!-(?!tok)[a-z]{3,})",
)
_WILD = re.compile(r"\b(?:wild\w*|violent\w*|crazy|massive\w*|huge|hugely|extreme\w*|by orders of magnitude)\b|剧烈")
_LR_DECAYED = re.compile(r"\b(?:decay\w*|at the end|final|end of|drops? to|falls? to|goes? to|went to|schedul\w*|warm\w*|min(?:imum)?|down to)\b")
_MEAN_WORDS = re.compile(r"\b(?:mean|average|avg|about|around)\b|平均")
# metrics a verifier pays out on: one that falls to 0 after paying out is a policy change, not a broken reward
_PAYOUT = re.compile(r"^(?:reward|accuracy|rewards/(?!chosen|rejected|margins|accuracies)[^/]+/mean)$")
# "the reward stays at 0 for the first 100 steps and then starts increasing": 0 only before learning kicked in
_ZERO_THEN_UP = re.compile(r"\b(?:0|zero)\b.{0,60}\b(?:then|after that|afterwards|before)\b.{0,30}\b(?:start(?:s|ed|ing)? (?:to )?)?"
                           r"(?:increas\w*|ris(?:es|ing|e)|rose|climb\w*|grow\w*|goes up|going up|went up|go up|improv\w*)")
# advantages normalised per group average to 0 by construction: "they sum to 0" describes the method, not a stuck metric
_NORMALISED = re.compile(r"\b(?:sums?|summ\w*|adds? up|add(?:ed|ing) up|averag\w*|cancel\w*|zero[- ]mean|normali[sz]\w*|whiten\w*)\b|归一化")
# A zero said of only part of the run ("reward_std is 0 for some batches": groups whose completions all scored
# alike, normal in GRPO) or only its first step ("grad_norm is 0 on the first step, then normal") is no metric
# stuck at zero. Said of an RL group statistic (or the first step of any metric) and not also said to stay.
_PARTIAL_ZERO = re.compile(
    r"\b(?:for|in|on|at|with) (?:some|a few|certain|occasional|individual|a handful of) (?:of (?:the )?)?"
    r"(?:batches|groups|prompts|samples|questions|rollouts)\b|\b(?:sometimes|occasionally|at times|now and then)\b|"
    r"\bsome (?:groups|batches|prompts)\b")
_FIRST_STEP_ONLY = re.compile(r"\b(?:first|initial|opening) (?:step|iteration|batch|update)\b[^.?!]{0,60}\bthen (?:it'?s |is |goes |becomes |back to |looks )?"
                              r"(?:normal|fine|ok|okay|non-?zero|positive)\b")
_STAYS = re.compile(r"\b(?:stays?|stayed|remains?|remained|stuck|always|every (?:step|batch)|all (?:the )?(?:steps|batches))\b")
_GROUP_STATS = re.compile(r"^(?:reward|reward_std|advantages|accuracy|kl|grad_norm|rewards/.+)$")
_BECOMES = re.compile(r"\b(?:becomes?|became|becoming|turns? (?:in)?to|turned (?:in)?to|ends? up (?:at|as)|comes? (?:down )?to|came (?:down )?to|drops? to|dropped to|falls? to|fell to)\b")
SHORT_SPAN = 10  # fewer logged steps than this cannot show a trend against step-to-step noise
_LENGTH_METRICS = ("completions/mean_length",)
_SHARE_OF = re.compile(r"^\s*(?:of|of the)\s+(?:the\s+)?(?:logged\s+)?(?:steps|iterations|batches|groups|prompts|samples|completions|rollouts|updates|runs|time)\b")
_BETWEEN = re.compile(r"\b(?:between|within|in the range(?: of)?|ranges? (?:from|between))\s*[~≈]?\s*$")
MAX_VALUE_DISTANCE = 10  # words between a metric's name and a number said about it
_ASSIGNED = re.compile(r"\b[a-z_][\w.]*\s*[=:]\s*$")
# a number that belongs to another noun said just before it ("exits with code 0", "rank 0", "seed 42")
# a number right after these names is theirs, not the metric's: "exit code 1", "rank 3", "llama 2" (a model's version)
_OTHER_NOUN = re.compile(r"\b(?:(?:exit|return|error|status)? ?code|exitcode|status|rank|seed|port|version|pid|device|cuda|gpu|"
                         r"llama|qwen|gemma|phi|gpt|glm|chatglm|baichuan|mistral|falcon|deepseek|yi|internlm|olmo|pythia|"
                         r"bloom|opt|t5|vicuna|starcoder|codellama|stablelm|smollm|granite|minicpm|kimi|ernie)\s*[:=#-]?\s*$")
_CONTRAST = re.compile(r"\b(?:but|while|whereas|however|although|though|compared|versus|vs\.?|than|unlike)\b|但|而|相比")
_STEP_BEFORE = re.compile(r"\b(?:step|steps|iter|iteration|iterations|epoch|epochs|batch|round|rounds|update|updates|global_step)\s*#?:?\s*[~≈]?\s*$")
_STEP_AFTER = re.compile(r"^\s*(?:个|次|轮|步)?\s*(?:(?:logged|consecutive|successive|straight|more|further|training|optimi[sz]er|global|gradient|eval(?:uation)?)\s+)?(?:步|轮|(?:steps?|iterations?|iters?|its\b|epochs?|batches|rounds?|updates?|samples|examples|rows|tokens|generations|completions|prompts|questions|problems|items|tasks|images|gpus?|nodes?)\b)")  # (no \b after 步: "4000 步只降到" runs on in CJK)
_SPAN_WORDS = re.compile(r"(?:^|\b)\s*(?:over|for|during|across|in|within)\s*(?:the\s+)?(?:first\s+|last\s+)?$")
_AFTER_WORDS = re.compile(r"(?:after|from|since|around|at|by|until|past|beyond|starting at|starting from)\s*(?:about\s+|around\s+|~\s*)?$")
_CONNECTOR = re.compile(r"^[\s,/&+]*(?:and|&|as well as|or|both|plus|with|/)?[\s,/&+]*(?:both\s+|the\s+)?$")
_PRE_WORDS = 3


@dataclass(frozen=True)
class _Vocabulary:
    metrics: tuple[tuple[str, tuple[LazyPattern, ...]], ...]
    shapes: dict[str, LazyPattern]
    negation: LazyPattern


@lru_cache(maxsize=2)
def _vocabulary(path: Path = RULES_DIR / "claims.yaml") -> _Vocabulary:
    data = load_yaml_file(path) or {}
    # Compiled on first use, metric names only when a sentence holds a literal they need (`LazyPattern`).
    literals = literal_needs(p for pats in data["metrics"].values() for p in pats)
    metrics = tuple((name, tuple(LazyPattern(p, literals[p]) for p in pats)) for name, pats in data["metrics"].items())
    shapes = {name: LazyPattern("|".join(f"(?:{p})" for p in pats)) for name, pats in data["shapes"].items()}
    return _Vocabulary(metrics, shapes, LazyPattern("|".join(f"(?:{p})" for p in data["negation"])))


@dataclass
class Claim:
    """What the words say about one metric."""

    metric: str
    words: str                                  # the metric's own words, for evidence
    values: list[float] = field(default_factory=list)   # in the order said; percentages as fractions
    percent: bool = False
    steps: list[int] = field(default_factory=list)       # "at step 212", "after 100 steps"
    over_steps: int | None = None                        # "over 100 steps", "for 50 steps"
    shapes: set[str] = field(default_factory=set)
    last_move: str | None = None                         # "up" or "down", whichever is said last

    def has(self, *shapes: str) -> bool:
        return any(s in self.shapes for s in shapes)


# --- reading --------------------------------------------------------------------------------

def _normalise(text: str) -> str:
    text = text.lower().replace("→", " to ").replace("->", " to ").replace("=>", " to ").replace("–", "-").replace("—", " - ")
    text = re.sub(r"(\d)\s*,\s*(\d{3})(?!\d)", r"\1\2", text)  # 1,000 -> 1000 (but "0.5, 0.6" stays a list)
    return re.sub(r"[ \t]+", " ", text)


def _mentions(sentence: str, vocab: _Vocabulary) -> list[tuple[int, int, str]]:
    """(start, end, canonical metric) of every metric named, longest match first, no overlaps."""
    found = []
    for name, patterns in vocab.metrics:
        for m in (m for p in patterns for m in p.finditer(sentence)):
            canonical = name.format(name=m.group("name")) if "{name}" in name and m.groupdict().get("name") else name
            if "{name}" in canonical:
                continue
            found.append((m.start(), m.end(), canonical))
    found.sort(key=lambda t: (t[0], -(t[1] - t[0])))
    kept: list[tuple[int, int, str]] = []
    for start, end, name in found:
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end, name))
    return kept


def _sentences(text: str) -> Iterator[str]:
    start = 0
    for m in _SENTENCE.finditer(text):
        yield text[start:m.start()]
        start = m.end()
    yield text[start:]


def read_claims(question: str) -> list[Claim]:
    """Every metric claim in the question, in order."""
    vocab = _vocabulary()
    claims = []
    for sentence in _sentences(_normalise(question)):
        mentions = _mentions(sentence, vocab)
        spans: list[str] = []
        for i, (start, end, _) in enumerate(mentions):
            nxt = mentions[i + 1][0] if i + 1 < len(mentions) else len(sentence)
            spans.append(sentence[end:nxt])
        # "loss and grad_norm are nan": a metric followed only by a connector shares the next one's words.
        for i in range(len(spans) - 2, -1, -1):
            if _CONNECTOR.match(spans[i]):
                spans[i] = spans[i] + spans[i + 1]
        # "nan from the first step, both loss and grad_norm": words ahead of the metrics speak for them.
        leading = sentence[:mentions[0][0]] if mentions else ""
        for i, (start, end, name) in enumerate(mentions):
            prev_end = mentions[i - 1][1] if i else 0
            # words before a metric speak for it within its own clause ("grad_norm: nan, although the
            # loss is finite": the nan is grad_norm's, not the loss's)
            before = _CLAUSE.sub("", " ".join(sentence[prev_end:start].split()[-_PRE_WORDS:]))
            claim = _claim(name, sentence[start:end], before, spans[i], vocab) or _leading_claim(
                name, sentence[start:end], leading, vocab)
            if claim is not None:
                claims.append(claim)
    return claims


def _leading_claim(name: str, mention: str, leading: str, vocab: _Vocabulary) -> Claim | None:
    """The words ahead of the sentence's metrics, when they say what happened ("nan from the first step,
    both loss and grad_norm"). Numbers alone there are the setup's ("on 8 RTX 4090s, the loss curve looks
    abnormal": a GPU count and model), not values of the metric."""
    if not leading.strip() or _OTHER_QUANTITY.search(leading):
        return None  # "GPU utilization is spiky while the loss is steady": the words speak for another quantity
    claim = _claim(name, mention, "", leading, vocab)
    # "all", "first" alone ("全参 SFT", "the first run") tell no movement of the metric
    return claim if claim is not None and claim.shapes - {"all_words", "initial"} else None


# quantities the metric vocabulary does not name, whose movement is not a training metric's
_OTHER_QUANTITY = re.compile(r"\b(?:gpu |cpu |sm |tensor core )?(?:utili[sz]ation|util|throughput|tokens?/s|it/s|speed|mfu|"
                             r"power(?: draw)?|temperature|clock|bandwidth)\b")
# a number that counts the data ("110k instruction dataset", "a 10k classification set", "2M samples"), not a value
_DATA_COUNT = re.compile(r"^\s*(?:[a-z-]+\s+)?(?:datasets?|data|set|corpus|instructions|conversations|dialogues|dialogs|"
                         r"pairs|records|documents|entries|sentences|samples|examples)\b")


_CLAUSE = re.compile(r".*(?:\bbut\b|\bhowever\b|\b(?:al)?though\b|\bwhile\b|\bwhereas\b|\band\b|\bthen\b|,)")


def _negated(text: str, start: int, vocab: _Vocabulary) -> bool:
    """A negation in the same clause, a few words before ("not nan", "isn't zero"; not "no nan, but stuck")."""
    window = text[max(0, start - 40):start]
    return bool(vocab.negation.search(_CLAUSE.sub("", window)))


def _shapes(text: str, vocab: _Vocabulary, only: tuple[str, ...] | None = None) -> set[str]:
    out = set()
    for name, pattern in vocab.shapes.items():
        if only is not None and name not in only:
            continue
        for m in pattern.finditer(text):
            if name == "not_moving" or not _negated(text, m.start(), vocab):
                out.add(name)
                break
    if "not_moving" in out:
        out.add("flat")
    return out


def _claim(name: str, mention: str, before: str, span: str, vocab: _Vocabulary) -> Claim | None:
    claim = Claim(metric=name, words=" ".join(f"{before} {mention}{span}".split())[:160])
    claim.shapes = _shapes(span, vocab) | _shapes(before + " ", vocab, only=("nonfinite", "zero_words", "oscillate", "spike", "up", "initial", "flat", "all_words", "after_start"))
    moves = [(m.start(), move) for move in ("up", "down") if move in claim.shapes
             for m in vocab.shapes[move].finditer(span) if not _negated(span, m.start(), vocab)]
    claim.last_move = max(moves)[1] if moves else ("up" if "up" in claim.shapes else "down" if "down" in claim.shapes else None)
    value_clause, claim_end = False, 0  # values come from one clause: "2 for baichuan, but 5.2 for yi" is no series
    previous_step = False
    for m in _NUMBER.finditer(span):
        pre, post = span[:m.start()], span[m.end():]
        unit = (m.group("unit") or "").strip()
        value = _float(m.group("num"))
        if value is None or _negated(span, m.start(), vocab):  # "never 0", "isn't 0"
            continue
        if re.match(r"^\s*[~～-]\s*\d", post) and not unit:
            continue  # "800~900": a range, read as its upper end
        if unit == "%" and _SHARE_OF.match(post):
            continue  # "0 on 90% of steps": how often, not a value of the metric
        in_nonfinite = "nonfinite" in claim.shapes and not unit and value.is_integer() and value >= 1
        # "length went from 300 to 4096 tokens": for a length metric, tokens are the unit of the value, not a count
        length_value = name in _LENGTH_METRICS and re.match(r"^\s*(?:tokens?|toks?|个?\s*token)\b", post) is not None
        joined = previous_step and re.search(r"(?:\band|\bor|,|/|to)\s*[~≈]?\s*$", pre[-8:]) is not None
        if not length_value and (_STEP_BEFORE.search(pre[-24:]) or (_STEP_AFTER.match(post) and not unit) or in_nonfinite or joined):
            if not abs(value) < MAX_STEP:  # "after about -1e999 steps": no step anyone logged
                continue
            if _SPAN_WORDS.search(pre[-24:]) and _STEP_AFTER.match(post):
                claim.over_steps = int(value)
            elif _STEP_AFTER.match(post) and not re.match(r"^\s*(?:个|次)?\s*(?:步|轮|(?:steps?|iterations?|iters?|epochs?|updates?|rounds?)\b)", post):
                continue  # "8 gpus", "16 generations": a count, not a value of this metric
            else:
                claim.steps.append(int(value * (1000 if unit == "k" else 1)))
                previous_step = True
            continue
        previous_step = False
        if len(pre.split()) > MAX_VALUE_DISTANCE or _ASSIGNED.search(pre[-40:]) or _OTHER_NOUN.search(pre[-24:]):
            continue  # too far from the metric's name to be its value, or another setting's ("num_generations=32")
        if _DATA_COUNT.match(post) and (unit in ("k", "m") or value >= 100):
            continue  # the size of a dataset, not a value of the metric
        if unit in ("gb", "gib", "mb", "mib", "b", "m", "x") and name != "memory":
            continue  # sizes and model names ("7b") belong to the estimator's reading
        if value_clause and _CONTRAST.search(pre[claim_end:]):
            break
        if unit == "%":
            claim.percent = True
            value /= 100.0
        elif unit == "k":
            value *= 1000.0
        if not claim.values and _BETWEEN.search(pre[-16:]):
            claim.shapes.add("range")  # "between 0.1 and 0.5": the band it moves in, not a series
        claim.values.append(value)
        value_clause, claim_end = True, m.end()
    if not claim.shapes and not claim.values:
        return None
    return claim


def _float(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


# --- facts ----------------------------------------------------------------------------------

def claim_facts(claim: Claim, run_kind: str = "unknown") -> list[Fact]:
    """The symptom facts one claim stands for (the detectors' names and attributes)."""
    out: list[Fact] = []
    m, words, vals = claim.metric, claim.words, claim.values
    step = claim.steps[0] if claim.steps else None
    stuck = claim.has("all_words", "flat", "level") or claim.over_steps is not None
    base = {"metric": m, "words": words}

    def fact(name: str, **attrs: object) -> None:
        out.append(Fact(name, {**base, **attrs}, SOURCE, CF))

    if m == "learning_rate":
        return _lr_facts(claim)
    if m == "reward" and vals and 0 < vals[-1] < 1 and _MEAN_WORDS.search(words):
        out.append(Fact("user.reward_mean", vals[-1], SOURCE, CF))  # the p of a 0/1 reward
    if m == "loss" and (run_kind in SIGNED_LOSS_KINDS or any(v < 0 for v in vals)) and not claim.has("nonfinite"):
        return out  # a signed objective (GRPO): its size and shape mean nothing, as for the detectors
    if claim.has("nonfinite"):
        from_start = claim.has("from_start") or (step is not None and step <= 1)
        fact("symptom.nonfinite", step=step, value="nan", count=claim.over_steps, fraction=1.0 if stuck else None,
             intermittent=False, from_start=from_start)
        return out
    zero = (bool(vals) and all(v == 0 for v in vals)) or (claim.has("zero_words") and not vals)
    if zero and m == "advantages" and _NORMALISED.search(words):
        return out
    if zero and not _STAYS.search(words) and (_FIRST_STEP_ONLY.search(words)
                                              or (_GROUP_STATS.match(m) and _PARTIAL_ZERO.search(words))):
        return out
    if zero:
        falling = claim.has("down") and not claim.has("all_words", "from_start")
        if falling and m in ("loss", "eval_loss"):
            fact("symptom.loss_collapse", value=0.0, step=step, from_value=None)
        elif _PAYOUT.match(m) and claim.has("up") and not claim.has("down") and _ZERO_THEN_UP.search(claim.words):
            fact("symptom.trend", direction="rising", first=0.0, last=None, change=None, monotonic=True,
                 turned=False, from_step=step)
        elif falling and _PAYOUT.match(m):
            # "the format reward rises, then falls to 0": it paid out before, so the reward works and the
            # policy (or what it is allowed to generate) changed - a falling curve, not a reward stuck at 0.
            fact("symptom.trend", direction="falling", first=None, last=0.0, change=None, monotonic=False,
                 turned=claim.has("up"), from_step=step)
        else:
            # "zero from the second step onward": the first steps were not zero, so from_step is past the start
            # ... and so is one said to become 0 ("jumps up and then becomes 0"): it was something else first
            later = (claim.has("after_start", "up", "spike") or _BECOMES.search(claim.words) is not None) \
                and not claim.has("from_start")
            fact("symptom.stuck_zero", n=claim.over_steps, zeros=claim.over_steps, fraction=1.0 if not falling else None,
                 all=not falling and not later, from_step=step if step is not None else (2 if later else 0))
        return out
    if len(vals) >= 2 and claim.has("range"):
        pass  # a band of values: judged against the healthy range below, no trend or spike
    elif len(vals) >= 2:
        out.extend(_series_facts(claim, base))
    elif len(vals) == 1:
        v = vals[0]
        if claim.has("spike"):
            fact("symptom.spikes", count=2 if claim.has("oscillate") or "spikes" in words else 1, worst_step=step,
                 worst_value=v, baseline=None, worst_ratio=None, first_step=step, recovered=not claim.has("flat", "all_words"),
                 fraction=None)
        elif claim.has("flat", "level", "all_words") and not claim.has("up", "down"):
            if m in ("loss", "eval_loss"):
                high = _healthy_high(run_kind, m)
                if high is None or v > high:  # as the detector: a level inside the healthy range is no plateau
                    fact("symptom.plateau", from_step=step, level=v, start_level=None, drop_fraction=None,
                         expected_max=high)
            else:
                fact("symptom.stuck_value", value=v)
        elif claim.last_move is not None:
            fact("symptom.trend", direction="rising" if claim.last_move == "up" else "falling", first=None, last=v,
                 change=None, monotonic=not claim.has("oscillate"))
        if m == "loss" and claim.has("initial") and not claim.has("up", "down"):
            fact("symptom.loss_start", value=v, step=step if step is not None else 1, grad_norm=None)
    else:
        out.extend(_shape_facts(claim, base))
    if claim.has("oscillate") and not claim.has("spike") and len(vals) == 1:
        out.append(Fact("symptom.noisy", {**base, "wild": bool(_WILD.search(words))}, SOURCE, CF))
    out.extend(_range_facts(claim, run_kind, base, persistent=stuck or len(vals) == 1))
    return out


def _lr_facts(claim: Claim) -> list[Fact]:
    """A rate the user states is their configured rate (not a curve): one value, said without a
    decay word ("lr 1e-3", "learning rate is 5e-5"). A rate read at the end of a decay says nothing."""
    if not claim.values or not 0 < claim.values[0] < 100 or _LR_DECAYED.search(claim.words.split(_short(claim.values[0]))[0]):
        return []
    return [Fact("user.learning_rate", claim.values[0], SOURCE, CF)]


def _short(value: float) -> str:
    """The value as people write it, to find where it sits in the words ("5e-05" -> "5e-5")."""
    return f"{value:g}".replace("e-0", "e-")


_LR_VALUE = r"\d(?:\.\d+)?e-?\d+|0\.0\d+"
_LR_BETTER = re.compile(
    rf"(?P<a>{_LR_VALUE})[^.;?!]{{0,60}}?\b(?:better|more stable|works|fine|ok)\b[^.;?!]{{0,40}}?\b(?:than|while|but|whereas)\b[^.;?!]{{0,40}}?(?P<b>{_LR_VALUE})")


def _lr_comparison(text: str) -> list[Fact]:
    """"1e-5 converges clearly better than 1e-4": the lower of two rates trained better."""
    for m in _LR_BETTER.finditer(text.lower()):
        a, b = _float(m.group("a")), _float(m.group("b"))
        if a is not None and b is not None and a < b:
            return [Fact("user.lower_lr_better", {"words": m.group(0)[:160], "better": a, "worse": b}, SOURCE, CF)]
    return []


def _series_facts(claim: Claim, base: dict[str, object]) -> list[Fact]:
    """Two or more values in the order said: a trend, and a spike when a loss-like metric
    climbs far above a low it had reached ("drops to 0.8, then climbs to 6")."""
    vals = claim.values
    first, last = vals[0], vals[-1]
    rel = (last - first) / abs(first) if first else None
    direction = "flat" if rel is not None and abs(rel) < 0.05 else ("rising" if last > first else "falling")
    moves = [b - a for a, b in zip(vals, vals[1:])]
    monotonic = all(d >= 0 for d in moves) or all(d <= 0 for d in moves)
    out = [Fact("symptom.trend", {**base, "direction": direction, "first": first, "last": last, "change": rel,
                                  "monotonic": monotonic and not claim.has("oscillate")}, SOURCE, CF)]
    if claim.metric in LOSS_LIKE:
        low_i = min(range(len(vals)), key=vals.__getitem__)
        later = vals[low_i + 1:]
        if later and vals[low_i] > 0 and max(later) / vals[low_i] >= 2.0:
            peak = max(later)
            out.append(Fact("symptom.spikes", {
                **base, "count": 2 if claim.has("oscillate", "spike") else 1, "worst_step": None, "worst_value": peak,
                "baseline": vals[low_i], "worst_ratio": peak / vals[low_i], "first_step": None,
                "recovered": last < peak / 2, "fraction": None}, SOURCE, CF))
    return out


def _shape_facts(claim: Claim, base: dict[str, object]) -> list[Fact]:
    """No numbers: the shape words alone ("completely flat reward", "loss keeps going up")."""
    m = claim.metric
    out = []
    if claim.has("flat") and not claim.has("up", "down", "spike"):
        if m in ("loss", "eval_loss"):
            out.append(Fact("symptom.plateau", {**base, "from_step": None, "level": None, "start_level": None,
                                                "drop_fraction": None, "expected_max": None}, SOURCE, CF))
        out.append(Fact("symptom.trend", {**base, "direction": "flat", "first": None, "last": None, "change": None,
                                          "monotonic": False, "n": claim.over_steps}, SOURCE, CF))
    elif claim.has("spike"):
        out.append(Fact("symptom.spikes", {**base, "count": 2, "worst_step": None, "worst_value": None, "baseline": None,
                                           "worst_ratio": None, "first_step": None, "recovered": not claim.has("up"),
                                           "fraction": None}, SOURCE, CF))
    elif claim.has("oscillate"):
        # "bounces up and down", "oscillates": noise, which a person cannot tell from instability by eye;
        # a spike is a jump of several times that the words or the values show.
        out.append(Fact("symptom.noisy", {**base, "wild": bool(_WILD.search(str(base["words"])))}, SOURCE, CF))
    elif claim.last_move is not None and claim.over_steps is not None and claim.over_steps < SHORT_SPAN:
        # "went up for 5 steps in a row": a handful of logged points is within a noisy curve's
        # spread; a trend needs more points than that (the detectors' noise-vs-trend rule).
        out.append(Fact("symptom.noisy", {**base, "wild": False, "n": claim.over_steps}, SOURCE, CF))
    elif claim.last_move is not None:
        # "goes down at first and then back up": the move said last is where the curve is heading.
        turned = claim.has("up") and claim.has("down")
        out.append(Fact("symptom.trend", {**base, "direction": "rising" if claim.last_move == "up" else "falling",
                                          "first": None, "last": None, "change": None,
                                          "monotonic": not (turned or claim.has("oscillate")), "turned": turned},
                        SOURCE, CF))
    return out


def _range_facts(claim: Claim, run_kind: str, base: dict[str, object], persistent: bool) -> list[Fact]:
    """Stated values past the guide's healthy range, judged like the ranges detector judges a log."""
    from assistant.detectors._ranges import beyond, range_for

    rng = range_for(run_kind, claim.metric) if claim.values else None
    if rng is None:
        return []
    out = []
    for direction, red, threshold in (("low", False, rng.low), ("low", True, rng.red_low),
                                      ("high", False, rng.high), ("high", True, rng.red_high)):
        if threshold is None:
            continue
        past = [v for v in claim.values if beyond(v, direction, red, threshold)]
        if not past or (rng.ignore_zero and all(v == 0 for v in past)):
            continue
        worst = min(past) if direction == "low" else max(past)
        out.append(Fact("symptom.out_of_range", {
            **base, "direction": direction, "threshold": threshold, "red": red, "worst": worst,
            "worst_step": claim.steps[0] if claim.steps else None, "first_step": None,
            "fraction": 1.0 if persistent else None,
            "persistent": (persistent or claim.values[-1] == worst) and not _moving_back(claim, direction),
            "last": claim.values[-1]}, SOURCE, CF))
    return out


def _healthy_high(run_kind: str, metric: str) -> float | None:
    from assistant.detectors._ranges import range_for

    rng = range_for(run_kind, metric)
    return rng.high if rng is not None else None


def _moving_back(claim: Claim, direction: str) -> bool:
    """"huge at the start, then goes down": a value past the range that the words say is leaving it."""
    return claim.last_move == ("down" if direction == "high" else "up")


def facts_from_claims(question: str, run_kind: str = "unknown") -> list[Fact]:
    """All symptom facts the question's claims stand for, plus which metric turned non-finite
    first when the words give both steps ("grad_norm inf at step 212, loss nan from 213")."""
    claims = read_claims(question)
    out = [f for c in claims for f in claim_facts(c, run_kind)] + _lr_comparison(question)
    nonfinite = {c.metric: c.steps[0] for c in claims if c.has("nonfinite") and c.steps}
    if "loss" in nonfinite and "grad_norm" in nonfinite:
        first = min(("grad_norm", "loss"), key=lambda k: (nonfinite[k], k != "grad_norm"))
        other = "loss" if first == "grad_norm" else "grad_norm"
        out.append(Fact("symptom.nan_first", {
            "metric": first, "step": nonfinite[first], "same_step": nonfinite[first] == nonfinite[other],
            "other_metric": other, "other_step": nonfinite[other], "prev_grad_norm": None, "grad_norm_before": None,
            "words": "; ".join(c.words for c in claims if c.has("nonfinite"))}, SOURCE, CF))
    return out

"""The user's words -> facts: named symptoms (phrases), quantitative claims (symptom facts as a
detector would assert them) and the numbers a memory estimate needs."""
from __future__ import annotations

import re

from assistant.engine.facts import Fact
from assistant.words._bounds import tame
from assistant.words.claims import facts_from_claims, read_claims
from assistant.words.phrases import Phrase, context_facts, load_phrases, normalise, phrase_facts
from assistant.words.quantities import facts_from_quantities

__all__ = ["Phrase", "context_facts", "facts_from_words", "kind_from_words", "load_phrases", "normalise"]

# Run kinds the user's words name, for reading their other words and the run's curves: a GRPO loss is a
# signed objective, a pretraining loss has no chat fine-tuning range.
_KIND_WORDS = {"user.ebft": "ebft", "user.grpo": "grpo", "user.sft": "sft", "user.pretraining": "pretrain"}  # in order of precedence
_WEAK_KINDS = ("sft", "unknown")


def kind_from_words(question: str, run_kind: str = "unknown") -> str:
    """The run kind to read by: a config's or log's kind, unless it is only the "sft" default and the
    words name another (GRPO, PPO, pretraining)."""
    if run_kind not in _WEAK_KINDS or not question.strip():
        return run_kind
    question = tame(question)
    named = {_KIND_WORDS[f.name] for f in phrase_facts(question) if f.name in _KIND_WORDS}
    return next((k for k in _KIND_WORDS.values() if k in named), run_kind)  # an RL run first


# A sentence that asks whether something is so states no symptom: "Does that mean the model is
# degenerating?", "I'm worried falling entropy means premature convergence". Its setup words still count.
_HYPOTHESIS = re.compile(
    r"\b(?:does|do|did|would|could|can) (?:this|that|it|these|those) (?:mean|imply|indicate|suggest|be a sign)|"
    r"\bcould (?:this|that|it) be\b|\bis (?:this|that|it) (?:a sign|because|due to|caused by)|"
    r"\b(?:i'?m|i am|am i) (?:worried|afraid|concerned|wondering)\b|\bworried (?:that|about)\b|\bis it possible that\b|"
    r"\bis (?:this|that|it) (?:[\w-]+ ){1,4}or (?:is it |is this |just )?(?:normal|expected|fine|ok|okay|healthy)\b|"
    r"\bwhat if\b|\bi (?:suspect|wonder)\b|\bmy guess is\b|\bwondering (?:if|whether)\b|会不会|是不是因为|怀疑|"
    # a yes/no question whether something causes a problem, or whether there is one: "Does LoRA cause a memory
    # leak?", "Is there a bug in the collator?" ("why does X cause Y?" asks about something seen, and "does fp16
    # cause the NaN loss?" or "is there a way to fix the NaN?" name a symptom seen: those stay)
    r"^\W*(?:so |but |and |then |also )?(?:(?:does|do|did|can|could|will|would) [^?]{1,80}?\bcause|(?:is|are) there)"
    r" (?:a |an |any |some )?(?:[\w-]+ )?(?:leak|bug|problem|issue|mistake)s?\b[^?]*\?|"
    # a guess said as a bare noun phrase ("Memory leak?", "Trainer bug?", "OOM?"), a failure feared ahead ("Will it
    # OOM soon?") and an inference put back as a question ("So my training did nothing??"): asked, not seen
    r"^\W*(?:(?:a|an|some|the) )?(?:[\w-]+ ){0,2}(?:leak|bug|problem|issue|oom|overfitting|underfitting|divergence)s?\W*\?+\W*$|"
    r"^\W*(?:so |and |but )?(?:will|would|could) (?:it|this|that|training|the (?:run|training|job|model)|my (?:run|training|job))"
    r" (?:\w+ ){0,2}?(?:oom|crash|run out of (?:gpu )?memory|hang|diverge|blow up|explode|fail)\b[^?]*\?|"
    r"^\W*so (?:my|the|it|this|that|i|we|our) (?![^?]*\b(?:why|what|how|when|where)\b)[^?]{1,100}\?")
_SENTENCE_END = re.compile(r"(?<=[!?。！？\n])\s*|(?<=\.)\s+")  # not inside "0.56"


# A consequence said as a possibility names no symptom of this run: a warning's own caveat pasted in the question
# ("this can cause the process to hang", "Disabling parallelism to avoid deadlocks", "might lead to unexpected
# behaviour") or a precaution ("I set X to avoid hangs"). The clause goes; the rest of the sentence stays, so
# "... to avoid hangs, but it still hangs" keeps its hang.
_CAVEAT = re.compile(
    r"\b(?:(?:this|which|that|it|these|they) )?(?:can|may|might|could|will likely|would|is likely to) "
    r"(?:potentially )?(?:cause|lead to|result in|trigger)\b[^.;,!?\"'`\n]*|"
    r"\b(?:in order )?to (?:avoid|prevent) [^.;,!?\"'`\n]*|"
    # a failure feared, not seen: "it looks like it could OOM at any moment", "it is about to run out of memory"
    r"\b(?:could|might|may|is about to|is going to)(?: (?:easily|soon|eventually|suddenly))? (?:oom|run out of "
    r"(?:gpu )?memory|crash|hang|blow up|explode)\b[^.;,!?\"'`\n]*", re.IGNORECASE)


# A library's warning quoted verbatim ("You are attempting to use ... without specifying a torch dtype", "X only
# supports float16 and bfloat16", "is deprecated and will be removed") is a notice the run printed and went on
# past, not a failure: its words are not the user's account of a symptom, so the meaning matcher does not read
# them. A quote that names an error (Error, Traceback, failed, cannot) stays.
_QUOTED = re.compile(r"\"[^\"]{8,600}\"|\u201c[^\u201d]{8,600}\u201d|(?<![\w'])'[^'\n]{8,600}'(?![\w'])")
_NOTICE = re.compile(
    r"\b(?:you are attempting|without specifying|only supports?|is not supported\b[^\"]{0,40}\busing|deprecat\w*|"
    r"will be removed|in a future (?:version|release)|falling back|fall back|will be cast|is cast to|casting|"
    r"might lead to|may lead to|unexpected behaviou?r|we recommend|it is recommended|consider (?:setting|using|passing)|"
    r"you should (?:run|use|set|pass)|has no effect|will be ignored|is ignored|are ignored)\b", re.IGNORECASE)
_FAULT = re.compile(r"error|exception|traceback|\bfail\w*|\bcannot\b|\bcan'?t\b|\bunable\b|no module|not found|"
                    r"illegal|segmentation|core dumped|\bnan\b|out of memory|\boom\b|killed|abort\w*", re.IGNORECASE)


def unquoted_notices(question: str) -> str:
    """The question without the library notices quoted in it (warnings, not errors)."""
    return _QUOTED.sub(lambda m: " " if _NOTICE.search(m.group()) and not _FAULT.search(m.group()) else m.group(),
                       question)


def assertions(question: str) -> str:
    """The question without the sentences that only ask about a possible cause or symptom, and without the
    clauses that only name a possible consequence."""
    kept = " ".join(s for s in _SENTENCE_END.split(question) if not _HYPOTHESIS.search(s.lower()))
    return _CAVEAT.sub(" ", kept)


def facts_from_words(question: str, run_kind: str = "unknown") -> list[Fact]:
    """Everything the question says, each fact with source "question"."""
    if not question.strip():
        return []
    question = tame(question)  # lone surrogates, digit runs the patterns would backtrack over
    context = context_facts()
    stated = assertions(question)
    found = [f for f in phrase_facts(question) if f.name in context]
    found += [f for f in phrase_facts(stated) if f.name not in context]
    found += facts_from_claims(stated, kind_from_words(question, run_kind))
    # a loss claim set aside on purpose (a GRPO loss of 0) is not to be guessed back; a claim that stood for
    # nothing else ("the responses are all at the max length": no value) leaves the meaning to the matcher
    claimed = any(c.metric in ("loss", "eval_loss") for c in read_claims(stated))
    if not claimed and not any(f.name not in context for f in found):
        from assistant.words.semantic import semantic_facts  # the embedder loads only here

        found += semantic_facts(unquoted_notices(stated), exclude=[f.name for f in found])
    return found + facts_from_quantities(question)

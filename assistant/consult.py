"""The consultation: evidence in, report out. The one thing front ends call.

attachments -> readers -> facts + metric series -> detectors -> symptom facts
question    -> phrase table -> user.* facts
answers     -> answer.* facts
all facts   -> engine -> conclusions -> ranked diagnoses, questions worth asking
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from assistant.detectors import DetectContext, infer_run_kind, run_detectors
from assistant.engine import Engine, Fact, RuleBase
from assistant.engine.facts import thaw
from assistant.evidence import read_attachment
from assistant.evidence.series import Reading
from assistant.knowledge import sections_by_anchor
from assistant.precedents import precedents, weigh_by_precedent
from assistant.report import Citation, Diagnosis, Evidence, Fix, InputSummary, Question, Report, SEVERITY_ORDER
from assistant.rulebase import Catalog, Vocabulary, load_catalog, load_project_rulebase, load_vocabulary
from assistant.words import context_facts, facts_from_words, kind_from_words

__all__ = ["Consultation", "consult", "parse_answer", "THRESHOLD"]

THRESHOLD = 0.2  # conclusions at or under this certainty are not reported (MYCIN's cut-off)
MAX_QUESTIONS = 5

Progress = Callable[[str, int, int], None]


def parse_answer(text: str) -> tuple[str, str]:
    """`FACT=VALUE` -> (answer.fact, value); the `answer.` prefix is optional."""
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise ValueError(f"answer '{text}' is not FACT=VALUE")
    if not name.startswith("answer."):
        name = "answer." + name
    return name, value


@dataclass
class Consultation:
    """A consultation that can live across turns (chat) or one turn (`ask`)."""

    question: str = ""
    attachments: list[Path] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    extra_facts: list[Fact] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    rulebase: RuleBase | None = None
    engine: Engine | None = None  # the engine of the last run, for HOW/WHY

    def attach(self, path: Path, progress: Progress | None = None) -> list[Reading]:
        """Read one attachment now; an InputError propagates to the caller."""
        cb = (lambda done, total: progress(str(path), done, total)) if progress else None
        new = read_attachment(Path(path), progress=cb)
        self.attachments.append(Path(path))
        self.readings.extend(new)
        return new

    def answer(self, fact: str, value: str) -> None:
        name, value = parse_answer(f"{fact}={value}")
        self.answers[name] = value

    def run(self) -> Report:
        """Run the engine over everything gathered so far; keeps the engine for HOW/WHY."""
        rb = self.rulebase or load_project_rulebase()
        report, self.engine = _build_report(self, rb, load_catalog(), load_vocabulary())
        return report


def consult(question: str = "", attachments: Iterable[Path] = (), answers: Iterable[str] = (),
            extra_facts: Iterable[Fact] = (), progress: Progress | None = None) -> Report:
    """One-turn consultation, as `ask` runs it."""
    c = Consultation(question=question, extra_facts=list(extra_facts))
    for path in attachments:
        c.attach(Path(path), progress)
    for a in answers:
        name, value = parse_answer(a)
        c.answers[name] = value
    return c.run()


# --- facts -------------------------------------------------------------------------------------

def _context_for(reading: Reading, known: list[Fact], question: str) -> DetectContext:
    """What the detectors should know about a run: its kind, length and caps.

    A config attached beside the log says more than the metric names do: `rl:`
    gives the kind, max_steps the length, max_completion_length the cap that
    completion lengths grow toward. A config that only defaults to "sft" (no `rl:`)
    yields to reward metrics in the log, then to the kind the question names.
    """
    def first(name: str) -> Any:
        return next((f.value for f in known if f.name == name), None)

    kind = first("run.kind") or "unknown"
    if kind in ("sft", "unknown"):
        inferred = infer_run_kind(reading.series.keys())
        kind = inferred if inferred not in ("sft", "unknown") else kind_from_words(question, kind if kind != "unknown" else inferred)
    max_steps = first("run.max_steps") or first("config.max_steps")
    caps = {}
    cap = first("config.trl.max_completion_length")
    if isinstance(cap, (int, float)) and cap > 0:
        caps["completions/mean_length"] = float(cap)
    return DetectContext(run_kind=str(kind), source=Path(reading.path).name,
                         max_steps=int(max_steps) if isinstance(max_steps, (int, float)) else None, caps=caps)


def gather_facts(c: Consultation, warnings: list[str]) -> tuple[list[Fact], list[InputSummary]]:
    read_facts = [f for r in c.readings for f in r.facts]
    facts: list[Fact] = []
    inputs: list[InputSummary] = []
    for reading in c.readings:
        rf = list(reading.facts)
        if reading.series:
            ctx = _context_for(reading, read_facts, c.question)
            symptoms, detector_warnings = run_detectors(reading.series, ctx)
            rf.extend(symptoms)
            warnings.extend(f"{Path(reading.path).name}: {w}" for w in detector_warnings)
            if ctx.run_kind != "unknown":
                rf.append(Fact("run.kind", ctx.run_kind, source=Path(reading.path).name))
        facts.extend(rf)
        inputs.append(InputSummary(reading.path, reading.kind, len(rf), list(reading.warnings)))
        warnings.extend(reading.warnings)
    facts.extend(c.extra_facts)
    facts = _dedupe_run_kind(facts)
    kind = next((f.value for f in facts if f.name == "run.kind"), "unknown")
    logged = {f.value for f in facts if f.name == "metric.logged"}
    # The user's reading of a curve the log holds gives way to the detectors' reading of it.
    facts.extend(f for f in facts_from_words(c.question, kind)
                 if not (f.name.startswith("symptom.") and f.attr("metric") in logged))
    if kind in ("sft", "unknown") and kind_from_words(c.question, kind) not in ("sft", "unknown"):
        facts = [f for f in facts if f.name != "run.kind"] + [Fact("run.kind", kind_from_words(c.question, kind), "question")]
    facts.extend(Fact(name, _coerce(value), source="answer") for name, value in c.answers.items())
    return facts + _estimate(facts), inputs


_MEMORY_FACTS = frozenset({"user.gpu_memory_gib", "probe.gpu.memory_free_gib"})


def _estimate(facts: list[Fact]) -> list[Fact]:
    """The memory estimate, when a memory per GPU is known (the estimator loads only then)."""
    names = {f.name for f in facts}
    if not names & _MEMORY_FACTS or any(n.startswith("estimate.") for n in names):
        return []
    from assistant.estimate.facts import estimate_from_facts

    return estimate_from_facts(facts)


def _coerce(value: str) -> Any:
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def _dedupe_run_kind(facts: list[Fact]) -> list[Fact]:
    """A config's `rl:` beats a kind inferred from metric names; keep one run.kind."""
    kinds = [f for f in facts if f.name == "run.kind"]
    if len(kinds) <= 1:
        return facts
    best = next((f for f in kinds if f.value not in ("sft", "unknown")), kinds[0])
    return [f for f in facts if f.name != "run.kind"] + [best]


# --- engine ------------------------------------------------------------------------------------

def _leads(question: str, facts: list[Fact]) -> list[Fact]:
    """No rule explained the question: its clauses read by meaning once more, at the looser lead
    threshold (rules/meanings.yaml). Not for a question that only asks whether a run is normal."""
    if not question.strip() or any(f.name == "user.healthy_check" for f in facts):
        return []
    from assistant.words import assertions, tame
    from assistant.words.semantic import semantic_facts

    return semantic_facts(assertions(tame(question)), exclude=sorted({f.name for f in facts}), lead=True)


def _run_engine(rb: RuleBase, facts: list[Fact]) -> Engine:
    eng = Engine(rb)
    for f in facts:
        eng.assert_fact(f)
    eng.run()
    return eng


def _scores(eng: Engine) -> dict[str, float]:
    return {c.id: c.cf for c in eng.conclusions()}


# --- report ------------------------------------------------------------------------------------

def _build_report(c: Consultation, rb: RuleBase, catalog: Catalog, vocab: Vocabulary) -> tuple[Report, Engine]:
    warnings: list[str] = []
    facts, inputs = gather_facts(c, warnings)
    eng = _run_engine(rb, facts)
    leads = [] if any(concl.cf > THRESHOLD for concl in eng.conclusions()) else _leads(c.question, facts)
    if leads:
        facts = facts + leads
        eng = _run_engine(rb, facts)
    trouble = _Trouble(vocab)
    diagnoses = [_diagnosis(eng, concl, catalog, trouble) for concl in eng.conclusions() if concl.cf > THRESHOLD]
    if len(diagnoses) > 1:   # something to reorder: a lone finding keeps the rules' certainty
        weigh_by_precedent(diagnoses, precedents(c.question))
    symptoms = sorted({f.name for f in facts if trouble.shown(f)})
    if symptoms:
        _advice_below_causes(diagnoses)
    else:
        _setup_only_as_checks(diagnoses)
    failed = any(vocab.shows_failure(f.name) for f in facts)
    healthy_check = any(f.name == "user.healthy_check" for f in facts) and not failed
    if not failed and any(f.name in VERDICT_ASKED for f in facts):
        _words_only_as_checks(diagnoses)
    if any(d.severity in ALARMS for d in diagnoses) and all(f.source == "question" for f in facts if trouble.shown(f)):
        _alarms_like_healthy_threads(c.question, diagnoses, warnings)
    if leads and diagnoses:
        for d in diagnoses:   # reached only through the looser reading: something to check, not a finding
            d.severity = "info"
        warnings.append("no rule matched your description firmly; the diagnoses below are leads from a looser "
                        "reading of your words - answer the questions or attach a log to confirm or rule them out")
    diagnoses.sort(key=lambda d: (-round(d.certainty, 3), SEVERITY_ORDER.get(d.severity, 3), d.id))
    ruled_out = [concl.id for concl in eng.conclusions() if concl.cf <= -THRESHOLD]
    # Leads for a problem the rules explain with fewer than three findings: not for a question asking for
    # information ("what does X mean?", "will it fit?", with no symptom) nor for "is this normal?", which the
    # rules answer; and where the rules read the attached evidence and found nothing, only when the user's
    # own words say something is wrong (a log need not show every failure; "is my eval loss fine?" asks
    # for a verdict).
    info_question = not symptoms and any(f.name == "user.info_question" for f in facts)
    told = any(f.source == "question" and trouble.shown(f) for f in facts)
    if (len(diagnoses) < LEADS_UP_TO and not healthy_check and not info_question
            and (diagnoses or not inputs or told)):
        weighed = {concl.id for concl in eng.conclusions()}  # ids a rule spoke to, for or against: theirs to rank
        diagnoses += _text_leads(c.question, diagnoses, weighed, catalog, warnings)
    questions = rank_questions(eng, rb, vocab, facts)
    report = Report(
        question=c.question,
        inputs=inputs,
        diagnoses=diagnoses,
        questions=questions,
        facts=[{"name": f.name, "value": thaw(f.value), "source": f.source} for f in facts],
        ruled_out=ruled_out,
        warnings=warnings,
        symptoms=symptoms,
    )
    report.answer = templated_answer(report)
    _ground(report)
    return report, eng


LEADS_UP_TO = 3   # findings a report is filled up to from the guide's text and resolved threads (retrieval/leads.py)
LEAD_CF = 0.2     # their certainty: under every rule's finding


def _text_leads(question: str, diagnoses: list[Diagnosis], weighed: set[str], catalog: Catalog,
                warnings: list[str]) -> list[Diagnosis]:
    """The report filled up to LEADS_UP_TO findings with the catalog ids that the guide sections and the
    resolved threads closest to the question point at, below the rules' findings and as info: leads to
    check, never alarms."""
    from assistant.retrieval.leads import leads

    try:
        found = leads(question, {d.id for d in diagnoses} | weighed, LEADS_UP_TO - len(diagnoses))
    except Exception as e:  # noqa: BLE001 - a broken index costs the leads, never the consultation
        warnings.append(f"the guide could not be searched for leads: {e}")
        return []
    floor = min((d.certainty for d in diagnoses), default=LEAD_CF + 0.01)
    out = []
    for i, lead in enumerate(found):
        evidence, citations, trace = [], _citations([lead.guide.anchor]) if lead.guide else [], []
        if lead.guide:
            evidence.append(Evidence(fact="lead.guide", source="question", text=(
                f"your description reads close to the guide's section \"{lead.guide.section}\" (match "
                f"{lead.guide.rank} of the search)")))
            trace.append(f"guide search: the question matched {lead.guide.anchor} (rank {lead.guide.rank}), which "
                         f"knowledge/catalog-map.yaml files under {lead.id}")
        if lead.thread:
            case = lead.thread.case
            evidence.append(Evidence(fact="lead.thread", source="question", text=(
                f"a resolved thread reads like yours (similarity {lead.thread.similarity:.2f}): {case.source}"
                + (f" - {case.resolution}" if case.resolution else ""))))
            citations.append(Citation(doc=case.source, section=f"resolved thread {case.source}",
                                      snippet=case.resolution))
            trace.append(f"resolved threads: the closest ones with this cause vote for {lead.id} "
                         f"(closest: {case.name}, similarity {lead.thread.similarity:.2f})")
        evidence.append(Evidence(fact="lead", source="question", text="no rule reached this from the evidence"))
        out.append(Diagnosis(
            id=lead.id, title=catalog.title(lead.id),
            certainty=round(max(0.0, min(LEAD_CF, floor - 0.01) - 0.01 * i), 3), severity="info",
            evidence=evidence, citations=citations, trace=[*trace, "a lead, not a rule's conclusion"]))
    if out:
        warnings.append(f"the last {len(out)} finding(s) are leads from the guide's text and resolved threads, not "
                        "from a rule: check them, answer the questions, or attach a log to confirm or rule them out")
    return out


class _Trouble:
    """Which facts show something going wrong, and which can explain it."""

    EXPLAINING = ("probe.", "estimate.", "answer.")  # the host, a prediction, the user's answers

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.context = context_facts()

    def shown(self, fact: Any) -> bool:
        """A symptom: a detector's finding, an error or marker in a log, or a symptom the user named."""
        name = fact.name
        if self.vocab.describes_setup(name) or name in self.context or name.startswith(self.EXPLAINING):
            return False
        return not (name.startswith("user.") and not isinstance(fact.value, Mapping))  # user.model_params: a number

    def explains(self, fact: Any) -> bool:
        return self.shown(fact) or fact.name.startswith(self.EXPLAINING)


def _advice_below_causes(diagnoses: list[Diagnosis]) -> None:
    """When there is a symptom, advice that does not explain it (no eval set, no logging) never ranks
    above a cause that does: its certainty, as an answer to this question, is held under theirs."""
    causes = [d.certainty for d in diagnoses if d.explains_symptom]
    if not causes:
        return
    ceiling = round(min(causes) * 0.9, 3)
    for d in diagnoses:
        if not d.explains_symptom and d.certainty > ceiling:
            d.certainty = ceiling


def _setup_only_as_checks(diagnoses: list[Diagnosis]) -> None:
    """Nothing shows a problem (no symptom, no error, in the evidence or the words): a finding read from the
    setup alone (an unusual learning rate, a missing eval set) is something to check, not an alarm. A
    prediction from the memory estimate or this machine's probe keeps its severity: it foresees a failure."""
    for d in diagnoses:
        if d.severity == "warning" and not any(e.fact.startswith(_Trouble.EXPLAINING) for e in d.evidence):
            d.severity = "info"


ALARMS = ("warning", "critical")
# The user asks for a verdict on what they describe: "is this normal?" (user.healthy_check, which the rules and the
# leads read too) or the same worry said tersely or another way ("normal?", "broken or fine?", "can I ignore it?":
# user.asks_verdict, read only here). Either way a finding that rests on their words alone is a check, not an alarm.
# Or they describe a behaviour the guide and maintainers call expected (the loss stepping down at each new epoch, the
# eval loss under the train loss, a logged grad_norm above max_grad_norm, fp16 overflow while the loss scale
# calibrates at the start: user.expected_pattern, vetoed by harm said beside it) and ask why or how to fix it: their
# words alone cannot make that an alarm either.
VERDICT_ASKED = ("user.healthy_check", "user.asks_verdict", "user.expected_pattern")
HEALTHY_SHARE = 0.6   # of the closest resolved threads (retrieval/cases.py): chosen on the dev split


def _alarms_like_healthy_threads(question: str, diagnoses: list[Diagnosis], warnings: list[str]) -> None:
    """Only the user's words show trouble, and they read like threads that maintainers answered with
    "this is expected": the findings that rest on those words alone stay, ranked as they are, as things to
    check rather than alarms. A finding that the user's own files back as well (a learning rate in their
    config that explains the plateau they describe) is stronger evidence than a resemblance: it keeps its alarm."""
    from assistant.retrieval.cases import library_and_vector

    found = library_and_vector(question)
    if found is None:
        return
    library, vector = found
    share, closest = library.healthy_share(vector)
    if share < HEALTHY_SHARE or closest is None:
        return
    words_only = [d for d in diagnoses if d.severity in ALARMS and all(e.source == "question" for e in d.evidence)]
    if not words_only:
        return
    for d in words_only:
        d.severity = "info"
    warnings.append(f"threads that read like yours were answered as expected behaviour (closest: {closest.source}"
                    + (f" - {closest.resolution}" if closest.resolution else "") + "); the findings that rest on "
                    "your words alone are things to check, not alarms")


def _words_only_as_checks(diagnoses: list[Diagnosis]) -> None:
    """The user asks whether what they see is normal, and nothing failed outright: a hypothesis that
    rests on their description alone is something to check (info), not an alarm."""
    for d in diagnoses:
        if d.severity in ALARMS and d.evidence and all(e.source == "question" for e in d.evidence):
            d.severity = "info"


def _ground(report: Report) -> None:
    """Grounding hook (issue 4): user-doc passages for each diagnosis, or an answer from the docs to
    a question no rule covers. The check is cheap; the index (chromadb, numpy) loads only if needed."""
    from assistant.retrieval.grounding import ground, needs_retrieval

    if needs_retrieval(report):
        ground(report)


def _fact_by_id(eng: Engine, fid: int) -> Any:
    return eng.fact(fid)


def _input_sources(eng: Engine, fact_ids: Iterable[int], seen: set[int] | None = None) -> list[Any]:
    """The input facts under a justification, walking down through derived facts."""
    seen = seen if seen is not None else set()
    out = []
    for fid in fact_ids:
        if fid in seen:
            continue
        seen.add(fid)
        wf = _fact_by_id(eng, fid)
        if wf is None:
            continue
        just = eng.justifications(fid)
        if just:
            for j in just:
                out.extend(_input_sources(eng, j.premise_ids, seen))
        else:
            out.append(wf)
    return out


def _diagnosis(eng: Engine, concl: Any, catalog: Catalog, trouble: _Trouble) -> Diagnosis:
    positive = sorted((j for j in concl.justifications if j.cf > 0), key=lambda j: -j.cf)
    meta0 = positive[0].meta if positive else {}
    severity = (meta0 or {}).get("severity") or catalog.severity(concl.id)
    evidence: list[Evidence] = []
    fixes: list[Fix] = []
    anchors: list[str] = []
    explains = False
    for j in positive:
        meta = j.meta or {}
        inputs = _input_sources(eng, j.premise_ids)
        explains = explains or any(trouble.explains(f) for f in inputs)
        primary = inputs[0] if inputs else None
        text = meta.get("evidence") or ""
        if text:
            evidence.append(Evidence(fact=primary.name if primary else j.rule_id, text=text,
                                     source=(primary.source if primary else "") or ""))
        for fx in meta.get("fixes") or []:
            fix = Fix(text=fx.get("text", ""), config_patch=_numbers(fx.get("config_patch")), command=fx.get("command"))
            if all(fix.text != f.text for f in fixes):
                fixes.append(fix)
        anchors.extend(a for a in meta.get("guide") or [] if a not in anchors)
    return Diagnosis(
        id=concl.id,
        title=catalog.title(concl.id),
        certainty=round(max(0.0, min(1.0, concl.cf)), 3),
        severity=severity,
        evidence=_dedupe_evidence(evidence),
        fixes=fixes,
        citations=_citations(anchors),
        trace=_trace(eng, concl.id),
        explains_symptom=explains,
    )


def _dedupe_evidence(items: list[Evidence]) -> list[Evidence]:
    seen: set[str] = set()
    out = []
    for e in items:
        if e.text not in seen:
            seen.add(e.text)
            out.append(e)
    return out


def _numbers(patch: Any) -> dict[str, Any] | None:
    """Config patches are rendered from templates: numeric strings become numbers again,
    and keys whose template had nothing to fill ('?': the config was not attached) are
    dropped rather than shown as a value to paste."""
    if not patch:
        return None
    out = {}
    for k, v in dict(patch).items():
        v = _number(v)
        if v == "?" or v == {}:
            continue
        out[k] = v
    return out or None


def _number(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: x for k, x in ((k, _number(x)) for k, x in v.items()) if x != "?" and x != {}}
    if isinstance(v, str):
        try:
            num = float(v)
        except ValueError:
            return v
        return int(num) if num.is_integer() and "." not in v and "e" not in v.lower() else num
    return thaw(v)


def _citations(anchors: list[str]) -> list[Citation]:
    sections = sections_by_anchor()
    out = []
    for a in anchors:
        s = sections.get(a)
        if s is not None:
            out.append(Citation(doc=s.doc, section=s.heading_path, snippet=s.snippet(), anchor=a))
    return out


def _trace(eng: Engine, conclusion_id: str) -> list[str]:
    """Rule ids on the way to a conclusion, deepest first (the order they fired)."""
    order: list[str] = []

    def walk(node: Any) -> None:
        for p in getattr(node, "premises", []) or []:
            sub = getattr(p, "explanation", None)
            if sub is not None:
                for s in sub if isinstance(sub, list) else [sub]:
                    walk(s)
        rid = getattr(node, "rule_id", None)
        if rid and rid not in order:
            order.append(rid)

    how = eng.how(conclusion_id)
    for node in how if isinstance(how, list) else [how]:
        walk(node)
    return order


# --- follow-up questions -----------------------------------------------------------------------

def rank_questions(eng: Engine, rb: RuleBase, vocab: Vocabulary, facts: list[Fact]) -> list[Question]:
    """Unanswered askable facts ranked by how much their answer would move the ranking.

    For each choice, the hypothetical answer is asserted, the engine runs, the
    change in certainties is measured, and the answer is retracted again. The
    value of a question is the mean change over its choices (value of information
    with uniform priors); a question whose answer changes nothing is not asked.
    """
    present = {f.name for f in facts}
    referenced = set()
    for names in rb.referenced_facts().values():
        referenced.update(names)
    base = _scores(eng)
    in_play = _candidates(base, base)
    ranked: list[Question] = []
    for name, ask in vocab.askable.items():
        if name in present or name not in referenced or any(k in present for k in ask.known_from):
            continue
        choices = [c for c in (ask.choices or ()) if c not in ("unknown", "not_tried", "not_checked")]
        if not choices or not _reaches(rb, name, in_play):
            continue
        deltas, moved = [], set()
        for choice in choices:
            fid = eng.assert_fact(Fact(name, _coerce(choice), source="answer"))
            eng.run()
            after = _scores(eng)
            eng.retract(fid)
            eng.run()
            judged = _candidates(base, after)
            change = {k: after.get(k, 0.0) - base.get(k, 0.0) for k in judged}
            flipped = _top(after, judged) != _top(base, judged)
            deltas.append(sum(abs(v) for v in change.values()) + (0.5 if flipped else 0.0))
            moved.update(k for k, v in change.items() if abs(v) >= 0.05)
        value = sum(deltas) / len(deltas)
        if value < 0.05:
            continue
        why = _why_text(moved, base)
        ranked.append(Question(fact=name, text=ask.text, choices=list(ask.choices) if ask.choices else None,
                               why=why, value=round(value, 3)))
    ranked.sort(key=lambda q: (-q.value, q.fact))
    return ranked[:MAX_QUESTIONS]


def _reaches(rb: RuleBase, name: str, conclusions: set[str]) -> bool:
    """Whether an answer to `name` can move any of these conclusions: some rule that watches it
    leads to one of them (`RuleBase.leads_to` follows the same index the engine re-matches by).
    One that cannot changes no score a question is judged on, so its value would be 0: it is
    not tried on the engine at all."""
    return any(rb.leads_to(rb.rules[p].id) & conclusions for p in rb.mentioning(name))


def _candidates(base: dict[str, float], after: dict[str, float]) -> set[str]:
    """The conclusions a question is judged on: those already in play.

    An answer that would only conjure a conclusion nothing points to yet does
    not separate the causes at hand, so it is not worth asking.
    """
    return {k for k, v in base.items() if v > THRESHOLD}


def _top(scores: dict[str, float], among: set[str]) -> str | None:
    live = {k: v for k, v in scores.items() if v > THRESHOLD and k in among}
    return max(live, key=live.get) if live else None


def _why_text(moved: set[str], base: dict[str, float]) -> str:
    confirm = sorted(k for k in moved if base.get(k, 0.0) > THRESHOLD)
    new = sorted(k for k in moved if base.get(k, 0.0) <= THRESHOLD)
    parts = []
    if confirm:
        parts.append("would confirm or rule out " + ", ".join(confirm))
    if new:
        parts.append("could raise " + ", ".join(new))
    return "; ".join(parts)


# --- prose -------------------------------------------------------------------------------------

def templated_answer(report: Report) -> str:
    """A short prose answer without an LLM: the top findings and the next step."""
    if not report.diagnoses:
        if report.symptoms and report.questions:
            return ("Nothing in the evidence explains the symptom yet. The answer that would help most: "
                    + report.questions[0].text)
        if any(i.kind != "unknown" for i in report.inputs):
            return "Nothing in the evidence points to a known failure; the run looks healthy by the guide's ranges."
        return "I could not tie the question to a known failure yet; attach the training log or config, or answer a question below."
    top = report.diagnoses[0]
    if report.symptoms and not top.explains_symptom:
        lines = ["Nothing in the evidence explains the symptom yet; what follows is general advice about the setup."]
        if report.questions:
            lines.append("The answer that would help most: " + report.questions[0].text)
        lines.append(f"Advice: {top.title} ({top.id}).")
        return " ".join(lines)
    lines = [f"Most likely: {top.title} ({top.id}, certainty {top.certainty:.2f})."]
    if top.evidence:
        lines.append("Because " + top.evidence[0].text.rstrip(".") + ".")
    if top.fixes:
        lines.append("First fix: " + top.fixes[0].text.rstrip(".") + ".")
    others = [d.id for d in report.diagnoses[1:3]]
    if others:
        lines.append("Also consider: " + ", ".join(others) + ".")
    return " ".join(lines)



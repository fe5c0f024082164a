from assistant.engine import Fact, format_how

ZOO = """
rules:
  - id: feathers
    description: feathers make a bird
    when: {fact: animal.covering, eq: feathers}
    then:
      assert: [{fact: animal.class, value: bird, cf: 0.9}]
  - id: flies
    description: a bird that flies
    when:
      all:
        - {fact: animal.class, eq: bird}
        - {fact: animal.moves, eq: flying}
    then:
      assert: [{fact: animal.flying_bird}]
  - id: swallow
    description: small flying birds in summer
    when:
      all:
        - {fact: animal.flying_bird}
        - {fact: season, in: [spring, summer]}
    then:
      conclude: swallow
      cf: 0.7
      evidence: "flying bird seen in {season}"
  - id: penguin
    when:
      all:
        - {fact: animal.class, eq: bird}
        - {fact: animal.moves, eq: swimming}
    then: {conclude: penguin}
  - id: unrelated
    when: {fact: weather}
    then: {conclude: umbrella}
"""

FACTS = [("animal.covering", "feathers", "notebook:3"), ("animal.moves", "flying", "notebook:4"), ("season", "summer", "calendar")]


def test_trace_in_order(engine):
    eng = engine(ZOO, *FACTS)
    ids = {f.name: f.id for f in eng.facts()}
    assert [(t.step, t.rule_id, t.premise_ids, t.asserted_ids) for t in eng.trace] == [
        (1, "feathers", (ids["animal.covering"],), (ids["animal.class"],)),
        (2, "flies", (ids["animal.class"], ids["animal.moves"]), (ids["animal.flying_bird"],)),
        (3, "swallow", (ids["animal.flying_bird"], ids["season"]), (ids["conclusion.swallow"],)),
    ]


def test_how_tree_names_rules_and_input_facts(engine):
    eng = engine(ZOO, *FACTS)
    [top] = eng.how("swallow")
    assert (top.rule_id, top.description, round(top.cf, 3)) == ("swallow", "small flying birds in summer", 0.63)
    assert top.meta == {"evidence": "flying bird seen in summer"}
    bird, season = top.premises
    assert (season.name, season.value, season.source, season.is_input) == ("season", "summer", "calendar", True)
    assert season.explanation is None
    assert bird.name == "animal.flying_bird" and not bird.is_input
    [flies] = bird.explanation
    assert flies.rule_id == "flies"
    cls, moves = flies.premises
    assert (moves.name, moves.source) == ("animal.moves", "notebook:4")
    [feathers] = cls.explanation
    assert feathers.rule_id == "feathers" and feathers.premises[0].source == "notebook:3"
    assert eng.how("penguin") == []


def test_how_as_text(engine):
    text = format_how(engine(ZOO, *FACTS).how("swallow"))
    assert text.splitlines()[0] == "rule swallow (cf +0.63): small flying birds in summer"
    assert "      animal.covering = 'feathers' (cf 1.00, from notebook:3)" in text


def test_why_follows_chains(engine):
    eng = engine(ZOO)
    assert [(w.rule_id, w.conclusions) for w in eng.why("animal.covering")] == [("feathers", ("penguin", "swallow"))]
    assert [(w.rule_id, w.conclusions) for w in eng.why("animal.moves")] == [("flies", ("swallow",)), ("penguin", ("penguin",))]
    assert eng.why("colour") == []


def test_referenced_facts(rulebase):
    refs = rulebase(ZOO).referenced_facts()
    assert refs["swallow"] == {"animal.flying_bird", "season"}
    assert refs["unrelated"] == {"weather"}


def test_justifications_name_premises(engine):
    eng = engine(ZOO, *FACTS, Fact("weather", "rain", "window"))
    concl = {c.id: c for c in eng.conclusions()}
    assert list(concl) == ["umbrella", "swallow"]  # most certain first
    [j] = concl["umbrella"].justifications
    assert j.rule_id == "unrelated" and eng.fact(j.premise_ids[0]).source == "window"

"""Engine semantics on toy rulebases about plumbing, animals and weather."""
import logging

import pytest

from assistant.engine import Engine, Fact, load_rulebase

from .conftest import cfs

PLUMBING = """
rules:
  - id: water.on_floor
    description: a wet floor is a symptom
    when: {fact: sensor.moisture, gt: 0.5}
    then:
      assert: [{fact: symptom.wet_floor, cf: 0.9}]
  - id: leak.under_sink
    description: a wet floor under an old sink points at the sink trap
    when:
      all:
        - {fact: symptom.wet_floor}
        - {fact: sink.age, ge: 10, as: age}
    then:
      assert: [{fact: cause.trap_leak, cf: 0.8}]
  - id: fix.trap
    when: {fact: cause.trap_leak}
    then:
      conclude: replace_trap
      cf: 0.5
      severity: warning
      evidence: "sink is {sink.age} years old; moisture {sensor.moisture:.2f} from {sensor.moisture.source}"
"""


def test_three_level_chain(engine):
    eng = engine(PLUMBING, ("sensor.moisture", 0.8, "hygrometer:12"), ("sink.age", 15, "survey"))
    [c] = eng.conclusions()
    assert c.id == "replace_trap"
    assert c.cf == pytest.approx(0.5 * 0.8 * 0.9)
    assert [f.rule_id for f in eng.trace] == ["water.on_floor", "leak.under_sink", "fix.trap"]
    [cause] = eng.facts("cause.trap_leak")
    assert cause.source == "rule:leak.under_sink" and cause.cf == pytest.approx(0.72)
    assert c.justifications[0].meta == {
        "severity": "warning", "evidence": "sink is 15 years old; moisture 0.80 from hygrometer:12",
    }


def test_chain_stops_where_a_link_is_missing(engine):
    eng = engine(PLUMBING, ("sensor.moisture", 0.8), ("sink.age", 3))
    assert eng.conclusions() == []
    assert eng.facts("symptom.wet_floor")


def test_input_certainty_scales_the_chain(engine):
    eng = engine(PLUMBING, Fact("sensor.moisture", 0.8, "guess", 0.5), ("sink.age", 15))
    assert cfs(eng) == {"replace_trap": pytest.approx(0.5 * 0.8 * 0.9 * 0.5)}


SALIENCE = """
rules:
  - id: low
    when: {fact: bird.seen}
    then: {conclude: low}
  - id: high
    salience: 10
    when: {fact: bird.seen}
    then: {conclude: high}
  - id: middle
    salience: 5
    when: {fact: bird.seen}
    then: {conclude: middle}
"""


def test_salience_orders_firing(engine):
    eng = engine(SALIENCE, ("bird.seen", "robin"))
    assert [f.rule_id for f in eng.trace] == ["high", "middle", "low"]


RECENCY = """
rules:
  - id: about_old
    when: {fact: weather.old}
    then: {conclude: old}
  - id: about_new
    when: {fact: weather.new}
    then: {conclude: new}
"""


def test_recency_breaks_salience_ties(engine):
    eng = engine(RECENCY, ("weather.old", 1), ("weather.new", 2))
    assert [f.rule_id for f in eng.trace] == ["about_new", "about_old"]
    eng = engine(RECENCY, ("weather.new", 2), ("weather.old", 1))
    assert [f.rule_id for f in eng.trace] == ["about_old", "about_new"]


REFRACTION = """
rules:
  - id: count.birds
    when: {fact: bird.seen}
    then:
      assert: [{fact: bird.logged, expr: "bird.seen"}]
"""


def test_refraction_once_per_binding(engine):
    eng = engine(REFRACTION, ("bird.seen", "robin"))
    assert len(eng.trace) == 1
    eng.assert_fact(Fact("weather", "rain"))
    assert eng.run() == 0
    eng.assert_fact(Fact("bird.seen", "robin"))  # the same fact again
    assert eng.run() == 0
    eng.assert_fact(Fact("bird.seen", "wren"))
    assert eng.run() == 1
    assert sorted(f.value for f in eng.facts("bird.logged")) == ["robin", "wren"]


TWO_RULES = """
rules:
  - id: by_tracks
    when: {fact: tracks.seen}
    then: {conclude: fox, cf: 0.6}
  - id: by_sound
    when: {fact: bark.heard}
    then: {conclude: fox, cf: 0.5}
  - id: by_dog
    when: {fact: dog.owned}
    then: {conclude: fox, cf: -0.5}
  - id: by_fence
    when: {fact: fence.intact}
    then: {conclude: fox, cf: -1}
"""


def test_two_rules_combine(engine):
    assert cfs(engine(TWO_RULES, ("tracks.seen", True), ("bark.heard", True))) == {"fox": pytest.approx(0.8)}


def test_negative_evidence_lowers(engine):
    eng = engine(TWO_RULES, ("tracks.seen", True), ("bark.heard", True), ("dog.owned", True))
    assert cfs(eng) == {"fox": pytest.approx((0.8 - 0.5) / (1 - 0.5))}


def test_minus_one_rules_out(engine):
    eng = engine(TWO_RULES, ("tracks.seen", True), ("bark.heard", True), ("fence.intact", True))
    assert cfs(eng) == {"fox": -1.0}


ANY_RULE = """
rules:
  - id: either
    when:
      any:
        - {fact: clue.a}
        - {fact: clue.b}
    then: {conclude: found, cf: 0.8}
"""


def test_alternatives_of_one_rule_take_the_strongest(engine):
    eng = engine(ANY_RULE, Fact("clue.a", True, "x", 0.5), Fact("clue.b", True, "y", 0.9))
    assert cfs(eng) == {"found": pytest.approx(0.8 * 0.9)}
    assert len(eng.conclusions()[0].justifications) == 2


WEAK = """
rules:
  - id: faint
    when: {fact: noise.heard}
    then:
      assert: [{fact: maybe.mouse, cf: 0.15}]
  - id: mouse
    when: {fact: maybe.mouse}
    then: {conclude: mouse}
  - id: second_opinion
    when: {fact: droppings.seen}
    then:
      assert: [{fact: maybe.mouse, cf: 0.9}]
"""


def test_weak_derived_facts_do_not_satisfy_conditions(engine):
    eng = engine(WEAK, ("noise.heard", True))
    assert eng.facts("maybe.mouse")[0].cf == pytest.approx(0.15)
    assert eng.conclusions() == []


def test_certainty_rising_later_lets_downstream_fire_with_the_current_value(engine):
    eng = engine(WEAK, ("noise.heard", True))
    eng.assert_fact(Fact("droppings.seen", True))
    eng.run()
    assert cfs(eng) == {"mouse": pytest.approx(0.15 + 0.9 * 0.85)}


SUPPORT = """
rules:
  - id: from_a
    when: {fact: evidence.a}
    then:
      assert: [{fact: mid.x, cf: 0.6}]
  - id: from_b
    when: {fact: evidence.b}
    then:
      assert: [{fact: mid.x, cf: 0.5}]
  - id: from_c
    when: {fact: evidence.c}
    then:
      assert: [{fact: mid.y}]
  - id: top
    when: {fact: mid.x}
    then: {conclude: top, cf: 0.9}
  - id: top_y
    when: {fact: mid.y}
    then: {conclude: other}
"""


def test_retraction_keeps_multiply_supported_facts_with_recomputed_cf(engine):
    eng = Engine(load_rulebase([]))  # an empty rulebase is fine
    assert eng.run() == 0
    eng = engine(SUPPORT, ("evidence.a", 1), ("evidence.b", 1), ("evidence.c", 1))
    assert cfs(eng) == {"top": pytest.approx(0.9 * 0.8), "other": 1.0}
    a = eng.facts("evidence.a")[0].id
    eng.retract(a)
    assert eng.facts("mid.x")[0].cf == pytest.approx(0.5)
    assert cfs(eng) == {"top": pytest.approx(0.45), "other": 1.0}
    c = eng.facts("evidence.c")[0].id
    eng.retract(c)
    assert eng.facts("mid.y") == [] and "other" not in cfs(eng)
    eng.retract(eng.facts("evidence.b")[0].id)
    assert eng.conclusions() == [] and [f.name for f in eng.facts()] == []


def test_retract_unknown_fact(engine):
    with pytest.raises(KeyError):
        engine(SUPPORT).retract(42)


NEGATION = """
rules:
  - id: no_rain
    when:
      all:
        - {fact: sky.cloudy}
        - {absent: rain.falling}
    then: {conclude: take_no_umbrella, cf: 0.6}
  - id: wet
    when: {not: {fact: ground.dry, is_true: true}}
    then:
      assert: [{fact: ground.wet}]
"""


def test_retraction_enables_a_not_rule(engine):
    eng = engine(NEGATION, ("sky.cloudy", True), ("rain.falling", True), ("ground.dry", True))
    assert cfs(eng) == {}
    eng.retract(eng.facts("rain.falling")[0].id)
    assert cfs(eng) == {}  # retracting matches; only run() fires
    assert eng.run() == 1
    assert cfs(eng) == {"take_no_umbrella": 0.6}


def test_asserting_withdraws_what_a_not_rule_concluded(engine):
    eng = engine(NEGATION, ("sky.cloudy", True))
    assert "take_no_umbrella" in cfs(eng) and eng.facts("ground.wet")
    eng.assert_fact(Fact("rain.falling", True))
    eng.assert_fact(Fact("ground.dry", True))
    assert cfs(eng) == {} and eng.facts("ground.wet") == []


def test_refraction_forgets_firings_on_retracted_facts(engine):
    eng = engine(REFRACTION, ("bird.seen", "robin"))
    fid = eng.facts("bird.seen")[0].id
    eng.retract(fid)
    assert eng.facts("bird.logged") == []
    eng.assert_fact(Fact("bird.seen", "robin"))
    assert eng.run() == 1


EXPR_ASSERT = """
rules:
  - id: area
    when:
      all:
        - {fact: room.width, as: w}
        - {fact: room.length}
    then:
      assert:
        - {fact: room.area, expr: "w * room.length"}
        - {fact: room.volume, expr: "w * room.length * room.height"}
        - {fact: room.big, expr: "w * room.length > 20", cf: 0.7}
  - id: paint
    when: {fact: room.area, gt: 10}
    then:
      conclude: buy_more_paint
      evidence: "area {room.area:g} m2, height {room.height}"
"""


def test_assert_expr_values_and_undefined_skips(engine):
    eng = engine(EXPR_ASSERT, ("room.width", 3), ("room.length", 4.5))
    assert [f.value for f in eng.facts("room.area")] == [13.5]
    assert eng.facts("room.volume") == []  # room.height unknown: that assert is skipped
    assert eng.facts("room.big")[0].value is False and eng.facts("room.big")[0].cf == 0.7
    assert eng.conclusions()[0].justifications[0].meta == {"evidence": "area 13.5 m2, height ?"}


def test_facts_read_by_then_are_premises_and_redo_the_firing(engine):
    eng = engine(EXPR_ASSERT, ("room.width", 3), ("room.length", 4.5))
    eng.assert_fact(Fact("room.height", 2.5))
    eng.run()
    assert [f.value for f in eng.facts("room.volume")] == [33.75]
    [just] = eng.conclusions()[0].justifications
    assert just.meta == {"evidence": "area 13.5 m2, height 2.5"}
    height = eng.facts("room.height")[0].id
    assert height in just.premise_ids
    eng.retract(height)
    eng.run()
    assert eng.facts("room.volume") == []
    assert eng.conclusions()[0].justifications[0].meta == {"evidence": "area 13.5 m2, height ?"}


CIRCULAR = """
rules:
  - id: x_to_y
    when: {fact: loop.x}
    then:
      assert: [{fact: loop.y}]
  - id: y_to_x
    when: {fact: loop.y}
    then:
      assert: [{fact: loop.x}]
  - id: seed
    when: {fact: seed}
    then:
      assert: [{fact: loop.x}]
"""


def test_circular_support_does_not_keep_facts_alive(engine):
    eng = engine(CIRCULAR, ("seed", True))
    assert {f.name for f in eng.facts()} == {"seed", "loop.x", "loop.y"}
    eng.retract(eng.facts("seed")[0].id)
    assert eng.facts() == []


LOOP = """
rules:
  - id: flip
    when: {absent: lamp.on}
    then:
      assert: [{fact: lamp.on}]
"""


def test_max_steps_caps_firings(engine):
    eng = engine(LOOP, run=False)
    assert eng.run(max_steps=7) == 7  # a rule that defeats itself never settles


def test_assert_validates_certainty(engine):
    eng = engine(LOOP, run=False)
    with pytest.raises(ValueError):
        eng.assert_fact(Fact("lamp.on", True, cf=1.5))


def test_facts_with_ids_and_duplicates(engine):
    eng = engine(PLUMBING, run=False)
    a = eng.assert_fact(Fact("sink.age", 15, "survey"))
    assert eng.assert_fact(Fact("sink.age", 15, "again")) == a
    assert eng.fact(a).source == "survey" and eng.facts("sink.age")[0].id == a


def test_debug_logging(engine, caplog):
    with caplog.at_level(logging.DEBUG, logger="assistant.engine"):
        engine(PLUMBING, ("sensor.moisture", 0.8), ("sink.age", 15))
    loggers = {r.name for r in caplog.records}
    assert {"assistant.engine.rules", "assistant.engine.facts", "assistant.engine.agenda"} <= loggers
    assert any("fire fix.trap" in r.getMessage() for r in caplog.records)

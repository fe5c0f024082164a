"""Truth maintenance, checked by brute force: after any sequence of asserts,
retracts and runs, the engine holds exactly what a fresh engine derives from
the input facts still asserted."""
from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from assistant.engine import Engine, Fact, RuleBase, load_rulebase

# Weather and garden: chains, two rules on one fact, negative evidence, `not`,
# `absent`, an expression over present facts, a computed value and a template.
RULES = """
rules:
  - id: wet_from_rain
    when: {fact: rain, gt: 0}
    then:
      assert: [{fact: soil.wet, cf: 0.8}]
  - id: wet_from_hose
    when: {fact: hose, is_true: true}
    then:
      assert: [{fact: soil.wet, cf: 0.6}]
  - id: mushrooms
    when:
      all:
        - {fact: soil.wet}
        - {fact: warm, ge: 2}
    then:
      conclude: mushrooms
      cf: 0.9
      evidence: "warmth {warm}, rain {rain}"
  - id: no_frost
    when:
      all:
        - {fact: rain}
        - {absent: frost}
    then:
      assert: [{fact: growth, expr: "rain * 2 + coalesce(warm, 0)"}]
  - id: growing
    when: {fact: growth, gt: 3}
    then: {conclude: mow_lawn, cf: 0.7}
  - id: frost_kills
    when: {fact: frost}
    then: {conclude: mushrooms, cf: -0.6}
  - id: dry_spell
    when: {not: {fact: soil.wet}}
    then: {conclude: water_plants, cf: 0.5}
  - id: hot_and_dry
    when: {expr: "warm >= 3 and not hose"}
    then: {conclude: water_plants, cf: 0.4}
"""

NAMES = ["rain", "hose", "warm", "frost"]
VALUES = {"rain": st.integers(0, 3), "hose": st.booleans(), "warm": st.integers(0, 3), "frost": st.just(True)}
CERTAINTY = st.sampled_from([1.0, 0.7, 0.3, 0.15, -0.5])


@pytest.fixture(scope="module")
def garden(tmp_path_factory) -> RuleBase:
    path = tmp_path_factory.mktemp("garden") / "garden.yaml"
    path.write_text(textwrap.dedent(RULES))
    return load_rulebase([path])


def snapshot(eng: Engine) -> tuple[dict, set]:
    conclusions = {c.id: round(c.cf, 9) for c in eng.conclusions()}
    facts = {(f.name, f.value, round(f.cf, 9)) for f in eng.facts()}
    return conclusions, facts


class Garden(RuleBasedStateMachine):
    rulebase: RuleBase

    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine(self.rulebase)
        self.inputs: dict[int, Fact] = {}

    @rule(data=st.data(), name=st.sampled_from(NAMES), cf=CERTAINTY)
    def assert_fact(self, data, name, cf):
        fact = Fact(name, data.draw(VALUES[name]), "garden", cf)
        self.inputs.setdefault(self.engine.assert_fact(fact), fact)

    @precondition(lambda self: self.inputs)
    @rule(data=st.data())
    def retract(self, data):
        fid = data.draw(st.sampled_from(sorted(self.inputs)))
        self.engine.retract(fid)
        del self.inputs[fid]

    @rule()
    def run(self):
        self.engine.run()

    @invariant()
    def agrees_with_a_fresh_engine(self):
        self.engine.run()
        fresh = Engine(self.rulebase)
        for fid in sorted(self.inputs):
            fresh.assert_fact(self.inputs[fid])
        fresh.run()
        assert snapshot(self.engine) == snapshot(fresh)


def test_incremental_equals_fresh(garden):
    Garden.rulebase = garden
    machine = Garden.TestCase
    machine.settings = settings(max_examples=150, stateful_step_count=25, deadline=None,
                                suppress_health_check=[HealthCheck.too_slow])
    machine().runTest()

import math

import pytest

from assistant.engine.facts import Fact
from assistant.engine.memory import Justification, WorkingMemory


def just(rule, cf, *ids):
    return (rule, ids, 0), Justification(rule, cf, ids)


def test_ids_rise_and_sources_are_kept():
    wm = WorkingMemory()
    a = wm.add_input(Fact("dog.barks", True, "neighbour"))
    b = wm.add_input(Fact("dog.legs", 4, "count.txt:3"))
    assert b > a
    assert wm.get(b) == Fact("dog.legs", 4, "count.txt:3") and wm.get(b).id == b


def test_same_name_and_value_is_the_same_fact():
    wm = WorkingMemory()
    a = wm.add_input(Fact("dog.legs", 4, "first"))
    assert wm.add_input(Fact("dog.legs", 4, "second", 0.5)) == a
    assert wm.get(a).source == "first" and wm.get(a).cf == 1.0
    assert wm.add_input(Fact("dog.legs", 3)) != a
    assert len(wm.named("dog.legs")) == 2


def test_booleans_are_not_numbers():
    wm = WorkingMemory()
    assert wm.add_input(Fact("x", True)) != wm.add_input(Fact("x", 1))


def test_self_unequal_float_is_one_fact():
    wm = WorkingMemory()
    assert wm.add_input(Fact("x", math.nan)) == wm.add_input(Fact("x", float("nan")))


def test_rule_support_pools_across_rules_and_takes_the_strongest_within_one():
    wm = WorkingMemory()
    fid = wm.support(Fact("cat.hungry", True, "rule:r1", 0.6), *just("r1", 0.6, 1))
    wm.support(Fact("cat.hungry"), *just("r2", 0.5, 2))
    assert wm.get(fid).cf == pytest.approx(0.8)
    wm.support(Fact("cat.hungry"), ("r1", (3,), 0), Justification("r1", 0.3, (3,)))
    assert wm.get(fid).cf == pytest.approx(0.8)  # a weaker alternative of r1 adds nothing
    assert len(wm.justifications(fid)) == 3
    assert wm.get(fid).source == "rule:r1"


def test_losing_the_last_justification_removes_a_derived_fact():
    wm = WorkingMemory()
    fid = wm.support(Fact("cat.hungry"), *just("r1", 0.6, 1))
    wm.support(Fact("cat.hungry"), *just("r2", 0.5, 2))
    wm.drain()
    wm.unsupport(fid, ("r2", (2,), 0))
    assert wm.get(fid).cf == pytest.approx(0.6)
    assert wm.drain() == {"cat.hungry"}
    wm.unsupport(fid, ("r1", (1,), 0))
    assert wm.get(fid) is None


def test_inputs_stay_when_rule_support_goes():
    wm = WorkingMemory()
    fid = wm.add_input(Fact("cat.hungry", True, "owner", 0.5))
    wm.support(Fact("cat.hungry"), *just("r1", 0.5, 9))
    assert wm.get(fid).cf == pytest.approx(0.75)
    wm.unsupport(fid, ("r1", (9,), 0))
    assert wm.get(fid).cf == 0.5 and wm.is_input(fid)


def test_update_support_recomputes():
    wm = WorkingMemory()
    fid = wm.support(Fact("cat.hungry"), *just("r1", 0.6, 1))
    wm.update_support(fid, ("r1", (1,), 0), 0.3)
    assert wm.get(fid).cf == pytest.approx(0.3)


def test_satisfying_skips_weak_facts():
    wm = WorkingMemory()
    wm.add_input(Fact("owl.hoots", 1, cf=0.2))
    strong = wm.add_input(Fact("owl.hoots", 2, cf=0.21))
    assert [f.id for f in wm.satisfying("owl.hoots")] == [strong]


def test_remove_unknown_raises():
    with pytest.raises(KeyError):
        WorkingMemory().remove(7)

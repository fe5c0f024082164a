import pytest

from assistant.engine.bindings import Resolver
from assistant.engine.facts import Fact
from assistant.engine.template import render, render_meta, template_fields


class Memory:
    def __init__(self, *facts: Fact) -> None:
        self.facts = [f.evolve(id=i) for i, f in enumerate(facts, 1)]

    def satisfying(self, name):
        return [f for f in self.facts if f.name == name and f.cf > 0.2]


MEM = Memory(
    Fact("pump.pressure", 4.25, "gauge.log:17"),
    Fact("leak.found", {"room": "cellar", "litres": 12.5, "where": {"wall": "north"}}, "inspection"),
    Fact("weak.hint", 1, "rumour", 0.1),
)


def r(text, env=None):
    return render(text, Resolver(env or {}, MEM))


def test_values_and_attributes():
    assert r("pressure {pump.pressure} in {leak.found.room}") == "pressure 4.25 in cellar"
    assert r("{leak.found.where.wall} wall") == "north wall"


def test_format_specs():
    assert r("{pump.pressure:g} / {pump.pressure:.1f} / {leak.found.litres:>6}") == "4.25 / 4.2 /   12.5"
    assert r("{leak.found.room!r}") == "'cellar'"


def test_pseudo_attributes_reach_the_fact():
    assert r("{pump.pressure.value} from {pump.pressure.source} ({pump.pressure.cf})") == "4.25 from gauge.log:17 (1.0)"


def test_missing_renders_question_mark():
    assert r("{no.such} and {leak.found.colour:.2f} and {weak.hint}") == "? and ? and ?"


def test_bad_spec_falls_back_to_text():
    assert r("{leak.found.room:.2f}") == "cellar"


def test_escaped_braces():
    assert r("{{literal}} {pump.pressure}") == "{literal} 4.25"


def test_aliases_from_bindings():
    env = {"p": MEM.facts[0]}
    assert r("{p} {p.source}", env) == "4.25 gauge.log:17"


def test_no_python_attribute_access():
    assert r("{pump.pressure.__class__}") == "?"
    assert r("{pump.pressure.real}") == "?"
    assert r("{0}") == "?"


def test_render_meta_renders_every_string():
    meta = {"evidence": "at {pump.pressure}", "fixes": [{"text": "fix {leak.found.room}", "n": 3}], "n": 1}
    assert render_meta(meta, Resolver({}, MEM)) == {
        "evidence": "at 4.25", "fixes": [{"text": "fix cellar", "n": 3}], "n": 1,
    }


def test_fields():
    assert template_fields("{a.b} {c:{d}} {{e}}") == [("a", "b"), ("c",), ("d",)]


@pytest.mark.parametrize("text", ["{unclosed", "closed}", "{a.__class__}", "{a[0]}", "{}", "{a!x}"])
def test_malformed_templates(text):
    with pytest.raises(ValueError):
        template_fields(text)


def test_a_number_too_big_for_its_format_is_shown_plainly() -> None:
    """A size read from hostile text (10**400) in a `:.1f` field: shown as digits, never an OverflowError
    (found by fuzzing the whole consultation); one past the int -> str limit is named, not printed."""
    big = 10 ** 400
    assert render("{n:.1f} B", lambda parts: big) == f"{big} B"
    assert render("{n:.1f}", lambda parts: 10 ** 5000) == "(a number too long to show)"

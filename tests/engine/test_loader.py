import pickle
from pathlib import Path

import pytest

from assistant.engine import Engine, Fact, load_rulebase, run_examples
from assistant.engine.yamltree import parse_yaml
from assistant.errors import RuleError

from .conftest import BAD

ALLOWED = "only min, max, abs, len, round, coalesce"

# Each broken fixture, the options it is loaded with, and every problem line it must produce.
CASES = {
    "missing-then.yaml": ({}, [
        "2:5: rule `kettle.boiling` is missing `then`",
        "4:5: rule is missing `id`",
    ]),
    "unknown-op.yaml": ({}, [
        "3:31: unknown test `gtt` (did you mean `gt`?)",
        "8:22: unknown test `betwen` (did you mean `between`?)",
    ]),
    "duplicate-key.yaml": ({}, [
        "7:7: duplicate key `cf` (first at line 6)",
    ]),
    "bad-expr.yaml": ({}, [
        f"3:18: call to `__import__('os').system` is not allowed ({ALLOWED}) "
        "(column 1 of expr \"__import__('os').system('true')\")",
        "6:18: name `__class__` is not allowed (names starting with `_` are reserved) "
        "(column 1 of expr 'kettle.temp.__class__ == 1')",
        f"9:18: call to `lambda: 1` is not allowed ({ALLOWED}) (column 1 of expr '(lambda: 1)() == 1')",
        "12:18: a comprehension is not allowed in expressions (column 1 of expr '[t for t in kettle.temps] == []')",
        "17:45: invalid expression: invalid syntax (column 14 of expr 'kettle.temp *')",
    ]),
    "unknown-fact.yaml": ({"known_fact": {"kettle.temperature", "kettle.age", "kettle.hardness"}}, [
        "5:18: unknown fact `kettle.temprature` in fact (did you mean `kettle.temperature`?)",
        "6:18: unknown fact `kettle.hardnes` in expr (did you mean `kettle.hardness`?)",
        "9:17: unknown fact `kettle.agee` in template (did you mean `kettle.age`?)",
    ]),
    "unknown-key.yaml": ({}, [
        "3:5: unknown rule key `descripton` (did you mean `description`?)",
        "8:7: unknown condition `al` (did you mean `all`?)",
        "11:7: `then` needs `conclude` or `assert`",
        "11:7: unknown key `conclued` under `then` (did you mean `conclude`?)",
        "12:1: unknown top-level key `rulez` (did you mean `rules`?)",
    ]),
    "bad-values.yaml": ({}, [
        "3:15: `salience` must be a whole number, got 'high'",
        "4:41: bad regular expression 'whistl(e': missing ), unterminated subpattern at position 6",
        "6:17: conclusion id must be lowercase dotted words, got 'Noise-Check'",
        "7:11: cf must be a number from -1 to 1, got 1.5",
        "8:17: severity must be one of critical, warning, info, got 'urgent'",
        "9:9: rule id must be lowercase letters, digits, `_`, `.` or `-`, got 'Bad Id'",
        "10:18: bad fact name 'Kettle.Temp': use lowercase dotted words",
        "10:35: `as` must be a lowercase word (letters, digits, `_`), got 'class'",
        "13:11: a condition is one of all, any, not, absent, expr, fact; this one has `not` and `fact`",
        "15:16: an assert item takes `value` or `expr`, not both",
        "15:57: unknown assert key `colour`",
        "16:7: `cf` is the certainty of `conclude`; give each assert its own `cf`",
        "17:17: bad template: expected '}' before end of string",
    ]),
    "unknown-conclusion.yaml": ({"known_conclusions": {"tea_ready"}}, [
        "4:22: unknown conclusion `tea_redy` (did you mean `tea_ready`?)",
        "7:17: no rule concludes `coffee_ready` (did you mean `tea_ready`?)",
        "8:9: an example needs `expect`, `expect_not` or `expect_fact`",
    ]),
    "alias-bomb.yaml": ({}, [
        "6:14: aliases expand to more than 1000 values",
    ]),
    "syntax-error.yaml": ({}, [
        "4:9: invalid YAML: did not find expected ',' or '}'",
    ]),
    "missing-examples.yaml": ({"require_examples": True}, [
        "8:5: rule `kettle.without_example` carries no example",
    ]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_fixture_reports_every_problem(name):
    options, expected = CASES[name]
    path = BAD / name
    with pytest.raises(RuleError) as err:
        load_rulebase([path], **options)
    assert err.value.problems == [f"{path}:{line}" for line in expected]
    assert str(err.value) == "\n".join(err.value.problems)


def test_every_fixture_is_covered():
    assert {p.name for p in BAD.glob("*.yaml")} == set(CASES) | {"duplicate-id-a.yaml", "duplicate-id-b.yaml"}


def test_duplicate_ids_across_files():
    a, b = BAD / "duplicate-id-a.yaml", BAD / "duplicate-id-b.yaml"
    with pytest.raises(RuleError) as err:
        load_rulebase([a, b])
    assert err.value.problems == [f"{b}:3:9: duplicate rule id `kettle.on` (first at {a}:2:9)"]


def test_problems_from_several_files_in_file_order():
    with pytest.raises(RuleError) as err:
        load_rulebase([BAD / "duplicate-key.yaml", BAD / "missing-then.yaml"])
    assert [p.split(":")[0] for p in err.value.problems] == [str(BAD / "duplicate-key.yaml")] + [
        str(BAD / "missing-then.yaml")] * 2


def test_missing_and_empty_files(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    listed = tmp_path / "list.yaml"
    listed.write_text("- id: x\n")
    with pytest.raises(RuleError) as err:
        load_rulebase([tmp_path / "absent.yaml", empty, listed])
    assert err.value.problems == [
        f"{tmp_path / 'absent.yaml'}:1:1: cannot read rule file: No such file or directory",
        f"{empty}:1:1: empty file: expected a mapping with `rules:` (a list of rules)",
        f"{listed}:1:1: expected a mapping with `rules:` (a list of rules)",
    ]


def test_known_fact_as_predicate_suggests_from_fact_names(write_rules):
    path = write_rules("""
        rules:
          - id: r
            when: {fact: pump.presure}
            then: {conclude: c}
        """)
    with pytest.raises(RuleError) as err:
        load_rulebase([path], known_fact=lambda n: n.startswith("tank."), fact_names=["pump.pressure"])
    assert err.value.problems == [f"{path}:3:18: unknown fact `pump.presure` in fact (did you mean `pump.pressure`?)"]


def test_known_fact_accepts_aliases_conclusions_and_attribute_paths(rulebase):
    rb = rulebase("""
        rules:
          - id: first
            when: {fact: pump.pressure, as: p}
            then:
              conclude: check_pump
              evidence: "{p.value} {pump.pressure.max} {p.source}"
          - id: second
            when:
              all:
                - {fact: conclusion.check_pump}
                - {fact: pump.pressure, as: p}
                - {expr: "p.max > 3 and pump.pressure.max > 2"}
            then:
              assert: [{fact: pump.note, expr: "pump.pressure.max * 2"}]
        """, known_fact={"pump.pressure", "pump.note"}, known_conclusions={"check_pump"})
    assert [r.id for r in rb.rules] == ["first", "second"]


def test_rule_fields(rulebase):
    rb = rulebase("""
        rules:
          - id: garden.frost
            description: frost kills tender plants
            salience: 7
            tags: [cold, plants]
            when: {fact: air.temp, le: 0}
            then:
              conclude: cover_plants
              cf: 0.8
              severity: critical
              fixes:
                - {text: "Cover them", patch: {fleece: true, layers: 2}}
              guide: [garden/frost]
        """)
    [rule] = rb.rules
    assert (rule.id, rule.description, rule.salience, rule.tags, rule.cf, rule.conclude) == (
        "garden.frost", "frost kills tender plants", 7, ("cold", "plants"), 0.8, "cover_plants")
    assert rule.meta["severity"] == "critical"
    assert rule.meta["fixes"][0]["patch"] == {"fleece": True, "layers": 2}
    assert rule.meta.get("guide") == ("garden/frost",)
    assert rule.location.endswith(":2:5")
    assert rb.referenced_facts() == {"garden.frost": {"air.temp"}}


def test_unquoted_exponent_numbers_are_floats(rulebase):
    [rule] = rulebase("""
        rules:
          - id: tiny
            when: {fact: dust.level, lt: 1e-5}
            then: {conclude: clean}
        """).rules
    assert rule.when.tests[0].arg == 1e-5


def test_yaml_scalars_and_tags(tmp_path):
    node, problems = parse_yaml("a: !!python/object:os.system x\nb: 2024-01-02\nc: [1, {d: ~}]\n", "t.yaml")
    assert problems == [(("t.yaml", 1, 4), "unsupported tag tag:yaml.org,2002:python/object:os.system")]
    assert node.plain() == {"b": "2024-01-02", "c": [1, {"d": None}]}
    node, problems = parse_yaml("a: &x [1]\n<<: *x\n", "t.yaml")
    assert problems == [(("t.yaml", 2, 1), "merge keys (<<) are not supported")]
    node, problems = parse_yaml("a: &x [1, *x]\n", "t.yaml")
    assert problems == [(("t.yaml", 1, 4), "recursive alias")]


def test_rulebase_pickles(rulebase):
    rb = rulebase("""
        rules:
          - id: r
            when:
              all:
                - {fact: tank.level, between: [1, 5], as: t}
                - {fact: tank.name, matches: "^n"}
                - {expr: "t * 2 > 3"}
            then: {conclude: low_tank, evidence: "level {t}"}
            examples:
              - facts: {tank.level: 2, tank.name: north}
                expect: low_tank
        """)
    again = pickle.loads(pickle.dumps(rb))
    assert [r.ok for r in run_examples(again)] == [True]
    eng = Engine(again)
    eng.assert_fact(Fact("tank.level", 2))
    eng.assert_fact(Fact("tank.name", "north"))
    eng.run()
    assert eng.conclusions()[0].justifications[0].meta == {"evidence": "level 2"}


def test_paths_may_be_strings(write_rules):
    path = write_rules("rules: []\n")
    assert load_rulebase([str(path)]).rules == ()


def test_rules_is_a_list(write_rules):
    path = write_rules("rules: {a: 1}\n")
    with pytest.raises(RuleError) as err:
        load_rulebase([path])
    assert err.value.problems == [f"{path}:1:8: `rules` must be a list of rules"]


def test_shipped_fixtures_directory_exists():
    assert isinstance(BAD, Path) and BAD.is_dir()


def test_alias_of_another_rule_is_unknown(write_rules):
    path = write_rules("""
        rules:
          - id: first
            when: {fact: pump.pressure, as: p}
            then: {conclude: a}
          - id: second
            when: {expr: "p > 3"}
            then: {conclude: b}
        """)
    with pytest.raises(RuleError) as err:
        load_rulebase([path], known_fact={"pump.pressure"})
    assert err.value.problems == [f"{path}:6:18: unknown fact `p` in expr"]


def test_then_reads_exclude_what_the_rule_produces(rulebase):
    [rule] = rulebase("""
        rules:
          - id: r
            when: {fact: tank.level}
            then:
              assert: [{fact: tank.note, expr: "tank.level + coalesce(tank.offset, 0)"}]
              conclude: refill
              evidence: "{tank.note} {conclusion.refill.cf} {tank.name}"
        """).rules
    assert rule.reads == {("tank", "level"), ("tank", "offset"), ("tank", "name")}

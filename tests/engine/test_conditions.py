import pytest

from assistant.engine.conditions import (
    AllCond, AnyCond, ExprCond, FactCond, NotCond, ValueTest, check_test, same,
)
from assistant.engine.expr import compile_expr
from assistant.engine.facts import Fact


class Memory:
    def __init__(self, *facts: Fact) -> None:
        self.facts = [f.evolve(id=i) for i, f in enumerate(facts, 1)]

    def satisfying(self, name):
        return [f for f in self.facts if f.name == name and f.cf > 0.2]


def ids(cond, mem):
    return [b[0] for b in cond.bindings({}, mem)]


MEM = Memory(
    Fact("bird.seen", "robin"),        # 1
    Fact("bird.seen", "wren"),         # 2
    Fact("weather", "rain"),           # 3
    Fact("feeder.seeds", 12),          # 4
    Fact("bird.rumoured", "eagle", cf=0.2),  # 5
    Fact("nest", {"tree": "oak", "height": {"m": 3}, "eggs": 4}),  # 6
)


def test_one_binding_per_matching_fact():
    assert ids(FactCond("bird.seen"), MEM) == [(1,), (2,)]
    assert ids(FactCond("bird.seen", tests=(ValueTest("eq", "wren"),)), MEM) == [(2,)]


def test_weak_facts_do_not_match():
    assert ids(FactCond("bird.rumoured"), MEM) == []


def test_all_is_a_join_with_pruning():
    cond = AllCond((FactCond("bird.seen"), FactCond("weather")))
    assert ids(cond, MEM) == [(1, 3), (2, 3)]
    assert ids(AllCond((FactCond("nothing"), FactCond("bird.seen"))), MEM) == []


def test_same_name_means_same_fact_aliases_mean_independent_facts():
    same_fact = AllCond((FactCond("bird.seen"), FactCond("bird.seen", tests=(ValueTest("ne", "robin"),))))
    assert ids(same_fact, MEM) == [(2,)]
    pairs = AllCond((FactCond("bird.seen", "a"), FactCond("bird.seen", "b")))
    assert ids(pairs, MEM) == [(1, 1), (1, 2), (2, 1), (2, 2)]  # the engine dedupes ids


def test_any_is_a_union_without_duplicates():
    cond = AnyCond((FactCond("weather"), FactCond("bird.seen"), FactCond("weather", tests=(ValueTest("eq", "rain"),))))
    assert ids(cond, MEM) == [(3,), (1,), (2,)]


def test_not_and_absent_bind_nothing():
    assert ids(NotCond(FactCond("snow")), MEM) == [()]
    assert ids(NotCond(FactCond("weather")), MEM) == []
    assert ids(NotCond(FactCond("bird.rumoured")), MEM) == [()]  # too weak to count
    cond = AllCond((FactCond("bird.seen"), NotCond(FactCond("bird.seen", tests=(ValueTest("eq", "wren"),)))))
    assert ids(cond, MEM) == [(1,)]  # inside `not`, bird.seen is the bound fact


def test_expr_over_bindings_and_present_facts():
    cond = AllCond((FactCond("bird.seen", "b"), ExprCond(compile_expr("b == 'wren' and feeder.seeds > 10"))))
    bindings = list(cond.bindings({}, MEM))
    assert [b[0] for b in bindings] == [(2, 4)]  # the feeder fact it read is a premise
    assert bindings[0][1]["feeder.seeds"].value == 12
    assert ids(ExprCond(compile_expr("no.such > 1")), MEM) == []
    assert ids(ExprCond(compile_expr("1 < 2")), MEM) == [()]


def test_where_tests_attributes():
    def where(**tests):
        return ids(FactCond("nest", where=tuple(tests.items())), MEM)

    assert where(tree=ValueTest("eq", "oak")) == [(6,)]
    assert where(**{"height.m": ValueTest("between", [2, 4])}) == [(6,)]
    assert where(eggs=ValueTest("gt", 5)) == []
    assert where(colour=ValueTest("eq", "brown")) == []
    assert ids(FactCond("weather", where=(("tree", ValueTest("eq", "oak")),)), MEM) == []


@pytest.mark.parametrize("op, arg, value, expected", [
    ("eq", 3, 3.0, True), ("eq", True, 1, False), ("eq", [1, 2], (1, 2), True),
    ("ne", "a", "b", True),
    ("gt", 1, 2, True), ("gt", 1, "2", False), ("gt", 0, True, False),
    ("ge", 2, 2, True), ("lt", 2, 1.5, True), ("le", 2, 3, False),
    ("in", ["a", "b"], "a", True), ("in", [1], True, False), ("not_in", ["a"], "c", True),
    ("between", [1, 2], 1.5, True), ("between", [1, 2], 3, False), ("between", [1, 2], "x", False),
    ("contains", "ark", "lark", True), ("contains", 2, (1, 2), True), ("contains", "k", {"k": 1}, True),
    ("contains", 1, 10, False),
    ("matches", r"^ro\w+n$", "robin", True), ("matches", "x", 3, False),
    ("is_true", True, True, True), ("is_true", True, 1, False), ("is_true", False, "yes", True),
    ("is_false", True, False, True), ("is_false", True, 0, False),
])
def test_value_tests(op, arg, value, expected):
    assert check_test(op, arg) is None
    assert ValueTest(op, arg)(value) is expected


@pytest.mark.parametrize("op, arg, problem", [
    ("gt", "3", "`gt` needs a number"),
    ("in", "abc", "`in` needs a list"),
    ("between", [3, 1], "bounds are reversed"),
    ("between", [1], "two numbers"),
    ("matches", "(", "bad regular expression"),
    ("is_true", "yes", "takes true or false"),
    ("contains", [1], "single value"),
])
def test_bad_test_arguments(op, arg, problem):
    assert problem in check_test(op, arg)


def test_same_keeps_bools_apart():
    assert same(1, 1.0) and not same(True, 1) and same(False, False)


def test_names_for_indexing():
    cond = AllCond((FactCond("a.b", "x"), NotCond(FactCond("c")), ExprCond(compile_expr("d.e.f > x"))))
    assert cond.names() == {"a.b", "c", "d", "d.e", "d.e.f", "x"}
    assert cond.aliases() == {"x"}

import pickle

import pytest

from assistant.engine.expr import UNDEFINED, ExprError, compile_expr

VALUES = {
    ("pump", "pressure"): 4.0,
    ("tank", "level"): 10,
    ("tank", "name"): "north",
    ("animal", "class"): "bird",
    ("zero",): 0,
    ("flag",): True,
    ("items",): (1, 2, 3),
}


def lookup(parts):
    return VALUES.get(parts, UNDEFINED)


def ev(text):
    return compile_expr(text).evaluate(lookup)


@pytest.mark.parametrize("text, expected", [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("7 // 2 + 7 % 2", 4),
    ("2 ** 10", 1024),
    ("-tank.level", -10),
    ("tank.level / 4", 2.5),
    ("pump.pressure * tank.level > 39", True),
    ("1 < tank.level <= 10", True),
    ("1 < tank.level < 5", False),
    ("tank.name == 'north' and not flag", False),
    ("tank.name != 'north' or flag", True),
    ("min(tank.level, pump.pressure)", 4.0),
    ("max(items)", 3),
    ("abs(-3)", 3),
    ("len(tank.name)", 5),
    ("round(pump.pressure / 3, 2)", 1.33),
    ("2 in items", True),
    ("'x' not in tank.name", True),
    ("animal.class == 'bird'", True),
    ("None", None),
])
def test_values(text, expected):
    assert ev(text) == expected


def test_names_are_dotted_parts():
    assert compile_expr("pump.pressure.max + tank.level").refs == {("pump", "pressure", "max"), ("tank", "level")}


def test_keywords_inside_dotted_names():
    assert compile_expr("in.flow + animal.class").refs == {("in", "flow"), ("animal", "class")}


@pytest.mark.parametrize("text", [
    "missing.fact > 1",
    "not missing.fact",
    "missing.fact + 1",
    "missing.fact and True",
    "tank.level / zero",
    "len(tank.level)",
    "tank.name < 3",
    "'a' * 10 ** 9",
    "9 ** 9 ** 9",
    "'%s' % tank.level",
])
def test_undefined_never_raises(text):
    expr = compile_expr(text)
    assert expr.evaluate(lookup) is UNDEFINED
    assert expr.holds(lookup) is False


def test_kleene_logic_lets_a_decided_operand_decide():
    assert ev("missing.fact or flag") is True
    assert ev("missing.fact and zero") == 0
    assert ev("flag or missing.fact") is True


def test_coalesce_supplies_defaults():
    assert ev("coalesce(missing.fact, tank.level, 3)") == 10
    assert ev("coalesce(missing.fact, None, 3)") == 3
    assert ev("coalesce(missing.fact)") is UNDEFINED


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "call to `__import__` is not allowed"),
    ("tank.__class__", "name `__class__` is not allowed"),
    ("tank._private", "name `_private` is not allowed"),
    ("(lambda: 1)()", "call to `lambda: 1` is not allowed"),
    ("lambda: 1", "lambda is not allowed"),
    ("[x for x in items]", "a comprehension is not allowed"),
    ("items[0]", "subscripting is not allowed"),
    ("open('/etc/passwd')", "call to `open` is not allowed"),
    ("tank.name.upper()", "call to `tank.name.upper` is not allowed"),
    ("(1).real", "attribute access is only allowed on fact names"),
    ("x if flag else y", "a conditional expression is not allowed"),
    ("round(x, ndigits=2)", "`round` takes plain positional arguments only"),
    ("max(*items)", "`max` takes plain positional arguments only"),
    ("(y := 2)", "assignment is not allowed"),
    ("f'{tank}'", "an f-string is not allowed"),
    ("1 << 4", "operator `LShift` is not allowed"),
    ("a is None", "comparison `Is` is not allowed"),
    ("b'x'", "constant b'x' is not allowed"),
    ("1 +", "invalid expression"),
])
def test_rejected_at_compile_time(text, message):
    with pytest.raises(ExprError) as err:
        compile_expr(text)
    assert message in err.value.message
    assert err.value.col >= 1


def test_pickles_as_source():
    expr = compile_expr("tank.level * 2")
    again = pickle.loads(pickle.dumps(expr))
    assert again == expr and again.evaluate(lookup) == 20
    assert pickle.loads(pickle.dumps(UNDEFINED)) is UNDEFINED

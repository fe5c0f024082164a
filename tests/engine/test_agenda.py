from assistant.engine.agenda import Activation, Agenda
from assistant.engine.conditions import FactCond
from assistant.engine.rules import Rule
from assistant.engine.strategy import priority


def act(rule_id: str, position: int, ids: tuple[int, ...], salience: int = 0) -> Activation:
    return Activation(Rule(rule_id, FactCond("x"), salience=salience), position, ids, len(ids), {})


def drain(agenda: Agenda) -> list[tuple[str, tuple[int, ...]]]:
    out = []
    while (a := agenda.pop()) is not None:
        out.append((a.rule.id, a.fact_ids))
    return out


def test_salience_then_recency_then_rule_order():
    agenda = Agenda()
    for a in [act("a", 0, (1,)), act("b", 1, (5,)), act("c", 2, (2, 9)), act("d", 3, (1,), salience=1), act("e", 4, (5,))]:
        agenda.add(a)
    assert drain(agenda) == [("d", (1,)), ("c", (2, 9)), ("b", (5,)), ("e", (5,)), ("a", (1,))]


def test_activation_without_facts_is_oldest():
    assert priority(act("a", 0, ())) > priority(act("b", 1, (1,)))


def test_discard_and_re_add():
    agenda = Agenda()
    agenda.add(act("a", 0, (1,)))
    agenda.add(act("b", 1, (2,)))
    agenda.discard(1, (2,))
    assert len(agenda) == 1 and agenda.pending(1) == {}
    agenda.add(act("b", 1, (2,)))
    assert drain(agenda) == [("b", (2,)), ("a", (1,))]
    assert agenda.pop() is None and len(agenda) == 0

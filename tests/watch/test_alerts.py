"""Alerts are said once: criticals at once, warnings once confirmed, again only when worse or back."""
from __future__ import annotations

from assistant.report import Diagnosis, Evidence, Fix, Report
from assistant.watch.alerts import AlertBook, alerts_in


def report(*diagnoses: tuple[str, str], step: int = 7) -> Report:
    ds = [Diagnosis(id=i, title=i.replace("_", " "), certainty=0.8, severity=sev,
                    evidence=[Evidence("symptom.nonfinite", f"{i} seen", f"train.log:{step + 1}")],
                    fixes=[Fix("Clip gradients", {"max_grad_norm": 1.0})]) for i, sev in diagnoses]
    facts = [{"name": "symptom.nonfinite", "value": {"metric": "loss", "step": step}, "source": f"train.log:{step + 1}"}]
    return Report(question="", diagnoses=ds, facts=facts)


def test_an_alert_says_what_where_why_and_the_fix() -> None:
    (a,) = alerts_in(report(("gradient_explosion", "critical"), ("no_eval_set", "info")))
    assert (a.id, a.severity, a.step, a.where, a.why, a.fix) == (
        "gradient_explosion", "critical", 7, "train.log:8", "gradient_explosion seen", "Clip gradients")
    assert "max_grad_norm: 1.0" in a.text() and a.to_dict()["config_patch"] == {"max_grad_norm": 1.0}


def test_critical_at_once_warning_when_confirmed_and_never_twice() -> None:
    book = AlertBook()
    new, _ = book.update(report(("gradient_explosion", "critical"), ("lr_too_high", "warning")))
    assert [a.id for a in new] == ["gradient_explosion"]  # the warning waits for a second judgement
    new, _ = book.update(report(("gradient_explosion", "critical"), ("lr_too_high", "warning")))
    assert [a.id for a in new] == ["lr_too_high"]
    for _ in range(5):
        assert book.update(report(("gradient_explosion", "critical"), ("lr_too_high", "warning"))) == ([], [])
    assert book.worst().id == "gradient_explosion"


def test_a_warning_seen_once_is_forgotten() -> None:
    book = AlertBook()
    book.update(report(("lr_too_low", "warning")))  # early in the run: the curve looked flat
    book.update(report())
    new, _ = book.update(report(("lr_too_low", "warning")))
    assert new == []  # counted again from one


def test_worse_again_and_back_after_clearing() -> None:
    book = AlertBook(confirm_warnings=1)
    assert [a.severity for a in book.update(report(("nan_loss", "warning")))[0]] == ["warning"]
    assert [a.severity for a in book.update(report(("nan_loss", "critical")))[0]] == ["critical"]
    cleared = [book.update(report())[1] for _ in range(3)]
    assert [[a.id for a in c] for c in cleared] == [[], [], ["nan_loss"]]
    assert [a.id for a in book.update(report(("nan_loss", "critical")))[0]] == ["nan_loss"]

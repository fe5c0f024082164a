"""A grad_norm that is NaN now and then under a finite, falling loss: fp16 / AMP loss scaling skipping
overflowed steps, which a user asking "is this normal?" should hear is fine - not a NaN diagnosis."""
from __future__ import annotations

from assistant.consult import consult

from .helpers import phrases

WARNED = ("warning", "critical")


def warned(text: str) -> list[str]:
    return [d.id for d in consult(text).diagnoses if d.severity in WARNED]


def test_the_loss_said_finite_is_not_a_loss_nan() -> None:
    found = phrases("i frequently see grad_norm: nan in the log, while the loss itself keeps being a normal finite number")
    assert "user.loss_finite" in found and "user.grad_norm_nan" in found
    assert "user.loss_nan" not in found
    assert "user.loss_nan" in phrases("after a few hundred steps the loss becomes nan")


def test_occasional_grad_norm_nan_with_a_finite_loss_is_quiet() -> None:
    assert warned("With mixed precision I see grad_norm: nan from time to time, while the loss stays finite "
                  "and keeps going down. Is this normal?") == []
    assert warned("The first logged grad_norm is nan although the loss values are finite; "
                  "at the next log grad_norm is 3.9 and the loss has dropped to 0.92. Is my run broken?") == []


def test_a_grad_norm_nan_in_bf16_is_still_looked_into() -> None:
    # bf16 has no loss scaler: a non-finite gradient under a finite loss is a backward-pass fault
    found = [d.id for d in consult("Training in bf16, grad_norm is nan from time to time while the loss is finite").diagnoses]
    assert "nan_forward_vs_backward" in found

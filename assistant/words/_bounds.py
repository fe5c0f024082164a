"""The user's words made safe for the matchers: what any text can hold, and they cannot take.

A question is normal input whatever it holds: a pasted log, a command line whose undecodable
bytes arrive as lone surrogates (argv's ``surrogateescape``), a number thousands of digits long.
The tokenizer refuses lone surrogates, and the number patterns backtrack over a run of digits in
time quadratic in its length (65,000 digits took minutes), so both are tamed before matching.
"""
from __future__ import annotations

import re

__all__ = ["MAX_DIGIT_RUN", "tame"]

MAX_DIGIT_RUN = 40  # no quantity anyone states is longer; a longer run is cut to this
_LONG_DIGITS = re.compile(r"\d{%d,}" % (MAX_DIGIT_RUN + 1))


def tame(text: str) -> str:
    """``text`` with lone surrogates replaced and digit runs cut to MAX_DIGIT_RUN."""
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return _LONG_DIGITS.sub(lambda m: m[0][:MAX_DIGIT_RUN], text)

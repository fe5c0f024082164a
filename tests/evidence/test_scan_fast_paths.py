"""The fast paths of the shell and call scanners give what the character-at-a-time versions gave.

``shell_words`` splits the plain words before the first quote, escape or operator with a pattern
and hands the rest to shlex; ``_unquoted`` jumps from one quote, bracket or comma to the next with
a pattern. Both are checked here against the slow originals on any text over their alphabets.
"""
from __future__ import annotations

import shlex
from typing import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.evidence import _calls
from assistant.evidence._cmdline import shell_words

SHELL = st.text(alphabet=st.sampled_from(list("ab -=./~#\t\r\n'\"\\();<>|&$ß\x0b")), max_size=40)
CALLS = st.text(alphabet=st.sampled_from(list("ab ,()[]{}'\"\\\n=")), max_size=40)


def _shlex(piece: str) -> list[str] | str:
    lexer = shlex.shlex(piece, posix=True, punctuation_chars=True)
    lexer.whitespace_split, lexer.commenters = True, ""
    try:
        return list(lexer)
    except ValueError as e:
        return str(e)


def _fast(piece: str) -> list[str] | str:
    try:
        return shell_words(piece)
    except ValueError as e:
        return str(e)


@settings(max_examples=3000, deadline=None, derandomize=True, database=None)
@given(piece=SHELL)
def test_shell_words_are_shlex_words(piece: str) -> None:
    assert _fast(piece) == _shlex(piece)


@pytest.mark.parametrize("piece", [
    " torchrun --nproc_per_node 8 train.py --lr 1e-4", " accelerate launch a.py --name 'my run' --x=\"a b\"",
    " python a.py --x 1 && echo done", " python a.py --x 'unbalanced", " deepspeed a.py --y 2 \\",
])
def test_shell_words_on_launch_lines(piece: str) -> None:
    assert _fast(piece) == _shlex(piece)


def _unquoted_slow(text: str, start: int, end: int, depth: int) -> Iterator[tuple[int, str, int]]:
    """The original: every character outside quotes, one at a time."""
    quote = ""
    for i in range(start, end):
        c = text[i]
        if quote:
            if c == quote and text[i - 1] != "\\" or c == "\n":
                quote = ""
            continue
        if c in "'\"":
            quote = c
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        yield i, c, depth


@settings(max_examples=3000, deadline=None, derandomize=True, database=None)
@given(text=CALLS, data=st.data())
def test_unquoted_stops_where_the_character_scan_did(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    depth = data.draw(st.integers(0, 2))
    slow = [x for x in _unquoted_slow(text, start, end, depth) if x[1] in "()[]{},"]
    assert list(_calls._unquoted(text, start, end, depth)) == slow


def test_find_calls_keeps_the_last_text_only_as_a_copy() -> None:
    text = "args = TrainingArguments(learning_rate=2e-5, num_train_epochs=3)\n"
    first = _calls.find_calls(text)
    first.clear()
    again = _calls.find_calls(text)
    assert [s.key for d in again for s in d.settings] == ["learning_rate", "num_train_epochs"]
    assert _calls.find_calls(text + "# other\n")[0].settings == again[0].settings


LITERALS = st.text(alphabet=st.sampled_from(list("0123456789.-+eE_'\" aTrueFalsNon\\\n\t\x00é\x0b\r#")), min_size=1,
                   max_size=14)


def _ast_literal(t: str) -> tuple | None:
    import ast

    try:
        return (ast.literal_eval(ast.parse(t, mode="eval")),)
    except Exception:  # noqa: BLE001 (anything ast refuses)
        return None


@settings(max_examples=5000, deadline=None, derandomize=True, database=None)
@given(text=LITERALS)
def test_a_simple_literal_is_what_ast_makes_of_it(text: str) -> None:
    t = text.strip()
    fast = _calls._simple_literal(t) if t else None
    if fast is not None:
        want = _ast_literal(t)
        assert want == fast and type(want[0]) is type(fast[0])


@pytest.mark.parametrize("text", ["2e-5", "0.0002", "-1", "0", "True", "None", "'paged_adamw_32bit'", '"steps"', "1e999",
                                  ".5", "3.", "-.5e-3"])
def test_common_argument_values_take_the_fast_path(text: str) -> None:
    fast = _calls._simple_literal(text)
    assert fast is not None and fast == _ast_literal(text)

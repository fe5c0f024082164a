"""Mutations of real files, the kinds that broke readers: truncations, byte flips, duplicated lines,
huge numbers, deep nesting, long lines, splices of two files and hostile tokens.

Every mutator is a pure function of the bytes, a ``random.Random`` and a size limit, so the long
bench run (``bench/fuzz.py``, seeded ``Random``) and the Hypothesis tests (``st.randoms()``, which
shrinks) drive the same code.

Sizes, as libFuzzer's ``-max_len`` does it: most mutants (all but ``BIG_SHARE``) start from a
window of at most ``MAX_LEN`` bytes of the seed (its start, or a stretch from a line start) and
stay within ``MAX_LEN``: a reader's rate on them is its rate on structure, not on bulk. The other
``BIG_SHARE`` are made from the whole seed with no limit but ``MAX_OUTPUT``: lines of megabytes,
numbers of 200,000 digits, nesting 100,000 deep, a block repeated 20,000 times, the inputs that
found the quadratic patterns and the C-stack overflows. ``mutate`` says which kind it made.
"""
from __future__ import annotations

import re
from random import Random
from typing import Callable

__all__ = ["BIG_SHARE", "MAX_LEN", "MAX_OUTPUT", "MUTATORS", "Mutant", "mutate", "window"]

MAX_OUTPUT = 4 * 1024 * 1024  # a big mutant's limit
MAX_LEN = 4096  # every other mutant's (libFuzzer's -max_len default)
BIG_SHARE = 0.02  # mutants made from the whole seed, growing up to MAX_OUTPUT
_DIGITS = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")

Mutator = Callable[[bytes, Random, int], bytes]


def _pick(rnd: Random, weighted: tuple[tuple[int, float], ...]) -> int:
    """One of the sizes, by weight: big mutants are rare, so the many small ones keep the rate up."""
    sizes, weights = zip(*weighted)
    return rnd.choices(sizes, weights)[0]


def _at(data: bytes, rnd: Random) -> int:
    """A position, often at a line start (where structure begins)."""
    if data and rnd.random() < 0.5:
        starts = [0] + [m.end() for m in re.finditer(rb"\n", data[:65536])]
        return rnd.choice(starts)
    return rnd.randint(0, len(data))


def truncate(data: bytes, rnd: Random, limit: int = MAX_OUTPUT) -> bytes:
    """A run killed while writing, an upload cut short."""
    return data[:rnd.randint(0, len(data))]


def flip_bytes(data: bytes, rnd: Random, limit: int = MAX_OUTPUT) -> bytes:
    """Disk or transfer damage: a few bytes replaced, a bit flipped, or a control byte put in."""
    if not data:
        return bytes([rnd.randrange(256)])
    out = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        i = rnd.randrange(len(out))
        roll = rnd.random()
        out[i] = out[i] ^ (1 << rnd.randrange(8)) if roll < 0.4 else rnd.choice(b"\x00\x1b\r\n\t{}[]:,\"'\\#&*!|>-") \
            if roll < 0.8 else rnd.randrange(256)
    return bytes(out)


def duplicate_lines(data: bytes, rnd: Random, limit: int = MAX_OUTPUT) -> bytes:
    """A log whose lines repeat (a resumed run, a tee'd stream), up to many times over."""
    lines = data.splitlines(keepends=True)
    if not lines:
        return (data * rnd.randint(2, 100))[:limit]
    i = rnd.randrange(len(lines))
    j = min(len(lines), i + rnd.randint(1, 20))
    block = b"".join(lines[i:j])
    times = _pick(rnd, ((2, 30), (3, 20), (10, 30), (100, 15), (1000, 4), (20000, 1)))
    times = max(1, min(_cap(times * len(block), data, limit), MAX_OUTPUT // 2) // max(len(block), 1))
    return b"".join(lines[:j]) + block * times + b"".join(lines[j:])


def huge_number(data: bytes, rnd: Random, limit: int = MAX_OUTPUT) -> bytes:
    """A number past every limit: 5,000+ digits, 1e999, a negative giant, a float with a huge exponent
    (within MAX_LEN: as long as fits, 40 digits at least)."""
    digits = max(40, _cap(_pick(rnd, ((400, 30), (4301, 35), (5000, 20), (20000, 13), (200000, 2))), data, limit) - 4)
    giant = rnd.choice((b"9" * digits, b"-" + b"9" * digits, b"1e999", b"-1e999", b"1" + b"0" * digits + b".5",
                        b"9" * digits + b"e-9", b"0x" + b"f" * digits, b"18446744073709551616", b"1e-999"))
    spots = list(_DIGITS.finditer(data[:1_000_000]))
    if spots and rnd.random() < 0.8:
        m = rnd.choice(spots)
        return data[:m.start()] + giant + data[m.end():]
    i = _at(data, rnd)
    return data[:i] + giant + data[i:]


_OPENERS = (b"[", b"{", b"{a: ", b'{"a": ', b"{'a': ", b"- ", b"(", b"[[", b"a:\n ", b"!!seq [", b"&x [")
_CLOSERS = {b"[": b"]", b"{": b"}", b"{a: ": b"}", b'{"a": ': b"}", b"{'a': ": b"}", b"(": b")", b"[[": b"]]",
            b"!!seq [": b"]", b"&x [": b"]"}


def deep_nesting(data: bytes, rnd: Random, limit: int = MAX_OUTPUT) -> bytes:
    """Brackets or block indentation nested 100 to 100,000 deep (the C stack's enemy), closed or not
    (within MAX_LEN: as deep as fits, a few hundred levels)."""
    depth = _pick(rnd, ((101, 30), (500, 25), (1001, 25), (5000, 14), (20000, 4), (100000, 2)))
    opener = rnd.choice(_OPENERS)
    depth = max(1, _cap(depth * (2 * len(opener) + 2), data, limit) // (2 * len(opener) + 2))
    if opener == b"a:\n ":  # block mapping: each level one more space of indentation
        depth = min(depth, 3000, int((2 * _cap(depth * depth, data, limit)) ** 0.5) if limit < MAX_OUTPUT else depth)
        nest = b"".join(b" " * k + b"a:\n" for k in range(depth)) + b" " * depth + b"1\n"
    elif opener == b"- ":
        nest = b"- " * depth + b"1\n"
    else:
        nest = opener * depth + (_CLOSERS[opener] * depth if rnd.random() < 0.5 else b"")
    i = _at(data, rnd)
    if rnd.random() < 0.3:  # replace a value after a key
        m = re.search(rb":\s*", data[i:i + 4096])
        if m:
            i += m.end()
    return data[:i] + nest + data[i:]


def long_line(data: bytes, rnd: Random, limit: int = MAX_OUTPUT) -> bytes:
    """One line of up to a few MB: a pasted blob, a progress bar without newlines, a minified JSON
    (within MAX_LEN: as long as fits)."""
    size = max(64, _cap(_pick(rnd, ((1_000, 40), (10_000, 40), (100_000, 18), (1_000_000, 1.5), (3_000_000, 0.5))),
                        data, limit))
    unit = rnd.choice((b"x", b"a ", b"\r", b"=", b"1", b"{'loss': 1.0, ", b"\x1b[2K", b"\xe2\x96\x88", b"-- ", b" "))
    line = (unit * (size // len(unit) + 1))[:size]
    i = _at(data, rnd)
    return data[:i] + line + data[i:]


_TOKENS = (b"NaN", b"-Infinity", b"Infinity", b"null", b"nan", b"inf", b"-0", b"1e308", b"True", b"~", b"''", b'""',
           b"!!python/object/apply:os.system ['echo']", b"!!binary aGVsbG8=", b"&a [*a]", b"*a", b"<<: *a", b"%YAML 1.2\n",
           b"---\n", b"...\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b"\r", b"\r\n", b"\t", b"\x1b[31m", b"\\u0000",
           b"'", b'"', b"{", b"}", b"[", b"]", b":", b"- ", b"? ", b"| ", b"#", b"\xc3\x28", b"\xf0\x9f\x92\xa5",
           b'"step": -1', b'"step": 1e999', b'"log_history": 5', b'"log_history": {', b"step 0/0",
           b"Traceback (most recent call last):\n", b"{'loss': nan, 'epoch': -1}", b"{'loss': 1e999}",
           b"global_step/max_steps': '0/0'", b"100%|##########| 0/0 [00:00<?, ?it/s]", b"__import__('os')",
           b"=" * 100, b",,,,,", b'"' * 50)


def insert_token(data: bytes, rnd: Random, limit: int = MAX_OUTPUT) -> bytes:
    """A token readers treat specially (NaN, a YAML tag or alias, a BOM, a quote) put in somewhere."""
    i = _at(data, rnd)
    return data[:i] + rnd.choice(_TOKENS) + data[i:]


def delete_range(data: bytes, rnd: Random, limit: int = MAX_OUTPUT) -> bytes:
    """A hole in the middle: a lost block, a half-written record."""
    if not data:
        return data
    i = rnd.randrange(len(data))
    return data[:i] + data[i + rnd.randint(1, 4096):]


def splice(data: bytes, rnd: Random, other: bytes = b"", limit: int = MAX_OUTPUT) -> bytes:
    """The head of one file on the tail of another (a config pasted into a log, two logs cat'ed)."""
    if not other:
        return data
    head = data[:rnd.randint(0, len(data))]
    start = rnd.randint(0, len(other))
    return head + other[start:start + max(0, limit - len(head))]


MUTATORS: tuple[Mutator, ...] = (truncate, flip_bytes, duplicate_lines, huge_number, deep_nesting, long_line,
                                  insert_token, delete_range)


class Mutant(bytes):
    """A mutant's bytes; ``big`` when it was made from the whole seed, up to MAX_OUTPUT."""

    big: bool = False


def _cap(size: int, data: bytes, limit: int) -> int:
    """How much a growing mutation adds: ``size``, or under a limit below MAX_OUTPUT what is left
    under it (at least a quarter of it: the end of the mutant is cut)."""
    return size if limit >= MAX_OUTPUT else min(size, max(limit - len(data), limit // 4))


def window(data: bytes, rnd: Random, size: int) -> bytes:
    """At most ``size`` bytes of ``data``: its start (where formats announce themselves) half of the
    time, else a stretch from a line start."""
    if len(data) <= size:
        return data
    if rnd.random() < 0.5:
        return data[:size]
    start = rnd.randrange(len(data) - size // 2)
    line = data.find(b"\n", start, start + size // 2)
    start = line + 1 if line >= 0 else start
    return data[start:start + size]


def mutate(data: bytes, rnd: Random, other: bytes = b"", big: bool | None = None,
           max_len: int = MAX_LEN) -> Mutant:
    """One to four mutations of ``data`` (sometimes a splice with ``other``). ``big`` (drawn with
    probability BIG_SHARE when None): from the whole of ``data``, at most MAX_OUTPUT bytes; else from a
    window of ``data``, at most ``max_len`` bytes."""
    if big is None:
        big = rnd.random() < BIG_SHARE
    limit = MAX_OUTPUT if big else max_len
    if not big:
        data = window(data, rnd, limit)
    for _ in range(rnd.choice((1, 1, 1, 2, 2, 3, 4))):
        if other and rnd.random() < 0.05:
            data = splice(data, rnd, other, limit)
        else:
            data = rnd.choice(MUTATORS)(data, rnd, limit)
        if len(data) > limit:
            data = data[:limit]
    out = Mutant(data)
    out.big = big
    return out

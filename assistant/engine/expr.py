"""Safe expressions: a whitelist interpreter over Python's own parser.

Rule files are data, so an expression must not be able to do anything but
arithmetic and comparison over fact values. The text is parsed with `ast`, every
node is checked against a whitelist when the rule loads, and the checked tree is
turned into closures; nothing is ever passed to eval() or exec().

A name (``pump.pressure``, ``reading.max``) is handed to a lookup function as the
tuple of its dotted parts; the lookup decides what it means. A lookup that cannot
resolve a name returns UNDEFINED, which spreads through arithmetic and makes the
whole expression undefined, so a condition over a missing fact is simply false;
``coalesce(x, 1)`` gives a default instead.
"""
from __future__ import annotations

import ast
import keyword
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["UNDEFINED", "Expr", "ExprError", "compile_expr", "Lookup"]

MAX_LENGTH = 2000
MAX_RESULT_BITS = 100_000  # int ** int beyond this is undefined, not a hang
MAX_SEQUENCE = 100_000  # "ab" * n beyond this is undefined, not a memory blow-up
FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "abs": abs, "len": len, "round": round}
COALESCE = "coalesce"  # coalesce(a, b, ...): the first argument that is defined and not None


class _Undefined:
    """The value of an expression that mentions a fact that is not there."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __reduce__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()

Lookup = Callable[[tuple[str, ...]], Any]
_Fn = Callable[[Lookup], Any]


class ExprError(ValueError):
    """An expression that may not be loaded; ``col`` is 1-based within its text."""

    def __init__(self, message: str, col: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.col = col


def _mul(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, tuple)) and isinstance(n, int) and len(seq) * n > MAX_SEQUENCE:
            return UNDEFINED
    return a * b


def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and a.bit_length() * b > MAX_RESULT_BITS:
        return UNDEFINED
    return a**b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):  # "%s" % x is string formatting, not arithmetic
        return UNDEFINED
    return a % b


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: _mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: _mod, ast.Pow: _pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_NAMES = {
    "Lambda": "lambda", "ListComp": "a comprehension", "SetComp": "a comprehension", "DictComp": "a comprehension",
    "GeneratorExp": "a comprehension", "Subscript": "subscripting", "IfExp": "a conditional expression",
    "NamedExpr": "assignment", "Await": "await", "Yield": "yield", "YieldFrom": "yield", "JoinedStr": "an f-string",
    "List": "a list", "Tuple": "a tuple", "Dict": "a dict", "Set": "a set", "Starred": "unpacking",
}


@dataclass(frozen=True, eq=False)
class Expr:
    """A checked expression. Pickles as its text and recompiles on load."""

    source: str
    refs: frozenset[tuple[str, ...]]
    _fn: _Fn = field(repr=False)

    def evaluate(self, lookup: Lookup) -> Any:
        """The value, or UNDEFINED when a name is missing or an operation does not apply."""
        try:
            return self._fn(lookup)
        except (ArithmeticError, TypeError, ValueError, AttributeError, RecursionError):
            return UNDEFINED

    def holds(self, lookup: Lookup) -> bool:
        """True only for a defined, truthy value."""
        value = self.evaluate(lookup)
        return value is not UNDEFINED and bool(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expr) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __reduce__(self) -> tuple[Any, ...]:
        return (compile_expr, (self.source,))


def compile_expr(source: str) -> Expr:
    """Parse and check ``source``; raise ExprError naming the first disallowed construct."""
    if len(source) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    text = source.strip()
    try:
        tree = ast.parse(_escape_keywords(text), mode="eval")
    except SyntaxError as e:  # offset 0: the expression ended too soon
        raise ExprError(f"invalid expression: {e.msg}", e.offset or len(text) + 1) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("expression too deeply nested or invalid") from None
    refs: set[tuple[str, ...]] = set()
    fn = _compile(tree.body, refs)
    return Expr(source, frozenset(refs), fn)


_KEYWORD_MARK = "__kw"


def _escape_keywords(source: str) -> str:
    """Rename keywords used as parts of dotted names (``animal.class``, ``in.x``)
    so Python's parser accepts them; _chain() restores the names."""
    if not _maybe_dotted_keyword(source):   # most expressions: no need to tokenize
        return source
    import io
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source  # the parser will say what is wrong
    lines = source.split("\n")
    for i in reversed(range(len(tokens))):
        tok = tokens[i]
        if tok.type != tokenize.NAME or not keyword.iskeyword(tok.string):
            continue
        before, after = tokens[i - 1] if i else None, tokens[i + 1] if i + 1 < len(tokens) else None
        dotted = (before is not None and before.string == "." and before.end == tok.start) or (
            after is not None and after.string == "." and after.start == tok.end
        )
        if dotted:
            row, col = tok.start[0] - 1, tok.start[1]
            line = lines[row]
            lines[row] = line[:col] + tok.string + _KEYWORD_MARK + line[col + len(tok.string):]
    return "\n".join(lines)


def _maybe_dotted_keyword(source: str) -> bool:
    """Whether a keyword could touch a `.` in ``source`` (what `_escape_keywords` renames): the
    keyword's text right after or before a dot. Checked before tokenizing, which costs ~0.3 ms
    an expression and runs for each of the rulebase's expressions whenever it is loaded."""
    return "." in source and (_DOT_KEYWORD.search(source) is not None
                              or any(f"{kw}." in source for kw in keyword.kwlist))


# `.class` where the name ends (`.input` is no keyword: a NAME runs on over ASCII letters and digits).
_DOT_KEYWORD = re.compile(r"\.(?:%s)(?![A-Za-z0-9_])" % "|".join(keyword.kwlist))


def _fail(node: ast.AST, message: str) -> ExprError:
    return ExprError(message, getattr(node, "col_offset", 0) + 1)


def _chain(node: ast.AST) -> tuple[str, ...] | None:
    """``a.b.c`` as ('a', 'b', 'c'); None when the root is not a plain name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(p.removesuffix(_KEYWORD_MARK) if keyword.iskeyword(p.removesuffix(_KEYWORD_MARK)) else p
                 for p in reversed(parts))


def _compile(node: ast.AST, refs: set[tuple[str, ...]]) -> _Fn:
    if isinstance(node, ast.Constant):
        value = node.value
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise _fail(node, f"constant {value!r} is not allowed")
        return lambda _lookup: value
    if isinstance(node, (ast.Name, ast.Attribute)):
        return _compile_name(node, refs)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _compile_binop(_BINOPS[type(node.op)], _compile(node.left, refs), _compile(node.right, refs))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _compile_unary(_UNARY[type(node.op)], _compile(node.operand, refs))
    if isinstance(node, ast.BoolOp):
        return _compile_boolop(isinstance(node.op, ast.And), [_compile(v, refs) for v in node.values])
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _CMPOPS:
                raise _fail(node, f"comparison `{type(op).__name__}` is not allowed")
        return _compile_compare(
            _compile(node.left, refs), [(_CMPOPS[type(op)], _compile(c, refs)) for op, c in zip(node.ops, node.comparators)]
        )
    if isinstance(node, ast.Call):
        return _compile_call(node, refs)
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        raise _fail(node, f"operator `{type(node.op).__name__}` is not allowed")
    kind = type(node).__name__
    raise _fail(node, f"{_NAMES.get(kind, '`' + kind + '`')} is not allowed in expressions")


def _compile_name(node: ast.AST, refs: set[tuple[str, ...]]) -> _Fn:
    parts = _chain(node)
    if parts is None:
        raise _fail(node, "attribute access is only allowed on fact names")
    for part in parts:
        if part.startswith("_"):
            raise _fail(node, f"name `{part}` is not allowed (names starting with `_` are reserved)")
    refs.add(parts)
    return lambda lookup: lookup(parts)


def _compile_binop(op: Callable[[Any, Any], Any], left: _Fn, right: _Fn) -> _Fn:
    def run(lookup: Lookup) -> Any:
        a, b = left(lookup), right(lookup)
        if a is UNDEFINED or b is UNDEFINED:
            return UNDEFINED
        return op(a, b)

    return run


def _compile_unary(op: Callable[[Any], Any], operand: _Fn) -> _Fn:
    def run(lookup: Lookup) -> Any:
        a = operand(lookup)
        return UNDEFINED if a is UNDEFINED else op(a)

    return run


def _compile_boolop(is_and: bool, values: list[_Fn]) -> _Fn:
    """Kleene logic: a decided operand decides; otherwise undefined wins over the rest."""

    def run(lookup: Lookup) -> Any:
        undefined = False
        last: Any = None
        for fn in values:
            last = fn(lookup)
            if last is UNDEFINED:
                undefined = True
            elif bool(last) != is_and:  # false in `and`, true in `or`
                return last
        return UNDEFINED if undefined else last

    return run


def _compile_compare(left: _Fn, rest: list[tuple[Callable[[Any, Any], Any], _Fn]]) -> _Fn:
    def run(lookup: Lookup) -> Any:
        a = left(lookup)
        for op, fn in rest:
            b = fn(lookup)
            if a is UNDEFINED or b is UNDEFINED:
                return UNDEFINED
            if not op(a, b):
                return False
            a = b
        return True

    return run


def _compile_call(node: ast.Call, refs: set[tuple[str, ...]]) -> _Fn:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in FUNCTIONS and name != COALESCE:
        shown = name or ast.unparse(node.func)
        raise _fail(node, f"call to `{shown}` is not allowed (only {', '.join([*FUNCTIONS, COALESCE])})")
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise _fail(node, f"`{name}` takes plain positional arguments only")
    args = [_compile(a, refs) for a in node.args]
    if name == COALESCE:
        return _compile_coalesce(args)
    fn = FUNCTIONS[name]

    def run(lookup: Lookup) -> Any:
        values = [a(lookup) for a in args]
        if any(v is UNDEFINED for v in values):
            return UNDEFINED
        return fn(*values)

    return run


def _compile_coalesce(args: list[_Fn]) -> _Fn:
    def run(lookup: Lookup) -> Any:
        for arg in args:
            value = arg(lookup)
            if value is not UNDEFINED and value is not None:
                return value
        return UNDEFINED

    return run

"""Rule files to a RuleBase, with every problem in every file reported at once.

Each problem is one line ``path:line:col: message`` (1-based), with a did-you-mean
hint where a name, key or test is close to a known one. The YAML accepted is
described in docs/ARCHITECTURE.md ("Rule language").
"""
from __future__ import annotations

import difflib
import keyword
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Collection, Iterable

from assistant.errors import RuleError

from .conditions import OPS, AllCond, AnyCond, Condition, ExprCond, FactCond, NotCond, ValueTest, check_test
from .expr import Expr, ExprError, compile_expr
from .facts import FACT_NAME_RE, Fact, freeze
from .rules import CONCLUSION_PREFIX, AssertAction, Example, Rule, RuleBase
from .template import template_fields
from .yamltree import Mark, Node, parse_yaml

__all__ = ["load_rulebase", "RULE_KEYS", "CONDITION_KINDS", "SEVERITIES"]

RULE_KEYS = ("id", "description", "salience", "tags", "when", "then", "examples")
CONDITION_KINDS = ("all", "any", "not", "absent", "expr", "fact")
FACT_KEYS = ("fact", "as", "where", *OPS)
ASSERT_KEYS = ("fact", "value", "expr", "cf")
THEN_KEYS = ("assert", "conclude", "cf")
EXAMPLE_KEYS = ("facts", "expect", "expect_not", "expect_fact")
SEVERITIES = ("critical", "warning", "info")
EXAMPLE_SOURCE = "example"

_RULE_ID_RE = re.compile(r"[a-z0-9][a-z0-9_.\-]*")
_ALIAS_RE = re.compile(r"[a-z_][a-z0-9_]*")
_ATTR_RE = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")

KnownFact = Callable[[str], bool] | Collection[str]


def load_rulebase(
    paths: Iterable[Path | str],
    known_fact: KnownFact | None = None,
    known_conclusions: Collection[str] | None = None,
    *,
    fact_names: Iterable[str] | None = None,
    require_examples: bool = False,
) -> RuleBase:
    """Load, check and compile rule files; raise RuleError listing every problem.

    known_fact:        which fact names exist (a predicate or a collection); None accepts any.
                       `conclusion.<id>` is known when some rule concludes <id>.
    known_conclusions: the conclusion ids `conclude:` may use; None accepts any.
    fact_names:        extra names to draw did-you-mean hints from (a predicate cannot list them).
    require_examples:  every rule must carry at least one example.
    """
    loader = _Loader(known_fact, known_conclusions, fact_names, require_examples)
    for path in paths:
        loader.load_file(Path(path))
    loader.check_references()
    if loader.problems:
        raise RuleError(loader.messages())
    return RuleBase(loader.rules)


def _hint(word: Any, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=cutoff)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass(frozen=True)
class _NameUse:
    """A fact name a rule uses, checked once every file is read."""

    mark: Mark
    parts: tuple[str, ...]
    whole: bool  # the whole name must be a fact (else: some prefix, the rest are attributes)
    aliases: set[str]  # the rule's aliases, filled in as its conditions are read
    where: str


class _Loader:
    def __init__(self, known_fact: KnownFact | None, known_conclusions: Collection[str] | None,
                 fact_names: Iterable[str] | None, require_examples: bool) -> None:
        self._known_fact: Callable[[str], bool] | None
        self._candidates: set[str] = set(fact_names or ())
        if known_fact is None or callable(known_fact):
            self._known_fact = known_fact
        else:
            names = frozenset(known_fact)
            self._known_fact = names.__contains__
            self._candidates |= names
        self._known_conclusions = None if known_conclusions is None else frozenset(known_conclusions)
        self._require_examples = require_examples
        self._files: dict[str, int] = {}
        self.problems: list[tuple[int, int, int, str]] = []  # (file index, line, col, text)
        self.rules: list[Rule] = []
        self._ids: dict[str, Mark] = {}
        self._uses: list[_NameUse] = []
        self._concluded: set[str] = set()
        self._conclude_uses: list[tuple[Mark, str]] = []
        self._expect_uses: list[tuple[Mark, str]] = []
        self._aliases: set[str] = set()

    # ---------------------------------------------------------------- problems

    def messages(self) -> list[str]:
        return [text for *_, text in sorted(self.problems, key=lambda p: p[:3])]

    def _err(self, mark: Mark, message: str) -> None:
        self.problems.append((self._files.get(mark.path, 0), mark.line, mark.col, f"{mark}: {message}"))

    def _unknown_keys(self, node: Node, allowed: tuple[str, ...], what: str) -> None:
        for key, mark in node.key_marks.items():
            if key not in allowed:
                self._err(mark, f"unknown {what} `{key}`{_hint(key, allowed)}")

    # ---------------------------------------------------------------- files

    def load_file(self, path: Path) -> None:
        shown = str(path)
        self._files.setdefault(shown, len(self._files))
        start = Mark(shown, 1, 1)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            self._err(start, f"cannot read rule file: {getattr(e, 'strerror', None) or e}")
            return
        root, problems = parse_yaml(text, shown)
        for mark, message in problems:
            self._err(mark, message)
        if root is None:
            if not problems:
                self._err(start, "empty file: expected a mapping with `rules:` (a list of rules)")
            return
        if not root.is_map or "rules" not in root.value:
            self._err(root.mark, "expected a mapping with `rules:` (a list of rules)")
            return
        self._unknown_keys(root, ("rules",), "top-level key")
        rules = root.value["rules"]
        if not rules.is_seq:
            self._err(rules.mark, "`rules` must be a list of rules")
            return
        for node in rules.value:
            rule = self._rule(node)
            if rule is not None:
                self.rules.append(rule)

    # ---------------------------------------------------------------- rules

    def _rule(self, node: Node) -> Rule | None:
        if not node.is_map:
            self._err(node.mark, "a rule must be a mapping with `id`, `when` and `then`")
            return None
        before = len(self.problems)
        keys = node.value
        self._aliases = set()
        self._unknown_keys(node, RULE_KEYS, "rule key")
        rule_id = self._rule_id(keys["id"]) if "id" in keys else None
        for required in ("id", "when", "then"):
            if required not in keys:
                named = f"rule `{rule_id}`" if rule_id else "rule"
                self._err(node.mark, f"{named} is missing `{required}`")
        description = self._text(keys.get("description"), "description")
        salience = self._salience(keys.get("salience"))
        tags = self._tags(keys.get("tags"))
        when = self._condition(keys["when"]) if "when" in keys else None
        then = self._then(keys["then"]) if "then" in keys else None
        examples = self._examples(keys.get("examples"))
        if self._require_examples and not examples and "examples" not in keys:
            self._err(node.mark, f"rule `{rule_id or '?'}` carries no example")
        if len(self.problems) > before or rule_id is None or when is None or then is None:
            return None
        asserts, conclude, cf, meta, used = then
        rule = Rule(rule_id, when, asserts, conclude, cf, meta, salience, description, tags, examples, str(node.mark))
        # A rule reading what it produces would redo itself after every firing.
        own = rule.produces()
        reads = {p for p in used if not any(".".join(p[:i]) in own for i in range(1, len(p) + 1))}
        return replace(rule, reads=frozenset(reads))

    def _rule_id(self, node: Node) -> str | None:
        value = node.value
        if not (isinstance(value, str) and _RULE_ID_RE.fullmatch(value)):
            self._err(node.mark, f"rule id must be lowercase letters, digits, `_`, `.` or `-`, got {value!r}")
            return None
        if value in self._ids:
            self._err(node.mark, f"duplicate rule id `{value}` (first at {self._ids[value]})")
            return None
        self._ids[value] = node.mark
        return value

    def _text(self, node: Node | None, what: str) -> str:
        if node is None:
            return ""
        if not isinstance(node.value, str):
            self._err(node.mark, f"`{what}` must be text")
            return ""
        return node.value

    def _salience(self, node: Node | None) -> int:
        if node is None:
            return 0
        if not isinstance(node.value, int) or isinstance(node.value, bool):
            self._err(node.mark, f"`salience` must be a whole number, got {node.value!r}")
            return 0
        return node.value

    def _tags(self, node: Node | None) -> tuple[str, ...]:
        if node is None:
            return ()
        if not node.is_seq or not all(isinstance(t.value, str) for t in node.value):
            self._err(node.mark, "`tags` must be a list of words")
            return ()
        return tuple(t.value for t in node.value)

    def _cf(self, node: Node) -> float | None:
        if not _number(node.value) or not -1.0 <= node.value <= 1.0:
            self._err(node.mark, f"cf must be a number from -1 to 1, got {node.value!r}")
            return None
        return float(node.value)

    # ---------------------------------------------------------------- names

    def _fact_name(self, node: Node, where: str) -> str | None:
        name = node.value
        if not (isinstance(name, str) and FACT_NAME_RE.fullmatch(name)):
            self._err(node.mark, f"bad fact name {name!r}: use lowercase dotted words")
            return None
        self._uses.append(_NameUse(node.mark, tuple(name.split(".")), True, self._aliases, where))
        return name

    def _chains(self, node: Node, chains: Iterable[tuple[str, ...]], where: str) -> None:
        for parts in chains:
            self._uses.append(_NameUse(node.mark, parts, False, self._aliases, where))

    # ---------------------------------------------------------------- conditions

    def _condition(self, node: Node) -> Condition | None:
        if not node.is_map or not node.value:
            self._err(node.mark, f"a condition must be a mapping with one of: {', '.join(CONDITION_KINDS)}")
            return None
        kinds = [k for k in node.value if k in CONDITION_KINDS]
        if not kinds:
            self._unknown_keys(node, CONDITION_KINDS, "condition")
            return None
        if len(kinds) > 1:
            shown = " and ".join(f"`{k}`" for k in kinds)
            self._err(node.mark, f"a condition is one of {', '.join(CONDITION_KINDS)}; this one has {shown}")
            return None
        kind = kinds[0]
        if kind == "fact":
            return self._fact_condition(node)
        for key, mark in node.key_marks.items():
            if key != kind:
                self._err(mark, f"`{key}` cannot go with `{kind}`: a condition has one kind")
        body = node.value[kind]
        if kind in ("all", "any"):
            if not body.is_seq or not body.value:
                self._err(body.mark, f"`{kind}` needs a non-empty list of conditions")
                return None
            children = [self._condition(child) for child in body.value]
            if any(c is None for c in children):
                return None
            return (AllCond if kind == "all" else AnyCond)(tuple(children))  # type: ignore[arg-type]
        if kind == "not":
            child = self._condition(body)
            return NotCond(child) if child is not None else None
        if kind == "absent":
            name = self._fact_name(body, "absent")
            return NotCond(FactCond(name)) if name else None
        expr = self._expr(body, "expr")
        return ExprCond(expr) if expr is not None else None

    def _fact_condition(self, node: Node) -> FactCond | None:
        keys = node.value
        before = len(self.problems)
        name = self._fact_name(keys["fact"], "fact")
        alias = self._alias(keys["as"]) if "as" in keys else None
        tests = []
        for key, mark in node.key_marks.items():
            if key in ("fact", "as", "where"):
                continue
            if key not in OPS:
                self._err(mark, f"unknown test `{key}`{_hint(key, FACT_KEYS)}")
                continue
            tests.append(self._test(str(key), keys[key]))
        where = self._where(keys["where"]) if "where" in keys else ()
        if len(self.problems) > before or name is None:
            return None
        return FactCond(name, alias, tuple(t for t in tests if t is not None), where)

    def _alias(self, node: Node) -> str | None:
        alias = node.value
        if not (isinstance(alias, str) and _ALIAS_RE.fullmatch(alias)) or keyword.iskeyword(alias):
            self._err(node.mark, f"`as` must be a lowercase word (letters, digits, `_`), got {alias!r}")
            return None
        self._aliases.add(alias)
        return alias

    def _test(self, op: str, node: Node) -> ValueTest | None:
        arg = node.plain()
        problem = check_test(op, arg)
        if problem:
            self._err(node.mark, problem)
            return None
        return ValueTest(op, arg)

    def _where(self, node: Node) -> tuple[tuple[str, ValueTest], ...]:
        if not node.is_map or not node.value:
            self._err(node.mark, "`where` must map attribute names to a value or {test: value}")
            return ()
        out = []
        for attr, value in node.value.items():
            if not (isinstance(attr, str) and _ATTR_RE.fullmatch(attr)):
                self._err(node.key_marks[attr], f"bad attribute name {attr!r}")
                continue
            if not value.is_map:
                out.append((attr, ValueTest("eq", value.plain())))
                continue
            for op, arg in value.value.items():
                if op not in OPS:
                    self._err(value.key_marks[op], f"unknown test `{op}`{_hint(op, OPS)}")
                    continue
                test = self._test(op, arg)
                if test is not None:
                    out.append((attr, test))
        return tuple(out)

    def _expr(self, node: Node, where: str) -> Expr | None:
        if not isinstance(node.value, str):
            self._err(node.mark, f"`{where}` must be an expression in quotes")
            return None
        try:
            expr = compile_expr(node.value)
        except ExprError as e:
            self._err(node.mark, f"{e.message} (column {e.col} of {where} {node.value!r})")
            return None
        self._chains(node, expr.refs, where)
        return expr

    # ---------------------------------------------------------------- then

    def _then(self, node: Node) -> tuple[tuple[AssertAction, ...], str | None, float, Any, set[tuple[str, ...]]] | None:
        """The actions, conclusion, cf, meta, and the names they use."""
        if not node.is_map:
            self._err(node.mark, "`then` must be a mapping with `conclude` and/or `assert`")
            return None
        before = len(self.problems)
        keys = node.value
        if "assert" not in keys and "conclude" not in keys:
            self._err(node.mark, "`then` needs `conclude` or `assert`")
        asserts = self._asserts(keys["assert"]) if "assert" in keys else ()
        used = {parts for a in asserts if a.expr is not None for parts in a.expr.refs}
        conclude = self._conclusion(keys["conclude"]) if "conclude" in keys else None
        cf = 1.0
        if "cf" in keys:
            cf = self._cf(keys["cf"]) or 0.0
            if "conclude" not in keys:
                self._err(node.key_marks["cf"], "`cf` is the certainty of `conclude`; give each assert its own `cf`")
        meta = {}
        for key, mark in node.key_marks.items():
            if key in THEN_KEYS:
                continue
            if difflib.get_close_matches(str(key), ("assert", "conclude"), n=1, cutoff=0.8):
                self._err(mark, f"unknown key `{key}` under `then`{_hint(key, ('assert', 'conclude'), 0.8)}")
                continue
            used.update(self._templates(keys[key]))
            meta[key] = keys[key].plain()
        severity = keys.get("severity")
        if severity is not None and severity.value not in SEVERITIES:
            self._err(severity.mark, f"severity must be one of {', '.join(SEVERITIES)}, got {severity.value!r}"
                                     f"{_hint(severity.value, SEVERITIES)}")
        if len(self.problems) > before:
            return None
        return asserts, conclude, cf, freeze(meta), used

    def _asserts(self, node: Node) -> tuple[AssertAction, ...]:
        items = node.value if node.is_seq else None
        if not items:
            self._err(node.mark, "`assert` must be a non-empty list of {fact: NAME, value | expr, cf}")
            return ()
        out = []
        for item in items:
            if not item.is_map or "fact" not in item.value:
                self._err(item.mark, "an assert item needs `fact` (and optionally `value` or `expr`, and `cf`)")
                continue
            keys = item.value
            self._unknown_keys(item, ASSERT_KEYS, "assert key")
            name = self._fact_name(keys["fact"], "assert")
            if "value" in keys and "expr" in keys:
                self._err(item.mark, "an assert item takes `value` or `expr`, not both")
            expr = self._expr(keys["expr"], "expr") if "expr" in keys else None
            cf = self._cf(keys["cf"]) if "cf" in keys else 1.0
            value = keys["value"].plain() if "value" in keys else True
            if name is not None and cf is not None:
                out.append(AssertAction(name, freeze(value), expr, cf))
        return tuple(out)

    def _conclusion(self, node: Node) -> str | None:
        cid = node.value
        if not (isinstance(cid, str) and FACT_NAME_RE.fullmatch(CONCLUSION_PREFIX + cid)):
            self._err(node.mark, f"conclusion id must be lowercase dotted words, got {cid!r}")
            return None
        self._concluded.add(cid)
        self._conclude_uses.append((node.mark, cid))
        return cid

    def _templates(self, node: Node) -> list[tuple[str, ...]]:
        """Check every string inside as a template; the names they use."""
        if node.is_map or node.is_seq:
            values = node.value.values() if node.is_map else node.value
            return [parts for value in values for parts in self._templates(value)]
        if not isinstance(node.value, str):
            return []
        try:
            fields = template_fields(node.value)
        except ValueError as e:
            self._err(node.mark, f"bad template: {e}")
            return []
        self._chains(node, fields, "template")
        return fields

    # ---------------------------------------------------------------- examples

    def _examples(self, node: Node | None) -> tuple[Example, ...]:
        if node is None:
            return ()
        if not node.is_seq or not node.value:
            self._err(node.mark, "`examples` must be a non-empty list of {facts, expect | expect_not | expect_fact}")
            return ()
        out = []
        for item in node.value:
            if not item.is_map:
                self._err(item.mark, "an example must be a mapping with `facts` and `expect`, `expect_not` or `expect_fact`")
                continue
            self._unknown_keys(item, EXAMPLE_KEYS, "example key")
            keys = item.value
            if not any(k in keys for k in EXAMPLE_KEYS[1:]):
                self._err(item.mark, "an example needs `expect`, `expect_not` or `expect_fact`")
            facts = self._example_facts(keys["facts"]) if "facts" in keys else None
            if facts is None:
                if "facts" not in keys:
                    self._err(item.mark, "an example needs `facts`")
                continue
            expect = self._words(keys.get("expect"), True)
            expect_not = self._words(keys.get("expect_not"), True)
            expect_fact = self._words(keys.get("expect_fact"), False)
            out.append(Example(facts, expect, expect_not, expect_fact, str(item.mark)))
        return tuple(out)

    def _example_facts(self, node: Node) -> tuple[Fact, ...] | None:
        if not node.is_map:
            self._err(node.mark, "example `facts` must map fact names to values")
            return None
        facts = []
        for name, value in node.value.items():
            if self._fact_name(Node(name, node.key_marks[name]), "example") is None:
                continue
            for item in value.value if value.is_seq else [value]:
                cf: float | None = 1.0
                if item.is_map and set(item.value) == {"value", "cf"}:
                    cf = self._cf(item.value["cf"])
                    item = item.value["value"]
                if cf is not None:
                    facts.append(Fact(name, item.plain(), EXAMPLE_SOURCE, cf))
        return tuple(facts)

    def _words(self, node: Node | None, conclusions: bool) -> tuple[str, ...]:
        if node is None:
            return ()
        items = node.value if node.is_seq else [node]
        out = []
        for item in items:
            if not isinstance(item.value, str):
                self._err(item.mark, f"expected a {'conclusion id' if conclusions else 'fact name'}, got {item.value!r}")
            elif conclusions:
                self._expect_uses.append((item.mark, item.value))
                out.append(item.value)
            elif self._fact_name(item, "expect_fact"):
                out.append(item.value)
        return tuple(out)

    # ---------------------------------------------------------------- cross-file checks

    def check_references(self) -> None:
        known = self._known_conclusions
        if known is not None:
            for mark, cid in self._conclude_uses:
                if cid not in known:
                    self._err(mark, f"unknown conclusion `{cid}`{_hint(cid, known)}")
        reachable = self._concluded | set(known or ())
        for mark, cid in self._expect_uses:
            if cid not in reachable:
                self._err(mark, f"no rule concludes `{cid}`{_hint(cid, reachable)}")
        if self._known_fact is not None:
            self._check_fact_names()

    def _known(self, name: str) -> bool:
        if name.startswith(CONCLUSION_PREFIX) and name[len(CONCLUSION_PREFIX):] in self._concluded:
            return True
        assert self._known_fact is not None
        return self._known_fact(name)

    def _check_fact_names(self) -> None:
        candidates = self._candidates | {CONCLUSION_PREFIX + c for c in self._concluded}
        candidates |= {".".join(u.parts) for u in self._uses if u.whole and self._known(".".join(u.parts))}
        for use in self._uses:
            prefixes = [".".join(use.parts[:i]) for i in range(len(use.parts), 0, -1)]
            if use.whole:
                ok = self._known(prefixes[0])
            else:
                ok = use.parts[0] in use.aliases or any(self._known(p) for p in prefixes)
            if not ok:
                self._err(use.mark, f"unknown fact `{prefixes[0]}` in {use.where}{self._suggest(use.parts, candidates)}")

    @staticmethod
    def _suggest(parts: tuple[str, ...], candidates: set[str]) -> str:
        for end in range(len(parts), 0, -1):
            close = difflib.get_close_matches(".".join(parts[:end]), list(candidates), n=1, cutoff=0.75)
            if close:
                return f" (did you mean `{'.'.join((close[0], *parts[end:]))}`?)"
        return ""

"""Located YAML: plain values built from PyYAML's node tree, each keeping its
file:line:col so that every problem in a rule file can be pointed at.

PyYAML's own constructor would silently keep the last of two equal keys and
expand anchors without bound; building values here rejects both. Unquoted
scalars like ``1e-5`` are floats (YAML 1.2), not the strings YAML 1.1 makes them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml
from yaml.constructor import SafeConstructor

__all__ = ["Mark", "Node", "parse_yaml", "ALIAS_NODE_LIMIT"]

ALIAS_NODE_LIMIT = 1000
_FLOAT_RE = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)[eE][-+]?\d+")
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml composes ~15x faster, same marks


class Mark(NamedTuple):
    """A position in a file, 1-based."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass
class Node:
    """A YAML value with its position: scalar, list of Nodes, or dict of Nodes."""

    value: Any
    mark: Mark
    key_marks: dict[Any, Mark] = field(default_factory=dict)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not (self.is_map or self.is_seq)

    def plain(self) -> Any:
        """The value without positions."""
        if self.is_map:
            return {k: v.plain() for k, v in self.value.items()}
        if self.is_seq:
            return [v.plain() for v in self.value]
        return self.value


def parse_yaml(text: str, path: str) -> tuple[Node | None, list[tuple[Mark, str]]]:
    """The document as a Node tree (None if empty or unreadable) and every problem found."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = Mark(path, mark.line + 1, mark.column + 1) if mark else Mark(path, 1, 1)
        return None, [(where, f"invalid YAML: {e.problem or e.context}")]
    except yaml.YAMLError as e:
        return None, [(Mark(path, 1, 1), f"invalid YAML: {e}")]
    if root is None:
        return None, []
    builder = _Builder(path)
    return builder.build(root), builder.problems


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[tuple[Mark, str]] = []
        self._constructor = SafeConstructor()
        self._seen: set[int] = set()
        self._open: set[int] = set()
        self._alias_depth = 0
        self._alias_nodes = 0

    def _mark(self, node: yaml.Node) -> Mark:
        return Mark(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node) -> Node | None:
        mark = self._mark(node)
        if id(node) in self._open:
            self.problems.append((mark, "recursive alias"))
            return None
        reused = id(node) in self._seen  # reached again through an alias
        self._seen.add(id(node))
        self._alias_depth += reused
        self._open.add(id(node))
        try:
            if self._alias_depth:
                self._alias_nodes += 1
                if self._alias_nodes == ALIAS_NODE_LIMIT + 1:
                    self.problems.append((mark, f"aliases expand to more than {ALIAS_NODE_LIMIT} values"))
                if self._alias_nodes > ALIAS_NODE_LIMIT:
                    return None
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, mark)
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _TAG + "seq":
                    self.problems.append((mark, f"unsupported tag {node.tag}"))
                    return None
                items = [self.build(child) for child in node.value]
                return Node([i for i in items if i is not None], mark)
            return self._scalar(node, mark)
        finally:
            self._open.discard(id(node))
            self._alias_depth -= reused

    def _scalar(self, node: yaml.ScalarNode, mark: Mark) -> Node | None:
        if node.tag == _TAG + "str":
            if not node.style and _FLOAT_RE.fullmatch(node.value):  # plain, not quoted
                return Node(float(node.value), mark)
            return Node(node.value, mark)
        if node.tag == _TAG + "timestamp":
            return Node(node.value, mark)
        if node.tag not in _SCALAR_TAGS:
            self.problems.append((mark, f"unsupported tag {node.tag}"))
            return None
        try:
            return Node(self._constructor.construct_object(node), mark)
        except (yaml.YAMLError, ValueError) as e:
            self.problems.append((mark, f"bad {node.tag.removeprefix(_TAG)} value {node.value!r}: {e}"))
            return None

    def _mapping(self, node: yaml.MappingNode, mark: Mark) -> Node | None:
        if node.tag != _TAG + "map":
            self.problems.append((mark, f"unsupported tag {node.tag}"))
            return None
        out: dict[Any, Node] = {}
        marks: dict[Any, Mark] = {}
        for key_node, value_node in node.value:
            key_mark = self._mark(key_node)
            if key_node.tag == _TAG + "merge":
                self.problems.append((key_mark, "merge keys (<<) are not supported"))
                continue
            key = self.build(key_node)
            if key is None:
                continue
            if not key.is_scalar:
                self.problems.append((key_mark, "a mapping key must be a plain value"))
                continue
            if key.value in out:
                first = marks[key.value]
                self.problems.append((key_mark, f"duplicate key `{key.value}` (first at line {first.line})"))
                continue
            value = self.build(value_node)
            if value is not None:
                out[key.value] = value
                marks[key.value] = key_mark
        return Node(out, mark, marks)

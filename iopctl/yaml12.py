"""PyYAML loaders with YAML 1.2 core-schema semantics, on the C parser when it is there.

PyYAML implements YAML 1.1, where `no`/`on` are booleans, `010` is octal and
`2026-11-02` becomes a date object. Records follow YAML 1.2: those are the
text "no", the integer 10 and the text "2026-11-02" (the schema's `format:
date` judges it, so `2026-02-30` is a finding, not a crash). Every path that
reads YAML in iopctl goes through these classes, so the meaning of a scalar
never depends on which parser ran.
"""
from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode

try:  # libyaml: ~10x faster; the pure-Python parser gives the same result
    from yaml import CSafeLoader as _FastBase

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _FastBase

    HAVE_LIBYAML = False

# The YAML 1.2 core schema's implicit types, as (tag, regex, first characters).
_CORE_RESOLVERS = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
]

# More alias expansion than this is an alias bomb ("billion laughs"), not a record.
MAX_EXPANDED_NODES = 100_000


class DuplicateKeyError(ConstructorError):
    """A mapping names the same key twice; YAML forbids it, PyYAML would keep the last."""


class AliasBombError(ConstructorError):
    """Aliases expand the document beyond MAX_EXPANDED_NODES."""


def _construct_int(loader: SafeConstructor, node: Any) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # YAML 1.2: a leading zero is still decimal


class _Yaml12Mixin:
    """Resolvers and constructors shared by the C and the pure-Python loader."""

    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)  # type: ignore[call-arg]
        self.alias_uses = 0

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        if node in self.constructed_objects:  # type: ignore[attr-defined]
            self.alias_uses += 1
        return super().construct_object(node, deep)  # type: ignore[misc]

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, f"expected a mapping, found {node.id}", node.start_mark)
        mapping: dict = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[attr-defined]
            try:
                hash(key)
            except TypeError:
                raise ConstructorError(
                    "while reading a mapping", node.start_mark, "a key must be a single value, not a list or mapping",
                    key_node.start_mark,
                ) from None
            if key in mapping:
                raise DuplicateKeyError(
                    "while reading a mapping", node.start_mark, f"duplicate key `{key}`", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=deep)  # type: ignore[attr-defined]
        return mapping


def _install(cls: type) -> type:
    cls.yaml_implicit_resolvers = {}
    for tag, pattern, first in _CORE_RESOLVERS:
        cls.add_implicit_resolver(tag, re.compile(pattern), list(first))
    cls.yaml_constructors = dict(SafeConstructor.yaml_constructors)
    cls.yaml_constructors.pop("tag:yaml.org,2002:timestamp", None)  # dates stay text
    cls.add_constructor("tag:yaml.org,2002:int", _construct_int)
    return cls


@_install
class FastLoader(_Yaml12Mixin, _FastBase):  # type: ignore[misc,valid-type]
    """YAML 1.2 core schema on libyaml."""


@_install
class PureLoader(_Yaml12Mixin, yaml.SafeLoader):  # type: ignore[misc]
    """YAML 1.2 core schema in pure Python (same results; used to cross-check)."""


def _expanded_size(value: Any, memo: dict[int, int]) -> int:
    key = id(value)
    if key in memo:
        return memo[key]
    if isinstance(value, dict):
        size = 1 + sum(_expanded_size(v, memo) for v in value.values()) + len(value)
    elif isinstance(value, list):
        size = 1 + sum(_expanded_size(v, memo) for v in value)
    else:
        size = 1
    memo[key] = size
    return size


def load(text: str, loader_class: type = FastLoader) -> Any:
    """Parse one YAML document with YAML 1.2 semantics.

    Raises yaml.YAMLError (with a mark) for anything that is not one valid
    document: syntax errors, duplicate keys, alias bombs, several documents.
    """
    loader = loader_class(text)
    try:
        data = loader.get_single_data()
        if loader.alias_uses and _expanded_size(data, {}) > MAX_EXPANDED_NODES:
            raise AliasBombError(
                None, None, f"aliases expand this file to more than {MAX_EXPANDED_NODES:,} values", None
            )
        return data
    finally:
        loader.dispose()


def compose(text: str) -> Any:
    """The node tree (with line and column marks) under the same resolvers as load()."""
    loader = FastLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()

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
import sys
from sys import intern
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

# What YAML counts as a line break (libyaml's marks too): a line and column computed here
# must count lines as the parser does, or a CR-only file puts every finding on line 1.
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
BREAK_CHARS = "\r\n\x85\u2028\u2029"

# More alias expansion than this is an alias bomb ("billion laughs"), not a record.
MAX_EXPANDED_NODES = 100_000


class DuplicateKeyError(ConstructorError):
    """A mapping names the same key twice; YAML forbids it, PyYAML would keep the last."""


class AliasBombError(ConstructorError):
    """Aliases expand the document beyond MAX_EXPANDED_NODES."""


class NumberTooLongError(ConstructorError):
    """A whole number with more decimal digits than Python converts (4,300 by default)."""


class BadCharacterError(yaml.MarkedYAMLError):
    """A character YAML does not allow (NUL, ESC...), with its line and column.

    PyYAML's ReaderError gives only an offset (of the UTF-8 bytes in libyaml,
    of the characters in the pure-Python reader): load() turns it into this.
    """


# Control characters a user may recognise by name.
_CHARACTER_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "backspace", 0x0C: "form feed", 0x1B: "ESC", 0x7F: "DEL"}


def _max_digits() -> int:
    """Python's limit on decimal digits in int() and str() (0: none, before Python 3.11)."""
    return getattr(sys, "get_int_max_str_digits", lambda: 0)()


def _construct_int(loader: SafeConstructor, node: Any) -> int:
    # A number Python could not turn back into decimal text (str() raises ValueError past
    # sys.get_int_max_str_digits) would break every message that shows it: refused here.
    text = loader.construct_scalar(node)
    try:
        if text.startswith(("0o", "0x")):
            value = int(text[2:], 8 if text[1] == "o" else 16)
            limit = _max_digits()
            if limit and value.bit_length() > (limit - 1) * 3.32:  # 3.32 bits a decimal digit
                raise ValueError("too long to print")
            return value
        return int(text, 10)  # YAML 1.2: a leading zero is still decimal
    except ValueError:
        digits = len(text) - 2 if text.startswith(("0o", "0x")) else sum(c.isdigit() for c in text)
        raise NumberTooLongError(None, None, f"a number {digits:,} digits long is not a value a record can hold",
                                 node.start_mark) from None


class _Yaml12Mixin:
    """Resolvers and constructors shared by the C and the pure-Python loader."""

    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)  # type: ignore[call-arg]
        self.alias_uses = 0

    # The resolver runs once per node while libyaml composes, so it is kept lean: the
    # same answer as BaseResolver.resolve for loaders without path resolvers (ours).
    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return "tag:yaml.org,2002:str"
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

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


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\(?:u[dD][89a-fA-F][0-9a-fA-F]{2}|U0000[dD][89a-fA-F][0-9a-fA-F]{2})")


@_install
class PureLoader(_Yaml12Mixin, yaml.SafeLoader):  # type: ignore[misc]
    """YAML 1.2 core schema in pure Python (same results; used to cross-check)."""

    def scan_flow_scalar(self, style: Any) -> Any:
        # libyaml refuses an escaped surrogate ("\ud800"); the pure scanner lets it through.
        # Refused here too, with the mark libyaml gives: the escape's first hex digit.
        token = super().scan_flow_scalar(style)
        if _SURROGATE.search(token.value):
            start = token.start_mark
            written = self.buffer[start.pointer:token.end_mark.pointer]
            m = _SURROGATE_ESCAPE.search(written)
            at = start.pointer + (m.start() + 2 if m else 0)
            line = start.line + written.count("\n", 0, at - start.pointer)
            column = at - (self.buffer.rfind("\n", 0, at) + 1)
            mark = yaml.Mark(start.name, at, line, column, self.buffer, at)
            raise yaml.scanner.ScannerError("while parsing a quoted scalar", start,
                                            "found invalid Unicode character escape code", mark)
        return token


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


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _Unusual(Exception):
    """The node tree needs the full constructor (aliases, explicit tags, duplicate or odd keys)."""


def _plain_data(root: Any, loader: Any) -> Any:
    """Data from a composed node tree, for the common case only.

    The tags were resolved by the loader while composing, so a scalar means
    exactly what it means to the full constructor: its own constructors turn
    int, float, bool and null scalars into values. Anything else (an alias,
    an explicit tag, a repeated or unhashable key) raises _Unusual, and the
    caller lets the full constructor redo the document, errors included.
    """
    return _value(root, loader, set())


def _value(node: Any, loader: Any, seen: set[int]) -> Any:
    # A plain recursive function, not a closure: a closure that calls itself is a reference
    # cycle, and with the collector paused (records.paused_gc) each one would keep its loader.
    tag = node.tag
    if tag == _STR:
        text = node.value
        return intern(text) if len(text) <= 12 else text
    if tag == _MAP:
        if id(node) in seen:
            raise _Unusual
        seen.add(id(node))
        out: dict = {}
        for k_node, v_node in node.value:
            key = _value(k_node, loader, seen)
            if type(key) is str:
                key = intern(key)  # field names repeat in every record: keep one copy of each
            elif isinstance(key, (dict, list)):
                raise _Unusual
            if key in out:
                raise _Unusual
            out[key] = _value(v_node, loader, seen)
        return out
    if tag == _SEQ:
        if id(node) in seen:
            raise _Unusual
        seen.add(id(node))
        return [_value(item, loader, seen) for item in node.value]
    if isinstance(node, yaml.ScalarNode) and tag in _SCALAR_TAGS:
        if id(node) in seen:  # an alias of a scalar
            raise _Unusual
        seen.add(id(node))
        return loader.yaml_constructors[tag](loader, node)
    raise _Unusual


_SCALAR_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                "tag:yaml.org,2002:null"}


def _bad_character(err: yaml.reader.ReaderError, text: str, loader_class: type) -> BadCharacterError:
    """The ReaderError as an error with a line and column (what a user can go to)."""
    at = err.position
    if HAVE_LIBYAML and issubclass(loader_class, yaml.CSafeLoader):  # libyaml counts UTF-8 bytes
        at = len(text.encode("utf-8")[:at].decode("utf-8", "ignore"))
    at = max(0, min(at, len(text)))
    breaks = list(LINE_BREAK.finditer(text, 0, at))
    line = len(breaks)
    column = at - (breaks[-1].end() if breaks else 0)
    code = err.character if isinstance(err.character, int) else ord(text[at:at + 1] or "\0")
    name = _CHARACTER_NAMES.get(code)
    what = f"U+{code:04X}" + (f" ({name})" if name else "")
    kind = "control character" if code < 0x20 or 0x7F <= code < 0xA0 else "character"
    mark = yaml.Mark("<file>", at, line, column, None, None)
    return BadCharacterError(None, None, f"the file holds the {kind} {what}, which YAML does not allow: "
                                         "remove it (or retype the text around it)", mark)


def load(text: str, loader_class: type = FastLoader, fast: bool = True) -> Any:
    """Parse one YAML document with YAML 1.2 semantics (see _load); a character YAML does not
    allow raises BadCharacterError with its line and column."""
    try:
        return _load(text, loader_class, fast)
    except yaml.reader.ReaderError as e:
        raise _bad_character(e, text, loader_class) from None


def _load(text: str, loader_class: type, fast: bool) -> Any:
    """Parse one YAML document with YAML 1.2 semantics.

    Raises yaml.YAMLError (with a mark) for anything that is not one valid
    document: syntax errors, duplicate keys, alias bombs, several documents.

    With `fast` (the default), the node tree that libyaml composes is turned
    into data by a tight loop instead of PyYAML's generator-based
    constructor (about twice as fast); documents that need more than plain
    mappings, lists and scalars are handed to the full constructor, so the
    result and every error are the same either way (tests/test_perf_paths.py).
    """
    if fast:
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            try:
                return _plain_data(node, loader)
            except (_Unusual, RecursionError):
                pass
        finally:
            loader.dispose()
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


class _ScalarConstructor(SafeConstructor):
    """Just enough of a constructor to turn one scalar node into its value."""


_SCALARS = _ScalarConstructor()


def scalar_value(node: Any) -> Any:
    """The value of a composed scalar node (a key's, to find it again by its value): what
    load() makes of it. Raises ValueError for a node that is not a plain scalar."""
    tag = node.tag
    if not isinstance(node, yaml.ScalarNode):
        raise ValueError("not a scalar")
    if tag == _STR:
        return node.value
    if tag not in _SCALAR_TAGS:
        raise ValueError(f"no value for {tag}")
    try:
        return FastLoader.yaml_constructors[tag](_SCALARS, node)
    except yaml.YAMLError as e:
        raise ValueError(str(e)) from None

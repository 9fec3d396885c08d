"""Reading record files: bytes -> text -> data, load errors as findings.

Loading is the hot path of `validate`, so it pays only for the fast parse.
Line and column of a field are worked out later, and only for a file that
has a finding, by composing its node tree once (`Document.locate`).
"""
from __future__ import annotations

import codecs
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from iopctl import yaml12
from iopctl.findings import ERROR, Finding

# A record is a few kilobytes; anything this large is a mistake, not a record.
MAX_FILE_BYTES = 5 * 1024 * 1024
# libyaml recurses in C on flow collections: a few hundred thousand `[` crash
# the process, so deep flow nesting is refused before the parser sees it.
MAX_FLOW_DEPTH = 200

PathKey = Sequence[Any]  # keys and list indexes from the document root

_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})(?: |$)", re.MULTILINE)


@dataclass
class Document:
    """One record file: its data (plain Python, YAML 1.2 types) and where it came from."""

    path: Path  # absolute
    rel: str  # posix path relative to the records root, as findings print it
    kind: str | None  # program | participant | plan | progress | session | None
    data: Any = None
    findings: list[Finding] = field(default_factory=list)  # load and schema findings
    # False once the node tree is known not to build (see _node_tree for where trees are kept).
    _root_node: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Parsed and schema-valid (only then do semantic checks run on it)."""
        return not any(f.severity == ERROR for f in self.findings)

    # -- positions -------------------------------------------------------
    def _node_tree(self) -> Any:
        """The composed tree (False when it cannot be built), from the small pool of recent ones."""
        if self._root_node is not None:
            return self._root_node
        hit = _TREES.get(id(self))
        if hit is not None and hit[0] is self:
            _TREES.move_to_end(id(self))
            return hit[1]
        try:  # re-read rather than keep every file's text in memory
            tree = yaml12.compose(_read_text(self.path)) or False
        except (OSError, yaml.YAMLError, RecursionError, UnicodeError):
            tree = False
        if tree is False:
            self._root_node = False
            return False
        _TREES[id(self)] = (self, tree)
        if len(_TREES) > TREES_KEPT:
            _TREES.popitem(last=False)
        return tree

    def node_at(self, path: PathKey, key: bool = False) -> Any:
        """The deepest node on `path` (the key's node for the last step when `key`)."""
        node = self._node_tree()
        if not node:
            return None
        for i, step in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, yaml.MappingNode):
                for k_node, v_node in node.value:
                    if isinstance(k_node, yaml.ScalarNode) and _same_key(k_node.value, step):
                        node = k_node if (last and key) else v_node
                        break
                else:
                    return node
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                node = node.value[step]
            else:
                return node
        return node

    def locate(self, path: PathKey = (), key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value (or key) at `path`; (1, 1) when unknown."""
        node = self.node_at(path, key)
        if node is None:
            return 1, 1
        return node.start_mark.line + 1, node.start_mark.column + 1

    def raw_scalar(self, path: PathKey) -> str | None:
        """The scalar as written in the file (to quote `0123` back to the user)."""
        node = self.node_at(path)
        if isinstance(node, yaml.ScalarNode) and len(path) and node is not self._node_tree():
            return node.value
        return None

    def finding(
        self, code: str, severity: str, message: str, path: PathKey = (), key: bool = False
    ) -> Finding:
        line, column = self.locate(path, key)
        return Finding(self.rel, line, column, code, severity, message)


# Node trees are big (a few hundred bytes a node) and only wanted while a file's findings
# are worked out, which happens a file at a time: keep the last few, not one per file.
TREES_KEPT = 32
_TREES: "OrderedDict[int, tuple[Document, Any]]" = OrderedDict()


def _same_key(written: str, step: Any) -> bool:
    if isinstance(step, str):
        return written == step
    return written == str(step) or (isinstance(step, bool) and written.lower() == str(step).lower())


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    return raw.decode("utf-8-sig")


def _position(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _flow_too_deep(text: str) -> int:
    """Line of the first flow collection nested deeper than MAX_FLOW_DEPTH, else 0."""
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return 0
    depth = 0
    for m in re.finditer(r"[\[\]{}]", text):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_FLOW_DEPTH:
            return text.count("\n", 0, m.start()) + 1
    return 0


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    return lines[line][column : column + 1] if line < len(lines) else ""


def _yaml_error_message(err: yaml.YAMLError, text: str = "") -> str:
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    mark = getattr(err, "problem_mark", None)
    at_tab = mark is not None and _char_at(text, mark.line, mark.column) == "\t"
    if at_tab or "'\\t'" in problem or "tab" in problem.lower():
        return "a tab character is used for indentation or spacing; YAML needs spaces"
    if isinstance(err, yaml12.DuplicateKeyError):
        return f"{problem}: each key may appear only once in a mapping"
    if "expected a single document" in (context or "") + problem:
        return "the file holds more than one YAML document (`---`); a record is one document"
    text = f"{context}, {problem}" if context else problem
    return f"YAML syntax error: {text}"


def read_document(path: Path, rel: str, kind: str | None) -> Document:
    """Read and parse one file. Problems become IOP001 findings on the document."""
    doc = Document(path=path, rel=rel, kind=kind)
    raw = read_raw(doc)
    if raw is not None:
        parse_into(doc, raw)
    return doc


def read_raw(doc: Document) -> bytes | None:
    """The file's bytes, or None with an IOP001 finding on doc when it cannot be a record."""
    path = doc.path
    try:
        if path.is_dir():
            return _fail(doc, "is a folder where a record file belongs")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return _fail(doc, f"file is {size / 1048576:.1f} MB; a record must be under "
                              f"{MAX_FILE_BYTES // 1048576} MB")
        return path.read_bytes()
    except PermissionError:
        return _fail(doc, "cannot be read: permission denied")
    except OSError as e:
        return _fail(doc, f"cannot be read: {e.strerror or e.__class__.__name__}")


def _fail(doc: Document, message: str, line: int = 1, column: int = 1) -> None:
    doc.findings.append(Finding(doc.rel, line, column, "IOP001", ERROR, message))
    doc._root_node = False
    return None


def parse_into(doc: Document, raw: bytes, fast: bool = True) -> None:
    """Decode and parse raw bytes into doc.data; problems become IOP001 findings on doc."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (len(raw) > 1 and b"\x00" in raw[:4]):
        return _fail(doc, "file is encoded as UTF-16 (or holds NUL bytes); save it as UTF-8")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]  # a UTF-8 byte order mark is allowed and ignored
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line, column = _position(raw, e.start)
        return _fail(doc, f"byte 0x{raw[e.start]:02x} is not valid UTF-8; save the file as UTF-8", line, column)

    if "<<<<<<<" in text or ">>>>>>>" in text or "=======" in text:
        m = _CONFLICT.search(text)
        if m:
            line = text.count("\n", 0, m.start()) + 1
            return _fail(doc, "git merge conflict marker: resolve the conflict and remove the markers", line, 1)
    deep = _flow_too_deep(text)
    if deep:
        return _fail(doc, f"brackets nested more than {MAX_FLOW_DEPTH} levels deep", deep, 1)

    try:
        doc.data = yaml12.load(text, fast=fast)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return _fail(doc, _yaml_error_message(e, text), line, column)
    except yaml.YAMLError as e:
        return _fail(doc, _yaml_error_message(e))
    except RecursionError:
        return _fail(doc, "the file is nested too deeply to be a record")
    return None


def read_documents(items: Iterable[tuple[Path, str, str | None]]) -> list[Document]:
    return [read_document(p, rel, kind) for p, rel, kind in items]

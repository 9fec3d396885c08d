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
from iopctl.repo import NOT_A_FOLDER

# A record is a few kilobytes; anything this large is a mistake, not a record.
MAX_FILE_BYTES = 5 * 1024 * 1024
# libyaml's composer recurses in C, a level per nested collection: a few tens of
# thousands of levels (`[[[...`, or `- - - ...` on one line) overflow the C stack and
# kill the process. Deep nesting is refused before the composer sees it. A record
# nests about six levels; block nesting keeps room for hand-made deep files. PyYAML
# 6.0.4's libyaml refuses 1,000 levels itself (with a message of its own): the limit stays
# well below that, so every PyYAML version gives the same finding.
MAX_FLOW_DEPTH = 200
MAX_BLOCK_DEPTH = 500

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
    _last_line: int = field(default=0, repr=False)  # lines in the file, known once composed

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
            text = _read_text(self.path)
            self._last_line = _line_count(text)
            tree = yaml12.compose(text) or False
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
                    if isinstance(k_node, yaml.ScalarNode) and _same_key(k_node, step):
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
        line = node.start_mark.line + 1
        if self._last_line and line > self._last_line:  # an empty value after the last line (`---`)
            return self._last_line, 1
        return line, node.start_mark.column + 1

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


def _same_key(node: Any, step: Any) -> bool:
    """Whether the key node is the key `step` of the loaded data: text by its text, any other
    key (`~`, `true`, `0123`) by the value YAML 1.2 gives it (123 is not "123", nor True 1)."""
    if isinstance(step, str):
        return node.value == step and node.tag == "tag:yaml.org,2002:str"
    try:
        value = yaml12.scalar_value(node)
    except ValueError:
        return False
    return type(value) is type(step) and value == step


def _line_count(text: str) -> int:
    """Lines in text as YAML counts them (at least 1): CR, LF, CRLF and the Unicode breaks."""
    ends_with_break = bool(text) and text[-1] in yaml12.BREAK_CHARS
    return max(1, len(yaml12.LINE_BREAK.findall(text)) + (0 if ends_with_break else 1))


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


# Anything nested deeper than MAX_BLOCK_DEPTH has a line starting with at least this many
# indentation and indicator characters: a nested block collection starts to the right of its
# parent, or (a list as a mapping's value) at the same column, so the column of the deepest
# collection is at least half its depth, and everything left of it on its line is spaces and
# `- `, `? `, `: ` (an anchor or tag ends compact nesting).
_PREFIX = "[ \t?:-]{%d}" % (MAX_BLOCK_DEPTH // 2 - 1)
_DEEP_FIRST_LINE = re.compile(_PREFIX)
_DEEP_LINE = re.compile("\n" + _PREFIX)  # a literal first character keeps the scan fast (~2 us for 4 KB)
_DEEP_LINE_ANY_BREAK = re.compile("[%s]%s" % (yaml12.BREAK_CHARS, _PREFIX))


def _has_deep_line(text: str) -> bool:
    """Whether a line starts with the indentation and indicators of MAX_BLOCK_DEPTH levels."""
    if _DEEP_FIRST_LINE.match(text) or _DEEP_LINE.search(text):
        return True
    other_breaks = ("\r" in text and text.count("\r") > text.count("\r\n")) or "\x85" in text \
        or "\u2028" in text or "\u2029" in text
    return other_breaks and bool(_DEEP_LINE_ANY_BREAK.search(text))


def _block_too_deep(text: str) -> int:
    """Line of the first collection nested deeper than MAX_BLOCK_DEPTH, else 0.

    The cheap look for a long indentation-and-indicator prefix comes first, so
    ordinary files pay a single regex scan; only a file with such a line has its
    events counted (libyaml's parser is a loop, not a recursion: that is safe).
    """
    if not _has_deep_line(text):
        return 0
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml12.FastLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_BLOCK_DEPTH:
                    return event.start_mark.line + 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:  # a syntax error before any deep nesting: loading reports it
        return 0
    return 0


def _char_at(text: str, line: int, column: int) -> str:
    lines = yaml12.LINE_BREAK.split(text, line + 1)
    return lines[line][column : column + 1] if line < len(lines) else ""


# Constructs that end only where the file says so: a quoted scalar at its closing quote, a
# flow collection at its bracket, a simple key at its `:` on the same line. When the parser
# runs out looking for that end, it gives up somewhere after (often at the end of the file);
# the line to fix is where the construct opens: the error's context mark.
_OPENERS = {
    "while scanning a quoted scalar": "quote",
    "while parsing a flow sequence": "[",
    "while parsing a flow mapping": "{",
    "while scanning a simple key": "key",
}
_RAN_OUT = ("found unexpected end of stream", "found unexpected document indicator",
            "found unexpected document separator", "did not find expected ','", "expected ',' or ",
            "could not find expected ':'")


def _unclosed(err: yaml.MarkedYAMLError) -> str | None:
    """What was left open ("quote", "[", "{" or "key") when err means the parser ran out
    looking for its end, else None."""
    opener = _OPENERS.get(err.context or "")
    if opener is None or err.context_mark is None or not (err.problem or "").startswith(_RAN_OUT):
        return None
    return opener


def _gave_up(err: yaml.MarkedYAMLError, text: str) -> str:
    mark = err.problem_mark
    if mark is None:
        return "the parser gave up further on"
    if "end of stream" in (err.problem or "") or mark.index >= len(text.rstrip(yaml12.BREAK_CHARS + " \t")):
        return "the parser reached the end of the file"
    return f"the parser gave up at line {mark.line + 1}, column {mark.column + 1}"


def _unclosed_message(opener: str, err: yaml.MarkedYAMLError, text: str) -> str:
    mark = err.context_mark
    if opener == "quote":
        quote = _char_at(text, mark.line, mark.column) or '"'
        return f"YAML syntax error: the quoted text that starts here has no closing {quote} ({_gave_up(err, text)})"
    if opener == "key":
        return "YAML syntax error: this line has no `:` after its key (a mapping entry is `key: value`)"
    closer, what, items = ("]", "list", "items") if opener == "[" else ("}", "mapping", "entries")
    return (f"YAML syntax error: the {opener} {what} that starts here is not closed: a {closer} is missing, "
            f"or a comma between {items} ({_gave_up(err, text)})")


def _yaml_error(err: yaml.YAMLError, text: str) -> tuple[str, int, int]:
    """The message and the 1-based (line, column) of a YAML error: where the problem is, or,
    for a quote, bracket or key left open, where it opens."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if isinstance(err, (yaml12.BadCharacterError, yaml12.NumberTooLongError)):
        return err.problem, line, column
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    at_tab = mark is not None and _char_at(text, mark.line, mark.column) == "\t"
    if at_tab or "'\\t'" in problem or re.search(r"\btabs?\b", problem):
        return "a tab character is used for indentation or spacing; YAML needs spaces", line, column
    if isinstance(err, yaml12.DuplicateKeyError):
        return f"{problem}: each key may appear only once in a mapping", line, column
    if "expected a single document" in (context or "") + problem:
        return "the file holds more than one YAML document (`---`); a record is one document", line, column
    opener = _unclosed(err) if isinstance(err, yaml.MarkedYAMLError) else None
    if opener is not None:
        start = err.context_mark
        return _unclosed_message(opener, err, text), start.line + 1, start.column + 1
    words = f"{context}, {problem}" if context else problem
    return f"YAML syntax error: {words}", line, column


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
    if doc.kind == NOT_A_FOLDER:  # the findings depend on kind and bytes only: they may be cached
        return _fail(doc, "is a file where a folder of records belongs (participants/, plans/, progress/, "
                          "sessions/): move the file aside and make the folder")
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
    deep = _block_too_deep(text)
    if deep:
        return _fail(doc, f"lists or mappings nested more than {MAX_BLOCK_DEPTH:,} levels deep", deep, 1)

    try:
        doc.data = yaml12.load(text, fast=fast)
    except yaml.YAMLError as e:
        message, line, column = _yaml_error(e, text)
        return _fail(doc, message, *_clamped(text, line, column))
    except RecursionError:
        return _fail(doc, "the file is nested too deeply to be a record")
    return None


def _clamped(text: str, line: int, column: int) -> tuple[int, int]:
    """(line, column) inside the file: libyaml puts the end of the file on the line after the
    last newline, where an editor shows no line."""
    last = _line_count(text)
    return (last, 1) if line > last else (line, column)


def read_documents(items: Iterable[tuple[Path, str, str | None]]) -> list[Document]:
    return [read_document(p, rel, kind) for p, rel, kind in items]

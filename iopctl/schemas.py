"""The packaged JSON Schemas, compiled once, and schema errors as IOP002 findings."""
from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterator

from iopctl.findings import ERROR, Finding
from iopctl.resources import data_dir

if TYPE_CHECKING:
    from iopctl.loader import Document

KINDS = ("program", "participant", "plan", "progress", "session")

# What a pattern in our schemas means, in the words a user would use.
PATTERN_WORDS = {
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "a date as YYYY-MM-DD",
    "^([01][0-9]|2[0-3]):[0-5][0-9]$": 'a 24-hour time in quotes, like "18:00"',
    "^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$": "an id: letters, digits, - and _, at most 40 characters",
}
TYPE_WORDS = {
    "object": "a mapping (key: value lines)",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def schema_text(kind: str) -> str:
    """The schema of one record kind, as packaged (what `iopctl schema KIND` prints)."""
    if kind not in KINDS:
        raise KeyError(kind)
    return data_dir("schemas").joinpath(f"{kind}.schema.json").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def schema(kind: str) -> dict:
    return json.loads(schema_text(kind))


@lru_cache(maxsize=None)
def validator(kind: str) -> Any:
    import jsonschema  # imported here: `iopctl --help` should not pay for it

    cls = jsonschema.Draft202012Validator
    return cls(schema(kind), format_checker=cls.FORMAT_CHECKER)


@lru_cache(maxsize=None)
def fingerprint() -> str:
    """A hash of every packaged schema: part of the cache key, so a schema change invalidates it."""
    import hashlib

    h = hashlib.sha1()
    for kind in KINDS:
        h.update(kind.encode() + b"\0" + schema_text(kind).encode("utf-8") + b"\0")
    return h.hexdigest()


# -- the fast validator -------------------------------------------------------------------------
#
# jsonschema-rs validates a record in about 1% of the time jsonschema takes. It only
# answers "valid or not" here: a document it rejects goes to jsonschema, whose errors
# the messages below are written for, so the findings are the same either way. That
# needs jsonschema-rs never to accept what jsonschema rejects; where the two differ:
# - `format: date`: jsonschema-rs accepts year 0000, Python's date does not: the date
#   check below is jsonschema's own rule, given to jsonschema-rs as a custom format;
# - `\s`/`\S` in a pattern: Rust and Python disagree on U+001C-U+001F and U+0085;
#   they are spelled out as Python's whitespace;
# - any other format, or a pattern construct not known to mean the same in both, turns
#   the fast path off for that record kind (jsonschema checks every document of it).

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# Python's `\s` in a str pattern (str.isspace(); tests/test_perf_paths.py checks the list).
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_WS_CLASS = "".join(f"\\u{ord(c):04x}" for c in PY_WHITESPACE)
# Patterns made only of these mean the same to Python's re and to jsonschema-rs (except `$`
# before a final newline, where Python is the more lenient: such a value goes to jsonschema).
_SAFE_PATTERN = re.compile(r"^(?:[^\\\[\]]|\\[.\-+/()*?{}^$|:]|\\[sS]|\[(?:[^\\\]]|\\[.\-+/])*\])*$")


def is_date(instance: Any) -> bool:
    """jsonschema's `format: date` check (jsonschema/_format.py is_date), for jsonschema-rs."""
    if not isinstance(instance, str):
        return True
    try:
        return bool(_DATE.fullmatch(instance) and dt.date.fromisoformat(instance))
    except ValueError:
        return False


def _fast_schema(node: Any) -> Any:
    """The schema with `\\s`/`\\S` spelled out; raises ValueError where the fast path is unsafe."""
    if isinstance(node, list):
        return [_fast_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str):
            if not _SAFE_PATTERN.match(value):
                raise ValueError(f"pattern {value!r} may mean something else to jsonschema-rs")
            value = value.replace("\\S", f"[^{_WS_CLASS}]").replace("\\s", f"[{_WS_CLASS}]")
        elif key == "format" and value != "date":
            raise ValueError(f"format {value!r} has no checker known to agree with jsonschema's")
        elif key == "patternProperties":
            raise ValueError("patternProperties keys are patterns too")
        out[key] = _fast_schema(value)
    return out


@lru_cache(maxsize=None)
def fast_validator(kind: str) -> Any:
    """A compiled jsonschema-rs validator for kind, or None (not installed, or unsafe for it)."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        return jsonschema_rs.validator_for(_fast_schema(schema(kind)), validate_formats=True,
                                           formats={"date": is_date})
    except (ValueError, TypeError):  # unsafe for this schema, or a jsonschema-rs without these options
        return None


def fast_valid(kind: str, data: Any) -> bool:
    """True only when the fast validator is sure data is valid (False means: ask jsonschema)."""
    v = fast_validator(kind)
    if v is None:
        return False
    try:
        return bool(v.is_valid(data))
    except Exception:  # not plain JSON (a non-text key, a lone surrogate, NaN...): ask jsonschema
        return False


def _found(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (int, float)):
        return f"the number {_number(value)}"
    if isinstance(value, str):
        return f"`{_short(value)}`"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _short(text: str, limit: int = 40) -> str:
    # Values are quoted back so a user can find them, but never at length (PHI).
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any, limit: int = 20) -> str:
    """A number as written back in a message: its first digits and its length when it is long."""
    text = repr(value) if isinstance(value, float) else str(value)
    if len(text) <= limit:
        return text
    digits = sum(c.isdigit() for c in text)
    return f"{text[: limit - 1]}… ({digits:,} digits)"


def _key_words(key: Any) -> str:
    """A mapping key as a message names it: text quoted, and a key YAML did not read as text
    (`~`, `true`, `0123`) as what it became."""
    if isinstance(key, str):
        return f"`{_short(key)}`"
    if key is None:
        return "the null key `~`"
    if isinstance(key, bool):
        return f"the key `{str(key).lower()}` (read as true/false)"
    if isinstance(key, (int, float)):
        return f"the key `{_number(key)}` (read as a number)"
    return f"a {type(key).__name__} key"


def field_name(path: tuple) -> str:
    """`tracks[0].sessions[1].days` from a path of keys and indexes."""
    out = ""
    for step in path:
        if isinstance(step, int) and not isinstance(step, bool):
            out += f"[{step}]"
        else:
            text = "~" if step is None else str(step).lower() if isinstance(step, bool) else str(step)
            out += ("." if out else "") + _short(text)
    return out or "the file"


def did_you_mean(word: Any, choices: Any) -> str:
    import difflib  # only messages need it

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _condition(error: Any, root_schema: dict) -> str:
    """' when status is discharged' for an error raised in an if/then branch."""
    path = list(error.schema_path)
    if "then" not in path:
        return ""
    branch = root_schema
    for step in path[: path.index("then")]:
        branch = branch[step]
    props = branch.get("if", {}).get("properties", {})
    instance = error.instance if isinstance(error.instance, dict) else {}
    words = [f"{name} is {instance[name]}" for name in props if name in instance]
    return f" when {' and '.join(words)}" if words else ""


def _written_key(doc: Document, path: tuple) -> str | None:
    """The last key of path as written in the file (`0123`, `~`), or None when not found."""
    value = getattr(doc.node_at(path, key=True), "value", None)  # not found: the mapping, whose value is a list
    return value if isinstance(value, str) else None


def _messages(error: Any, doc: Document, root_schema: dict) -> Iterator[tuple[tuple, bool, str, Any]]:
    """(path, point_at_key, message, topic) for one jsonschema error; several for several bad
    keys. `topic` tells apart findings at the same place: the missing field of `required`."""
    path = tuple(error.absolute_path)
    if "propertyNames" in error.absolute_schema_path:
        # The error is about a key of the mapping at path: point at that key, and say so.
        key_path = path + (error.instance,)
        raw = _written_key(doc, key_path)
        for _, _, message, topic in _value_messages(error, doc, root_schema, path,
                                                     f"a key in {field_name(path)}", raw):
            yield key_path, True, message, topic
        return
    yield from _value_messages(error, doc, root_schema, path, field_name(path), doc.raw_scalar(path))


def _value_messages(error: Any, doc: Document, root_schema: dict, path: tuple, name: str,
                    raw: str | None) -> Iterator[tuple[tuple, bool, str, Any]]:
    """_messages for an error about the value at path, named `name`, written `raw` in the file."""
    kind, value, inst = error.validator, error.validator_value, error.instance

    if kind == "additionalProperties" and isinstance(inst, dict):
        known = list(error.schema.get("properties", {}))
        for key in inst:
            if key not in known:
                where = f" in {name}" if path else ""
                hint = did_you_mean(key, known) if isinstance(key, str) else ""
                yield path + (key,), True, f"{_key_words(key)} is not a known field{where}{hint}", None
        return
    if kind == "required":
        missing = [k for k in value if isinstance(inst, dict) and k not in inst]
        for key in missing:
            where = f" in {name}" if path else ""
            yield path, bool(path), f"`{key}` is required{where}{_condition(error, root_schema)}", key
        return
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        words = " or ".join(TYPE_WORDS.get(w, w) for w in wanted)
        hint = ""
        if "string" in wanted and raw is not None and not isinstance(inst, str):
            hint = f'; put it in quotes: "{_short(raw)}"'
        elif "boolean" in wanted and isinstance(inst, str) and inst.lower() in ("yes", "no", "on", "off", "y", "n"):
            hint = "; YAML 1.2 reads yes/no/on/off as text: write true or false"
        elif "object" in wanted and isinstance(inst, list):
            hint = "; remove the leading `- `"
        yield path, False, f"{name} must be {words}, found {_found(inst)}{hint}", None
        return
    if kind == "enum":
        options = ", ".join(str(v) for v in value)
        yield path, False, f"{name}: {_found(inst)} is not one of {options}{did_you_mean(inst, value)}", None
        return
    if kind == "const":
        yield path, False, f"{name} must be {json.dumps(value)}, found {_found(inst)}", None
        return
    if kind == "pattern":
        words = PATTERN_WORDS.get(value, f"text matching {value}")
        yield path, False, f"{name}: {_found(inst)} is not {words}", None
        return
    if kind == "format":
        if value == "date":
            yield path, False, f"{name}: {_found(inst)} is not a real date (expected YYYY-MM-DD)", None
        else:
            yield path, False, f"{name}: {_found(inst)} is not a valid {value}", None
        return
    if kind in ("minimum", "exclusiveMinimum"):
        yield path, False, f"{name}: {_number(inst)} is below the minimum of {value}", None
        return
    if kind in ("maximum", "exclusiveMaximum"):
        yield path, False, f"{name}: {_number(inst)} is above the maximum of {value}", None
        return
    if kind == "minItems":
        yield path, False, f"{name} needs at least {value} item{'s' if value != 1 else ''}", None
        return
    if kind == "maxItems":
        yield path, False, f"{name} takes at most {value} items", None
        return
    if kind == "minLength":
        yield path, False, f"{name} must not be empty", None
        return
    if kind == "maxLength":
        yield path, False, f"{name} is longer than {value} characters", None
        return
    if kind == "uniqueItems":
        yield path, False, f"{name} lists the same item twice", None
        return
    if kind in ("oneOf", "anyOf") and error.context and not _all_matched(error):
        from jsonschema.exceptions import best_match

        yield from _messages(best_match(error.context), doc, root_schema)
        return
    if kind == "not":
        yield path, False, f"{name}: {_short(error.message, 120)}", None
        return
    yield path, False, f"{name}: {_short(error.message, 120)}", None


def _all_matched(error: Any) -> bool:
    """oneOf failed because several branches matched (not because none did)."""
    return "is valid under each of" in error.message


def check_schema(doc: Document, fast: bool = True) -> list[Finding]:
    """IOP002 findings for a parsed document (one per violation, sorted by position).

    With `fast`, a document jsonschema-rs finds valid gets no further look;
    the rest go to jsonschema for its errors (the same findings either way).
    """
    if doc.kind not in KINDS:
        return []
    if doc.data is None:
        return [doc.finding("IOP002", ERROR, f"the file is empty; expected a {doc.kind} record")]
    if fast and fast_valid(doc.kind, doc.data):
        return []
    try:
        return _schema_findings(doc)
    except RecursionError:  # jsonschema recurses, and its messages repr the value: deep data ends it
        return [_too_deep(doc)]


def _schema_findings(doc: Document) -> list[Finding]:
    v = validator(doc.kind)
    errors = sorted(v.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path])
    findings = []
    seen: set[tuple] = set()
    for error in errors:
        for path, key, message, topic in _messages(error, doc, v.schema):
            # One finding per value: `soon` as a date breaks both the pattern and the format.
            # Each missing field is a finding of its own, though all sit at their mapping.
            if (path, key, topic) in seen and not key:
                continue
            seen.add((path, key, topic))
            findings.append(doc.finding("IOP002", ERROR, message, path, key=key))
    return sorted(set(findings))


def _too_deep(doc: Document) -> Finding:
    """The finding for data nested too deeply for jsonschema: at the top-level field holding
    the deepest value (found without recursion)."""
    def children(value: Any) -> Any:
        return value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()

    top, deepest = None, 0  # the field, and how many lists or mappings deep its value goes
    stack: list[tuple[Any, Any, int]] = [(key, value, 0) for key, value in children(doc.data)]
    while stack:
        field, value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            depth += 1
            if depth > deepest:
                top, deepest = field, depth
            stack.extend((field, child, depth) for _, child in children(value))
    path = (top,) if top is not None else ()
    where = f"{field_name(path)}: " if path else ""
    return doc.finding("IOP002", ERROR, f"{where}lists or mappings nested {deepest:,} levels deep; "
                                        "a record nests a few levels", path)


def is_valid(kind: str, data: Any) -> bool:
    return validator(kind).is_valid(data)

"""The packaged JSON Schemas, compiled once, and schema errors as IOP002 findings."""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from typing import Any, Iterator

from iopctl.findings import ERROR, Finding
from iopctl.loader import Document
from iopctl.resources import data_dir

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


def _found(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (int, float)):
        return f"the number {value}"
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


def field_name(path: tuple) -> str:
    """`tracks[0].sessions[1].days` from a path of keys and indexes."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + str(step)
    return out or "the file"


def did_you_mean(word: Any, choices: Any) -> str:
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


def _messages(error: Any, doc: Document, root_schema: dict) -> Iterator[tuple[tuple, bool, str]]:
    """(path, point_at_key, message) for one jsonschema error; several for several bad keys."""
    path = tuple(error.absolute_path)
    name = field_name(path)
    kind, value, inst = error.validator, error.validator_value, error.instance

    if kind == "additionalProperties" and isinstance(inst, dict):
        known = list(error.schema.get("properties", {}))
        for key in inst:
            if key not in known:
                where = f" in {name}" if path else ""
                yield path + (key,), True, f"`{key}` is not a known field{where}{did_you_mean(key, known)}"
        return
    if kind == "required":
        missing = [k for k in value if isinstance(inst, dict) and k not in inst]
        for key in missing:
            where = f" in {name}" if path else ""
            yield path, bool(path), f"`{key}` is required{where}{_condition(error, root_schema)}"
        return
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        words = " or ".join(TYPE_WORDS.get(w, w) for w in wanted)
        hint = ""
        raw = doc.raw_scalar(path)
        if "string" in wanted and raw is not None and not isinstance(inst, str):
            hint = f'; put it in quotes: "{_short(raw)}"'
        elif "boolean" in wanted and isinstance(inst, str) and inst.lower() in ("yes", "no", "on", "off", "y", "n"):
            hint = "; YAML 1.2 reads yes/no/on/off as text: write true or false"
        elif "object" in wanted and isinstance(inst, list):
            hint = "; remove the leading `- `"
        yield path, False, f"{name} must be {words}, found {_found(inst)}{hint}"
        return
    if kind == "enum":
        options = ", ".join(str(v) for v in value)
        yield path, False, f"{name}: {_found(inst)} is not one of {options}{did_you_mean(inst, value)}"
        return
    if kind == "const":
        yield path, False, f"{name} must be {json.dumps(value)}, found {_found(inst)}"
        return
    if kind == "pattern":
        words = PATTERN_WORDS.get(value, f"text matching {value}")
        yield path, False, f"{name}: {_found(inst)} is not {words}"
        return
    if kind == "format":
        if value == "date":
            yield path, False, f"{name}: {_found(inst)} is not a real date (expected YYYY-MM-DD)"
        else:
            yield path, False, f"{name}: {_found(inst)} is not a valid {value}"
        return
    if kind in ("minimum", "exclusiveMinimum"):
        yield path, False, f"{name}: {inst} is below the minimum of {value}"
        return
    if kind in ("maximum", "exclusiveMaximum"):
        yield path, False, f"{name}: {inst} is above the maximum of {value}"
        return
    if kind == "minItems":
        yield path, False, f"{name} needs at least {value} item{'s' if value != 1 else ''}"
        return
    if kind == "maxItems":
        yield path, False, f"{name} takes at most {value} items"
        return
    if kind == "minLength":
        yield path, False, f"{name} must not be empty"
        return
    if kind == "maxLength":
        yield path, False, f"{name} is longer than {value} characters"
        return
    if kind == "uniqueItems":
        yield path, False, f"{name} lists the same item twice"
        return
    if kind in ("oneOf", "anyOf") and error.context and not _all_matched(error):
        from jsonschema.exceptions import best_match

        yield from _messages(best_match(error.context), doc, root_schema)
        return
    if kind == "not":
        yield path, False, f"{name}: {error.message}"
        return
    yield path, False, f"{name}: {_short(error.message, 120)}"


def _all_matched(error: Any) -> bool:
    """oneOf failed because several branches matched (not because none did)."""
    return "is valid under each of" in error.message


def check_schema(doc: Document) -> list[Finding]:
    """IOP002 findings for a parsed document (one per violation, sorted by position)."""
    if doc.kind not in KINDS:
        return []
    if doc.data is None:
        return [doc.finding("IOP002", ERROR, f"the file is empty; expected a {doc.kind} record")]
    v = validator(doc.kind)
    errors = sorted(v.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path])
    findings = []
    seen: set[tuple] = set()
    for error in errors:
        for path, key, message in _messages(error, doc, v.schema):
            # One finding per value: `soon` as a date breaks both the pattern and the format.
            if (path, key) in seen and not key:
                continue
            seen.add((path, key))
            findings.append(doc.finding("IOP002", ERROR, message, path, key=key))
    return sorted(set(findings))


def is_valid(kind: str, data: Any) -> bool:
    return validator(kind).is_valid(data)

"""YAML with positions and a declared schema: part of the load stage.

Input: YAML text and a schema. Output: plain Python values, plus a
diagnostic with ``path:line:col`` for every problem found: syntax errors,
tabs, duplicate keys (PyYAML silently keeps the last), unknown or missing
keys, wrong types, and YAML 1.1 surprises such as ``no`` read as a boolean
where a string is meant. Every mapping keeps the position of each of its
values under the key "__pos__", read with `pos_of`; `clean` drops them.
"""

from __future__ import annotations

import difflib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Diagnostics, SourcePos, excerpt

try:  # libyaml is many times faster; the pure-Python loader gives the same nodes.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"

_TAB_INDENT = re.compile(r"^[ ]*\t", re.M)
MAX_DEPTH = 40  # nesting of mappings and lists: libyaml's composer recurses, and ~25,000 levels crash it
MAX_VALUES = 50_000  # values in one file, aliases expanded: a few kilobytes of aliases can stand for billions
MAX_DIGITS = 30  # a number written with more digits than this is a mistake (and int() refuses 4,300)
_INDICATORS = re.compile(r"[\[{:?*-]")


class Schema(ABC):
    """Converts a YAML node to a plain value, reporting what is wrong."""

    @abstractmethod
    def convert(self, node: yaml.Node, ctx: Ctx) -> Any:
        """The value, or None after reporting why there is none."""


@dataclass
class Ctx:
    path: str
    diags: Diagnostics
    values: int = 0
    too_many: bool = field(default=False)

    def pos(self, node: yaml.Node) -> SourcePos:
        return SourcePos(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, node: yaml.Node, message: str) -> None:
        self.diags.error(self.pos(node), message)

    def count(self, node: yaml.Node) -> bool:
        """False once the file has stood for more values than anyone writes by hand."""
        self.values += 1
        if self.values > MAX_VALUES:
            if not self.too_many:
                self.error(
                    node,
                    f"this file holds more than {MAX_VALUES:,} values (aliases, *name, counted each time "
                    "they are used); a report's files hold far fewer: split it, or write the values out",
                )
                self.too_many = True
            return False
        return True


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL:
        return "nothing (null)"
    return f"{node.tag.rsplit(':', 1)[-1]} {excerpt(node.value)}"


class Str(Schema):
    def __init__(self, pattern: str | None = None, hint: str = "", max_len: int = 0, allow_empty: bool = False):
        self.pattern = re.compile(pattern) if pattern else None
        self.hint = hint
        self.max_len = max_len
        self.allow_empty = allow_empty

    def convert(self, node: yaml.Node, ctx: Ctx) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            ctx.error(node, f"expected text, found {_describe(node)}")
            return None
        if node.tag in (BOOL, NULL) and not node.style:
            word = node.value or "(empty)"
            ctx.error(
                node,
                f"'{word}' is read as {'a boolean' if node.tag == BOOL else 'null'} by YAML, not as text; "
                f'write it in quotes: "{node.value}"',
            )
            return None
        if node.tag not in (STR, INT, FLOAT):
            ctx.error(node, f"expected text, found {_describe(node)}")
            return None
        value = node.value  # the text as written, so 1.10 stays "1.10"
        if not value.strip() and not self.allow_empty:
            ctx.error(node, "empty text")
            return None
        if self.pattern and not self.pattern.fullmatch(value):
            ctx.error(node, f"{excerpt(value)} is not valid here{': ' + self.hint if self.hint else ''}")
            return None
        if self.max_len and len(value) > self.max_len:
            ctx.error(node, f"text is {len(value)} characters long; the limit is {self.max_len}")
            return None
        return value


class Int(Schema):
    def __init__(self, minimum: int | None = None):
        self.minimum = minimum

    def convert(self, node: yaml.Node, ctx: Ctx) -> Any:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == INT):
            ctx.error(node, f"expected a whole number, found {_describe(node)}")
            return None
        if len(node.value) > MAX_DIGITS:
            ctx.error(node, f"a number of {len(node.value)} characters; the limit is {MAX_DIGITS}")
            return None
        value = int(yaml.load(node.value, Loader=_Loader)) if not node.style else None
        if value is None:
            ctx.error(node, f"expected a whole number, found {_describe(node)}")
            return None
        if self.minimum is not None and value < self.minimum:
            ctx.error(node, f"must be at least {self.minimum}")
            return None
        return value


class Num(Schema):
    def convert(self, node: yaml.Node, ctx: Ctx) -> Any:
        if not (isinstance(node, yaml.ScalarNode) and node.tag in (INT, FLOAT) and not node.style):
            ctx.error(node, f"expected a number, found {_describe(node)}")
            return None
        if len(node.value) > MAX_DIGITS:
            ctx.error(node, f"a number of {len(node.value)} characters; the limit is {MAX_DIGITS}")
            return None
        value = yaml.load(node.value, Loader=_Loader)
        if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
            ctx.error(node, f"expected a finite number, found {excerpt(node.value)}")
            return None
        return value


class Bool(Schema):
    def convert(self, node: yaml.Node, ctx: Ctx) -> Any:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == BOOL and node.value in ("true", "false")):
            ctx.error(node, f"expected true or false, found {_describe(node)}")
            return None
        return node.value == "true"


class Enum(Schema):
    def __init__(self, *choices: str):
        self.choices = choices

    def convert(self, node: yaml.Node, ctx: Ctx) -> Any:
        value = Str().convert(node, ctx)
        if value is None:
            return None
        if value not in self.choices:
            near = difflib.get_close_matches(value, self.choices, n=1)
            ctx.error(
                node,
                f"unknown value {excerpt(value)}; expected one of: {', '.join(self.choices)}"
                + (f" (did you mean {near[0]!r}?)" if near else ""),
            )
            return None
        return value


class List(Schema):
    def __init__(self, item: Schema, min_items: int = 0):
        self.item = item
        self.min_items = min_items

    def convert(self, node: yaml.Node, ctx: Ctx) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            ctx.error(node, f"expected a list, found {_describe(node)}")
            return None
        if len(node.value) < self.min_items:
            ctx.error(node, f"expected at least {self.min_items} item{'s' * (self.min_items != 1)}")
        out = []
        for child in node.value:
            if not ctx.count(child):
                break
            out.append(self.item.convert(child, ctx))
        return out


def _mapping_pairs(node: yaml.MappingNode, ctx: Ctx) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """Key/value pairs with duplicate and non-text keys reported."""
    seen: dict[str, yaml.Node] = {}
    pairs: list[tuple[str, yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            ctx.error(key_node, "'<<' merge keys are not supported; write the keys out")
            continue
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (STR, INT, FLOAT, BOOL, NULL):
            ctx.error(key_node, f"keys must be plain text, found {_describe(key_node)}")
            continue
        key = key_node.value
        if len(key) > 100:
            ctx.error(key_node, f"a key of {len(key)} characters, {excerpt(key)}: keys are short names")
            continue
        if key in seen:
            ctx.error(
                key_node,
                f"duplicate key '{key}' (first written on line {seen[key].start_mark.line + 1}); "
                "YAML would silently keep only the last one",
            )
            continue
        seen[key] = key_node
        pairs.append((str(key), key_node, value_node))
    return pairs


class Map(Schema):
    """A mapping with declared keys; `required` lists the keys that must be there."""

    def __init__(self, fields: dict[str, Schema], required: tuple[str, ...] = (), name: str = ""):
        self.fields = fields
        self.required = required
        self.name = name

    def convert(self, node: yaml.Node, ctx: Ctx) -> Any:
        if not isinstance(node, yaml.MappingNode):
            ctx.error(node, f"expected a mapping{' (' + self.name + ')' if self.name else ''}, found {_describe(node)}")
            return None
        out: dict[str, Any] = {}
        for key, key_node, value_node in _mapping_pairs(node, ctx):
            schema = self.fields.get(key)
            if schema is None:
                near = difflib.get_close_matches(key, list(self.fields), n=1)
                ctx.error(
                    key_node,
                    f"unknown key '{key}'{' in ' + self.name if self.name else ''}"
                    + (f" (did you mean '{near[0]}'?)" if near else f"; expected: {', '.join(self.fields)}"),
                )
                continue
            if not ctx.count(value_node):
                break
            out[key] = schema.convert(value_node, ctx)
            out.setdefault("__pos__", {})[key] = ctx.pos(value_node)
        missing = [k for k in self.required if k not in out]
        if missing:
            ctx.error(node, f"missing key{'s' * (len(missing) > 1)}: {', '.join(missing)}")
        out.setdefault("__pos__", {})
        out["__pos__"][""] = ctx.pos(node)
        return out


class Located(Schema):
    """The inner value with its own position, as (value, SourcePos): list items carry none otherwise."""

    def __init__(self, inner: Schema):
        self.inner = inner

    def convert(self, node: Any, ctx: Ctx) -> Any:
        value = self.inner.convert(node, ctx)
        return None if value is None else (value, ctx.pos(node))


class Dict(Schema):
    """A mapping with free keys (checked by `key`) and one value schema."""

    def __init__(self, value: Schema, key: Str | None = None, keys: tuple[str, ...] | None = None, name: str = ""):
        self.value = value
        self.key = key
        self.keys = keys  # when given: exactly these keys, e.g. the languages
        self.name = name

    def convert(self, node: yaml.Node, ctx: Ctx) -> Any:
        if not isinstance(node, yaml.MappingNode):
            ctx.error(node, f"expected a mapping{' (' + self.name + ')' if self.name else ''}, found {_describe(node)}")
            return None
        out: dict[str, Any] = {}
        for key, key_node, value_node in _mapping_pairs(node, ctx):
            if self.keys is not None and key not in self.keys:
                ctx.error(key_node, f"unknown key '{key}'; expected: {', '.join(self.keys)}")
                continue
            if self.key is not None and self.key.convert(key_node, ctx) is None:
                continue
            if not ctx.count(value_node):
                break
            value = self.value.convert(value_node, ctx)
            out[key] = value
            out.setdefault("__pos__", {})[key] = ctx.pos(value_node)
        if self.keys is not None:
            missing = [k for k in self.keys if k not in out]
            if missing:
                what = self.name or "value"
                ctx.error(node, f"{what} missing for: {', '.join(missing)}")
        out.setdefault("__pos__", {})
        out["__pos__"][""] = ctx.pos(node)
        return out


def pos_of(mapping: dict[str, Any], key: str = "") -> SourcePos:
    found: SourcePos = mapping["__pos__"].get(key) or mapping["__pos__"][""]
    return found


def clean(value: Any) -> Any:
    """The value without its position bookkeeping."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k != "__pos__"}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _too_deep(text: str, path: str, diags: Diagnostics) -> bool:
    """Nesting deeper than MAX_DEPTH, found by libyaml's scanner, which does not recurse."""
    if len(_INDICATORS.findall(text, 0, 1 << 20)) <= MAX_DEPTH:
        return False  # every level needs an indicator: this file cannot be that deep
    depth = 0
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if isinstance(
                token,
                (
                    yaml.BlockMappingStartToken,
                    yaml.BlockSequenceStartToken,
                    yaml.FlowMappingStartToken,
                    yaml.FlowSequenceStartToken,
                ),
            ):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = token.start_mark
                    diags.error(
                        SourcePos(path, mark.line + 1, mark.column + 1),
                        f"lists and mappings nested more than {MAX_DEPTH} deep",
                    )
                    return True
            elif isinstance(token, (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)):
                depth -= 1
    except yaml.YAMLError:
        return False  # the parse below reports it, with its position
    return False


def load(text: str, path: str, schema: Schema, diags: Diagnostics) -> Any:
    """Parse `text` and convert it by `schema`; None when it cannot be read.

    Line numbers are those of `text`; callers pass front matter padded with
    blank lines so that they are the file's own.
    """
    for match in _TAB_INDENT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        col = match.end() - match.start()
        diags.error(SourcePos(path, line, col), "tab character in indentation; YAML needs spaces")
        return None
    if _too_deep(text, path, diags):
        return None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "invalid YAML"
        mark = exc.problem_mark or exc.context_mark
        context = exc.context or ""
        # An unclosed bracket or quote is noticed lines later; its opening is what to fix.
        unclosed = "flow" in context or ("quoted" in context and "end of stream" in (exc.problem or ""))
        if exc.context_mark and unclosed:
            where = exc.problem_mark
            mark = exc.context_mark
            problem += f" ({context} that is not closed" + (f"; noticed at line {where.line + 1})" if where else ")")
        elif "quoted" in context and ("escape" in problem or "hexdecimal" in problem):
            problem += " in a double-quoted text; write \\\\ for a backslash, or use single quotes"
        if "expected a single document" in str(exc):
            problem = "more than one YAML document in the file"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        diags.error(SourcePos(path, line, col), f"YAML syntax error: {problem}")
        return None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as a control character
        at = int(getattr(exc, "position", 0) or 0)
        line = text.count("\n", 0, at) + 1
        col = at - text.rfind("\n", 0, at)
        code = getattr(exc, "character", "")
        shown = f"U+{ord(code):04X}" if isinstance(code, str) and code else f"U+{code:04X}" if code else "?"
        diags.error(
            SourcePos(path, line, col), f"character {shown} is not allowed in YAML (a control character); delete it"
        )
        return None
    except yaml.YAMLError as exc:
        diags.error(SourcePos(path, 1, 1), f"YAML error: {' '.join(str(exc).split())[:200]}")
        return None
    except RecursionError:
        diags.error(SourcePos(path, 1, 1), f"lists and mappings nested more than {MAX_DEPTH} deep")
        return None
    if node is None:
        diags.error(SourcePos(path, 1, 1), "no YAML content")
        return None
    return schema.convert(node, Ctx(path, diags))

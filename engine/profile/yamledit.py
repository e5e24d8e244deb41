"""A profile file's values as a table, and edits written back into its text, everything else kept.

The app's policy page shows every single value of a file (a threshold, a vote's fraction, a fund's
range, a rule's condition) as a row: where it sits, in the file's own keys, and its value. An edit
replaces only the characters of that value in the text, so the file keeps its comments, order,
line breaks and quotes to the byte. (A round trip through ruamel.yaml, tried first, rewrote 12 of
the 52 shipped profile files without any edit: wrapped flow lists joined, `[{channel: online}]`
written as `[channel: online]`.) Every edit is checked by reading the new text back: it must hold
the new value there and the same values everywhere else.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

Path = tuple[Any, ...]  # keys of mappings and indexes of lists, from the top of the file
_FLOW_INDICATORS = set(",[]{}#&*!|>'\"%@`")


@dataclass(frozen=True)
class Leaf:
    """One single value of a file."""

    path: Path
    where: str  # the path in the file's words: rows → [reserve] → when → 1
    value: Any
    line: int  # 1-based line of the value in the file
    start: int  # the value's characters in the text
    end: int
    style: str | None  # None (plain), "'" or '"'
    in_flow: bool  # written inside [ ] or { }


EDIT_PROBLEMS = {  # an edit refused, by its code; the apps word each in the user's language
    "not_a_value": "not a value",
    "single_value": "a single value is expected",
    "no_such_value": "no such value in the file",
    "not_writable": "cannot be written here",
    "reads_differently": "the file would read differently",
    "row_has_no_value": "this row has no such value; add it in the text view",
    "row_id": "a row's id is changed in the text view",
    "part_count": "{parts} parts expected, separated by '；'; add or remove conditions in the text view",
}


class EditError(ValueError):
    """An edited value that cannot be written: where, and why by a code of EDIT_PROBLEMS."""

    def __init__(self, where: str, code: str, **params: Any):
        self.where, self.code, self.params = where, code, params
        self.message = EDIT_PROBLEMS[code].format(**params)
        super().__init__(f"{where}: {self.message}")


def leaves(text: str) -> list[Leaf]:
    """Every single value of the file, in the order of the file (empty when it does not parse)."""
    try:
        node, data = yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    return list(_walk(node, data, (), (), False)) if node is not None else []


def _walk(node, data, path: Path, words: tuple[str, ...], in_flow: bool) -> Iterator[Leaf]:
    if isinstance(node, MappingNode):
        pairs = [(key.value, value) for key, value in node.value]
    elif isinstance(node, SequenceNode):
        pairs = list(enumerate(node.value))
    else:
        return
    flow = in_flow or bool(node.flow_style)
    for key, child in pairs:
        value = data[key]
        step = f"[{value['id']}]" if isinstance(node, SequenceNode) and isinstance(value, dict) and "id" in value \
            else str(key + 1) if isinstance(node, SequenceNode) else str(key)
        if isinstance(child, ScalarNode):
            yield Leaf(path + (key,), " → ".join(words + (step,)), value, child.start_mark.line + 1,
                       child.start_mark.index, child.end_mark.index, child.style if child.style in ("'", '"') else None,
                       flow)
        else:
            yield from _walk(child, value, path + (key,), words + (step,), flow)


def shown(value: Any) -> str:
    """A value as the table shows it: text as written, anything else as YAML writes it."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return yaml.safe_dump(value, allow_unicode=True).strip().removesuffix("...").strip()


def _typed(old: Any, typed: str, where: str) -> Any:
    """The edited text as a value of the old value's kind: text stays text, a number a number."""
    if isinstance(old, str):
        return typed
    try:
        value = yaml.safe_load(typed) if typed.strip() else None
    except yaml.YAMLError:
        raise EditError(where, "not_a_value") from None
    if isinstance(value, (dict, list)):
        raise EditError(where, "single_value")
    return value


def _written(leaf: Leaf, value: Any) -> list[str]:
    """Ways to write the value in the leaf's place, the most like the old one first."""
    if not isinstance(value, str):
        return [shown(value)]
    double = json.dumps(value, ensure_ascii=False)
    single = "'" + value.replace("'", "''") + "'"
    if leaf.style == '"':
        return [double]
    if leaf.style == "'":
        return [single, double]
    plain_ok = value and "\n" not in value and not (leaf.in_flow and _FLOW_INDICATORS & set(value))
    return ([value] if plain_ok else []) + [single, double]


def _set(data: Any, path: Path, value: Any) -> Any:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def with_values(text: str, edits: Mapping[Path, str]) -> str:
    """The file's text with the values at these paths replaced by the typed texts."""
    known = {leaf.path: leaf for leaf in leaves(text)}
    expected = yaml.safe_load(text)
    planned = []
    for path, typed in edits.items():
        leaf = known.get(tuple(path))
        if leaf is None:
            raise EditError(" → ".join(map(str, path)), "no_such_value")
        value = _typed(leaf.value, typed, leaf.where)
        _set(expected, leaf.path, value)
        planned.append((leaf, value))
    out = text
    for leaf, value in sorted(planned, key=lambda p: -p[0].start):  # from the end: earlier offsets hold
        for candidate in _written(leaf, value):
            trial = out[:leaf.start] + candidate + out[leaf.end:]
            if _reads_as(trial, leaf.path, value):
                out = trial
                break
        else:
            raise EditError(leaf.where, "not_writable")
    if yaml.safe_load(out) != expected:
        raise EditError("", "reads_differently")
    return out


def _reads_as(text: str, path: Path, value: Any) -> bool:
    try:
        data = yaml.safe_load(text)
        for key in path:
            data = data[key]
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        return False
    return data == value and type(data) is type(value)

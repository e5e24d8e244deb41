"""Read a YAML file into plain data while remembering the line of every key and item.

PyYAML's composer keeps a mark on each node; we build the Python values ourselves from the node
tree so that an error found later (by pydantic, or by a cross-file check) can name its line.
Floats become ``Decimal`` here so that money never passes through binary floating point.

A profile file is small: one over MAX_BYTES, or one whose aliases expand it to more than
MAX_VALUES values (the "billion laughs": each alias repeats a list of the one before), is refused
as a config error at once, before it can take the machine's memory.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[Any, ...]

MAX_BYTES = 2 * 1024 * 1024
MAX_VALUES = 200_000
MAX_DEPTH = 64  # no profile file nests lists and mappings a tenth as deep
MAX_DIGITS = 30  # a whole number longer than this is no county's figure (Python refuses past 4,300)


@dataclass(frozen=True)
class YamlDocument:
    data: Any
    lines: dict[Path_, int]  # path of a value -> 1-based line where its key (or item) starts
    # path of a value -> the file it came from, for a file merged through a chain of profiles
    files: dict[Path_, str] | None = None

    def line_of(self, path: Path_) -> int | None:
        """Line of the deepest known prefix of ``path`` (a missing key points at its parent)."""
        known = self._known(path)
        return None if known is None else self.lines[known]

    def file_of(self, path: Path_, default: str) -> str:
        """The file of that line: `default` unless the document was merged from several."""
        known = self._known(path)
        return default if self.files is None or known is None else self.files.get(known, default)

    def _known(self, path: Path_) -> Path_ | None:
        path = tuple(path)
        while True:
            if path in self.lines:
                return path
            if not path:
                return None
            path = path[:-1]


class TooLarge(yaml.MarkedYAMLError):
    """Valid YAML, but more than a profile file may hold."""


class YamlSyntaxError(Exception):
    def __init__(self, line: int | None, message: str, file: str | None = None):
        self.line = line
        self.message = message
        self.file = file  # set when the file is one of a chain of profiles
        super().__init__(message)


def load_yaml(path: Path) -> YamlDocument:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise YamlSyntaxError(None, f"the file is {size / 1024 / 1024:.1f} MB; a profile file may be "
                                    f"at most {MAX_BYTES // 1024 // 1024} MB")
    text = path.read_text(encoding="utf-8")
    return parse_yaml(text)


def parse_yaml(text: str) -> YamlDocument:
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a control character)
        raise YamlSyntaxError(text.count("\n", 0, exc.position) + 1,
                              f"the character U+{exc.character if isinstance(exc.character, int) else ord(exc.character):04X} "
                              f"is not allowed in a YAML file: remove it") from None
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # PyYAML composes recursively: nesting this deep never comes back
            raise TooLarge(problem=f"lists or mappings nested more than {MAX_DEPTH} deep",
                           problem_mark=_too_deep(text)) from None
        lines: dict[Path_, int] = {}
        if node is None:
            return YamlDocument(None, {(): 1})
        data = _build(loader, node, (), lines, [MAX_VALUES])
        return YamlDocument(data, lines)
    except TooLarge as exc:
        raise YamlSyntaxError(exc.problem_mark.line + 1 if exc.problem_mark else None, exc.problem) from None
    except yaml.MarkedYAMLError as exc:
        line, words = in_words(exc)
        raise YamlSyntaxError(line, f"YAML syntax error: {words}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML raises marked errors for text input
        raise YamlSyntaxError(None, f"YAML syntax error: {exc}") from None
    finally:
        loader.dispose()


def _too_deep(text: str) -> yaml.Mark | None:
    """Where the text first nests deeper than MAX_DEPTH, found with the parser's events (which,
    unlike composing, do not recurse)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def in_words(exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """The line a YAML mistake is on and what it is, in words rather than the parser's: an
    unclosed bracket is reported where it opens, not where the parser gave up two lines later."""
    problem, context = exc.problem or "", exc.context or ""
    at = exc.problem_mark.line + 1 if exc.problem_mark else None
    opened = exc.context_mark.line + 1 if exc.context_mark else at
    found = problem.rsplit("but got ", 1)[-1] if "but got " in problem else None
    if context.startswith("while parsing a flow sequence"):
        return opened, f"the list opened with '[' on this line is not closed with ']' (line {at} has {found} first)"
    if context.startswith("while parsing a flow mapping"):
        return opened, f"the braces opened with '{{' on this line are not closed with '}}' (line {at} has {found} first)"
    if context.startswith("while scanning a quoted scalar"):
        return opened, "a quote opened on this line is never closed: add the closing quote"
    if "cannot start any token" in problem and "\\t" in problem:  # PyYAML writes the tab as '\t'
        return at, "a tab character: YAML indents with spaces only"
    if problem == "mapping values are not allowed here":
        return at, ("a ':' where YAML does not expect one: if the text holds ': ', put it in quotes; "
                    "otherwise check this line's indentation against the lines above")
    if context.startswith("while scanning a simple key"):
        return opened, "a line that is neither 'key: value' nor '- item' (a ':' is missing, or the text needs quotes)"
    if problem.startswith("expected <block end>"):
        what = "a list item ('-')" if "'-'" in problem else "a key"
        return at, f"{what} that does not line up with the lines above: check its indentation"
    if problem.startswith("found undefined alias"):
        return at, f"{problem}: an alias (*name) must name an anchor (&name) written before it"
    words = f"{context}, {problem}" if context else problem or "invalid YAML"
    return at or opened, words


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, lines: dict[Path_, int], left: list[int]) -> Any:
    left[0] -= 1  # values still allowed in this file (aliases count each time they are used)
    if left[0] < 0:
        raise TooLarge(
            problem=f"the file expands to more than {MAX_VALUES:,} values; YAML aliases (*name) that "
                    f"repeat other aliases make it grow without end", problem_mark=node.start_mark)
    if len(path) > MAX_DEPTH:  # an alias inside its own anchor (&a [*a]) nests without end
        raise TooLarge(problem=f"lists or mappings nested more than {MAX_DEPTH} deep (an alias *name "
                               f"used inside its own anchor &name repeats itself without end)",
                       problem_mark=node.start_mark)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, bool):  # YAML 1.1 reads on/off/yes/no as true or false
                raise yaml.MarkedYAMLError(
                    problem=f"the key '{key_node.value}' is read by YAML as {str(key).lower()}; put it in quotes",
                    problem_mark=key_node.start_mark)
            if not isinstance(key, (str, int)):
                raise yaml.MarkedYAMLError(problem="a key must be a plain word", problem_mark=key_node.start_mark)
            if key in result:
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key '{key}'", problem_mark=key_node.start_mark
                )
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, path + (key,), lines, left)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), lines, left) for i, item in enumerate(node.value)]
    if node.tag == "tag:yaml.org,2002:float":
        text = node.value.replace("_", "")
        try:
            return Decimal(text)
        except ArithmeticError:  # .inf, .nan: keep YAML's meaning
            return loader.construct_object(node)
    if node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_DIGITS:
        raise yaml.MarkedYAMLError(problem=f"a number of {len(node.value):,} digits; no value of a profile "
                                           f"has more than {MAX_DIGITS}", problem_mark=node.start_mark)
    try:
        return loader.construct_object(node)
    except (ValueError, OverflowError):  # a date that does not exist (2025-02-30), say
        what = "date" if node.tag == "tag:yaml.org,2002:timestamp" else "value"
        raise yaml.MarkedYAMLError(problem=f"'{node.value}' is not a {what} that exists; "
                                           f"write it as it is meant, or in quotes as text",
                                   problem_mark=node.start_mark) from None

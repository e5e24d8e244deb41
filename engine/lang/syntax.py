"""The expression language's syntax: its types' names, the tokens, the tree, the parser.

See engine.lang.expr for the language itself and its compilation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


NUMBER, MONEY, DATE, TEXT, BOOL = "number", "money", "date", "text", "bool"
SCALARS = (NUMBER, MONEY, DATE, TEXT, BOOL)
NUMERIC = (NUMBER, MONEY)


def list_of(kind: str) -> str:
    return f"list of {kind}"


def element(kind: str) -> str | None:
    return kind[len("list of "):] if kind.startswith("list of ") else None


class ExprError(Exception):
    """A mistake in an expression, with the span of text it is about."""

    def __init__(self, message: str, start: int, end: int):
        self.message = message
        self.start = start
        self.end = max(end, start + 1)
        super().__init__(message)

    def pointed(self, text: str) -> str:
        """The message, the expression, and carets under the part it is about, on one line."""
        return f"{self.message} (at column {self.start + 1} of «{text}»)"


# -- tokens -----------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?%?)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[a-z][a-z0-9_]*)?)
  | (?P<op>\.\.|\*\*|==|!=|<=|>=|[-+*/<>()\[\],])
""", re.X)
KEYWORDS = {"and", "or", "not", "in", "true", "false"}


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, op, keyword, end
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ExprError(f"unexpected character {text[pos]!r}", pos, pos + 1)
        kind = match.lastgroup
        if kind != "space":
            word = match.group()
            if kind == "name" and "." in word and word.split(".")[0] in KEYWORDS:
                raise ExprError(f"unexpected {word!r}", pos, match.end())
            if kind == "name" and word in KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, word, pos, match.end()))
        pos = match.end()
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


# -- syntax tree ------------------------------------------------------------------------------
# How deeply an expression may nest (brackets, `not`, operators applied to operators): far more
# than any rule needs, and well inside what Python's own stack and compiler allow, so a generated
# or hostile expression is a config error rather than a crash. A long `and`/`or` chain does not
# nest: it is one node with many parts.
MAX_DEPTH = 64


@dataclass(frozen=True)
class Node:
    op: str  # literal, name, call, list, range, unary, binary, compare, in, and, or, not
    args: tuple
    start: int
    end: int
    value: Any = None  # range: (lower bound included, upper bound included)
    depth: int = 1

    def __post_init__(self):
        if self.args:
            depth = 1 + max(a.depth for a in self.args)
            if depth > MAX_DEPTH:
                raise ExprError(f"the expression nests more than {MAX_DEPTH} levels deep; "
                                f"split it into derived values", self.start, self.end)
            object.__setattr__(self, "depth", depth)


class _Parser:
    """Precedence climbing: or < and < not < comparison < + - < * / < unary minus < ** < atoms."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.open = 0  # brackets, calls, `not`s and signs being parsed: bounded like the tree

    def nested(self, tok: Token) -> None:
        self.open += 1
        if self.open > MAX_DEPTH:
            raise ExprError(f"the expression nests more than {MAX_DEPTH} levels deep; "
                            f"split it into derived values", tok.start, tok.end)

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self, text: str | None = None, kind: str | None = None) -> Token | None:
        tok = self.tok
        if (text is None or tok.text == text) and (kind is None or tok.kind == kind) and tok.kind != "end":
            self.i += 1
            return tok
        return None

    def expect(self, text: str, what: str) -> Token:
        tok = self.take(text)
        if tok is None:
            raise ExprError(f"expected {what}, found {self._found()}", self.tok.start, self.tok.end)
        return tok

    def _found(self) -> str:
        return "the end" if self.tok.kind == "end" else repr(self.tok.text)

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ExprError("the expression is empty", 0, 1)
        node = self.or_()
        if self.tok.kind != "end":
            raise ExprError(f"unexpected {self._found()} after a complete expression", self.tok.start, self.tok.end)
        return node

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.take("or", "keyword"):
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Node("or", tuple(parts), parts[0].start, parts[-1].end)

    def and_(self) -> Node:
        parts = [self.not_()]
        while self.take("and", "keyword"):
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else Node("and", tuple(parts), parts[0].start, parts[-1].end)

    def not_(self) -> Node:
        tok = self.take("not", "keyword")
        if tok:
            self.nested(tok)
            inner = self.not_()
            self.open -= 1
            return Node("not", (inner,), tok.start, inner.end)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        tok = self.tok
        if tok.kind == "op" and tok.text in ("==", "!=", "<", "<=", ">", ">="):
            self.i += 1
            right = self.additive()
            return Node("compare", (left, right), left.start, right.end, tok.text)
        negated = False
        if tok.kind == "keyword" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.i += 1
            negated = True
        if self.take("in", "keyword"):
            right = self.bracketed_range() or self.additive()
            if right.op != "range" and self.take(".."):
                upper = self.additive()
                right = Node("range", (right, upper), right.start, upper.end, (True, True))
            node = Node("in", (left, right), left.start, right.end)
            return Node("not", (node,), node.start, node.end) if negated else node
        if negated:
            raise ExprError("expected 'in' after 'not'", self.tok.start, self.tok.end)
        return left

    def bracketed_range(self) -> Node | None:
        """A range with its ends marked: [a..b] includes both, (a..b) neither, [a..b) and (a..b]
        one of them. Anything else after `in` that starts with a bracket (a list, a sum in
        brackets) is left to the usual rules."""
        tok = self.tok
        if tok.text not in ("[", "("):
            return None
        mark = self.i
        self.i += 1
        self.nested(tok)
        try:
            lower = self.additive()
        except ExprError:
            lower = None
        if lower is None or not self.take(".."):
            self.i, self.open = mark, self.open - 1
            return None
        upper = self.additive()
        close = self.tok
        if close.text not in ("]", ")"):
            raise ExprError(f"expected ']' or ')' to close the range, found {self._found()}", close.start, close.end)
        self.i += 1
        self.open -= 1
        return Node("range", (lower, upper), tok.start, close.end, (tok.text == "[", close.text == "]"))

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.take().text
            right = self.multiplicative()
            node = Node("binary", (node, right), node.start, right.end, op)
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.take().text
            right = self.unary()
            node = Node("binary", (node, right), node.start, right.end, op)
        return node

    def unary(self) -> Node:
        tok = self.take("-", "op")
        if tok:
            self.nested(tok)
            inner = self.unary()
            self.open -= 1
            return Node("unary", (inner,), tok.start, inner.end, "-")
        return self.power()

    def power(self) -> Node:
        # Right to left, and tighter than a sign on its left: -2 ** 2 is -4, 2 ** -1 is 0.5.
        base = self.atom()
        tok = self.take("**", "op")
        if tok is None:
            return base
        self.nested(tok)
        exponent = self.unary()
        self.open -= 1
        return Node("binary", (base, exponent), base.start, exponent.end, "**")

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            text = tok.text
            # a whole number stays an int, as marks do, so sums of marks stay whole numbers
            value = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text) if "." in text else int(text)
            return Node("literal", (), tok.start, tok.end, (value, NUMBER))
        if tok.kind == "string":
            self.i += 1
            return Node("literal", (), tok.start, tok.end, (tok.text[1:-1], TEXT))
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            self.i += 1
            return Node("literal", (), tok.start, tok.end, (tok.text == "true", BOOL))
        if tok.kind == "name":
            self.i += 1
            if self.tok.text == "(":
                self.nested(self.tok)
                self.i += 1
                args = []
                if not self.take(")"):
                    args.append(self.or_())
                    while self.take(","):
                        args.append(self.or_())
                    close = self.expect(")", "',' or ')' to close the call")
                else:
                    close = self.tokens[self.i - 1]
                self.open -= 1
                return Node("call", tuple(args), tok.start, close.end, tok.text)
            return Node("name", (), tok.start, tok.end, tok.text)
        if tok.text == "(":
            self.nested(tok)
            self.i += 1
            inner = self.or_()
            self.expect(")", "')'")
            self.open -= 1
            return inner
        if tok.text == "[":
            self.nested(tok)
            self.i += 1
            items = []
            if not self.take("]"):
                items.append(self.or_())
                while self.take(","):
                    items.append(self.or_())
                close = self.expect("]", "',' or ']' to close the list")
            else:
                close = self.tokens[self.i - 1]
            self.open -= 1
            return Node("list", tuple(items), tok.start, close.end)
        raise ExprError(f"expected a value, found {self._found()}", tok.start, tok.end)


def parse(text: str) -> Node:
    return _Parser(text).parse()



"""The Entrez term language for db=gds: a small recursive-descent parser and matcher.

Grammar (Entrez evaluates Boolean operators left to right, without precedence)::

    expr    := unary ((AND | OR | NOT)? unary)*      # adjacent terms are ANDed
    unary   := primary (":" primary)?                # a range
    primary := "(" expr ")" | "phrase"[TAG] | word[TAG] | lo:hi[TAG]

Operators must be upper-case. Tags are case-insensitive and may be the short
(``ORGN``) or the full name (``Organism``). Bare words right before a tagged
word form a phrase with it (``Homo sapiens[ORGN]`` is ``"Homo sapiens"[ORGN]``),
as in Entrez. A term with an unknown tag is
dropped from both the match and the translation, which widens the query, as
NCBI does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FIELDS", "BinOp", "Leaf", "Node", "Range", "parse", "translate"]

FIELDS: dict[str, str] = {
    "ACCN": "GEO Accession",
    "ETYP": "Entry Type",
    "ORGN": "Organism",
    "GTYP": "DataSet Type",
    "PDAT": "Publication Date",
    "NSAM": "Number of Samples",
    "SFIL": "Supplementary Files",
    "TITL": "Title",
    "DESC": "Description",
    "FILT": "Filter",
    "ALL": "All Fields",
}
RANGE_FIELDS = {"PDAT", "NSAM"}
_ALIASES = {**{k.lower(): k for k in FIELDS}, **{v.lower(): k for k, v in FIELDS.items()}}
_ALIASES.update({"accession": "ACCN", "all": "ALL", "organism": "ORGN", "title": "TITL"})
OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True)
class Leaf:
    """A term restricted to one field (``ALL`` when untagged)."""

    text: str
    field: str
    quoted: bool = False


@dataclass(frozen=True)
class Range:
    """``lo:hi[FIELD]`` for a numeric or date field."""

    lo: str
    hi: str
    field: str


@dataclass(frozen=True)
class BinOp:
    """``left OP right``."""

    op: str
    left: Node
    right: Node


Node = Leaf | Range | BinOp


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", ":", "op", "term"
    text: str = ""
    tag: str | None = None
    quoted: bool = False


def _tokenize(term: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(term)
    while i < n:
        ch = term[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            tokens.append(_Token(ch))
            i += 1
            continue
        if ch == "[":
            i = term.find("]", i) + 1 or n
            continue
        quoted = ch == '"'
        if quoted:
            end = term.find('"', i + 1)
            end = n if end < 0 else end
            text, i = term[i + 1 : end], end + 1
        else:
            start = i
            while i < n and not term[i].isspace() and term[i] not in '()"[':
                i += 1
            text = term[start:i]
        j = i
        while j < n and term[j].isspace():
            j += 1
        tag = None
        if j < n and term[j] == "[":
            close = term.find("]", j)
            close = n if close < 0 else close
            tag, i = term[j + 1 : close].strip(), close + 1
        if not quoted and tag is None and text in OPERATORS:
            tokens.append(_Token("op", text))
        elif not quoted and text == ":":
            tokens.append(_Token(":"))
        else:
            tokens.append(_Token("term", text, tag, quoted))
    return _merge_phrases(tokens)


def _merge_phrases(tokens: list[_Token]) -> list[_Token]:
    """``Homo sapiens[ORGN]`` means ``"Homo sapiens"[ORGN]``: bare words before a tag join it."""
    out: list[_Token] = []
    for token in tokens:
        if token.kind == "term" and token.tag is not None and not token.quoted:
            words = [token.text]
            while out and out[-1].kind == "term" and out[-1].tag is None and not out[-1].quoted:
                words.insert(0, out.pop().text)
            token = _Token("term", " ".join(words), token.tag, quoted=len(words) > 1)
        out.append(token)
    return out


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expr(self, depth: int) -> Node | None:
        node: Node | None = None
        op = "AND"
        while (token := self.peek()) is not None:
            if token.kind == ")":
                if depth:
                    break
                self.take()
                continue
            if token.kind == "op":
                op = self.take().text
                continue
            right = self.unary(depth)
            node = _combine(op, node, right)
            op = "AND"
        return node

    def unary(self, depth: int) -> Node | None:
        token = self.take()
        if token.kind == "(":
            inner = self.expr(depth + 1)
            if (close := self.peek()) is not None and close.kind == ")":
                self.take()
            return inner
        if token.kind == ":":
            return None
        nxt = self.peek()
        if nxt is not None and nxt.kind == ":":
            self.take()
            hi = self.peek()
            if hi is not None and hi.kind == "term":
                self.take()
                return _range(token.text, hi.text, hi.tag or token.tag)
        return _leaf(token)


def _field(tag: str | None) -> str | None:
    return "ALL" if tag is None or not tag.strip() else _ALIASES.get(tag.strip().lower())


def _leaf(token: _Token) -> Node | None:
    field = _field(token.tag)
    if field is None or not token.text.strip():
        return None
    if field in RANGE_FIELDS and not token.quoted and ":" in token.text:
        lo, _, hi = token.text.partition(":")
        return Range(lo.strip(), hi.strip(), field)
    return Leaf(token.text.strip(), field, token.quoted)


def _range(lo: str, hi: str, tag: str | None) -> Node | None:
    field = _field(tag)
    if field is None:
        return None
    if field not in RANGE_FIELDS:
        return Leaf(f"{lo}:{hi}", field)
    return Range(lo.strip(), hi.strip(), field)


def _combine(op: str, left: Node | None, right: Node | None) -> Node | None:
    if left is None:
        return right if op != "NOT" else None
    if right is None:
        return left
    return BinOp(op, left, right)


def parse(term: str) -> Node | None:
    """The expression tree of an Entrez term, or None when nothing searchable is left."""
    return _Parser(_tokenize(term)).expr(0)


def render_leaf(node: Leaf | Range) -> str:
    """One term as NCBI's translation shows it, e.g. ``"Homo sapiens"[Organism]``."""
    name = FIELDS[node.field]
    if isinstance(node, Range):
        return f'("{node.lo}"[{name}] : "{node.hi}"[{name}])'
    if node.quoted or " " in node.text:
        return f'"{node.text}"[{name}]'
    return f"{node.text}[{name}]"


def translate(node: Node) -> str:
    """The ``querytranslation`` of a tree, with full field names."""
    if not isinstance(node, BinOp):
        return render_leaf(node)
    left = translate(node.left)
    if isinstance(node.left, BinOp) and node.left.op != node.op:
        left = f"({left})"
    right = translate(node.right)
    if isinstance(node.right, BinOp):
        right = f"({right})"
    return f"{left} {node.op} {right}"


def stack(node: Node, count: Any) -> list[Any]:
    """NCBI's ``translationstack``: the terms in postfix order with their hit counts.

    ``count(leaf_or_range)`` returns how many documents that single term matches.
    """
    if isinstance(node, BinOp):
        return [*stack(node.left, count), *stack(node.right, count), node.op]
    entry = {
        "term": render_leaf(node),
        "field": FIELDS[node.field],
        "count": str(count(node)),
        "explode": "N",
    }
    return [entry]

"""Recursive-descent parser of SAS selection expressions.

Operator precedence, loosest first (selectlib has no published table; this is the GAP
decision, see sas-reference.md section 1.7)::

    ||  .or.                      left-associative
    &&  .and.                     left-associative
    !   .not.                     prefix; binds looser than comparisons: !PI > 5 is !(PI > 5)
    == != < <= > >= .eq. ...  in  one comparison per operand pair (a < b < c is an error)
    |                             bitwise or    } tighter than comparisons, unlike C, so that
    &                             bitwise and   } FLAG & b110 != 0 means (FLAG & b110) != 0
    + -                           left-associative
    * /                           left-associative
    - +  (unary)                  prefix

Other rules decided here (GAPs in the SAS documentation):

* ``COL in item, item, ...``: an item is ``[a:b]`` (inclusive), ``(a:b)`` (exclusive), mixed
  ``(a:b]`` / ``[a:b)``, bare ``a:b`` (inclusive), open ``a:`` / ``:b``, or a single value
  (``99`` or ``[99]``, equality).  After ``in`` (and after a comma of the list) an opening
  ``(`` is always a range bracket.  At the very end of the expression the closing bracket
  may be left out and the upper end is then inclusive, which is how SAS writes ranges in
  data-subspace keywords (``DSVAL = '(500:7500'`` for ``PI in (500:7500]``), so that
  ``PI in (500:7500`` reads a DSS value directly.
* ``#NAME`` is replaced by the parsed text of the macro as one parenthesised operand;
  ``#ROW`` is the 1-based row number.
* Shapes take their columns from a pair, ``(DETX,DETY) in box(...)``, or from two trailing
  column names, ``circle(354,383,84,RAWX,RAWY)``; a shape on its own applies to ``(X,Y)``.
* ``gti(file[, COL])`` and ``COL in gti(file)`` test ``COL`` (default ``TIME``);
  ``region(file[, XCOL, YCOL])`` and ``(XCOL,YCOL) in region(file)``.
* Chains of ``&&`` (and of ``||``) are built as balanced trees: the meaning is the same as
  left to right, and a chain of thousands of terms stays shallow.

Limits (see :mod:`~xmmframe.select.limits`): an expression has at most
:data:`~xmmframe.select.limits.MAX_LENGTH` (1 000 000) characters, and at most
:data:`~xmmframe.select.limits.MAX_DEPTH` (256) levels of nesting (parentheses, function and
range arguments, macros inside macros) and of tree depth (prefix operators, chains of
``+ - * / & |``).  Beyond them :class:`~xmmframe.errors.SelectionLimitError` names the
column where the limit was crossed; nothing recurses without bound on user input.

Examples
--------
>>> from xmmframe.select.parser import parse
>>> tree = parse("FLAG & b110 != 0")
>>> tree.op, tree.left.op
('!=', '&')
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from xmmframe.errors import (
    SelectionError,
    SelectionLimitError,
    SelectionSyntaxError,
    ShapeArgumentError,
    UnknownMacroError,
)
from xmmframe.select.filespec import FileSpec, parse_filespec
from xmmframe.select.lexer import Token, tokenize
from xmmframe.select.limits import MAX_DEPTH, MAX_LENGTH, MAX_TESTS, stack_room, too_deep, too_many_tests
from xmmframe.select.macros import MacroTable
from xmmframe.select.nodes import (
    COMPARISON,
    Binary,
    Boolean,
    Column,
    GtiTest,
    InRanges,
    Macro,
    MaskTest,
    Node,
    Number,
    Range,
    RegionTest,
    RowNumber,
    ShapeTest,
    String,
    Unary,
)
from xmmframe.select.shapes.catalog import SHAPES, accepts, arity_message, shape_class

_VALUE_START = {"INT", "FLOAT", "STRING", "TRUE", "FALSE", "MACRO", "IDENT", "(", "-", "+", "!"}
_FUNCTIONS = ("gti", "region", "mask")


def parse(expression: str, macros: MacroTable | None = None, strict_macros: bool = True) -> Node:
    """Parse a selection expression into a tree of :mod:`~xmmframe.select.nodes`.

    Parameters
    ----------
    expression : str
        The SAS selection expression.
    macros : MacroTable, optional
        Where ``#NAME`` macros get their text (default: the built-in ``XMMEA_*`` masks only).
    strict_macros : bool
        Raise :class:`~xmmframe.errors.UnknownMacroError` for an undefined macro (True), or
        keep it as an unexpanded :class:`~xmmframe.select.nodes.Macro` node (False).

    Raises
    ------
    xmmframe.errors.SelectionSyntaxError
        With the position and a caret line.
    xmmframe.errors.SelectionLimitError
        When the expression is longer than ``MAX_LENGTH`` characters or nested deeper than
        ``MAX_DEPTH`` levels (with the position and a caret line).

    Examples
    --------
    >>> parse("PI in [500:2000]").label()
    'in (any of the ranges)'
    """
    if len(expression) > MAX_LENGTH:
        raise SelectionLimitError(
            f"the expression has {len(expression)} characters, more than the limit of {MAX_LENGTH}",
            expression,
            MAX_LENGTH,
        )
    with stack_room():
        tree = _Parser(expression, macros or MacroTable(), strict_macros, ()).parse()
    deep = too_deep(tree)
    if deep is not None:
        raise SelectionLimitError(
            f"the expression is more than {MAX_DEPTH} levels deep "
            "(prefix operators and chains of + - * / & | each add a level)",
            expression,
            deep.pos,
        )
    crowded = too_many_tests(tree)
    if crowded is not None:
        raise SelectionLimitError(
            f"the expression has {crowded[0]} tests, more than the limit of {MAX_TESTS} "
            "(long chains of circles, annuli, ellipses and boxes are not counted)",
            expression,
            crowded[1].pos,
        )
    return tree


def _balanced(operands: list[Node], operators: list[Token]) -> Node:
    """``a op b op c ...`` of one associative logical operator as a balanced tree.

    Chains of up to three operands come out as parsed from the left, ``(a op b) op c``.
    """
    if len(operands) == 1:
        return operands[0]
    middle = (len(operands) + 1) // 2
    op = operators[middle - 1]
    left = _balanced(operands[:middle], operators[: middle - 1])
    right = _balanced(operands[middle:], operators[middle:])
    return Binary(op.kind, left, right, pos=op.pos)


class _Parser:
    def __init__(
        self, text: str, macros: MacroTable, strict: bool, stack: tuple[str, ...], depth: int = 0
    ) -> None:
        self.text = text
        self.macros = macros
        self.strict = strict
        self.stack = stack
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = depth

    @contextmanager
    def nested(self, token: Token) -> Iterator[None]:
        """One more level of nesting, opened by ``token``; refused beyond ``MAX_DEPTH``."""
        if self.depth >= MAX_DEPTH:
            raise SelectionLimitError(
                f"the expression is nested more than {MAX_DEPTH} levels deep", self.text, token.pos
            )
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    # ------------------------------------------------------------------ token helpers

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return token

    def error(self, reason: str, token: Token | None = None) -> SelectionSyntaxError:
        token = token or self.peek()
        return SelectionSyntaxError(reason, self.text, token.pos)

    def expect(self, kind: str, what: str) -> Token:
        if self.peek().kind != kind:
            raise self.error(f"expected {what}, found {_describe(self.peek())}")
        return self.advance()

    def is_word(self, word: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token.kind == "IDENT" and token.text.lower() == word

    # ------------------------------------------------------------------ grammar

    def parse(self) -> Node:
        if self.peek().kind == "EOF":
            raise self.error("empty selection expression")
        node = self.or_expr()
        if self.peek().kind != "EOF":
            raise self.error(f"unexpected {_describe(self.peek())}; expected an operator or the end")
        return node

    def or_expr(self) -> Node:
        operands, operators = [self.and_expr()], []
        while self.peek().kind == "||":
            operators.append(self.advance())
            operands.append(self.and_expr())
        return _balanced(operands, operators)

    def and_expr(self) -> Node:
        operands, operators = [self.not_expr()], []
        while self.peek().kind == "&&":
            operators.append(self.advance())
            operands.append(self.not_expr())
        return _balanced(operands, operators)

    def not_expr(self) -> Node:
        nots = []
        while self.peek().kind == "!":
            nots.append(self.advance())
        node = self.comparison()
        for op in reversed(nots):
            node = Unary("!", node, pos=op.pos)
        return node

    def comparison(self) -> Node:
        node = self.bitor()
        if self.peek().kind in COMPARISON:
            op = self.advance()
            node = Binary(op.kind, node, self.bitor(), pos=op.pos)
        elif self.is_word("in"):
            node = self.membership(node)
        if self.peek().kind in COMPARISON or self.is_word("in"):
            raise self.error(
                f"comparisons cannot be chained ({_describe(self.peek())} after a comparison); "
                "combine them with && or use parentheses"
            )
        return node

    def bitor(self) -> Node:
        node = self.bitand()
        while self.peek().kind == "|":
            op = self.advance()
            node = Binary("|", node, self.bitand(), pos=op.pos)
        return node

    def bitand(self) -> Node:
        node = self.additive()
        while self.peek().kind == "&":
            op = self.advance()
            node = Binary("&", node, self.additive(), pos=op.pos)
        return node

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.peek().kind in ("+", "-"):
            op = self.advance()
            node = Binary(op.kind, node, self.multiplicative(), pos=op.pos)
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.peek().kind in ("*", "/"):
            op = self.advance()
            node = Binary(op.kind, node, self.unary(), pos=op.pos)
        return node

    def unary(self) -> Node:
        prefixes = []
        while self.peek().kind in ("-", "+", "!"):
            prefixes.append(self.advance())
        node = self.primary()
        for op in reversed(prefixes):
            if op.kind == "-" and isinstance(node, Number):
                node = Number(-node.value, f"-{node.text or node.value}", pos=op.pos)
            elif op.kind == "+" and isinstance(node, Number):
                node = Number(node.value, node.text, pos=op.pos)
            else:
                node = Unary(op.kind, node, pos=op.pos)
        return node

    def primary(self) -> Node:
        token = self.peek()
        kind = token.kind
        if kind in ("INT", "FLOAT"):
            self.advance()
            assert token.value is not None
            return Number(token.value, token.text, pos=token.pos)
        if kind == "STRING":
            self.advance()
            return String(token.text, pos=token.pos)
        if kind in ("TRUE", "FALSE"):
            self.advance()
            return Boolean(kind == "TRUE", pos=token.pos)
        if kind == "MACRO":
            self.advance()
            return self.macro(token)
        if kind == "IDENT":
            if token.text.lower() == "in":
                raise self.error("unexpected 'in'; expected a value or a column before it")
            if self.peek(1).kind == "(":
                return self.call()
            self.advance()
            return Column(token.text, pos=token.pos)
        if kind == "(":
            if self.pair_follows():
                return self.pair_membership()
            self.advance()
            with self.nested(token):
                node = self.or_expr()
            self.expect(")", f"')' to close the '(' (opened at column {token.pos + 1})")
            return node
        if kind == "EOF":
            raise self.error("the expression ends too early; expected a value, a column or '('")
        raise self.error(f"unexpected {_describe(token)}; expected a value, a column, a function or '('")

    # ------------------------------------------------------------------ macros

    def macro(self, token: Token) -> Node:
        name = token.text.upper()
        if name == "ROW":
            return RowNumber(pos=token.pos)
        text, origin = self.macros.lookup(name)
        if text is None:
            if self.strict:
                raise UnknownMacroError(token.text, self.macros.known(), f" at column {token.pos + 1}")
            return Macro(token.text, pos=token.pos)
        if name in self.stack:
            chain = " -> ".join(f"#{n}" for n in (*self.stack, name))
            raise SelectionError(f"macro #{name} refers to itself ({chain})")
        with self.nested(token):
            try:
                body = _Parser(text, self.macros, self.strict, (*self.stack, name), self.depth).parse()
            except SelectionSyntaxError as err:
                raise type(err)(
                    f"{err.reason} in the text of macro #{name} (used at column {token.pos + 1})",
                    err.expression,
                    err.position,
                ) from None
        return Macro(token.text, text, body, origin, pos=token.pos)

    # ------------------------------------------------------------------ membership

    def membership(self, operand: Node) -> Node:
        keyword = self.advance()
        if self.peek().kind == "IDENT" and self.peek(1).kind == "(":
            name = self.peek().text.lower()
            if name == "gti":
                if not isinstance(operand, Column):
                    raise self.error("'in gti(...)' needs a column on its left (TIME in gti(file))", keyword)
                test = self.call()
                assert isinstance(test, GtiTest)
                return GtiTest(test.file, operand.name, pos=test.pos)
            if name in SHAPES or name == "region":
                raise self.error(f"{name}() needs a column pair on the left: (X,Y) in {name}(...)", keyword)
        items = [self.range_item()]
        while self.peek().kind == "," and self.peek(1).kind in _VALUE_START | {"[", ":"}:
            self.advance()
            items.append(self.range_item())
        return InRanges(operand, tuple(items), pos=keyword.pos)

    def range_item(self) -> Range:
        with self.nested(self.peek()):
            return self.range_bounds()

    def range_bounds(self) -> Range:
        start = self.peek()
        bracket: Token | None = None
        if start.kind in ("[", "("):
            bracket = self.advance()
        low_closed = bracket is None or bracket.kind == "["
        low: Node | None = None
        if self.peek().kind != ":":
            if self.peek().kind not in _VALUE_START:
                raise self.error(
                    f"expected a range (a:b, [a:b], (a:b], a:, :b or a value), found {_describe(self.peek())}"
                )
            low = self.additive()
        single = self.peek().kind != ":"
        high: Node | None = low
        if not single:
            self.advance()
            high = self.additive() if self.peek().kind in _VALUE_START else None
        high_closed = True
        if bracket is not None:
            if self.peek().kind in ("]", ")"):
                high_closed = self.advance().kind == "]"
            elif self.peek().kind != "EOF":
                raise self.error(
                    f"expected ']' or ')' to close the range (opened at column {bracket.pos + 1})"
                )
        if single:
            return Range(low, low, True, True, True, pos=start.pos)
        if low is None and high is None:
            raise self.error("a range needs at least one bound", start)
        return Range(low, high, low_closed, high_closed, pos=start.pos)

    def pair_follows(self) -> bool:
        """``( IDENT , IDENT ) in`` ahead."""
        kinds = [self.peek(k).kind for k in range(5)]
        return kinds == ["(", "IDENT", ",", "IDENT", ")"] and self.is_word("in", 5)

    def pair_membership(self) -> Node:
        start = self.advance()
        first = self.advance()
        self.advance()  # ,
        second = self.advance()
        self.advance()  # )
        self.advance()  # in
        if not (self.peek().kind == "IDENT" and self.peek(1).kind == "("):
            raise self.error("expected a shape or region(...) after '(X,Y) in'")
        name = self.peek().text.lower()
        if name not in SHAPES and name != "region":
            raise self.error(
                f"{self.peek().text!r} is not a shape; expected one of {_shape_list()} or region", self.peek()
            )
        return replace(self.call(pair=(first.text, second.text)), pos=start.pos)

    # ------------------------------------------------------------------ calls

    def call(self, pair: tuple[str, str] | None = None) -> Node:
        with self.nested(self.peek()):
            return self.call_body(pair)

    def call_body(self, pair: tuple[str, str] | None) -> Node:
        name_token = self.advance()
        name = name_token.text.lower()
        self.expect("(", "'('")
        if name == "gti":
            file = self.filespec()
            column = "TIME"
            if self.peek().kind == ",":
                self.advance()
                column = self.expect("IDENT", "a column name (e.g. TIME)").text
            self.expect(")", "')' to close gti(")
            return GtiTest(file, column, pos=name_token.pos)
        if name == "region":
            file = self.filespec()
            columns: tuple[str, str] | None = pair
            if self.peek().kind == ",":
                self.advance()
                first = self.expect("IDENT", "the x column name")
                self.expect(",", "',' and the y column name")
                second = self.expect("IDENT", "the y column name")
                if pair is not None:
                    raise self.error("the columns are given twice (pair and arguments)", first)
                columns = (first.text, second.text)
            self.expect(")", "')' to close region(")
            return RegionTest(file, columns, pos=name_token.pos)
        if name == "mask":
            file = self.filespec()
            args: list[Node] = []
            if self.peek().kind == ",":
                self.advance()
                args = self.arguments()
            self.expect(")", "')' to close mask(")
            return MaskTest(file, tuple(args), pos=name_token.pos)
        cls = shape_class(name)
        if cls is None:
            raise self.error(
                f"unknown function {name_token.text!r}; functions are {', '.join(_FUNCTIONS)} and the shapes "
                f"{_shape_list()}",
                name_token,
            )
        args = self.arguments() if self.peek().kind != ")" else []
        self.expect(")", f"')' to close {name}(")
        return self.shape(name_token, cls.sas_names[0], args, pair)

    def arguments(self) -> list[Node]:
        args = [self.bitor()]
        while self.peek().kind == ",":
            self.advance()
            args.append(self.bitor())
        return args

    def shape(self, token: Token, name: str, args: list[Node], pair: tuple[str, str] | None) -> ShapeTest:
        columns = pair
        numeric = args
        if len(args) >= 2 and all(isinstance(a, Column) for a in args[-2:]) and accepts(name, len(args) - 2):
            if pair is not None:
                raise ShapeArgumentError(
                    f"shape {token.text} at column {token.pos + 1} has its columns twice (pair and arguments)"
                )
            x, y = args[-2], args[-1]
            assert isinstance(x, Column) and isinstance(y, Column)
            columns, numeric = (x.name, y.name), args[:-2]
        if not accepts(name, len(numeric)):
            raise ShapeArgumentError(f"{arity_message(token.text, len(numeric))} (at column {token.pos + 1})")
        return ShapeTest(name, tuple(numeric), columns, token.text, pos=token.pos)

    def filespec(self) -> FileSpec:
        token = self.peek()
        if token.kind not in ("FILESPEC", "STRING"):
            raise self.error(f"expected a file name, found {_describe(token)}")
        self.advance()
        spec = parse_filespec(token.text)
        if spec is None:
            raise self.error(f"empty extension in file specification {token.text!r}", token)
        return spec


def _shape_list() -> str:
    return ", ".join(sorted(SHAPES))


def _describe(token: Token) -> str:
    if token.kind == "EOF":
        return "the end of the expression"
    if token.kind == "IDENT":
        return f"name {token.text!r}"
    if token.kind in ("INT", "FLOAT"):
        return f"number {token.text}"
    if token.kind == "STRING":
        return f"string {token.text!r}"
    if token.kind == "MACRO":
        return f"macro #{token.text}"
    return repr(token.text)

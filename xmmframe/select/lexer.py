"""Tokens of the SAS selection language (selectlib).

The lexer turns an expression into a list of :class:`Token` s, each with its 0-based offset
in the text so that errors can point at it.  It knows the C and Fortran spellings of the
operators, integer (decimal, ``0x`` hex, ``b`` binary) and floating-point literals, quoted
strings and ``#NAME`` macros.  ``b`` followed only by the digits 0 and 1 is a binary literal,
so a column with such a name (``B10``) cannot be named in a selection.  One context rule: the
first argument of ``gti(``, ``region(`` and ``mask(`` is a *file specification*, read verbatim
up to the next ``,`` or ``)`` (it may contain ``/``, ``.``, ``:``, ``+`` and ``[...]``), unless
it is quoted.

Examples
--------
>>> from xmmframe.select.lexer import tokenize
>>> [t.kind for t in tokenize("FLAG & b110 != 0")]
['IDENT', '&', 'INT', '!=', 'INT', 'EOF']
>>> [t.text for t in tokenize("gti(M1_gti.fits,TIME)")]
['gti', '(', 'M1_gti.fits', ',', 'TIME', ')', '']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xmmframe.errors import SelectionSyntaxError

#: Functions whose first argument is a file specification, read as raw text.
FILE_FUNCTIONS = frozenset({"gti", "region", "mask"})

#: Fortran spellings and the C operator each stands for.
FORTRAN_OPERATORS = {
    ".eq.": "==",
    ".ne.": "!=",
    ".lt.": "<",
    ".le.": "<=",
    ".gt.": ">",
    ".ge.": ">=",
    ".and.": "&&",
    ".or.": "||",
    ".not.": "!",
    ".true.": "TRUE",
    ".false.": "FALSE",
}

_SYMBOLS = (
    "&&",
    "||",
    "==",
    "!=",
    "<=",
    ">=",
    "&",
    "|",
    "!",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FORTRAN = re.compile(r"\.[A-Za-z]+\.")
_HEX = re.compile(r"0[xX][0-9A-Fa-f]+(?![A-Za-z0-9_.])")
_BINARY = re.compile(r"[bB][01]+(?![A-Za-z0-9_.])")
_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_DIGITS = frozenset("0123456789")
#: Longer decimal integers are refused by the lexer (a 64-bit integer has at most 20 digits).
_MAX_INTEGER_DIGITS = 40
_MACRO = re.compile(r"#([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Token:
    """One token.

    Attributes
    ----------
    kind : str
        ``INT``, ``FLOAT``, ``STRING``, ``IDENT``, ``MACRO``, ``FILESPEC``, ``TRUE``, ``FALSE``,
        ``EOF`` or the operator itself in C spelling (``&&``, ``==``, ``(``, ...).
    text : str
        The characters as written (for ``MACRO`` the name without ``#``, for ``STRING`` and
        quoted ``FILESPEC`` the unquoted content).
    pos : int
        0-based offset of the first character in the expression.
    value : int, float or None
        The value of ``INT`` and ``FLOAT`` tokens.
    """

    kind: str
    text: str
    pos: int
    value: int | float | None = None


def tokenize(expression: str) -> list[Token]:
    """Split a selection expression into tokens, ending with an ``EOF`` token.

    Raises
    ------
    xmmframe.errors.SelectionSyntaxError
        On a character that starts no token, an unterminated string or a malformed number.
    """
    tokens: list[Token] = []
    i, n = 0, len(expression)
    while i < n:
        ch = expression[i]
        if ch.isspace():
            i += 1
            continue
        if _starts_filespec(tokens):
            token, i = _read_filespec(expression, i)
            tokens.append(token)
            continue
        token, i = _read_token(expression, i)
        tokens.append(token)
    tokens.append(Token("EOF", "", n))
    return tokens


def _starts_filespec(tokens: list[Token]) -> bool:
    """Whether the next token is the first argument of gti( / region( / mask(."""
    return (
        len(tokens) >= 2
        and tokens[-1].kind == "("
        and tokens[-2].kind == "IDENT"
        and tokens[-2].text.lower() in FILE_FUNCTIONS
    )


def _read_token(text: str, i: int) -> tuple[Token, int]:
    ch = text[i]
    if ch in "\"'":
        return _read_string(text, i, "STRING")
    if ch == "#":
        match = _MACRO.match(text, i)
        if not match:
            raise SelectionSyntaxError("'#' must be followed by a macro name (e.g. #XMMEA_EM, #ROW)", text, i)
        return Token("MACRO", match.group(1), i), match.end()
    if ch == ".":
        match = _FORTRAN.match(text, i)
        if match:
            word = match.group(0).lower()
            if word not in FORTRAN_OPERATORS:
                raise SelectionSyntaxError(f"unknown Fortran operator {match.group(0)}", text, i)
            kind = FORTRAN_OPERATORS[word]
            return Token(kind, match.group(0), i), match.end()
    if ch in _DIGITS or (ch == "." and i + 1 < len(text) and text[i + 1] in _DIGITS):
        return _read_number(text, i)
    if ch in "bB":
        match = _BINARY.match(text, i)
        if match:
            return _integer(text, i, match.group(0), int(match.group(0)[1:], 2)), match.end()
    match = _IDENT.match(text, i)
    if match:
        word = match.group(0)
        lower = word.lower()
        if lower in ("true", "false"):
            return Token(lower.upper(), word, i), match.end()
        return Token("IDENT", word, i), match.end()
    for symbol in _SYMBOLS:
        if text.startswith(symbol, i):
            return Token(symbol, symbol, i), i + len(symbol)
    if ch == "=":
        raise SelectionSyntaxError("'=' is not an operator; use '==' (or .eq.) to compare", text, i)
    raise SelectionSyntaxError(f"unexpected character {ch!r}", text, i)


def _read_number(text: str, i: int) -> tuple[Token, int]:
    match = _HEX.match(text, i)
    if match:
        return _integer(text, i, match.group(0), int(match.group(0), 16)), match.end()
    match = _NUMBER.match(text, i)
    assert match is not None  # the caller saw a digit or '.digit'
    end = match.end()
    if text[end - 1] == "." and _FORTRAN.match(text, end - 1):  # 5.eq.PI: the dot opens .eq.
        end -= 1
    elif end < len(text) and (
        text[end].isalnum() or text[end] == "_" or (text[end] == "." and not _FORTRAN.match(text, end))
    ):
        raise SelectionSyntaxError(f"malformed number {text[i : end + 1]!r}", text, i)
    word = text[i:end]
    if "." in word or "e" in word.lower():
        return Token("FLOAT", word, i, float(word)), end
    if len(word) > _MAX_INTEGER_DIGITS:
        raise SelectionSyntaxError(f"integer with {len(word)} digits is too large (64 bits)", text, i)
    return _integer(text, i, word, int(word, 10)), end


def _integer(text: str, i: int, word: str, value: int) -> Token:
    """An ``INT`` token; values far beyond 64 bits are refused here (the compiler names the
    64-bit limit for the rest), so that no huge number reaches the parsed tree."""
    if value.bit_length() > 2 * 64:
        raise SelectionSyntaxError(f"integer {word[:24]}... is too large (64 bits)", text, i)
    return Token("INT", word, i, value)


def _read_string(text: str, i: int, kind: str) -> tuple[Token, int]:
    quote = text[i]
    j = i + 1
    chars: list[str] = []
    while j < len(text):
        if text[j] == quote:
            if j + 1 < len(text) and text[j + 1] == quote:  # doubled quote stands for one
                chars.append(quote)
                j += 2
                continue
            return Token(kind, "".join(chars), i), j + 1
        chars.append(text[j])
        j += 1
    raise SelectionSyntaxError(f"unterminated string (no closing {quote})", text, i)


def _read_filespec(text: str, i: int) -> tuple[Token, int]:
    """A file specification: quoted, or raw text up to ``,`` or ``)`` outside ``[...]``."""
    if text[i] in "\"'":
        return _read_string(text, i, "FILESPEC")
    depth = 0
    j = i
    while j < len(text):
        ch = text[j]
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth <= 0 and ch in ",)":
            break
        j += 1
    spec = text[i:j].rstrip()
    if not spec:
        raise SelectionSyntaxError("missing file name", text, i)
    return Token("FILESPEC", spec, i), j

"""Who may use the service: a bearer token, or a session cookie made from it; CSRF tokens for forms.

Without a token file the service is open to whoever can reach its address (127.0.0.1 by
default).  With one, every API call needs ``Authorization: Bearer <token>`` or the session
cookie, and every page the cookie, which ``POST /login`` sets when given the token.  The
cookie holds an HMAC of the token, never the token.  Forms (and API calls made with the
cookie) carry a CSRF token, an HMAC of the session, checked on every state-changing request.

Examples
--------
>>> gate = Gate("s3cret")
>>> gate.bearer_ok("Bearer s3cret"), gate.bearer_ok("Bearer wrong")
(True, False)
>>> gate.session_ok(gate.session_value())
True
>>> gate.csrf_ok(gate.session_value(), gate.csrf_token(gate.session_value()))
True
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from xmmframe.errors import ParameterError

SESSION_COOKIE = "xmmframe_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def read_token(path: str | os.PathLike[str]) -> str:
    """The token in a token file (its first line, stripped); at least 16 characters."""
    try:
        with open(path, encoding="utf-8") as handle:
            token = handle.readline().strip()
    except OSError as err:
        raise ParameterError(f"cannot read the token file: {err.strerror}") from None
    if len(token) < 16:
        raise ParameterError(f"the token in {os.fspath(path)} is shorter than 16 characters")
    return token


class Gate:
    """Checks requests against the token (None: no token, everything is allowed)."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self._secret = hashlib.sha256(f"xmmframe-service:{token}".encode()).digest() if token else secrets.token_bytes(32)

    @property
    def enabled(self) -> bool:
        """Whether a token is needed."""
        return self.token is not None

    def _mac(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()

    def bearer_ok(self, header: str | None) -> bool:
        """An ``Authorization`` header carrying the token."""
        if not self.enabled:
            return True
        if not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[7:].strip().encode(), self.token.encode())  # type: ignore[union-attr]

    def token_ok(self, token: str) -> bool:
        """The token typed in the login form."""
        return self.enabled and hmac.compare_digest(token.strip().encode(), self.token.encode())  # type: ignore[union-attr]

    def session_value(self) -> str:
        """The session cookie's value."""
        return self._mac("session")

    def session_ok(self, cookie: str | None) -> bool:
        """A valid session cookie (always true without a token)."""
        if not self.enabled:
            return True
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self.session_value().encode())  # type: ignore[union-attr]

    def csrf_token(self, session: str | None) -> str:
        """The CSRF token of a session (of the server, without a token)."""
        return self._mac(f"csrf:{session or ''}")

    def csrf_ok(self, session: str | None, token: str | None) -> bool:
        """A form's CSRF token matches its session."""
        return bool(token) and hmac.compare_digest(token.encode(), self.csrf_token(session).encode())  # type: ignore[union-attr]


__all__ = ["CSRF_FIELD", "CSRF_HEADER", "SESSION_COOKIE", "Gate", "read_token"]

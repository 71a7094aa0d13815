"""Keeping the API key out of tables, log lines and exception messages.

In: the key from the environment. Out: a ``Secret`` that never prints its value, and a
``Scrubber`` that replaces the key (and any ``Bearer ...`` credential) in text, applied to
every string before it is landed, logged or re-raised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"
# Shorter "keys" (e.g. vLLM's conventional "EMPTY") are not secrets, and replacing a
# short common string everywhere would corrupt responses.
MIN_SECRET_LENGTH = 8
# "Bearer <token>", "api_key=<token>", "Authorization: <token>" (a server echoing headers).
_BEARER = re.compile(
    r"(?i)(\bbearer\s+|\b(?:api[_-]?key|authorization)\s*[:=]\s*[\"']?(?:bearer\s+)?)"
    r"([A-Za-z0-9._\-]{8,})"
)


class Secret:
    """A string that shows as ``'***'`` in ``repr``/``str``; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value or None

    def reveal(self) -> str | None:
        """The secret value, or None when no key was configured."""
        return self._value

    def __bool__(self) -> bool:
        return self._value is not None

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret(None)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


class Scrubber:
    """Removes secrets from text and from nested row values (dicts, lists, tuples)."""

    def __init__(self, *secrets: Secret | str | None) -> None:
        values: list[str] = []
        for s in secrets:
            raw = s.reveal() if isinstance(s, Secret) else s
            if raw and len(raw) >= MIN_SECRET_LENGTH:
                values.append(raw)
        # Longest first, so a key that contains another is removed whole.
        self._secrets = sorted(set(values), key=len, reverse=True)

    def text(self, value: str | None) -> str | None:
        """``value`` with every secret and bearer-style credential replaced by ``[REDACTED]``."""
        if value is None:
            return None
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return _BEARER.sub(lambda m: m.group(1) + REDACTED, value)

    def value(self, value: Any) -> Any:
        """Scrub every string inside ``value`` (recursing into mappings and sequences)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value

    def exception(self, exc: BaseException, limit: int = 2000) -> str:
        """``"<ExceptionType>: <message>"`` with secrets removed, cut to ``limit`` characters."""
        message = self.text(f"{type(exc).__name__}: {exc}") or ""
        return message if len(message) <= limit else message[: limit - 3] + "..."

"""The model endpoints of a run: from repeated ``--base-url`` flags or an endpoints file.

In: URLs, or a text file with one endpoint per line; the environment (for per-endpoint keys).
Out: a tuple of ``Endpoint`` (URL, concurrency limit, served model name, key), or an
``EndpointError`` naming the file, the line and what is wrong.

The endpoints file (``--endpoints FILE`` or ``MMFACTORY_ENDPOINTS_FILE``)::

    # blank lines and text after '#' are ignored
    http://gpu-1:8000/v1
    http://gpu-2:8000/v1   concurrency=16
    https://api.example.com/v1   concurrency=4  model=qwen2.5-vl-7b  api_key_env=EXAMPLE_KEY

The URL first, then optional ``key=value`` options separated by spaces:

- ``concurrency``: requests in flight on this endpoint (default: the run's ``--concurrency``);
- ``model``: the name this endpoint serves the run's model under (sent in the request
  instead of the run's model name; the cache key and the landed ``model`` keep the run's
  name, so the same request is the same request whichever endpoint answers it);
- ``api_key_env``: the environment variable holding this endpoint's key (default: the
  run's key from ``MMFACTORY_API_KEY`` / ``OPENAI_API_KEY``). Keys never go in the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from generation.redact import Secret

OPTIONS = ("concurrency", "model", "api_key_env")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class EndpointError(ValueError):
    """An endpoint or endpoints file that cannot be used."""


def safe_url(url: str) -> str:
    """``url`` with any ``user:password@``, query string and fragment removed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True)
class Endpoint:
    """One OpenAI-compatible server. ``concurrency`` None = the run's ``concurrency``."""

    url: str
    concurrency: int | None = None
    model: str | None = None
    api_key_env: str | None = None
    api_key: Secret = field(default_factory=lambda: Secret(None), repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise EndpointError(
                f"base_url must start with http:// or https://, got {safe_url(self.url)!r}"
            )
        if self.concurrency is not None and self.concurrency < 1:
            raise EndpointError(f"{self.safe_url}: concurrency must be >= 1")

    @property
    def safe_url(self) -> str:
        """The URL without user info, query or fragment: safe to land and log."""
        return safe_url(self.url)


def _parse_line(text: str, where: str, env: Mapping[str, str]) -> Endpoint:
    url, *options = text.split()
    values: dict[str, str] = {}
    for opt in options:
        key, eq, value = opt.partition("=")
        if not eq or not value:
            raise EndpointError(f"{where}: expected key=value after the URL, got {opt!r}")
        if key not in OPTIONS:
            raise EndpointError(f"{where}: unknown option {key!r} (known: {', '.join(OPTIONS)})")
        if key in values:
            raise EndpointError(f"{where}: option {key!r} given twice")
        values[key] = value
    concurrency = None
    if "concurrency" in values:
        try:
            concurrency = int(values["concurrency"])
        except ValueError:
            raise EndpointError(
                f"{where}: concurrency={values['concurrency']!r} is not a whole number"
            ) from None
    key_env = values.get("api_key_env")
    key = Secret(None)
    if key_env is not None:
        if not _ENV_NAME.match(key_env):
            raise EndpointError(f"{where}: api_key_env={key_env!r} is not a variable name")
        if not env.get(key_env, "").strip():
            raise EndpointError(f"{where}: api_key_env {key_env} is not set in the environment")
        key = Secret(env[key_env].strip())
    try:
        return Endpoint(url, concurrency, values.get("model"), key_env, key)
    except EndpointError as exc:
        raise EndpointError(f"{where}: {exc}") from None


def read_endpoints_file(path: Path, env: Mapping[str, str] | None = None) -> list[Endpoint]:
    """The endpoints listed in ``path`` (format in the module docstring)."""
    env = os.environ if env is None else env
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EndpointError(f"endpoints file {path}: cannot be read ({exc})") from None
    out = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if text:
            out.append(_parse_line(text, f"endpoints file {path} line {number}", env))
    if not out:
        raise EndpointError(f"endpoints file {path}: lists no endpoint")
    return out


def collect_endpoints(
    urls: Sequence[str] = (), path: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[Endpoint, ...]:
    """The endpoints of ``path`` then ``urls`` (plain URLs); the same URL twice is an error."""
    found = read_endpoints_file(path, env) if path is not None else []
    found += [Endpoint(u.strip()) for u in urls]
    seen: set[str] = set()
    for ep in found:
        if ep.safe_url.rstrip("/") in seen:
            raise EndpointError(f"endpoint {ep.safe_url} is listed twice")
        seen.add(ep.safe_url.rstrip("/"))
    return tuple(found)

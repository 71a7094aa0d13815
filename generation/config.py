"""Endpoint, model, sampling, concurrency, retry and image settings for model calls.

In: environment variables (``MMFACTORY_*``) and explicit overrides (the CLI's flags).
Out: a frozen ``GenerationConfig``. The API key is read ONLY from the environment
(``MMFACTORY_API_KEY``, else ``OPENAI_API_KEY``): there is deliberately no flag for it, so
it never lands in shell history, a process list or a config file. It is held in a
``Secret`` that prints as ``***``.

Environment variables (all optional):

=============================  ==========================================  =============
variable                       meaning                                     default
=============================  ==========================================  =============
MMFACTORY_BASE_URL             OpenAI-compatible endpoint (``.../v1``)     vLLM's local
                               (falls back to ``OPENAI_BASE_URL``)         ``:8000/v1``
MMFACTORY_ENDPOINTS_FILE       several endpoints, one per line (format in  none
                               ``generation.endpoints``); wins over
                               MMFACTORY_BASE_URL
MMFACTORY_MODEL                served model name                           Qwen2.5-VL-7B
MMFACTORY_<STAGE>_MODEL        per-stage model (e.g. MMFACTORY_JUDGE_MODEL) MMFACTORY_MODEL
MMFACTORY_API_KEY              the key (falls back to ``OPENAI_API_KEY``)  none
MMFACTORY_CONCURRENCY          requests in flight (per endpoint)           8
MMFACTORY_RATE_LIMIT_RPS       request starts per second, 0 = unlimited    0
MMFACTORY_TIMEOUT_S            per-attempt timeout, seconds                120
MMFACTORY_MAX_ATTEMPTS         attempts per request (1 = no retry)         5
MMFACTORY_BACKOFF_BASE_S       first backoff, doubled per retry            1.0
MMFACTORY_BACKOFF_MAX_S        backoff cap (also caps Retry-After)         60
MMFACTORY_BATCH_SIZE           results per landed batch file               32
MMFACTORY_IMAGE_MAX_SIDE_PX    longer side above which images shrink       2048
MMFACTORY_IMAGE_MAX_BYTES      file size above which images shrink         4000000
MMFACTORY_PRICES_PATH          price list CSV                              seeds/...csv
MMFACTORY_MAX_COST_USD         stop starting calls past this run cost      none
MMFACTORY_ENDPOINT_COOLDOWN_S  seconds an endpoint stays set aside         30
=============================  ==========================================  =============

``MMFACTORY_ENDPOINT_MAX_FAILURES`` (default 3): failures in a row that set an endpoint
aside (only when there are several endpoints; see ``generation.dispatch``).

Several endpoints (repeated ``--base-url``, ``--endpoints FILE`` or
``MMFACTORY_ENDPOINTS_FILE``): flags replace the environment's endpoints; a file and URLs
given together are all used. ``base_url`` is then the first of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from generation.endpoints import Endpoint, EndpointError, collect_endpoints, safe_url
from generation.redact import Scrubber, Secret
from lakehouse.settings import PROJECT_ROOT

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
DEFAULT_MODEL = "Qwen/Qwen2.5-VL-7B-Instruct"
DEFAULT_PRICES_PATH = PROJECT_ROOT / "seeds" / "model_prices.csv"
KEY_ENV_VARS = ("MMFACTORY_API_KEY", "OPENAI_API_KEY")


class ConfigError(ValueError):
    """A setting that cannot be used (bad number, out of range)."""


@dataclass(frozen=True)
class SamplingParams:
    """Sampling parameters sent with every request of a run (and hashed into its key)."""

    temperature: float = 0.2
    top_p: float = 1.0
    max_tokens: int = 1024
    seed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The parameters as a plain dict (``seed`` omitted when unset)."""
        out: dict[str, Any] = {
            "temperature": float(self.temperature),
            "top_p": float(self.top_p),
            "max_tokens": int(self.max_tokens),
        }
        if self.seed is not None:
            out["seed"] = int(self.seed)
        return out


@dataclass(frozen=True)
class GenerationConfig:
    """Everything a generation run needs besides its work items."""

    base_url: str = DEFAULT_BASE_URL
    model: str = DEFAULT_MODEL
    api_key: Secret = field(default_factory=lambda: Secret(None), repr=False)
    sampling: SamplingParams = field(default_factory=SamplingParams)
    concurrency: int = 8
    rate_limit_rps: float = 0.0
    timeout_s: float = 120.0
    max_attempts: int = 5
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    batch_size: int = 32
    image_max_side_px: int = 2048
    image_max_bytes: int = 4_000_000
    prices_path: Path = DEFAULT_PRICES_PATH
    max_cost_usd: float | None = None
    endpoints: tuple[Endpoint, ...] = ()
    endpoint_max_failures: int = 3
    endpoint_cooldown_s: float = 30.0

    def __post_init__(self) -> None:
        checks = [
            (self.concurrency >= 1, "concurrency must be >= 1"),
            (self.rate_limit_rps >= 0, "rate_limit_rps must be >= 0 (0 = unlimited)"),
            (self.timeout_s > 0, "timeout_s must be > 0"),
            (self.max_attempts >= 1, "max_attempts must be >= 1"),
            (self.backoff_base_s >= 0 and self.backoff_max_s >= 0, "backoff must be >= 0"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.image_max_side_px >= 32, "image_max_side_px must be >= 32"),
            (self.image_max_bytes >= 1024, "image_max_bytes must be >= 1024"),
            (self.sampling.max_tokens >= 1, "max_tokens must be >= 1"),
            (self.max_cost_usd is None or self.max_cost_usd >= 0, "max_cost_usd must be >= 0"),
            (self.endpoint_max_failures >= 1, "endpoint_max_failures must be >= 1"),
            (self.endpoint_cooldown_s >= 0, "endpoint_cooldown_s must be >= 0"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"base_url must start with http:// or https://, got {safe_url(self.base_url)!r}"
            )

    @property
    def safe_base_url(self) -> str:
        """The endpoint without user info, query or fragment: safe to land and log."""
        return safe_url(self.base_url)

    @property
    def all_endpoints(self) -> tuple[Endpoint, ...]:
        """The endpoints of the run, each with its concurrency limit and key resolved."""
        listed = self.endpoints or (Endpoint(self.base_url),)
        return tuple(
            replace(
                ep,
                concurrency=ep.concurrency or self.concurrency,
                api_key=ep.api_key if ep.api_key_env else self.api_key,
            )
            for ep in listed
        )

    def scrubber(self) -> Scrubber:
        """A scrubber of every key of the run (the run's and each endpoint's own)."""
        return Scrubber(self.api_key, *(ep.api_key for ep in self.endpoints))

    def with_overrides(self, **overrides: Any) -> GenerationConfig:
        """A copy with the non-None ``overrides`` applied (sampling keys go into ``sampling``)."""
        sampling_keys = {f.name for f in fields(SamplingParams)}
        top = {k: v for k, v in overrides.items() if v is not None and k not in sampling_keys}
        samp = {k: v for k, v in overrides.items() if v is not None and k in sampling_keys}
        if "api_key" in top:
            raise ConfigError("the API key comes only from the environment (MMFACTORY_API_KEY)")
        if "prices_path" in top:
            top["prices_path"] = Path(top["prices_path"])
        return replace(self, sampling=replace(self.sampling, **samp), **top)



def api_key_from_env(env: Mapping[str, str] | None = None) -> Secret:
    """The key from ``MMFACTORY_API_KEY`` or ``OPENAI_API_KEY`` (None when neither is set)."""
    env = os.environ if env is None else env
    for name in KEY_ENV_VARS:
        value = env.get(name, "").strip()
        if value:
            return Secret(value)
    return Secret(None)


def _env_number(env: Mapping[str, str], name: str, kind: type, default: Any) -> Any:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind.__name__}") from None


def config_from_env(
    stage: str | None = None, env: Mapping[str, str] | None = None, **overrides: Any
) -> GenerationConfig:
    """A ``GenerationConfig`` from the environment, then ``overrides`` (None = keep).

    ``stage`` selects ``MMFACTORY_<STAGE>_MODEL`` before ``MMFACTORY_MODEL``.
    """
    env = os.environ if env is None else env
    urls = overrides.pop("base_url", None)
    urls = [urls] if isinstance(urls, str) else list(urls or [])
    path = overrides.pop("endpoints_file", None)
    try:
        if urls or path:
            endpoints = _endpoints(urls, path, env)
        elif env.get("MMFACTORY_ENDPOINTS_FILE", "").strip():
            endpoints = _endpoints([], env["MMFACTORY_ENDPOINTS_FILE"].strip(), env)
        else:
            endpoints = ()
    except EndpointError as exc:
        raise ConfigError(str(exc)) from None
    model = DEFAULT_MODEL
    for name in ([f"MMFACTORY_{stage.upper()}_MODEL"] if stage else []) + ["MMFACTORY_MODEL"]:
        if env.get(name, "").strip():
            model = env[name].strip()
            break
    max_cost = _env_number(env, "MMFACTORY_MAX_COST_USD", float, None)
    cfg = GenerationConfig(
        base_url=(
            env.get("MMFACTORY_BASE_URL") or env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        ).strip(),
        model=model,
        api_key=api_key_from_env(env),
        concurrency=_env_number(env, "MMFACTORY_CONCURRENCY", int, 8),
        rate_limit_rps=_env_number(env, "MMFACTORY_RATE_LIMIT_RPS", float, 0.0),
        timeout_s=_env_number(env, "MMFACTORY_TIMEOUT_S", float, 120.0),
        max_attempts=_env_number(env, "MMFACTORY_MAX_ATTEMPTS", int, 5),
        backoff_base_s=_env_number(env, "MMFACTORY_BACKOFF_BASE_S", float, 1.0),
        backoff_max_s=_env_number(env, "MMFACTORY_BACKOFF_MAX_S", float, 60.0),
        batch_size=_env_number(env, "MMFACTORY_BATCH_SIZE", int, 32),
        image_max_side_px=_env_number(env, "MMFACTORY_IMAGE_MAX_SIDE_PX", int, 2048),
        image_max_bytes=_env_number(env, "MMFACTORY_IMAGE_MAX_BYTES", int, 4_000_000),
        prices_path=Path(env.get("MMFACTORY_PRICES_PATH") or DEFAULT_PRICES_PATH),
        max_cost_usd=max_cost,
        endpoint_max_failures=_env_number(env, "MMFACTORY_ENDPOINT_MAX_FAILURES", int, 3),
        endpoint_cooldown_s=_env_number(env, "MMFACTORY_ENDPOINT_COOLDOWN_S", float, 30.0),
    )
    if len(endpoints) == 1 and endpoints[0] == Endpoint(endpoints[0].url):
        overrides["base_url"] = endpoints[0].url  # one plain URL: the single-endpoint run
    elif endpoints:
        overrides.update(base_url=endpoints[0].url, endpoints=endpoints)
    return cfg.with_overrides(**overrides)


def _endpoints(
    urls: Sequence[str], path: str | Path | None, env: Mapping[str, str]
) -> tuple[Endpoint, ...]:
    """The endpoints of the file ``path`` and of ``urls`` (see ``collect_endpoints``)."""
    return collect_endpoints(urls, Path(path) if path else None, env)

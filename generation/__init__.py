"""Model calls through OpenAI-compatible endpoints: cached, resumable, costed.

Optional: nothing in the offline build imports this package. One module per step:

- ``config``: endpoint, model, sampling, concurrency and image limits (env + CLI flags).
- ``redact``: the API key wrapper and the scrubber that keeps it out of every output.
- ``prompts``: versioned prompt templates and their sha256.
- ``images``: image files -> base64 data URLs, downscaled above a size (recorded).
- ``requests``: a request and its cache key (sha256 of a canonical JSON).
- ``client``: one chat-completions call with retries, backoff, rate limit, status class.
- ``pricing``: the ``seeds/model_prices.csv`` price list -> ``cost_usd``.
- ``store``: the landed tables (explicit schemas), atomic batch files, resume look-ups.
- ``runner``: hash everything, skip what succeeded, call the rest, land in batches.
- ``items``: the stages' work items as plain Python values (no lakehouse needed).
- ``lakehouse``: read-only selections of work items from the DuckDB lakehouse.
- ``stages.*``: recaption, compare, judge, consistency, translate.
- ``cli``: the ``generate`` typer sub-app.
"""

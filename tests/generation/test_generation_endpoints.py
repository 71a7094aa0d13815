"""generation.endpoints and the endpoint settings: repeated --base-url, the endpoints file
(format, clear errors naming file and line, per-endpoint keys from the environment only),
and `generate` end to end over two loopback servers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from generation.cli import generate_app
from generation.config import ConfigError, config_from_env
from generation.store import GENERATIONS, read_landed
from tests.generation.fake_server import FakeChatServer
from tests.generation.test_generation_lakehouse_cli import (  # noqa: F401 - a fixture
    build_lakehouse,
    images_root,
)
from tests.generation.testkit import TEST_MODEL


def test_one_url_stays_a_single_endpoint_and_several_become_endpoints() -> None:
    one = config_from_env(env={}, base_url=["http://gpu-1:8000/v1"])
    assert one.endpoints == () and one.base_url == "http://gpu-1:8000/v1"
    assert [(e.url, e.concurrency) for e in one.all_endpoints] == [("http://gpu-1:8000/v1", 8)]
    two = config_from_env(
        env={"MMFACTORY_BASE_URL": "http://ignored:1/v1"},
        base_url=["http://gpu-1:8000/v1", "http://gpu-2:8000/v1"],
        concurrency=3,
    )
    assert two.base_url == "http://gpu-1:8000/v1"
    assert [(e.url, e.concurrency) for e in two.all_endpoints] == [
        ("http://gpu-1:8000/v1", 3),
        ("http://gpu-2:8000/v1", 3),
    ]
    with pytest.raises(ConfigError, match="listed twice"):
        config_from_env(env={}, base_url=["http://gpu-1:8000/v1", "http://gpu-1:8000/v1/"])


def test_endpoints_file_format_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.txt"
    path.write_text(
        "# vLLM replicas\n"
        "http://gpu-1:8000/v1\n"
        "\n"
        "http://gpu-2:8000/v1   concurrency=16   # the big one\n"
        "https://api.example.com/v1 concurrency=4 model=qwen-vl api_key_env=EXAMPLE_KEY\n"
    )
    env = {
        "MMFACTORY_ENDPOINTS_FILE": str(path),
        "MMFACTORY_API_KEY": "sk-run-key-123456789",
        "EXAMPLE_KEY": "sk-example-123456789",
    }
    cfg = config_from_env(env=env)
    eps = cfg.all_endpoints
    assert [(e.url, e.concurrency, e.model) for e in eps] == [
        ("http://gpu-1:8000/v1", 8, None),
        ("http://gpu-2:8000/v1", 16, None),
        ("https://api.example.com/v1", 4, "qwen-vl"),
    ]
    assert [e.api_key.reveal() for e in eps] == [
        "sk-run-key-123456789",
        "sk-run-key-123456789",
        "sk-example-123456789",
    ]
    assert "sk-example" not in repr(cfg)
    scrubbed = cfg.scrubber().text("a sk-example-123456789 b sk-run-key-123456789")
    assert "sk-" not in scrubbed
    # flags replace the environment's endpoints
    assert config_from_env(env=env, base_url=["http://other:1/v1"]).endpoints == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "lists no endpoint"),
        ("gpu-1:8000/v1\n", "line 1: base_url must start with http"),
        ("http://a/v1\nhttp://b/v1 concurrency=many\n", "line 2: concurrency='many'"),
        ("http://a/v1 concurrency=0\n", "line 1: .*concurrency must be >= 1"),
        ("http://a/v1 weight=2\n", "line 1: unknown option 'weight'"),
        ("http://a/v1 model\n", "line 1: expected key=value"),
        ("http://a/v1 api_key_env=NOT_SET_ANYWHERE\n", "line 1: api_key_env NOT_SET_ANYWHERE"),
        ("http://a/v1 api_key_env=sk-123\n", "is not a variable name"),
    ],
)
def test_bad_endpoints_files_are_clear_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "eps.txt"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message) as excinfo:
        config_from_env(env={}, endpoints_file=path)
    assert str(excinfo.value).startswith(f"endpoints file {path}")
    assert "\n" not in str(excinfo.value)


def test_missing_endpoints_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.txt: cannot be read"):
        config_from_env(env={}, endpoints_file=tmp_path / "nope.txt")
    with pytest.raises(ConfigError, match="nope.txt: cannot be read"):
        config_from_env(env={"MMFACTORY_ENDPOINTS_FILE": str(tmp_path / "nope.txt")})


def test_cli_over_two_endpoints_and_a_bad_file(
    wh,
    images_root,  # noqa: F811
    api_key,
    tmp_path,
    monkeypatch,
) -> None:
    build_lakehouse(wh, images_root, n_images=6)
    monkeypatch.setenv("MMFACTORY_MODEL", TEST_MODEL)
    monkeypatch.delenv("MMFACTORY_BASE_URL", raising=False)
    with (
        FakeChatServer(api_key=api_key, latency_s=0.02) as a,
        FakeChatServer(api_key=api_key, latency_s=0.02) as b,
    ):
        path = tmp_path / "endpoints.txt"
        path.write_text(f"{a.base_url} concurrency=2\n{b.base_url} concurrency=2\n")
        result = CliRunner().invoke(
            generate_app, ["recaption", "--endpoints", str(path), "--batch-size", "2"]
        )
        assert result.exit_code == 0, result.output
        printed = " ".join(result.output.split())  # rich wraps long lines
        assert "2 endpoints" in printed and f"endpoint {a.base_url}" in printed
        rows = read_landed(wh, GENERATIONS).to_pylist()
        assert len(rows) == 6 and {r["status"] for r in rows} == {"ok"}
        assert {r["base_url"] for r in rows} <= {a.base_url, b.base_url}
        assert a.n_calls + b.n_calls == 6 and a.n_calls and b.n_calls
        # the same items again over repeated --base-url: all answered already, zero calls
        result = CliRunner().invoke(
            generate_app, ["recaption", "--base-url", b.base_url, "--base-url", a.base_url]
        )
        assert result.exit_code == 0 and a.n_calls + b.n_calls == 6
    path.write_text("http://a/v1 speed=fast\n")
    result = CliRunner().invoke(generate_app, ["recaption", "--endpoints", str(path)])
    assert result.exit_code == 2 and "unknown option 'speed'" in " ".join(result.output.split())


def test_each_endpoint_gets_its_own_key_and_no_key_lands(
    wh, api_key, tmp_path, monkeypatch, prices_csv
) -> None:
    from generation.runner import run_requests
    from tests.generation.test_generation_dispatch import _requests

    other_key = "sk-other-endpoint-" + "7" * 24
    monkeypatch.setenv("OTHER_KEY", other_key)
    with (
        FakeChatServer(api_key=api_key) as a,
        FakeChatServer(api_key=other_key, responder=lambda call: f"echo {other_key}") as b,
    ):
        path = tmp_path / "endpoints.txt"
        path.write_text(f"{a.base_url}\n{b.base_url} api_key_env=OTHER_KEY model=served-name\n")
        cfg = config_from_env(
            endpoints_file=path, model=TEST_MODEL, concurrency=2, prices_path=prices_csv
        )
        report = run_requests(_requests(12, tag="keys-"), cfg, stage="recaption", wh=wh)
        assert report.n_ok == 12  # a 401 on either server would be an http_error
        assert a.outcomes() == {"ok": a.n_calls} and b.outcomes() == {"ok": b.n_calls}
        assert a.n_calls and b.n_calls
        assert {c.model for c in a.calls} == {TEST_MODEL}
        assert {c.model for c in b.calls} == {"served-name"}  # the endpoint's own name
    rows = read_landed(wh, GENERATIONS).to_pylist()
    assert {r["model"] for r in rows} == {TEST_MODEL}  # the run's name lands, as in the key
    landed = repr(rows)
    assert api_key not in landed and other_key not in landed and "[REDACTED]" in landed

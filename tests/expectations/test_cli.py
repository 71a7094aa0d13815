"""The `check` and `report` commands (mmfactory/check_cli.py) as the CLI mounts them, and
the step `mmfactory build` ends with."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from lakehouse.settings import WAREHOUSE_ENV
from mmfactory.check_cli import check, finish_build, report
from tests.expectations import corrupt

app = typer.Typer()
app.command()(check)
app.command()(report)


@pytest.fixture()
def runner(fresh_copy, monkeypatch) -> CliRunner:
    monkeypatch.setenv(WAREHOUSE_ENV, str(fresh_copy.root))
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def test_check_exits_nonzero_and_writes_results_when_a_contract_fails(runner, fresh_copy) -> None:
    corrupt.id_in_train_and_val(fresh_copy)
    out = runner.invoke(app, ["check"])
    assert out.exit_code == 1, out.output
    assert "split_no_overlap" in out.output and "FAIL" in out.output
    assert "Project checks:" in out.output
    results = json.loads((fresh_copy.exports / "p3_test_results.json").read_text(encoding="utf-8"))
    split = next(c for c in results["checks"] if c["name"] == "split_no_overlap")
    assert split["status"] == "FAIL"
    assert any("id in train and val" in item for item in split["first_offending"])
    assert (fresh_copy.exports / "p3_test_report.md").is_file()


def test_check_only_runs_the_named_check_and_keeps_the_full_results(runner, fresh_copy) -> None:
    results = fresh_copy.exports / "p3_test_results.json"
    results.write_text('{"from": "the last full run"}', encoding="utf-8")
    out = runner.invoke(app, ["check", "--only", "split_no_overlap"])
    assert out.exit_code == 0, out.output
    assert "split_no_overlap" in out.output and "conversation_format" not in out.output
    assert "Project checks: 1 / 1 PASS" in out.output
    assert results.read_text(encoding="utf-8") == '{"from": "the last full run"}'
    out = runner.invoke(app, ["check", "--only", "split_no_overlap,image_integrity"])
    assert "Project checks: 2 / 2 PASS" in out.output


def test_check_rejects_an_unknown_name(runner) -> None:
    out = runner.invoke(app, ["check", "--only", "no_such_check"])
    assert out.exit_code == 2
    assert "unknown check" in out.output


def test_check_without_a_lakehouse_says_so(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(WAREHOUSE_ENV, str(tmp_path / "empty"))
    out = CliRunner().invoke(app, ["check"])
    assert out.exit_code == 2
    assert "no lakehouse" in out.output


def test_report_command_writes_metrics_report_and_plots(runner, fresh_copy) -> None:
    for name in ("p3_metrics.json", "p3_report.md"):
        (fresh_copy.exports / name).unlink()
    out = runner.invoke(app, ["report"])
    assert out.exit_code == 0, out.output
    for rel in ("p3_metrics.json", "p3_report.md", "plots/task_distribution.png",
                "plots/box_size_histogram.png", "plots/pass_rate_by_task_type.png"):
        assert (fresh_copy.exports / rel).is_file(), rel


def test_finish_build_reports_checks_and_names_the_result_in_the_report(fresh_copy) -> None:
    import io

    from rich.console import Console

    code = finish_build(fresh_copy, Console(file=io.StringIO()))
    results = json.loads((fresh_copy.exports / "p3_test_results.json").read_text(encoding="utf-8"))
    assert code == (0 if results["summary"]["status"] == "PASS" else 1)
    md = (fresh_copy.exports / "p3_report.md").read_text(encoding="utf-8")
    assert results["summary"]["line"] in md

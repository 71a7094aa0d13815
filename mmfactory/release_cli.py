"""``mmfactory takedown`` and ``mmfactory release``: shipping what the lakehouse built.

Registered by ``mmfactory.cli`` with one line: ``register(app)``.

``mmfactory takedown --asset SHA256 | --path SOURCE/PATH --reason TEXT [--by NAME]``
lands one append-only takedown row (releases/takedown.py); from the next build on, the
asset, every asset derived from it and every sample using any of them are gone. Refused
(exit 2) for an asset that was never landed.

``mmfactory release --profile NAME [--version X.Y.Z] [--rebuild]`` writes
``<warehouse>/releases/<profile>-<version>/`` (releases/writer.py): only the samples whose
every image passes the profile's license gate, with the card, changelog and checksums.
It reuses the build and the build's contract results (``--rebuild``: first build the
lakehouse from what has landed, exactly as ``mmfactory build --no-land`` does,
mmfactory/rebuild.py); the changelog models are views over the landed release
manifests, so nothing else needs rebuilding between two releases. It is refused
(exit 1, nothing written) when a data contract fails, and
(exit 2) for an unknown profile, a bad or taken version, or a takedown landed after the
last build.
"""

from __future__ import annotations

import getpass
from typing import Annotated

import duckdb
import typer

from lakehouse.settings import Warehouse, warehouse
from mmfactory.consoles import console, err


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code=code)


def takedown(
    asset: Annotated[str | None, typer.Option(help="The asset's sha256 (its asset_id).")] = None,
    path: Annotated[str | None, typer.Option(help="SOURCE/PATH as landed, e.g. coco128/000000000009.jpg.")] = None,
    reason: Annotated[str, typer.Option(help="Why the asset is taken down (kept with the row).")] = "",
    by: Annotated[str | None, typer.Option(help="Who asks (default: the current user).")] = None,
) -> None:
    """Take an asset down: land an append-only takedown row; the next build removes it,
    its derived assets and every sample using them. The content hash stays blocked."""
    from releases.takedown import TakedownError, land_takedown

    wh = warehouse()
    try:
        done = land_takedown(wh, reason, by or getpass.getuser(), asset=asset, path=path)
    except TakedownError as exc:
        raise _fail(str(exc)) from None
    console.print(f"takedown {done.takedown_id}: {done.asset_id} "
                  f"(landed as {', '.join(done.locations)}) by {done.requested_by}: {done.reason}",
                  soft_wrap=True)
    console.print("run `mmfactory build --no-land` to remove it, its derived assets and their samples")


def _stale_takedowns(wh: Warehouse) -> int:
    """Takedowns landed that the last build has not applied (-1: no release models built).
    In a copied or moved warehouse the staging view reads the copy's own landing: the
    command's writer lock re-pointed it first (mmfactory/lock_cli.py)."""
    con = duckdb.connect(str(wh.database), read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
        if "int_assets_taken_down" not in tables or "stg_landing__takedowns" not in tables:
            return -1
        return con.execute(
            "select count(distinct asset_id) from stg_landing__takedowns where asset_id not in "
            "(select asset_id from int_assets_taken_down)").fetchone()[0]
    finally:
        con.close()


def _contracts(wh: Warehouse) -> tuple[bool, str]:
    """(passed, 'N / M PASS|FAIL') of the data contracts on this build: the build's own
    full run when its results belong to this build (same dbt invocation), else a new run.
    M is however many checks there are (read from the results, never assumed)."""
    from mmfactory.check_cli import results_of_this_build

    results = results_of_this_build(wh)
    if results is not None:
        summary = results["summary"]
        console.print(f"data contracts of this build: {summary['line']}")
        return summary["status"] == "PASS", f"{summary['passed']} / {summary['total']} {summary['status']}"
    from mmfactory import checks

    result = checks.run(wh)
    checks.print_results(result, console)
    return result.success, f"{result.passed} / {len(result.checks)} {'PASS' if result.success else 'FAIL'}"


def release(
    profile: Annotated[str, typer.Option(help="A release profile of seeds/release_profiles.csv.")],
    version: Annotated[str | None, typer.Option(
        help="X.Y.Z (default: 1.0.0, or the previous release's patch + 1).")] = None,
    rebuild: Annotated[bool, typer.Option(
        help="Build from what has landed first, as `mmfactory build --no-land` does.")] = False,
) -> None:
    """Write releases/<profile>-<version>/: the samples whose every image passes the
    profile's license gate, each trainer's files, asset manifest, attributions, dataset
    card, changelog against the previous release, checksums."""
    from releases.card import card_text
    from releases.changelog import changelog, write_changelog
    from releases.writer import ReleaseError, discard, publish, stage_release, write_checksums
    from releases.writer import next_version, previous_release, write_release_json

    wh = warehouse()
    if not wh.database.is_file():
        raise _fail(f"no lakehouse at {wh.database}: run `mmfactory build` first")
    if rebuild:  # a failed contract refuses the release below, from the results written
        from mmfactory.executor_cli import stage_executor
        from mmfactory.rebuild import DbtBuildFailed, build_landed

        try:
            with stage_executor(None, None):
                build_landed(wh)
        except DbtBuildFailed as exc:
            raise _fail(str(exc)) from None
    stale = _stale_takedowns(wh)
    if stale:
        what = ("the lakehouse was built without the release models" if stale < 0
                else f"{stale} takedown(s) landed after the last build")
        raise _fail(f"{what}: run `mmfactory build --no-land` or pass --rebuild")
    ok, contracts_line = _contracts(wh)
    con = duckdb.connect(str(wh.database), read_only=True)
    try:
        previous = previous_release(con, profile)
        chosen = version or next_version(previous[1] if previous else None)
        if not ok:
            raise _fail(f"release {profile}-{chosen} refused: a data contract failed "
                        f"({contracts_line}); nothing was written", code=1)
        try:
            staged = stage_release(wh, con, profile, chosen)
        except ReleaseError as exc:
            raise _fail(str(exc)) from None
        try:
            log = changelog(con, profile, staged.release_id, staged.previous_release_id)
            write_changelog(log, staged.path)
            (staged.path / "README.md").write_text(
                card_text(con, profile, staged.release_id, contracts_line, staged.previous_release_id),
                encoding="utf-8")
            write_release_json(staged, {"contracts": contracts_line,
                                        "added": log["added"], "removed": log["removed"]})
            write_checksums(staged.path)
            final = publish(wh, con, staged)
        except BaseException:
            discard(staged)
            raise
    finally:
        con.close()
    console.print(f"release {staged.release_id}: {staged.sample_count} samples, "
                  f"{staged.asset_count} images, contracts {contracts_line}")
    console.print(f"changelog against {staged.previous_release_id or 'nothing (first release)'}: "
                  f"+{log['added']} -{log['removed']} "
                  f"(removed by reason: {log['removed_by_reason'] or 'none'})")
    console.print(f"written: {final}")


def register(app: typer.Typer) -> None:
    """Add ``takedown`` and ``release`` to the ``mmfactory`` app."""
    app.command()(takedown)
    app.command()(release)

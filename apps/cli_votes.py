"""`minsheng ballot cast|import` and `minsheng sheet file`: the steps of a vote and a sheet from the
command line, for scripts and for trying a county's rules (a tie, an invalid ballot, a missing
review) without a browser. Each acts as an account (--as), with that account's roles and scope,
and is refused in the same words as in the app. The engine is imported inside the commands."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from apps.cli_base import ConfigOption, acting_user, console, friendly, runtime_for

ballot_app = typer.Typer(help="Ballots: cast one as a deputy, import a voting device's results.", no_args_is_help=True)
sheet_app = typer.Typer(help="Sheets filed on a record: a score sheet, an opinion, a rating.", no_args_is_help=True)

AsOption = typer.Option(None, "--as", help="Act as this account (its roles and township).")


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r}: write {what} as name=value")
        out[key.strip()] = value.strip()
    return out


@ballot_app.command("cast")
@friendly
def cast(round_id: int = typer.Argument(..., help="The ballot round's number."),
         mark: list[str] = typer.Option([], "--mark", "-m", help="A candidate's mark: RECORD=yes (or no, abstain); repeat."),
         as_user: Optional[str] = AsOption, config: str = ConfigOption) -> None:
    """Cast a deputy's ballot in an open round (once, as in the app)."""
    from engine.features import voting
    rt = runtime_for(config)
    marks = _pairs(mark, "a mark")
    voting.cast(rt, acting_user(rt, as_user), round_id, {k.lstrip("#"): v for k, v in marks.items()})
    console.print(f"cast: a ballot with {len(marks)} mark(s) in round {round_id}", markup=False)


@ballot_app.command("import")
@friendly
def import_(round_id: int = typer.Argument(..., help="The ballot round's number (closed)."),
            file: Path = typer.Argument(..., help="The device's export: CSV or XLSX, one row per ballot, "
                                                  "a column per candidate (headed by its number or title)."),
            as_user: Optional[str] = AsOption, config: str = ConfigOption) -> None:
    """Import a voting device's ballots into a closed round; they are counted like app ballots."""
    from apps.i18n_votes import DEVICE_IGNORED, DEVICE_WORDS
    from engine.features import voting
    if not file.is_file():
        raise typer.BadParameter(f"{file}: no such file")
    rt = runtime_for(config)
    n = voting.import_device_ballots(rt, acting_user(rt, as_user), round_id, file, DEVICE_WORDS, DEVICE_IGNORED)
    console.print(f"imported: {n} device ballot(s) into round {round_id}", markup=False)


@sheet_app.command("file")
@friendly
def file_sheet(record_id: int = typer.Argument(..., help="The record the sheet is about."),
               form: str = typer.Argument(..., help="The sheet's form, e.g. screening_score."),
               value: list[str] = typer.Option([], "--value", "-v", help="A field: FIELD=VALUE; repeat."),
               as_user: Optional[str] = AsOption, config: str = ConfigOption) -> None:
    """File a sheet on a record, checked as the app checks it (roles, township, state, the form)."""
    from engine.core import sheets
    rt = runtime_for(config)
    view = sheets.file_sheet(rt, acting_user(rt, as_user), record_id, form, _pairs(value, "a field"))
    console.print(f"filed: {form} #{view.id} on record {record_id}", markup=False)

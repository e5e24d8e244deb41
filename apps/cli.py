"""The `minsheng` command: check and export profiles, manage the database, accounts, imports, demo.

Every command takes --config DIR (the profile folder, default ./config). The database is the
embedded SQLite file data/minsheng.db unless DATABASE_URL names another (PostgreSQL in production).
A user's mistake prints a plain message and exits 1; a bug is logged with its traceback.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from apps.cli_base import ConfigOption, acting_user, console, err, friendly, runtime_for
from apps.cli_profile import profile_app
from apps.cli_votes import ballot_app, sheet_app
from apps.cli_users import user_app
from apps.i18n import input_error_lines, problem_text
from engine.kernel.errors import InputError, MinshengError, NotFound

app = typer.Typer(help="Minsheng: livelihood projects decided by deputies' vote.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(profile_app, name="profile")
app.add_typer(ballot_app, name="ballot")
app.add_typer(sheet_app, name="sheet")
@app.command()
@friendly
def check(config: str = ConfigOption,
          with_data: bool = typer.Option(False, "--with-data", help="Also say which records an edit would not reach "
                                         "(those following an older version; frozen ones stay frozen).")) -> None:
    """Validate a profile: every file, every key, every reference. Exit 0 if it is valid."""
    from engine.profile.loader import load_profile
    profile = load_profile(config)
    console.print(f"{config}: OK ({len(profile.files)} files, version {profile.version}): "
                  f"{len(profile.county.townships)} townships, {len(profile.county.stations)} stations, "
                  f"{len(profile.forms)} forms, {len(profile.imports)} imports", markup=False)
    if with_data:
        from engine.core.versions import pinned_summary
        for line in pinned_summary(runtime_for(config)):
            console.print(f"note: {line}", markup=False)


@app.command("policy")
@friendly
def policy_table(config: str = ConfigOption) -> None:
    """Print who may do what under a profile, as a Markdown table: every role check the server
    makes, with its scope (docs/security.md holds the default profile's)."""
    from engine.core.policy import policy_markdown
    from engine.profile.loader import load_profile
    console.print(policy_markdown(load_profile(config)), markup=False, highlight=False, soft_wrap=True)


@app.command()
@friendly
def schema(out: Path = typer.Option(Path("docs/schema"), help="Folder to write the JSON Schema files to.")) -> None:
    """Write JSON Schema files for each kind of config file (for editors' autocompletion)."""
    from engine.profile.export import write_schemas
    for path in write_schemas(out):
        console.print(f"wrote {path}", markup=False)


@db_app.command("upgrade")
@friendly
def db_upgrade(config: str = ConfigOption,
               app_role: Optional[str] = typer.Option(None, "--app-role", help="PostgreSQL: then grant this role "
                                                      "the app's rights (rows only; see docs/operations.md).")) -> None:
    """Create or update the database tables (safe to run again).

    With MIGRATION_DATABASE_URL set, as that (owner) role; else as DATABASE_URL's."""
    from engine.profile.loader import load_profile
    load_profile(config)  # a broken profile is reported before the database is touched
    from engine.store.db import Database, database_url
    from engine.store.migrate import upgrade
    from engine.store.roles import grant_app_role, migration_url
    url = migration_url() or database_url()
    db = Database(url)
    upgrade(db.engine)
    console.print(f"database up to date: {_safe_url(url)}", markup=False)
    if app_role:
        grant_app_role(db.engine, app_role)
        console.print(f"granted the app's rights to {app_role}", markup=False)


@db_app.command("reindex")
@friendly
def db_reindex(config: str = ConfigOption) -> None:
    """Build the keyword search index and the lists' filter and sort index again from every record.

    Run it once after upgrading from a version without search or date sorting, and after adding
    a filter or a sortable column to a form; lists meanwhile find what is indexed so far. The app
    and the importer keep both up to date by themselves."""
    from engine.core.reindex import rebuild
    rt = runtime_for(config)
    done = rebuild(rt, progress=lambda n: console.print(f"  {n:,} records", markup=False))
    console.print(f"search, filter and sort indexes rebuilt: {done:,} records", markup=False)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


@app.command("import")
@friendly
def import_(
    mapping: str = typer.Argument(..., help="Import id, a file name in the profile's imports/ folder."),
    file: Path = typer.Argument(..., help="CSV or XLSX file."),
    rejections: Optional[Path] = typer.Option(None, help="Write every rejected row and its reasons to this CSV."),
    config: str = ConfigOption,
) -> None:
    """Import an export (a 12345 hotline sheet, say): bad rows are reported, the good ones kept."""
    from engine.core.importer import import_file
    from engine.core.actors import SYSTEM
    rt = runtime_for(config)
    if mapping not in rt.profile.imports:
        raise NotFound(f"import '{mapping}'; the profile has: {', '.join(rt.profile.imports) or 'none'}")
    with Progress(TextColumn("importing"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
                  TextColumn("{task.fields[rows]:,} rows"), console=err) as bar:
        task = bar.add_task("import", total=1.0, rows=0)
        report = import_file(rt, SYSTEM, mapping, file,
                             progress=lambda f, r: bar.update(task, completed=f, rows=r.rows_read))
    form = rt.forms[rt.profile.imports[mapping].form].form
    labels = {f.id: f.label for f in form.fields}
    console.print(f"read {report.rows_read:,} rows: {report.rows_added:,} added, "
                  f"{report.rows_duplicate:,} already there, {report.rows_rejected:,} rejected "
                  f"(import run {report.run_id})", markup=False)
    if rejections:
        count = _write_rejections(rt, report.run_id, labels, rejections)
        console.print(f"{count:,} rejected rows written to {rejections}", markup=False)
    else:
        for number, problems in report.rejections[:20]:
            reasons = "; ".join(input_error_lines(InputError(problems), labels, "zh"))
            console.print(f"  row {number}: {reasons}", markup=False)
        if report.rows_rejected > 20:
            console.print(f"  ... and {report.rows_rejected - 20:,} more; use --rejections FILE for all",
                          markup=False)


@app.command("import-runs")
@friendly
def import_runs(
    close: Optional[int] = typer.Option(None, help="Close this unfinished run, keeping what it added."),
    config: str = ConfigOption,
) -> None:
    """List the import runs that never finished (a killed or crashed import). Importing the same
    file again finishes such a run (its rows already added are skipped); --close RUN ends it as it is."""
    from engine.core.importer import close_run, unfinished_runs
    from engine.core.actors import SYSTEM
    rt = runtime_for(config)
    if close is not None:
        run = close_run(rt, SYSTEM, close)
        console.print(f"import run {run.id} closed: {run.rows_added:,} rows added of {run.rows_read:,} read",
                      markup=False)
        return
    runs = unfinished_runs(rt, SYSTEM)
    if not runs:
        console.print("no unfinished import runs", markup=False)
    for run in runs:
        console.print(f"run {run.id}: {run.mapping_id} {run.filename}, started {run.started_at:%Y-%m-%d %H:%M} "
                      f"by {run.actor}, {run.rows_read:,} rows read, {run.rows_added:,} added", markup=False)


def _write_rejections(rt, run_id: int, labels: dict[str, str], out: Path) -> int:
    """Every refused row of the run, one line per problem, as CSV (cells kept as text)."""
    from sqlalchemy import select
    from engine.kernel.errors import Problem
    from engine.output.cells import write_csv
    from engine.store.tables import ImportRejection
    with out.open("w", newline="", encoding="utf-8-sig") as fh, rt.db.read() as session:
        rows = session.execute(select(ImportRejection.row_number, ImportRejection.problems)
                               .where(ImportRejection.run_id == run_id).order_by(ImportRejection.row_number)
                               .execution_options(yield_per=1000))
        refused: set[int] = set()

        def lines():
            for number, problems in rows:
                refused.add(number)
                for fid, p in problems.items():
                    yield number, labels.get(fid, fid), problem_text(Problem(p["code"], p["params"]))
        write_csv(fh, ["行号 row", "项目 field", "原因 reason"], lines())
    return len(refused)


@app.command()
@friendly
def act(
    action: str = typer.Argument(..., help="The workflow action, e.g. screen."),
    form: str = typer.Option("suggestion", help="The form whose records to act on."),
    township: Optional[str] = typer.Option(None, help="Only this township's records (its id, e.g. t01)."),
    as_user: Optional[str] = typer.Option(None, "--as", help="Act as this account (its roles and township)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Work out and count the outcomes; write nothing."),
    config: str = ConfigOption,
) -> None:
    """Take an action on every record where it applies: screen a whole township or county."""
    from engine.core.bulk import bulk_action
    rt = runtime_for(config)
    actor = acting_user(rt, as_user)
    with Progress(TextColumn(action), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
                  TextColumn("{task.completed:,.0f} records"), console=err) as bar:
        task = bar.add_task(action, total=None)
        report = bulk_action(rt, actor, form, action, township=township, dry_run=dry_run,
                             progress=lambda done, total: bar.update(task, completed=done, total=total))
    verb = "would move" if dry_run else "moved"
    console.print(f"{report.considered:,} records considered", markup=False)
    for state, count in report.moved.most_common():
        console.print(f"  {verb} to {rt.state_label(form, state)} ({state}): {count:,}", markup=False)
    for reason, count in report.refused.most_common():
        ids = ", ".join(str(i) for i in report.examples[reason])
        console.print(f"  not moved, {count:,}: {reason} (e.g. records {ids})", markup=False)


document_app = typer.Typer(help="Printable documents (PDF): answer letters, notice-board lists.", no_args_is_help=True)
app.add_typer(document_app, name="document")


@document_app.command("letter")
@friendly
def document_letter(
    document: str = typer.Argument(..., help="Document id, a file name in the profile's documents/ folder."),
    record: int = typer.Argument(..., help="The record number."),
    out: Path = typer.Option(Path("."), help="Folder to write the PDF to."),
    config: str = ConfigOption,
) -> None:
    """Make the letter about one record, e.g. the written answer to a proposer."""
    from engine.output import documents
    from engine.core.actors import SYSTEM
    made = documents.letter(runtime_for(config), SYSTEM, document, record)
    out.mkdir(parents=True, exist_ok=True)
    (out / made.filename).write_bytes(made.content)
    console.print(f"wrote {out / made.filename}", markup=False)


@document_app.command("notice")
@friendly
def document_notice(
    document: str = typer.Argument(..., help="Document id, a file name in the profile's documents/ folder."),
    township: Optional[str] = typer.Option(None, help="The township's id; without it, one notice per township."),
    out: Path = typer.Option(Path("."), help="Folder to write the PDFs to."),
    config: str = ConfigOption,
) -> None:
    """Make the notice for a township's notice board (or for every township)."""
    from engine.output import documents
    from engine.core.actors import SYSTEM
    rt = runtime_for(config)
    townships = [township] if township else [t.id for t in rt.profile.county.townships]
    out.mkdir(parents=True, exist_ok=True)
    for tid in townships:
        made = documents.notice(rt, SYSTEM, document, tid)
        (out / made.filename).write_bytes(made.content)
        console.print(f"wrote {out / made.filename}", markup=False)


@app.command()
@friendly
def report(
    report_id: str = typer.Argument(..., help="Report id, a file name in the profile's reports/ folder."),
    year: Optional[int] = typer.Option(None, help="The year; without it, the profile's year."),
    out: Path = typer.Option(Path("."), help="Folder to write the XLSX and PDF to."),
    config: str = ConfigOption,
) -> None:
    """Make the annual report for the congress, as Excel and PDF (with a chart per section)."""
    from apps.i18n import report_words
    from engine.output import reports
    from engine.core.actors import SYSTEM
    rt = runtime_for(config)
    year = year or rt.profile.county.year
    title, paragraphs, tables = reports.build(rt, SYSTEM, report_id, year, report_words("zh"))
    out.mkdir(parents=True, exist_ok=True)
    reports.xlsx(title, paragraphs, tables, out / f"{report_id}-{year}.xlsx")
    (out / f"{report_id}-{year}.pdf").write_bytes(reports.pdf(rt, title, paragraphs, tables))
    console.print(f"wrote {out / f'{report_id}-{year}.xlsx'} and {out / f'{report_id}-{year}.pdf'}", markup=False)


@app.command()
@friendly
def tick(config: str = ConfigOption) -> None:
    """Fire every deadline that has passed and take every automatic transition that is due.

    Run it from cron every few minutes; running it twice, or twice at once, fires nothing twice."""
    from engine.jobs import tick as run_tick
    report = run_tick(runtime_for(config))
    console.print(f"deadlines fired: {report.deadlines_fired}; automatic transitions: {report.transitions_taken}; "
                  f"ballots closed: {report.rounds_closed}; delivery flags raised: {report.flags_raised}, "
                  f"cleared: {report.flags_cleared}; reactions fired: {report.reactions_fired}", markup=False)
    for line in report.details:
        console.print(f"  {line}", markup=False)


@app.command()
@friendly
def preview(config: str = typer.Option(..., "--config", "-c", help="The proposed profile folder.")) -> None:
    """Show which stored decisions would change under a proposed profile, and why. Saves nothing.

    The live data is the database of DATABASE_URL (or the embedded SQLite file)."""
    from engine.profile.loader import load_profile
    from engine.features.preview import preview as run_preview
    from engine.core.runtime import Runtime
    from engine.store.db import Database
    proposed = load_profile(config)
    live = Runtime(proposed, Database())
    report = run_preview(live, proposed)
    console.print(f"{report.checked} stored decision(s) decided again under {config} (version {proposed.version}); "
                  f"{len(report.changes)} would change", markup=False)
    for change in report.changes:
        console.print(f"  {change}", markup=False)
    for note in report.notes:
        console.print(f"  note: {note}", markup=False)


@app.command()
@friendly
def migrate(form: str = typer.Argument(..., help="Form id whose running records move to the current profile."),
            dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would move."),
            config: str = ConfigOption) -> None:
    """Move running records to the current profile version (they keep theirs until you do).

    Each record moved gets an audit row; a record whose state the current workflow no longer has
    stays where it is and is listed."""
    from engine.core.versions import migrate_records
    rt = runtime_for(config)
    report = migrate_records(rt, form, actor_name="system", dry_run=dry_run)
    verb = "would move" if dry_run else "moved"
    console.print(f"{verb} {report.moved} record(s) to version {rt.version}", markup=False)
    for line in report.skipped:
        console.print(f"  not moved: {line}", markup=False)


@app.command()
@friendly
def demo(config: str = ConfigOption,
         reset: bool = typer.Option(False, help="Delete the embedded SQLite file first.")) -> None:
    """Seed the profile's demo year: townships' sessions, suggestions and demo accounts."""
    from demo.seed import seed_demo
    from engine.store.db import DEFAULT_SQLITE
    if reset:
        if os.environ.get("DATABASE_URL"):
            raise MinshengError("--reset only deletes the embedded SQLite file; unset DATABASE_URL")
        for suffix in ("", "-wal", "-shm"):
            Path(DEFAULT_SQLITE + suffix).unlink(missing_ok=True)
    summary = seed_demo(runtime_for(config))
    for line in summary:
        console.print(line, markup=False)


@app.command()
@friendly
def serve(config: str = ConfigOption, port: int = typer.Option(8501), address: str = typer.Option("127.0.0.1")) -> None:
    """Start the web app (Streamlit)."""
    from engine.profile.loader import load_profile
    load_profile(config)  # refuse to start on a broken profile, with the reasons
    from apps.web.client import ProxySettingError, trusted_networks
    try:
        trusted_networks()  # a wrong proxy setting stops the start, in words
    except ProxySettingError as exc:
        raise MinshengError(str(exc)) from None
    main = Path(__file__).parent / "web" / "main.py"
    env = dict(os.environ, MINSHENG_CONFIG=str(Path(config).resolve()))
    cmd = [sys.executable, "-m", "streamlit", "run", str(main), "--server.port", str(port),
           "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--client.disableDataExport", "true",
           "--client.toolbarMode", "minimal"]
    console.print(f"Minsheng on http://{address}:{port}", markup=False)
    sys.stdout.flush()
    # Become Streamlit rather than start it as a child: stopping this process (its PID, a service
    # manager's stop) then stops the app, and nothing is left serving.
    os.execve(sys.executable, cmd, env)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

"""`minsheng profile show|diff`: a profile as it reads after the profiles it extends, and how two
profiles' policies differ. The engine is imported inside the commands, so `--help` stays fast."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from apps.cli_base import ConfigOption, console, err, friendly

profile_app = typer.Typer(help="Profiles that extend others: the effective files, and differences.", no_args_is_help=True)


@profile_app.command("show")
@friendly
def show(config: str = ConfigOption,
         file: Optional[str] = typer.Option(None, "--file", help="Only this file, e.g. votes/township_congress.yaml.")) -> None:
    """Print the profile's files as they read after `extends:`, each value with the file and line it came from."""
    from engine.profile.inherit import ChainError
    from engine.profile.overview import effective_files, show as show_lines
    root = Path(config)
    try:
        if file is not None and file not in effective_files(root):
            err.print(f"{config} has no file {file}", markup=False)
            raise typer.Exit(1)
        for line in show_lines(root, file):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    except ChainError as exc:
        err.print(f"{exc.file}:{exc.line or ''}: {exc.message}", markup=False)
        raise typer.Exit(1) from None


@profile_app.command("diff")
@friendly
def diff(a: str = typer.Argument(..., help="A profile folder, e.g. config."),
         b: str = typer.Argument(..., help="Another, e.g. examples/qingshan.")) -> None:
    """Say how B's policies differ from A's, file by file and key by key."""
    from engine.profile.inherit import ChainError
    from engine.profile.overview import differences
    for folder in (a, b):
        if not Path(folder).is_dir():
            err.print(f"{folder}: profile folder not found", markup=False)
            raise typer.Exit(1)
    try:
        lines = differences(Path(a), Path(b))
    except ChainError as exc:
        err.print(f"{exc.file}:{exc.line or ''}: {exc.message}", markup=False)
        raise typer.Exit(1) from None
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(f"{len(lines)} difference(s).", markup=False)


@profile_app.command("templates")
@friendly
def list_templates() -> None:
    """List the profiles a county may extend by name (`extends: NAME`), with their folders."""
    from engine.profile.templates import FOLDERS_VARIABLE, templates
    found = templates()
    width = max((len(name) for name in found), default=0)
    for name, folder in found.items():
        console.print(f"{name.ljust(width)}  {folder}", markup=False, highlight=False, soft_wrap=True)
    if not found:
        console.print(f"No templates: list folders of templates in {FOLDERS_VARIABLE}.", markup=False)

"""The command line shared by benchmarks that seed a fresh SQLite database under the Sangzhi profile."""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from engine.core.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]


def open_from_args(name: str, default_n: int) -> tuple[Runtime, int]:
    """--n (how many to seed) and --db (the SQLite file; a new temporary one by default)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=default_n)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / f"{name}.db"
    return Runtime.open(ROOT / "config", f"sqlite:///{db}"), args.n

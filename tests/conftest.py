"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL is set
(each test then gets a schema of its own, dropped afterwards)."""
from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

import pytest
from sqlalchemy import create_engine, text

from engine.core.runtime import Runtime
from engine.store.db import database_url

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"
ON_POSTGRES = database_url(os.environ.get("DATABASE_URL")).startswith("postgresql")


def overlay(folder: Path, files: Mapping[str, str]) -> Path:
    """A profile that extends Sangzhi's and holds these files (relative path -> YAML text)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profile.yaml").write_text(f"extends: {CONFIG}\n", encoding="utf-8")
    for rel, content in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(content, encoding="utf-8")
    return folder


@contextmanager
def fresh_database(folder: Path) -> Iterator[str]:
    """The URL of a fresh, empty database: an SQLite file in `folder`, or on PostgreSQL a schema
    of its own, dropped afterwards."""
    if not ON_POSTGRES:
        yield f"sqlite:///{folder / 'test.db'}"
        return
    base = database_url(os.environ["DATABASE_URL"])
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_url(tmp_path):
    """A fresh, empty database for one test."""
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def rt(db_url):
    runtime = Runtime.open(CONFIG, db_url)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def profile_dir(tmp_path):
    """A copy of the Sangzhi profile that a test may edit."""
    target = tmp_path / "profile"
    shutil.copytree(CONFIG, target)
    return target


@pytest.fixture
def good_suggestion():
    return {
        "title": "硬化村组道路约2公里", "content": "组上道路仍是泥土路，雨天无法通行，建议硬化。",
        "category": "roads", "township": "t02", "channel": "duty_platform",
        "proposer_name": "张建国", "phone": "13912345678", "submitted_on": "2025-03-04",
        "beneficiaries": "420",
    }

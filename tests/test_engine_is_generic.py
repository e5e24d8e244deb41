"""engine/ holds no county: no county name, no Chinese label, no policy figure from the source."""
from __future__ import annotations

import re

from engine.profile.loader import load_profile
from tests.conftest import CONFIG, ROOT

ENGINE = ROOT / "engine"
# Figures of the 2025 report (see shared/domain.md): townships, stations, sessions, suggestions,
# reserve pool, answers, fund range and amount, the evaluation threshold.
POLICY_FIGURES = ["2025", "23", "24", "68", "80", "42", "38", "673", "6730000", "5000000", "10000000", "6.73"]


def engine_sources():
    return [p for p in ENGINE.rglob("*.py")]


def test_no_chinese_text_in_engine():
    cjk = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in engine_sources()
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if cjk.search(line)]
    assert offenders == []


def test_no_county_names_in_engine_or_apps():
    profile = load_profile(CONFIG)
    names = {profile.county.id, profile.county.name, profile.county.name_en, profile.county.congress}
    names |= {t.name for t in profile.county.townships} | {s.name for s in profile.county.stations}
    names = {n.lower() for n in names if n}
    sources = engine_sources() + list((ROOT / "apps").rglob("*.py"))
    offenders = [(str(p.relative_to(ROOT)), name) for p in sources
                 for name in names if name in p.read_text(encoding="utf-8").lower()]
    assert offenders == []


def test_no_policy_figures_in_engine():
    number = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])")
    offenders = []
    for p in engine_sources():
        if "migrations" in p.parts:
            continue  # generated schema code
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for figure in number.findall(code):
                if figure in POLICY_FIGURES:
                    offenders.append(f"{p.relative_to(ROOT)}:{n}: {figure}")
    assert offenders == []


def test_the_grep_would_catch_a_violation(tmp_path):
    """The checks above are real: a planted county word and figure are found."""
    planted = "THRESHOLD = 80  # 桑植县\n"
    assert re.search(r"[\u4e00-\u9fff]", planted)
    assert "80" in re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", planted.split("#")[0])

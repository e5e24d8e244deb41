"""Keyword search over lists: a word of the title or the content finds the record, through the
search index, on SQLite and PostgreSQL; personal data is never searched; bad queries say why."""
from __future__ import annotations

import csv
import random
import re
import unicodedata

import pytest
from sqlalchemy import func, select, text

from engine.kernel.errors import InputError
from engine.kernel.words import Phrase, searched_phrases, stored_terms
from engine.core import records, reindex
from engine.core.actors import ANONYMOUS, SYSTEM, Actor
from engine.core.importer import import_file
from engine.store.search_index import TABLE

COUNTY_STAFF = Actor("county", "县人大工作人员", frozenset({"congress_staff"}))

SUGGESTIONS = [
    ("硬化村组道路约2公里", "组上道路仍是泥土路，雨天无法通行，建议硬化。", "t02"),
    ("安装村道路灯一批", "主干道夜间没有照明，出行不安全。", "t03"),
    ("更换老化供水管网", "供水管道年久老化，经常爆管停水，G207国道沿线尤甚。", "t02"),
]


@pytest.fixture
def stored(rt, good_suggestion):
    ids = []
    for title, content, township in SUGGESTIONS:
        ids.append(records.submit(rt, ANONYMOUS, "suggestion",
                                  dict(good_suggestion, title=title, content=content, township=township)).id)
    return ids


def found(rt, query, actor=COUNTY_STAFF, **kwargs):
    return [r.id for r in records.list_records(rt, actor, "suggestion", search=query, **kwargs).items]


def test_terms_are_character_pairs_and_whole_words():
    assert stored_terms("路灯坏了，G207") == ["路灯", "灯坏", "坏了", "了", "g207"]
    assert stored_terms("ＡＢ１２") == ["ab12"]  # full-width counts as the ordinary letters
    assert searched_phrases("路灯 坏") == [Phrase(("路灯",), False), Phrase(("坏",), True)]
    assert searched_phrases("，。！") == []


def _terms_char_by_char(text: str) -> list[str]:
    """The terms as the search index first made them, one character at a time: the reference."""
    def han(c: str) -> bool:
        return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" or "\U00020000" <= c <= "\U0003ffff"
    terms = []
    for run in re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold()):
        start = 0
        for i in range(1, len(run) + 1):
            if i == len(run) or han(run[i]) != han(run[start]):
                piece = run[start:i]
                terms += ([piece[k:k + 2] for k in range(len(piece) - 1)] + [piece[-1]]) if han(piece[0]) else [piece]
                start = i
    return terms


def test_terms_of_mixed_scripts_are_those_of_the_character_by_character_cut():
    # hexagram signs sit inside the Chinese block but are no letters; 𠀀 is beyond the first plane
    alphabet = "桑植县修路ＡＢｃ１２3abcXYZ_-· 。，、䷀䷁𠀀𠀁丽tÉst"
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert stored_terms(text) == _terms_char_by_char(text), text


def test_a_word_of_the_content_finds_the_suggestion(rt, stored):
    first, lamps, water = stored
    assert found(rt, "泥土") == [first]  # two characters of the content only
    assert found(rt, "道路") == [lamps, first]  # newest first, as the list
    assert found(rt, "夜间没有照明") == [lamps]
    assert found(rt, "灯") == [lamps]  # one character
    assert found(rt, "g20") == [water]  # the start of a word, any case
    assert found(rt, "供水 爆管") == [water]  # every word must be found
    assert found(rt, "供水 路灯") == []
    assert found(rt, "照路") == []  # both characters, but not next to each other


def test_personal_data_is_not_searched(rt, stored, good_suggestion):
    assert found(rt, good_suggestion["proposer_name"]) == []
    assert found(rt, good_suggestion["phone"]) == []


def test_search_goes_with_filters_scope_and_sort(rt, stored):
    first, lamps, water = stored
    assert found(rt, "道路", filters={"township": "t02"}) == [first]
    assert found(rt, "道路", filters={"category": "roads"}) == [lamps, first]  # a facet, too
    assert found(rt, "道路", sort="oldest") == [first, lamps]
    assert found(rt, "", sort="title") == [lamps, water, first]  # 安 < 更 < 硬 in code-point order
    township_02 = Actor("l02", "联络员", frozenset({"liaison_staff"}), "t02")
    assert found(rt, "道路", actor=township_02) == [first]
    with pytest.raises(InputError) as refused:
        found(rt, "道路", sort="phone")
    assert list(refused.value.problems) == ["sort"]


@pytest.mark.parametrize("query, code", [("，。！？", "nothing_to_search"), ("路" * 101, "search_too_long")])
def test_a_query_with_nothing_to_find_is_refused_in_words(rt, stored, query, code):
    with pytest.raises(InputError) as refused:
        found(rt, query)
    assert refused.value.problems["search"].code == code


@pytest.mark.parametrize("query, finds", [('"', None), ("NEAR(道路", []), ("道路 OR 1=1", []), ("*", None),
                                           ("'路灯':*", [1]), ("a AND b", []), ("\x00", None), ("路灯&!供水", [])])
def test_query_syntax_of_either_database_is_only_text(rt, stored, query, finds):
    """FTS5's and tsquery's operators are read as the words they are (NEAR, OR, quotes, :*)."""
    try:
        result = found(rt, query)
    except InputError as refused:
        assert finds is None and refused.problems["search"].code == "nothing_to_search"
    else:
        assert result == [stored[i] for i in finds]


def test_imported_rows_are_found_and_rebuild_finds_them_again(rt, tmp_path):
    path = tmp_path / "hotline.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["工单编号", "工单标题", "诉求内容", "诉求类别", "所属乡镇", "来电人", "来电号码", "受理时间"])
        writer.writerow(["GD1", "修建河道便民桥一座", "村民过河只能走漫水桥，汛期常被冲断。", "交通出行", "瑞塔铺镇",
                         "张建国", "13912345678", "2025-03-01"])
    import_file(rt, SYSTEM, "hotline_12345", path)
    (bridge,) = found(rt, "漫水桥")
    with rt.db.transaction() as session:
        session.execute(text(f"DELETE FROM {TABLE}"))
    assert found(rt, "漫水桥") == []
    assert reindex.rebuild(rt) == 1
    assert found(rt, "漫水桥") == [bridge]


def test_every_record_is_indexed_once(rt, stored):
    with rt.db.read() as session:
        assert session.scalar(select(func.count()).select_from(text(TABLE))) == len(stored)


def test_reindex_command_rebuilds_the_index(rt, stored, db_url, monkeypatch):
    from typer.testing import CliRunner
    from apps.cli import app
    from tests.conftest import CONFIG
    with rt.db.transaction() as session:
        session.execute(text(f"DELETE FROM {TABLE}"))
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["db", "reindex", "--config", str(CONFIG)])
    assert result.exit_code == 0, result.output
    assert "search, filter and sort indexes rebuilt: 3 records" in result.output
    assert found(rt, "泥土") == [stored[0]]


def test_a_list_sorts_by_each_of_its_indexed_columns(rt, good_suggestion):
    """Township, station and channel (promoted columns), category (a facet every suggestion has)
    each sort the list, then by record number; with a facet filter too. An optional field (no
    facet on every record) is not offered."""
    from engine.core.records import sorts_for
    made = {}
    for category, township, channel in (("water", "t03", "hotline_12345"), ("roads", "t02", "duty_platform"),
                                         ("education", "t05", "hotline_12345"), ("roads", "t01", "duty_platform")):
        made[(category, township)] = records.submit(rt, SYSTEM, "suggestion", dict(  # staff set the channel
            good_suggestion, category=category, township=township, station="s" + township[1:], channel=channel)).id
    assert sorts_for(rt.form("suggestion")) == ("newest", "oldest", "title", "state", "township", "station", "channel",
                                                "category", "submitted_on")
    assert found(rt, "", sort="category") == [made[("education", "t05")], made[("roads", "t02")],
                                              made[("roads", "t01")], made[("water", "t03")]]  # by the option's code
    assert found(rt, "", sort="township") == [made[("roads", "t01")], made[("roads", "t02")],
                                              made[("water", "t03")], made[("education", "t05")]]
    assert found(rt, "", sort="channel")[:2] == [made[("roads", "t02")], made[("roads", "t01")]]  # duty_ < hotline
    assert found(rt, "", sort="township", filters={"category": "roads"}) == [made[("roads", "t01")],
                                                                             made[("roads", "t02")]]
    assert found(rt, "", sort="category", filters={"category": "roads", "channel": "duty_platform"}) == [
        made[("roads", "t02")], made[("roads", "t01")]]
    for refused in ("beneficiaries", "proposer_name", "phone"):
        with pytest.raises(InputError):
            found(rt, "", sort=refused)


def test_a_list_sorts_by_its_date_latest_first_and_reindex_makes_the_facets_again(rt, good_suggestion):
    from sqlalchemy import delete
    from engine.store.tables import RecordFacet
    ids = {day: records.submit(rt, SYSTEM, "suggestion", dict(good_suggestion, submitted_on=day,
                                                              category="water" if day < "2025-03" else "roads")).id
           for day in ("2025-03-04", "2025-01-20", "2025-05-11", "2025-02-28")}
    latest_first = [ids["2025-05-11"], ids["2025-03-04"], ids["2025-02-28"], ids["2025-01-20"]]
    assert found(rt, "", sort="submitted_on") == latest_first
    assert found(rt, "", sort="submitted_on", filters={"category": "water"}) == latest_first[2:]
    with rt.db.transaction() as session:  # as after an upgrade, or a filter added to the profile
        session.execute(delete(RecordFacet))
    assert found(rt, "", sort="submitted_on") == [] and found(rt, "", filters={"category": "water"}) == []
    assert reindex.rebuild(rt) == 4
    assert found(rt, "", sort="submitted_on") == latest_first
    assert found(rt, "", filters={"category": "water"}) == [ids["2025-02-28"], ids["2025-01-20"]]


def test_the_whole_list_for_an_export_comes_in_the_lists_order_and_scope(rt, good_suggestion):
    """list_all (the spreadsheet of a list): the same records in the same order as the pages,
    batch after batch, at most `limit`; a township's staff get their township's only."""
    for i in range(7):
        records.submit(rt, SYSTEM, "suggestion", dict(good_suggestion, category="water" if i % 2 else "roads",
                                                      township="t02" if i < 5 else "t03",
                                                      station="s02" if i < 5 else "s03"))
    paged = [r.id for n in (1, 2, 3) for r in records.list_records(rt, COUNTY_STAFF, "suggestion", page=n,
                                                                     page_size=3, sort="category").items]
    assert [r.id for r in records.list_all(rt, COUNTY_STAFF, "suggestion", sort="category", batch=2)] == paged
    assert len(list(records.list_all(rt, COUNTY_STAFF, "suggestion", limit=4))) == 4
    township_02 = Actor("l02", "联络员", frozenset({"liaison_staff"}), "t02")
    assert {r.township for r in records.list_all(rt, township_02, "suggestion")} == {"t02"}
    with pytest.raises(InputError):
        list(records.list_all(rt, COUNTY_STAFF, "suggestion", sort="phone"))

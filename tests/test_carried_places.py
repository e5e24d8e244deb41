"""`shortfall: from_reserve`: a count with fewer passing projects than places leaves the rest
empty and carries them; at the next sitting the presidium fills exactly those places from the
reserve pool with a new candidate list, decided like a first ballot; the places are filled once."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from engine.core import accounts, records
from engine.core.actors import SYSTEM
from engine.core.runtime import Runtime
from engine.features.voting import (VoteRefused, carried_places, cast, chosen_in, close_round, create_round,
                                    fill_from_reserve)
from engine.store.tables import AuditEntry, Record, VoteRound
from tests.conftest import overlay
from tests.test_browser import SHOTS, page, serving, sign_in  # noqa: F401  (page: a fixture)
from tests.test_voting import PRESIDIUM, PRESIDIUM_VIEW, candidates, count_round, deputy, open_round, roster

VOTE = "township_congress"


@pytest.fixture
def crt(tmp_path, db_url):
    runtime = Runtime.open(overlay(tmp_path / "carry", {f"votes/{VOTE}.yaml": "shortfall: from_reserve\n"}), db_url)
    yield runtime
    runtime.db.dispose()


def decided(rt, round_id, ballots):
    open_round(rt, PRESIDIUM, round_id)
    for i, marks in enumerate(ballots):
        cast(rt, deputy(i), round_id, marks)
    close_round(rt, PRESIDIUM, round_id)
    return count_round(rt, PRESIDIUM, round_id)


def state(rt, record_id) -> str:
    return records.get(rt, PRESIDIUM_VIEW, int(record_id))[0].state


def test_places_left_empty_are_filled_at_the_next_sitting_from_the_reserve_pool(crt, good_suggestion):
    a, b, c, d = (str(i) for i in candidates(crt, good_suggestion, 4))
    first = create_round(crt, PRESIDIUM, VOTE, "t02", "第一次会议票决", 3, [int(x) for x in (a, b, c, d)], roster(9))
    # a and b pass (more than half of 9); c and d do not: one of three places stays empty
    result = decided(crt, first, [{a: "yes", b: "yes"}] * 5 + [{c: "yes", d: "yes"}] * 4)
    assert result.chosen == (a, b) and result.empty_places == 1 and result.further == ()
    assert [state(crt, x) for x in (a, b, c, d)] == ["chosen", "chosen", "reserve", "reserve"]
    assert carried_places(crt, VOTE, "t02").places == 1
    assert carried_places(crt, VOTE, "t05") is None

    e, f = (str(i) for i in candidates(crt, good_suggestion, 2))  # reviewed into candidates since
    with pytest.raises(VoteRefused) as refused:  # one project for one place: no choice, refused
        fill_from_reserve(crt, PRESIDIUM, VOTE, "t02", "第二次会议递补票决", [int(e)], roster(9))
    assert refused.value.code == "too_few_candidates"
    second = fill_from_reserve(crt, PRESIDIUM, VOTE, "t02", "第二次会议递补票决", [int(e), int(f)], roster(9))
    with crt.db.read() as session:
        row = session.get(VoteRound, second)
        assert (row.kind, row.places, row.parent_id, row.state) == ("reserve", 1, first, "draft")
    assert carried_places(crt, VOTE, "t02") is None  # taken up: not offered to a second desk
    with pytest.raises(VoteRefused) as refused:
        fill_from_reserve(crt, PRESIDIUM, VOTE, "t02", "又一次递补", [int(e), int(f)], roster(9))
    assert refused.value.code == "nothing_carried"

    assert decided(crt, second, [{f: "yes"}] * 6 + [{e: "yes"}] * 3).chosen == (f,)
    assert [state(crt, x) for x in (a, b, c, d, e, f)] == ["chosen", "chosen", "reserve", "reserve", "reserve", "chosen"]
    assert chosen_in(crt, first) == [int(a), int(b), int(f)]  # the vote's places, all three filled
    with crt.db.read() as session:
        created = session.scalars(select(AuditEntry).where(AuditEntry.action == "vote.round_created")
                                  .order_by(AuditEntry.id)).all()
    assert [e.after["kind"] for e in created] == ["first", "reserve"]


def test_a_second_shortfall_at_the_next_sitting_is_carried_again(crt, good_suggestion):
    a, b, c = (str(i) for i in candidates(crt, good_suggestion, 3))
    first = create_round(crt, PRESIDIUM, VOTE, "t02", "第一次会议票决", 2, [int(x) for x in (a, b, c)], roster(9))
    assert decided(crt, first, [{a: "yes"}] * 5 + [{b: "yes"}] * 4).empty_places == 1
    e, f = (str(i) for i in candidates(crt, good_suggestion, 2))
    second = fill_from_reserve(crt, PRESIDIUM, VOTE, "t02", "递补票决", [int(e), int(f)], roster(9))
    assert decided(crt, second, [{e: "yes"}] * 4 + [{f: "yes"}] * 4).chosen == ()  # neither passes
    assert carried_places(crt, VOTE, "t02").round_id == second


def test_under_a_further_ballot_rule_nothing_is_carried(rt, good_suggestion):  # Sangzhi's own rule
    a, b, c = (str(i) for i in candidates(rt, good_suggestion, 3))
    first = create_round(rt, PRESIDIUM, VOTE, "t02", "票决", 2, [int(x) for x in (a, b, c)], roster(9))
    result = decided(rt, first, [{a: "yes"}] * 5 + [{b: "yes"}] * 4)
    assert result.further and carried_places(rt, VOTE, "t02") is None


@pytest.mark.browser
def test_the_desk_offers_the_empty_places_at_the_next_sitting(crt, tmp_path, db_url, page, good_suggestion):  # noqa: F811
    """In headless Chromium: after a count that left a place empty, the township's vote desk says
    so, offers a 递补票决 for that one place, and sets it up with the reserve projects ticked."""
    a, b, c = (str(i) for i in candidates(crt, good_suggestion, 3))
    first = create_round(crt, PRESIDIUM, VOTE, "t02", "瑞塔铺镇第一次会议票决", 2, [int(x) for x in (a, b, c)], roster(9))
    decided(crt, first, [{a: "yes"}] * 5 + [{b: "yes"}] * 4)
    new = [records.submit(crt, SYSTEM, "suggestion", dict(good_suggestion, title=title)).id
           for title in ("整修村级排水沟", "新建候车亭")]
    with crt.db.transaction() as session:  # reviewed into candidates since the first sitting
        session.execute(update(Record).where(Record.id.in_(new)).values(state="candidate"))
    accounts.create_user(crt, SYSTEM, "chair", "主席团工作人员", ["congress_staff"], "Qiao-lu-2025-sangzhi", "t02")
    with serving(crt.profile.root, db_url, tmp_path) as server:
        sign_in(page, server, "chair")
        page.get_by_role("link", name="乡镇人民代表大会民生实事项目票决").click()
        expect(page.locator("body")).to_contain_text("“瑞塔铺镇第一次会议票决”计票后尚有 1 个名额空缺")
        expect(page.locator("body")).to_contain_text("应选 1 个（递补空缺名额）")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "vote-desk-carried.png"), full_page=True)
        page.get_by_role("button", name="确定候选项目名单").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("整修村级排水沟")
        dialog.get_by_role("button", name="确认名单").click()
        expect(page.locator("body")).to_contain_text("递补票决 · 筹备中")
    assert carried_places(crt, VOTE, "t02") is None
    with crt.db.read() as session:
        row = session.scalars(select(VoteRound).where(VoteRound.kind == "reserve")).one()
    assert (row.places, row.parent_id, row.title) == (1, first, "瑞塔铺镇2025年民生实事项目递补票决")


def test_only_the_presidium_of_the_township_may_fill_carried_places(crt, good_suggestion):
    from engine.core.actors import Actor
    from engine.kernel.errors import PermissionDenied
    ids = candidates(crt, good_suggestion, 2)
    for outsider in (Actor("d", "代表", frozenset({"deputy"}), "t02"),  # not the presidium
                     Actor("other", "他镇人大", frozenset({"congress_staff"}), "t05")):  # another township
        with pytest.raises(PermissionDenied):
            fill_from_reserve(crt, outsider, VOTE, "t02", "递补", ids, roster(9))

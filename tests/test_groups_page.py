"""Supervision groups in the browser (examples/qingshan): the administrator moves an account into a
group on 账户管理; the member's start page counts only their group's projects; on a project of
another group the supervision record is not offered, on one of theirs it is."""
from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from demo.seed import seed_demo
from engine.core import accounts
from engine.core.actors import SYSTEM
from engine.core.record_queries import not_merged
from engine.core.runtime import Runtime
from engine.store.tables import Record
from tests.test_browser import SHOTS, page, serving, wait_for_text  # noqa: F401  (page: the fixture)
from tests.test_second_county import QINGSHAN

PASSWORD = "Qiao-lu-2025-qingshan"


def _sign_in(page, server: str, username: str) -> None:
    page.goto(server)  # a new page: a new session, signed out
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="我的待办").wait_for()


def _choose(page, box, option: str) -> None:
    """Open a select box and pick the option holding this text; again if a loaded machine's
    rerun closed the list first."""
    for attempt in range(3):
        box.scroll_into_view_if_needed()
        box.click()
        try:
            page.get_by_role("option").filter(has_text=option).click(timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


def _open(page, record_id: int) -> None:
    page.get_by_role("link", name="民生实事建议列表").click()
    page.get_by_label("所属小组").wait_for()  # the list can be filtered by group
    page.get_by_label("按编号打开").fill(str(record_id))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/record?id={record_id}")


@pytest.mark.browser
def test_a_group_member_supervises_only_their_groups_projects(page, db_url, tmp_path):  # noqa: F811
    rt = Runtime.open(QINGSHAN, db_url)
    seed_demo(rt)
    for username in ("admin", "group1"):
        accounts.set_password(rt, SYSTEM, username, PASSWORD)
    with rt.db.read() as session:
        projects = session.execute(select(Record.id, Record.title, Record.group_id).where(
            Record.form_id == "suggestion", Record.state.in_(("delivering", "completed")), not_merged())
            .order_by(Record.id)).all()
    rt.db.dispose()
    other = next(p for p in projects if p.group_id == "g2")
    with serving(QINGSHAN, db_url, tmp_path) as server:
        _sign_in(page, server, "admin")
        page.get_by_role("link", name="账户管理").click()
        page.get_by_role("heading", name="调整所在小组").wait_for()
        _choose(page, page.get_by_label("账户", exact=True).last, "（group1）")
        page.get_by_role("button", name="保存小组").wait_for(timeout=60_000)  # the account's groups, chosen
        _choose(page, page.get_by_label("所在小组", exact=True).first, "第三监督小组")
        page.keyboard.press("Escape")
        page.get_by_role("button", name="保存小组").click()
        wait_for_text(page, "第一监督小组成员（group1）现在所在小组：第一监督小组、第三监督小组。")
        page.screenshot(path=str(SHOTS / "groups-accounts.png"), full_page=True)

        _sign_in(page, server, "group1")
        wait_for_text(page, "监督记录")
        page.screenshot(path=str(SHOTS / "groups-start.png"), full_page=True)
        _open(page, other.id)
        wait_for_text(page, "所属小组：第二监督小组")
        assert page.get_by_text("填写监督记录").count() == 0
        page.screenshot(path=str(SHOTS / "groups-other-project.png"), full_page=True)
        own = next(p for p in projects if p.group_id in ("g1", "g3"))
        _open(page, own.id)
        wait_for_text(page, f"所属小组：{rt.reference_label('groups', own.group_id)}")
        wait_for_text(page, "填写监督记录")
        page.screenshot(path=str(SHOTS / "groups-own-project.png"), full_page=True)

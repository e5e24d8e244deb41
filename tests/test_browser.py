"""In headless Chromium: submit a suggestion through the generated public form, then follow it by
its receipt code. Screenshots land in screenshots/ for a person to look at."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

from tests.conftest import CONFIG, ROOT

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser
SHOTS = ROOT / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(config: Path, db_url: str, tmp_path: Path) -> Iterator[str]:
    """The app on a free port, serving `config` over `db_url`; its address."""
    port = _free_port()
    env = dict(os.environ, MINSHENG_CONFIG=str(config), DATABASE_URL=db_url)
    # The server's output goes to a file: a pipe nobody reads fills up (64 KiB) and then blocks
    # the server in the middle of a test.
    log = (tmp_path / "streamlit.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "apps/web/main.py"), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        log.close()
        pytest.fail("streamlit did not start: " + (tmp_path / "streamlit.log").read_text(errors="replace")[-2000:])
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # a loaded machine: a server slow to stop is no failure of the test
            process.kill()
            process.wait(10)
        log.close()
        print(f"streamlit wrote {(tmp_path / 'streamlit.log').stat().st_size} bytes")


@pytest.fixture
def server(db_url, rt, tmp_path):
    with serving(CONFIG, db_url, tmp_path) as url:
        yield url


@pytest.fixture
def page():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        tab = browser.new_page(viewport={"width": 1280, "height": 1100}, locale="zh-CN")
        tab.set_default_timeout(20_000)
        expect.set_options(timeout=15_000)  # a rerun on a loaded two-core machine can take seconds
        yield tab
        browser.close()


def sign_in(page, server: str, username: str, password: str = "Qiao-lu-2025-sangzhi") -> None:
    """Open the app, sign in, and wait for the start page every sign-in lands on."""
    page.goto(server)
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="我的待办").wait_for()


def wait_for_text(page, text: str, timeout: int = 20_000) -> None:
    """Wait for a text; when it does not come, fail with what the page showed instead (a CI log
    then tells why, where a bare timeout would not)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.get_by_text(text).first.wait_for(timeout=timeout)
    except PlaywrightTimeout:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "failed.png"), full_page=True)
        pytest.fail(f"{text!r} did not appear; the page showed:\n" + page.locator("body").inner_text()[-3000:])


def choose(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_submit_then_follow_by_receipt_code(server, page):
    SHOTS.mkdir(exist_ok=True)
    page.goto(server)
    page.get_by_text("民生实事建议").first.wait_for()
    page.get_by_label("建议标题 *", exact=True).fill("修建河道便民桥一座")
    page.get_by_label("具体内容 *", exact=True).fill("村民过河只能走漫水桥，汛期常被冲断，建议修建便民桥。")
    choose(page, "类别 *", "交通出行")
    choose(page, "所在乡镇 *", "瑞塔铺镇")
    page.get_by_label("建议人姓名 *", exact=True).fill("张建国")
    page.get_by_label("联系电话 *", exact=True).fill("13912345678")
    # a date field of segments (year, month, day): focus the first and type the digits
    page.get_by_label("提出日期 *", exact=True).get_by_role("spinbutton").first.click()
    page.keyboard.type("20250304")
    page.keyboard.press("Tab")
    page.get_by_role("button", name="提交").click()
    page.get_by_text("提交成功").wait_for()
    title = page.get_by_label("建议标题 *", exact=True)
    expect(title).to_have_count(1)  # the rerun's stale copy of the form has gone
    expect(title).to_have_value("")  # a fresh form for the next one
    page.screenshot(path=str(SHOTS / "submitted.png"), full_page=True)
    code = page.locator("pre code, pre").first.inner_text().strip()
    assert re.match(r"^SZ25-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$", code), code

    page.goto(f"{server}/lookup")
    page.get_by_label("回执码", exact=True).fill(code.lower())
    page.get_by_role("button", name="查询").click()
    page.get_by_text("待筛选").first.wait_for()
    page.get_by_text("瑞塔铺镇").first.wait_for()
    page.get_by_text("提出建议").first.wait_for()  # the first step of its chain
    body = page.inner_text("body")
    assert "修建河道便民桥一座" in body and "瑞塔铺镇" in body
    assert "13912345678" not in body and "张建国" not in body  # private fields stay private
    page.screenshot(path=str(SHOTS / "lookup.png"), full_page=True)


def test_staff_sign_in_and_list(server, page, rt):
    from engine.core import accounts, records
    from engine.core.actors import SYSTEM
    accounts.create_user(rt, SYSTEM, "liaison", "澧源镇联络站工作人员", ["liaison_staff"], "Qiao-lu-2025-sangzhi", "t01")
    for i in range(3):
        records.submit(rt, SYSTEM, "suggestion", {
            "title": f"第{i + 1}条：硬化村组道路", "content": "组上道路仍是泥土路，雨天无法通行。", "category": "roads",
            "township": "t01", "station": "s01", "channel": "hotline_12345", "proposer_name": "张建国", "phone": "13912345678",
            "submitted_on": "2025-03-04"})
    SHOTS.mkdir(exist_ok=True)
    page.goto(server)
    assert page.get_by_role("link", name="民生实事建议列表").count() == 0  # not before signing in
    page.get_by_label("用户名", exact=True).fill("liaison")
    page.get_by_label("密码", exact=True).fill("Qiao-lu-2025-sangzhi")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="我的待办").wait_for()  # signing in lands on the start page
    page.get_by_text("当前用户：澧源镇联络站工作人员").wait_for()
    page.get_by_role("link", name="民生实事建议列表").click()
    page.get_by_text("共 3 条").wait_for()
    page.wait_for_timeout(4000)  # the table is a canvas: give it time to paint before the screenshot
    page.screenshot(path=str(SHOTS / "staff-list.png"), full_page=True)
    # selecting a row opens the record, with its private fields for staff
    grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(grid["x"] + 15, grid["y"] + 36 + 18)
    page.wait_for_url("**/record?id=*")
    expect(page.locator("body")).to_contain_text("第3条：硬化村组道路")
    expect(page.locator("body")).to_contain_text("13912345678")
    page.screenshot(path=str(SHOTS / "staff-record.png"), full_page=True)
    page.get_by_role("link", name="填报：线下征集活动").click()
    page.get_by_text("活动形式").first.wait_for()
    # the signed-in liaison's township is preselected, and with it its stations
    page.wait_for_timeout(3000)
    page.screenshot(path=str(SHOTS / "staff-new-session.png"), full_page=True)
    expect(page.get_by_label("乡镇 *", exact=True)).to_have_value("澧源镇")
    page.screenshot(path=str(SHOTS / "staff-new-session.png"), full_page=True)


def test_search_finds_a_suggestion_by_a_word_of_its_content_and_exports_the_list(server, page, rt, tmp_path):
    from openpyxl import load_workbook
    from engine.core import accounts, records
    from engine.core.actors import SYSTEM
    accounts.create_user(rt, SYSTEM, "county", "县人大工作人员", ["congress_staff"], "Qiao-lu-2025-sangzhi")
    texts = [("硬化村组道路", "组上道路仍是泥土路，雨天无法通行。"), ("安装村道路灯", "主干道夜间没有照明。"),
             ("更换供水管网", "管道老化，经常爆管停水。")]
    for title, content in texts:
        records.submit(rt, SYSTEM, "suggestion", {
            "title": title, "content": content, "category": "roads", "township": "t01", "station": "s01",
            "channel": "hotline_12345", "proposer_name": "张建国", "phone": "13912345678", "submitted_on": "2025-03-04"})
    sign_in(page, server, "county")
    page.get_by_role("link", name="民生实事建议列表").click()
    page.get_by_text("共 3 条").wait_for()
    page.get_by_label("查找", exact=True).fill("爆管")  # in the content only, not the title
    page.keyboard.press("Enter")
    page.get_by_text("共 1 条").wait_for()
    page.get_by_role("button", name="导出 Excel").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="下载（1 行）").click()
    path = tmp_path / "list.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert [row[1] for row in rows] == ["标题", "更换供水管网"]
    page.get_by_label("查找", exact=True).fill("，。")
    page.keyboard.press("Enter")
    page.get_by_text("请输入要查找的字或词").wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "staff-search.png"), full_page=True)


def test_a_screening_grid_of_ten_suggestions_by_three_members_saves_the_good_rows(server, page, rt):
    """The group's three members once, then 30 rows of scores pasted from a spreadsheet, one of
    them missing a score: 29 sheets filed, the bad row named with its reason and kept."""
    from sqlalchemy import func, select
    from engine.core import accounts, records
    from engine.core.actors import SYSTEM
    from engine.store.tables import Record
    accounts.create_user(rt, SYSTEM, "screener", "澧源镇筛选小组", ["screening_group"], "Qiao-lu-2025-sangzhi", "t01")
    ids = [records.submit(rt, SYSTEM, "suggestion", {
        "title": f"第{i + 1}条：硬化村组道路", "content": "组上道路仍是泥土路，雨天无法通行。", "category": "roads",
        "township": "t01", "station": "s01", "channel": "hotline_12345", "proposer_name": "张建国",
        "phone": "13912345678", "submitted_on": "2025-03-04"}).id for i in range(10)]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, server, "screener")
    page.get_by_role("link", name="成批填写：筛选评分表").click()
    page.get_by_text("下表列出最早的 10 条").wait_for()
    page.wait_for_timeout(1500)

    def paste(grid, text, right=0):
        """Select the grid's first cell, move `right` columns, paste the text there."""
        box = page.locator('[data-testid="stDataFrame"]').nth(grid).bounding_box()
        page.evaluate("text => navigator.clipboard.writeText(text)", text)
        page.mouse.click(box["x"] + 40, box["y"] + 36 + 18)
        page.wait_for_timeout(500)  # a loaded machine: the grid takes the focus before the keys
        for _ in range(right):
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(150)  # each move drawn before the next (one lost put a column off)
        page.keyboard.press("Control+V")
        page.wait_for_timeout(2000)

    paste(0, "张三\t人大代表\n李四\t群众代表\n王五\t联络站（牵头）")
    page.locator('[data-testid="stDataFrame"]').nth(1).get_by_text("王五").first.wait_for(state="attached")
    scores = ["5\t4\t4\t5"] * 30
    scores[4] = "\t4\t4\t5"  # row 5 (the second suggestion, 李四) lacks its necessity score
    paste(1, "\n".join(scores), right=4)  # past the record number, title, member and kind
    page.get_by_role("button", name="保存已填写的 30 行").click()
    wait_for_text(page, "已保存 29 份；1 行未保存", timeout=60_000)  # 30 sheets filed: slower on a loaded machine
    expect(page.locator("body")).to_contain_text(f"第 5 行（#{ids[1]} 第2条：硬化村组道路）未保存：必要性")
    page.wait_for_timeout(1500)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "screening-grid.png"), full_page=True)
    with rt.db.read() as session:
        filed = session.scalar(select(func.count()).select_from(Record).where(Record.form_id == "screening_score"))
    assert filed == 29
    expect(page.get_by_role("button", name="保存已填写的 1 行")).to_be_visible()  # the bad row kept what was typed


def test_screening_a_suggestion_in_the_app(server, page, rt):
    """A screening group member files three members' score sheets and screens; the decision and
    its reason show on the record; a liaison then finds nothing waiting for a letter."""
    from engine.core import accounts, records
    from engine.core.actors import SYSTEM
    accounts.create_user(rt, SYSTEM, "screener", "澧源镇筛选小组", ["screening_group"], "Qiao-lu-2025-sangzhi", "t01")
    view = records.submit(rt, SYSTEM, "suggestion", {
        "title": "新建集中供水工程", "content": "部分农户仍饮用山泉水，旱季断水，建议新建蓄水池和管网。",
        "category": "water", "township": "t01", "station": "s01", "channel": "hotline_12345", "proposer_name": "李秀英",
        "phone": "13912345678", "submitted_on": "2025-03-04"})
    SHOTS.mkdir(exist_ok=True)
    page.goto(server)
    page.get_by_label("用户名", exact=True).fill("screener")
    page.get_by_label("密码", exact=True).fill("Qiao-lu-2025-sangzhi")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="我的待办").wait_for()  # signing in lands on the start page
    page.get_by_text("当前用户：澧源镇筛选小组").wait_for()
    page.get_by_role("link", name="民生实事建议列表").click()
    page.get_by_label("按编号打开").fill(str(view.id))
    page.keyboard.press("Enter")
    page.wait_for_url("**/record?id=*")
    expect(page.locator("body")).to_contain_text("新建集中供水工程")
    # screening with no score sheets is refused with the rule's own reason
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("body")).to_contain_text("目前只有 0 份评分表，筛选至少需要 3 名成员评分")
    for member, kind, marks in (("向光明", "联络站（牵头）", (5, 4, 5, 4)), ("谷秋菊", "人大代表", (4, 4, 4, 4)),
                                ("钟永红", "群众代表", (5, 5, 4, 3))):
        sheet = page.locator('[data-testid="stExpander"]').filter(has_text="填写筛选评分表")
        expect(sheet.get_by_label("评分人 *", exact=True)).to_have_count(1)  # the last sheet's widgets are gone
        if not sheet.get_by_label("评分人 *", exact=True).is_visible():
            sheet.locator("summary").click()
        sheet.get_by_label("评分人 *", exact=True).fill(member)
        sheet.get_by_label("评分人 *", exact=True).press("Tab")
        page.wait_for_timeout(1000)  # the rerun the text input causes must settle before the next click
        sheet.get_by_label("成员类别 *", exact=True).first.click()
        page.get_by_role("option", name=kind, exact=True).click()  # the list opens outside the expander
        for criterion, mark in zip(("必要性", "可行性", "普惠性", "紧迫性"), marks):
            sheet.get_by_role("radiogroup", name=re.compile(f"^{criterion}")).get_by_text(str(mark), exact=True).click()
            page.wait_for_timeout(300)
        sheet.get_by_role("button", name="提交").click()
        expect(page.get_by_text("已保存筛选评分表。")).to_be_visible()
        expect(page.locator("body")).to_contain_text(member)
    page.screenshot(path=str(SHOTS / "screening-sheets.png"), full_page=True)
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("body")).to_contain_text("已纳入储备库")
    expect(page.locator("body")).to_contain_text("合计 17 分，达到入库标准")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "screened.png"), full_page=True)
    assert records.get(rt, SYSTEM, view.id)[0].state == "reserve"


def test_deputies_vote_in_the_app_and_the_result_is_read(server, page, rt, good_suggestion):
    """Three deputies cast electronic ballots from their own sessions; the presidium closes and
    counts; anyone reads the result on the public page."""
    from sqlalchemy import update
    from engine.core import accounts, records
    from engine.core.actors import SYSTEM
    from engine.features.voting import create_round, open_round
    from engine.store.tables import Record
    ids = [records.submit(rt, SYSTEM, "suggestion", dict(good_suggestion, title=title)).id
           for title in ("硬化一组通组公路", "新建集中供水工程", "修建村级文化广场")]
    with rt.db.transaction() as session:
        session.execute(update(Record).where(Record.id.in_(ids)).values(state="candidate"))
    for n in range(4):
        accounts.create_user(rt, SYSTEM, f"d{n}", f"代表{n}", ["deputy"], "Qiao-lu-2025-sangzhi", "t02")
    accounts.create_user(rt, SYSTEM, "chair", "主席团工作人员", ["congress_staff"], "Qiao-lu-2025-sangzhi", "t02")
    round_id = create_round(rt, SYSTEM, "township_congress", "t02", "瑞塔铺镇2025年票决", 2, ids,
                            [(f"d{n}", f"代表{n}", "present") for n in range(4)])
    count_key = open_round(rt, SYSTEM, round_id)  # the presidium's, kept until the count
    SHOTS.mkdir(exist_ok=True)

    def voted(round_id):
        from sqlalchemy import func, select
        from engine.store.tables import VoteVoter
        with rt.db.read() as session:
            return session.scalar(select(func.count()).select_from(VoteVoter).where(VoteVoter.round_id == round_id))

    def sign_in(tab, username):
        tab.goto(server)
        tab.get_by_label("用户名", exact=True).fill(username)
        tab.get_by_label("密码", exact=True).fill("Qiao-lu-2025-sangzhi")
        tab.get_by_role("button", name="登录").click()
        tab.get_by_role("heading", name="我的待办").wait_for()  # signing in lands on the start page
        tab.get_by_text("当前用户").wait_for()

    ballots = {"d0": ["硬化一组通组公路", "新建集中供水工程"], "d1": ["硬化一组通组公路", "新建集中供水工程"],
               "d2": ["硬化一组通组公路", "修建村级文化广场"]}
    browser = page.context.browser
    for username, ticks in ballots.items():
        tab = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        tab.set_default_timeout(20_000)
        sign_in(tab, username)
        tab.get_by_role("link", name="票决投票").click()
        tab.set_viewport_size({"width": 400, "height": 860})  # then vote on a phone's screen
        tab.get_by_text("瑞塔铺镇2025年票决").wait_for()
        expect(tab.locator("body")).to_contain_text("瑞塔铺镇 · 交通出行")  # each candidate's facts
        for title in ticks:
            tab.get_by_text(title, exact=True).click()
            tab.wait_for_timeout(300)
        if username == "d0":
            tab.screenshot(path=str(SHOTS / "ballot-phone.png"), full_page=True)
        tab.get_by_role("button", name="提交选票").click()
        dialog = tab.get_by_role("dialog")  # nothing is cast before the deputy confirms the ballot in words
        expect(dialog).to_contain_text("赞成：" + "、".join(ticks))
        expect(dialog).to_contain_text("选票投出后不能更改或撤回。")
        if username == "d0":
            tab.wait_for_timeout(500)
            tab.screenshot(path=str(SHOTS / "ballot-phone-confirm.png"))
            dialog.get_by_role("button", name="返回修改").click()
            expect(tab.get_by_role("dialog")).to_have_count(0)
            assert voted(round_id) == 0
            tab.get_by_role("button", name="提交选票").click()
        tab.get_by_role("dialog").get_by_role("button", name="确认投出").click()
        expect(tab.get_by_text("您已投票，谢谢。")).to_be_visible()
        tab.close()
    sign_in(page, "chair")
    page.get_by_role("link", name="乡镇人民代表大会民生实事项目票决").click()
    expect(page.locator("body")).to_contain_text("3 / 4")
    expect(page.locator("body")).to_contain_text(f"候选项目：#{ids[0]} 硬化一组通组公路")  # the card lists them
    page.get_by_role("button", name="宣布投票结束").click()
    page.get_by_role("dialog").get_by_role("button", name="确认结束投票").click()  # 3 of 4: no reason needed
    page.get_by_role("button", name="计票", exact=True).click()  # without the count key the ballots stay sealed
    expect(page.get_by_role("dialog")).to_contain_text("收回选票")
    expect(page.get_by_role("dialog")).to_contain_text("手机投票 3 张")  # what is stored, said before anything
    expect(page.get_by_role("dialog")).to_contain_text("电子选票尚未开启：请输入计票密钥后计票")
    expect(page.get_by_role("dialog").get_by_role("button", name="确认计票")).to_have_count(0)
    page.keyboard.press("Escape")
    page.get_by_label("计票密钥", exact=True).fill(count_key)
    page.get_by_label("计票密钥", exact=True).press("Enter")
    page.get_by_role("button", name="计票", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="确认计票").click()
    expect(page.locator("body")).to_contain_text("获得赞成票 3 票，超过全体代表 4 人的半数，排第 1 位，当选")
    page.get_by_role("link", name="票决结果").click()
    expect(page.locator("body")).to_contain_text("获得赞成票 2 票，未超过全体代表 4 人的半数，未当选")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "vote-results.png"), full_page=True)
    # one place left: a further ballot between the other two is set up for the presidium to open
    assert [records.get(rt, SYSTEM, i)[0].state for i in ids] == ["candidate"] * 3  # decided after it
    page.get_by_role("link", name="乡镇人民代表大会民生实事项目票决").click()
    expect(page.locator("body")).to_contain_text("另行投票 · 筹备中")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "vote-desk.png"), full_page=True)


def test_closing_a_ballot_below_quorum_asks_for_a_reason(server, page, rt, good_suggestion):
    from sqlalchemy import select, update
    from engine.core import accounts, records
    from engine.core.actors import SYSTEM, Actor
    from engine.features.voting import cast, create_round, open_round
    from engine.store.tables import AuditEntry, Record, VoteRound
    ids = [records.submit(rt, SYSTEM, "suggestion", dict(good_suggestion, title=title)).id
           for title in ("硬化一组通组公路", "新建集中供水工程", "修建村级文化广场")]
    with rt.db.transaction() as session:
        session.execute(update(Record).where(Record.id.in_(ids)).values(state="candidate"))
    accounts.create_user(rt, SYSTEM, "chair", "主席团工作人员", ["congress_staff"], "Qiao-lu-2025-sangzhi", "t02")
    round_id = create_round(rt, SYSTEM, "township_congress", "t02", "瑞塔铺镇2025年票决", 2, ids,
                            [(f"d{n}", f"代表{n}", "present") for n in range(35)])
    open_round(rt, SYSTEM, round_id)
    cast(rt, Actor("d0", "代表0", frozenset({"deputy"})), round_id, {str(ids[0]): "yes"})
    sign_in(page, server, "chair")
    page.get_by_role("link", name="乡镇人民代表大会民生实事项目票决").click()
    expect(page.locator("body")).to_contain_text("1 / 35")
    page.get_by_role("button", name="宣布投票结束").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("已投票 1 人，出席 35 人、全体代表 35 人：未达到法定人数或未过出席代表半数")
    dialog.get_by_role("button", name="确认结束投票").click()  # no reason: refused, still open
    expect(dialog).to_contain_text("提前结束投票须说明理由")
    page.wait_for_timeout(500)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "vote-close-early.png"))
    with rt.db.read() as session:
        assert session.scalar(select(VoteRound.state).where(VoteRound.id == round_id)) == "open"
    dialog.get_by_label("提前结束投票的理由").fill("会议延期，本轮作废后重新组织")
    dialog.get_by_role("button", name="确认结束投票").click()
    expect(page.locator("body")).to_contain_text("已截止，待计票")
    with rt.db.read() as session:
        closed = session.scalars(select(AuditEntry).where(AuditEntry.action == "vote.closed")).one()
    assert (closed.actor, closed.after["reason"], closed.after["voted"]) == ("chair", "会议延期，本轮作废后重新组织", 1)


def test_finance_pays_in_the_app_and_the_dashboard_shows_alerts(server, page, rt, good_suggestion):
    """Finance records a payment on the fund page (an overdraft is refused with the figures); the
    standing committee sees a late project and its alert on the supervision dashboard."""
    import datetime as dt
    from sqlalchemy import update
    from engine.core import accounts, records
    from engine.features import funds
    from engine.core.actors import SYSTEM
    from engine.core.sheets import file_sheet
    from engine.jobs import tick
    from engine.core.workflow import transition
    from engine.store.tables import Record
    accounts.create_user(rt, SYSTEM, "finance", "县财政局", ["finance"], "Qiao-lu-2025-sangzhi")
    accounts.create_user(rt, SYSTEM, "standing", "县人大常委会办公室", ["standing_committee"], "Qiao-lu-2025-sangzhi")
    project = records.submit(rt, SYSTEM, "suggestion", dict(good_suggestion, title="修建河道便民桥一座")).id
    with rt.db.transaction() as session:  # as if chosen by the vote (tested in test_voting)
        session.execute(update(Record).where(Record.id == project).values(state="chosen"))
    pool = funds.open_pool(rt, SYSTEM, "livelihood_pool", 2025)
    funds.contribute(rt, SYSTEM, pool, "county", "6730000", dt.date(2025, 4, 30))
    funds.allocate(rt, SYSTEM, pool, project, "100000", dt.date(2025, 4, 30))
    file_sheet(rt, SYSTEM, project, "responsibility_list", {
        "supervising_unit": "县人大常委会", "implementing_unit": "瑞塔铺镇人民政府", "leading_official": "李乡长",
        "team": "乡村建站", "deadline": "2025-12-31", "acceptance_standard": "建成便民桥一座，验收合格"})
    for name, due in (("前期工作完成", "2025-05-31"), ("主体工程完工", "2025-08-31")):
        file_sheet(rt, SYSTEM, project, "milestone", {"name": name, "due": due})
    transition(rt, SYSTEM, project, "start")
    tick(rt, dt.datetime(2025, 9, 2, tzinfo=dt.timezone.utc))

    def sign_in(username):
        page.goto(server)
        page.get_by_label("用户名", exact=True).fill(username)
        page.get_by_label("密码", exact=True).fill("Qiao-lu-2025-sangzhi")
        page.get_by_role("button", name="登录").click()
        page.get_by_role("heading", name="我的待办").wait_for()  # signing in lands on the start page

    sign_in("finance")
    page.get_by_role("link", name="民生实事项目资金池").click()
    page.get_by_role("tab", name="拨付").click()
    panel = page.get_by_role("tabpanel", name="拨付")
    form = panel.locator('[data-testid="stForm"]')
    expect(panel.get_by_text("先选择项目")).to_be_visible()  # no project is chosen for the user
    panel.get_by_label("项目").click()
    page.keyboard.type("修建河道便民桥")  # the list filters as one types
    page.get_by_role("option", name=re.compile("修建河道便民桥一座")).click()
    expect(panel.get_by_text("待拨付")).to_be_visible()  # the project's money beside the form
    expect(panel.get_by_text("100,000.00").first).to_be_visible()
    for label, value in (("金额（元）", "100000.01"), ("收款单位", "某建设公司"), ("用途", "首期工程款"),
                         ("审批人", "县财政局局长"), ("凭证号", "桑财资〔2025〕88号")):
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name="提交").click()
    expect(page.get_by_text("拨付合计将达 100,000.01 元，超过该项目分配的 100,000.00 元")).to_be_visible()
    form.get_by_label("金额（元）").fill("40000")
    for label, value in (("收款单位", "某建设公司"), ("用途", "首期工程款"), ("审批人", "县财政局局长"),
                         ("凭证号", "桑财资〔2025〕88号")):
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name="提交").click()
    expect(page.get_by_text(re.compile(rf"已登记拨付：#{project} 修建河道便民桥一座（瑞塔铺镇），40,000.00 元（台账序号 \d+）。"))).to_be_visible()
    assert funds.balance(rt, SYSTEM, pool, project).paid == 40000
    page.wait_for_timeout(2000)
    page.screenshot(path=str(SHOTS / "fund-payment.png"), full_page=True)

    sign_in("standing")
    page.get_by_role("link", name="民生实事项目实施与监督").click()
    expect(page.get_by_text("项目有2个里程碑节点逾期未完成，列入人大重点督办。")).to_be_visible()
    page.wait_for_timeout(3000)  # charts and tables paint on a canvas
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "delivery-dashboard.png"), full_page=True)


def test_a_citizen_follows_a_suggestion_through_the_whole_chain(server, page, rt):
    """After the demo year: a rectified project's proposer enters the receipt code and reads every
    stage, from the suggestion to the second rating."""
    from sqlalchemy import select
    from demo.seed import seed_demo
    from engine.core.sheets import SUBJECT
    from engine.store.tables import Record, RecordLink
    seed_demo(rt)
    with rt.db.read() as session:
        rectified = session.scalars(select(Record).where(Record.state == "evaluated", Record.id.in_(
            select(RecordLink.target_id).join(Record, Record.id == RecordLink.record_id)
            .where(RecordLink.field_id == SUBJECT, Record.form_id == "rectification_order")))).first()
    page.goto(f"{server}/lookup")
    page.get_by_label("回执码", exact=True).fill(rectified.receipt_code)
    page.get_by_role("button", name="查询").click()
    body = page.locator("body")
    expect(body).to_contain_text("办理全过程（一链到底）")
    for words in ("提出建议", "筛选", "纳入项目储备库", "记录党委会议决定", "当选", "开工实施", "竣工验收",
                  "须限期整改并公开说明", "整改通知", "向社会公开的情况说明", "报告整改完成", "测评通过",
                  "里程碑“竣工验收”", "目前进度 100%", "资金：已分配"):
        expect(body).to_contain_text(words)
    expect(body).not_to_contain_text(rectified.data["phone"])  # private fields stay private
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "lookup-whole-chain.png"), full_page=True)


def test_signing_in_on_a_phone_closes_the_sidebar_over_the_start_page(server, page, rt):
    """On a phone the sidebar lies over the page: signing in there closes it, so the start page
    shows; on a wide screen it stays beside the page."""
    from engine.core import accounts
    from engine.core.actors import SYSTEM
    accounts.create_user(rt, SYSTEM, "liaison", "澧源镇联络站工作人员", ["liaison_staff"], "Qiao-lu-2025-sangzhi", "t01")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server)
    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_label("用户名", exact=True).fill("liaison")
    page.get_by_label("密码", exact=True).fill("Qiao-lu-2025-sangzhi")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="我的待办").wait_for()
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()  # closed: only its » is left
    expect(page.get_by_test_id("stSidebarCollapseButton")).to_have_count(0)
    wide = page.context.browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(wide, server, "liaison")
    expect(wide.get_by_test_id("stSidebarNav")).to_be_visible()  # beside the page, left open
    expect(wide.get_by_test_id("stSidebarCollapseButton")).to_have_count(1)


def test_a_screener_screens_ticked_suggestions_at_once_and_sees_why_one_was_not_moved(server, page, rt, good_suggestion):
    """批量办理 on the list: three suggestions ticked, 筛选 confirmed in a dialog; the two with
    their three score sheets move (each decided by the rules), the one without stays, with the
    rules' own reason."""
    from engine.core import accounts, records
    from engine.core.actors import SYSTEM
    from tests.test_screening import SCREENER, score
    accounts.create_user(rt, SYSTEM, "screener", "瑞塔铺镇筛选小组", ["screening_group"], "Qiao-lu-2025-sangzhi", "t02")
    ids = [records.submit(rt, SYSTEM, "suggestion", dict(good_suggestion, title=f"第{i + 1}条：硬化村组道路")).id
           for i in range(3)]
    for record_id in ids[:2]:
        for member in ("甲", "乙", "丙"):
            score(rt, record_id, member, 5, 4, 4, 4, actor=SCREENER)
    sign_in(page, server, "screener")
    page.get_by_role("link", name="民生实事建议列表").click()
    page.get_by_text("批量办理").first.click()
    page.wait_for_timeout(1500)
    grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    for row in range(3):  # the three rows' boxes (newest first)
        page.mouse.click(grid["x"] + 15, grid["y"] + 36 + 36 * row + 18)
        page.wait_for_timeout(800)
    page.get_by_role("button", name="办理选中的 3 条").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("对 3 条记录执行“筛选”")
    dialog.get_by_role("button", name="确认办理").click()
    wait_for_text(page, "已对 2 条记录执行“筛选”")
    expect(page.locator("body")).to_contain_text(f"#{ids[2]} 未办理：")
    expect(page.locator("body")).to_contain_text("份评分表")  # the rules' reason, as written in the profile
    expect(page.get_by_role("button", name="办理选中的 0 条")).to_be_disabled()  # the boxes are cleared
    with rt.db.read() as session:
        from engine.store.tables import Record
        states = {r.id: r.state for r in session.query(Record).filter(Record.id.in_(ids))}
    assert states[ids[2]] == "received" and {states[ids[0]], states[ids[1]]} <= {"reserve", "pending", "rejected"}
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "bulk-screening.png"), full_page=True)

"""我的待办: what waits for each user, counted in the user's township, from the profile's workflows
and the vote; and in Chromium, the landing page after signing in, one click from the work."""
from __future__ import annotations

from engine.core import records
from engine.core.accounts import create_user
from engine.core.actors import ANONYMOUS, SYSTEM, Actor
from engine.core.worklist import work_for
from tests.test_browser import SHOTS, page, server  # noqa: F401  (fixtures)
from tests.test_screening import score
from tests.test_voting import PRESIDIUM, candidates, open_round, roster

SCREENER_T02 = Actor("s02", "瑞塔铺镇筛选小组", frozenset({"screening_group"}), "t02")


def items(rt, actor):
    return {(i.kind, i.name): i.count for i in work_for(rt, actor)}


def test_work_is_counted_in_the_users_township_and_for_the_user(rt, good_suggestion):
    ours = [records.submit(rt, ANONYMOUS, "suggestion", good_suggestion).id for _ in range(3)]
    records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, township="t05"))
    score(rt, ours[0], "甲", 5, 4, 4, 4, actor=SCREENER_T02)  # this screener's sheet on the first
    mine = items(rt, SCREENER_T02)
    assert mine[("action", "screen")] == 3  # the three of t02, not t05's
    assert mine[("sheet", "screening_score")] == 2  # the two it has not scored yet
    assert items(rt, ANONYMOUS) == {}
    assert ("action", "screen") not in items(rt, Actor("d1", "代表", frozenset({"deputy"}), "t02"))


def test_a_deputy_sees_the_ballot_open_for_them_until_it_is_cast(rt, good_suggestion):
    from engine.features import voting
    ids = candidates(rt, good_suggestion, 3)
    round_id = voting.create_round(rt, PRESIDIUM, "township_congress", "t02", "票决", 2, ids, roster(9))
    deputy = Actor("d001", "代表1", frozenset({"deputy"}))
    assert items(rt, deputy).get(("ballot", "ballot")) is None  # a draft is not open
    open_round(rt, PRESIDIUM, round_id)
    assert items(rt, deputy)[("ballot", "ballot")] == 1
    voting.cast(rt, deputy, round_id, {str(ids[0]): "yes"})
    assert items(rt, deputy).get(("ballot", "ballot")) is None


def test_signing_in_lands_on_the_start_page_one_click_from_the_work(server, page, rt, good_suggestion):  # noqa: F811
    create_user(rt, SYSTEM, "s02", "瑞塔铺镇筛选小组", ["screening_group"], "Qiao-lu-2025-sangzhi", township="t02")
    for n in range(2):
        records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, title=f"第{n + 1}条：硬化村组道路"))
    records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, township="t05"))
    page.goto(f"{server}/lookup")  # signing in from another page still lands on the start page
    page.get_by_label("用户名", exact=True).fill("s02")
    page.get_by_label("密码", exact=True).fill("Qiao-lu-2025-sangzhi")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="我的待办").wait_for()
    page.get_by_text("筛选：2 条").wait_for()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "start-page.png"), full_page=True)
    page.get_by_role("button", name="去办理").first.click()
    page.get_by_text("共 2 条").wait_for()  # the list, filtered to those waiting in the user's township


def test_every_demo_account_finds_its_work_on_the_start_page(server, page, rt):  # noqa: F811
    """The demo year leaves work for each of its accounts (a suggestion to screen, an opinion to
    give, a project to rate, a progress report to file ...), and each sees it after signing in."""
    import re
    from demo.schema import demo_of
    from demo.seed import seed_demo
    from playwright.sync_api import expect
    seed_demo(rt)
    demo = demo_of(rt.profile)
    SHOTS.mkdir(exist_ok=True)
    visited: set[str] = set()
    logins = {a.username for a in demo.accounts}  # sign-in names are Latin by rule (the accounts page lists them)
    page.goto(server)
    page.get_by_role("button", name="登录").wait_for()
    walk_pages(page, visited)  # the public pages, before anyone signs in
    for account in demo.accounts:
        who = Actor(account.username, account.display_name, frozenset(account.roles), account.township)
        waiting = work_for(rt, who)
        assert waiting, f"the demo leaves nothing for {account.username}"
        page.goto(server)
        page.get_by_label("用户名", exact=True).fill(account.username)
        page.get_by_label("密码", exact=True).fill(account.password)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("heading", name="我的待办").wait_for()
        if waiting:
            expect(page.locator("body")).to_contain_text(re.compile(r"：\d+ 条"))
            expect(page.locator("body")).not_to_contain_text("目前没有等待您办理的事项")
        page.screenshot(path=str(SHOTS / f"start-{account.username}.png"), full_page=True)
        walk_pages(page, visited, logins)
        page.get_by_role("button", name="退出登录").click()
        page.get_by_role("button", name="登录").wait_for()

    # anyone, on a phone: the labelled menu, the year's projects, one project's whole chain
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server)
    page.get_by_role("button", name="菜单").click()
    page.get_by_test_id("stPopoverBody").get_by_text("民生实事项目公开").click()
    page.get_by_text("共 42 条").wait_for()
    expect(page.get_by_role("button", name="菜单")).to_be_visible()
    expect(page.get_by_text("工作人员登录：点左上角的")).to_have_count(0)  # the menu closed after the choice
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "projects-phone.png"))
    grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(grid["x"] + 15, grid["y"] + 36 + 18)
    expect(page.get_by_role("dialog")).to_contain_text("办理全过程")
    expect(page.get_by_role("dialog")).to_contain_text("获得赞成票")
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "projects-phone-chain.png"))


# What a Chinese page may show in Latin letters: file types and sizes, the county's receipt codes
ALLOWED_LATIN = {"PDF", "Excel", "CSV", "XLSX", "JPG", "JPEG", "PNG", "KB", "MB", "YAML"}
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || !node.textContent.trim() || el.closest('[data-testid="stIconMaterial"], script, style')) continue;
    if (el.closest('[class*="st-key-profile-text"]')) continue;  // the profile's own files, keys and values, as written
    const style = getComputedStyle(el);
    if (style.fontSize === '0px' || style.visibility === 'hidden' || el.getClientRects().length === 0) continue;
    out.push(node.textContent);
  }
  return out.join('\\n');
}"""


def latin_words(text: str, allowed: set[str] = frozenset()) -> set[str]:
    import re
    text = re.sub(r"[A-Z]{1,6}\d{2}(-[0-9A-Z]{4}){3}", "", text)  # receipt codes
    return set(re.findall(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])", text)) - ALLOWED_LATIN - allowed


def walk_pages(page, visited: set[str], allowed: set[str] = frozenset()) -> None:
    """Open each page of the sidebar not opened yet, and fail on Latin words or a traceback."""
    links = page.locator('[data-testid="stSidebarNav"] a')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:
        path = href.rstrip("/").rsplit("/", 1)[-1] or "(home)"
        if path in visited:
            continue
        visited.add(path)
        page.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]').click()
        page.wait_for_timeout(2200)
        shown = page.evaluate(VISIBLE_TEXT)
        assert "Traceback" not in shown, path
        assert not latin_words(shown, allowed), f"{path}: {sorted(latin_words(shown, allowed))}"

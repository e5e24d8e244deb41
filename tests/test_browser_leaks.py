"""In headless Chromium, as an attacker would try it (issue 38): a record of another township typed
into the address bar is refused, a citizen's Markdown (an image, a link, a heading) is shown as the
text it is on the record, lookup, desk and ballot pages and loads nothing, and the tables offer no
CSV download that would hand a formula to Excel."""
from __future__ import annotations

import http.server
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from engine.core import accounts, records
from engine.core.actors import SYSTEM
from engine.features.voting import create_round, open_round
from engine.store.tables import Record
from tests.test_browser import SHOTS, page, server, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def shown(locator) -> str:
    """The text a person reads (the invisible word joiners that keep addresses unlinked left out)."""
    return locator.inner_text().replace("\u2060", "")


def open_in_app(page, path: str) -> None:
    """Go to an address of the app within the signed-in session, as the back button does (typing
    it in the address bar reloads the page, which starts a new session)."""
    page.evaluate(f"window.history.pushState({{}}, '', {path!r});"
                  "window.dispatchEvent(new PopStateEvent('popstate', {state: {}}))")


@pytest.fixture
def lure():
    """A server on this machine standing for a stranger's: it counts every request made to it."""
    hits: list[str] = []

    class Counting(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()


def test_a_stranger_sees_no_record_of_another_township_and_markdown_stays_text(server, page, rt, lure,  # noqa: F811
                                                                               good_suggestion):
    address, hits = lure
    title = f"修路![x]({address}/p)**粗**[登记](/x)"  # within the title's 60 characters
    content = f"# 大标题\n\n![图]({address}/content.png) :red[红字] [官方通知：点此登记]({address}/phish) **粗体**"
    hostile = records.submit(rt, SYSTEM, "suggestion", dict(
        good_suggestion, title=title, content=content, township="t01", station="s01",
        proposer_name="胡海波", phone="13964839984")).id
    others = [records.submit(rt, SYSTEM, "suggestion", dict(good_suggestion, title=f"新建村级文化广场第{n}处",
                                                            township="t01", station="s01")).id for n in (1, 2)]
    accounts.create_user(rt, SYSTEM, "wang", "瑞塔铺镇联络员", ["liaison_staff"], "Qiao-lu-2025-sangzhi", "t02")
    accounts.create_user(rt, SYSTEM, "li", "澧源镇联络员", ["liaison_staff"], "Qiao-lu-2025-sangzhi", station="s01")

    # another township's liaison, signed in, puts the record's address in the tab's history and goes
    # to it (as the back button would): the app opens the record page in the same session, refused
    sign_in(page, server, "wang")
    open_in_app(page, f"/record?id={hostile}")
    expect(page.locator("body")).to_contain_text("您没有权限做这件事")
    body = page.locator("body").inner_text()
    assert "13964839984" not in body and "胡海波" not in body and "修路" not in body

    # its own station's liaison reads it: the title and the content as typed, nothing loaded or linked
    sign_in(page, server, "li")
    open_in_app(page, f"/record?id={hostile}")
    expect(page.locator("body")).to_contain_text("13964839984")
    assert shown(page.locator("h1")) == title  # as typed (an invisible word joiner keeps addresses unlinked)
    assert f"![图]({address}/content.png) :red[红字] [官方通知：点此登记]({address}/phish) **粗体**" in shown(page.locator("body"))
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "record-hostile-title.png"), full_page=True)
    assert page.locator(f"img[src^='{address}']").count() == 0
    assert page.locator(f"a[href^='{address}']").count() == 0
    assert page.locator("h1").count() == 1  # the content's "# 大标题" made no heading

    # the tables' own CSV download is gone (it wrote "=HYPERLINK(...)" for Excel to run)
    page.get_by_role("link", name="民生实事建议列表").click()
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for()
    grid.hover()
    page.wait_for_timeout(500)
    assert page.get_by_role("button", name="Download as CSV").count() == 0
    assert page.get_by_role("button", name="下载").count() == 0

    # the public lookup by receipt code
    code = records.get(rt, SYSTEM, hostile)[0].receipt_code
    page.goto(f"{server}/lookup?code={code}")
    expect(page.locator("body")).to_contain_text("修路")
    assert title in shown(page.locator("body"))
    assert page.locator(f"img[src^='{address}']").count() == 0 and page.locator(f"a[href^='{address}']").count() == 0

    # the desk and the deputy's ballot
    with rt.db.transaction() as session:
        session.execute(update(Record).where(Record.id.in_([hostile, *others])).values(state="candidate"))
    accounts.create_user(rt, SYSTEM, "chair", "主席团工作人员", ["congress_staff"], "Qiao-lu-2025-sangzhi", "t01")
    accounts.create_user(rt, SYSTEM, "d0", "代表0", ["deputy"], "Qiao-lu-2025-sangzhi", "t01")
    round_id = create_round(rt, SYSTEM, "township_congress", "t01", "澧源镇票决", 2, [hostile, *others],
                            [("d0", "代表0", "present"), ("d1", "代表1", "present")])
    open_round(rt, SYSTEM, round_id)
    sign_in(page, server, "chair")
    page.get_by_role("link", name="乡镇人民代表大会民生实事项目票决").click()
    expect(page.locator("body")).to_contain_text("修路")
    assert title in shown(page.locator("body"))
    sign_in(page, server, "d0")
    page.get_by_role("link", name="票决投票").click()
    expect(page.locator("body")).to_contain_text("修路")
    assert title in shown(page.locator("body"))
    page.screenshot(path=str(SHOTS / "ballot-hostile-title.png"), full_page=True)
    assert page.locator(f"img[src^='{address}']").count() == 0 and page.locator(f"a[href^='{address}']").count() == 0
    assert hits == []  # no page asked the stranger's address for anything

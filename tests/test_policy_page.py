"""In headless Chromium, the policy page (政策设置): an administrator lowers Sangzhi's reserve
threshold from 15 to 14 points, sees the preview list exactly the suggestions that cross it,
publishes with a note, finds the publication in the audit log and the version history, and
returns to the earlier version. The profile is a copy: the page writes its files."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.core.accounts import create_user
from engine.core.actors import SYSTEM
from engine.core.publishing import own_files
from engine.core.runtime import Runtime
from engine.store.tables import AuditEntry
from tests.test_browser import SHOTS, page, serving, sign_in, wait_for_text  # noqa: F401  (fixtures)
from tests.test_screening import screened

pytestmark = pytest.mark.browser
PASSWORD = "Qiao-lu-2025-sangzhi"
SCREENING = "rules/screening.yaml"


@pytest.fixture
def copy_rt(profile_dir, db_url):
    runtime = Runtime.open(profile_dir, db_url)
    yield runtime
    runtime.db.dispose()


def test_an_administrator_changes_the_reserve_threshold_previews_publishes_and_returns(
        copy_rt, profile_dir, db_url, tmp_path, page, good_suggestion):  # noqa: F811
    rt = copy_rt
    create_user(rt, SYSTEM, "admin", "县人大系统管理员", ["administrator"], password=PASSWORD)
    marks = {  # necessity, feasibility, universality, urgency of three members: totals 14, 14.0, 13, 16
        "村道硬化十四分甲": [(4, 4, 3, 3)] * 3,
        "饮水工程十四分乙": [(4, 3, 4, 3), (4, 3, 4, 3), (5, 3, 4, 3)],
        "路灯安装十三分": [(4, 3, 3, 3)] * 3,
        "卫生室改造十六分": [(4, 4, 4, 4)] * 3,
    }
    states = {title: screened(rt, dict(good_suggestion, title=title), m).state for title, m in marks.items()}
    assert states == {"村道硬化十四分甲": "pending", "饮水工程十四分乙": "pending", "路灯安装十三分": "pending",
                      "卫生室改造十六分": "reserve"}
    original = own_files(profile_dir)

    with serving(profile_dir, db_url, tmp_path) as server:
        sign_in(page, server, "admin", PASSWORD)
        page.get_by_role("link", name="政策设置").click()
        page.get_by_role("heading", name="政策设置").wait_for()
        page.get_by_text("筛选规则 · screening.yaml").click()
        page.get_by_role("heading", name=SCREENING).wait_for()
        # the decision table as a grid: the reserve row's conditions, edited in place
        grid = page.get_by_test_id("stDataFrame").first
        expect(grid).to_contain_text("reserve")
        page.wait_for_timeout(1500)  # the grid's canvas takes its size before it takes clicks
        box = grid.bounding_box()
        page.mouse.dblclick(box["x"] + 300, box["y"] + 36 + 36 * 1 + 18)  # row 2 (reserve), 条件
        editor = page.locator("#portal textarea")  # the cell's editor opens over the grid
        editor.wait_for()
        editor.fill("total >= 14；lowest >= 3；u >= 3")
        page.keyboard.press("Enter")
        expect(grid).to_contain_text("total >= 14")
        page.wait_for_timeout(800)  # the edit reaches the server before the button's run
        page.screenshot(path=str(SHOTS / "policy-grid.png"))
        page.get_by_role("button", name="保存到草稿").first.click()
        wait_for_text(page, "检查通过")
        wait_for_text(page, "● 草稿里有改动")
        wait_for_text(page, "草稿里改动了 1 个文件")
        page.get_by_role("button", name="预览对今年记录的影响").click()
        wait_for_text(page, "其中 2 项会改变")
        preview = page.get_by_test_id("stTable")
        for title in ("村道硬化十四分甲", "饮水工程十四分乙"):
            expect(preview).to_contain_text(title)
        expect(preview).to_contain_text("待研项目库 → 已纳入储备库")  # outcomes that are states, by their labels
        for title in ("路灯安装十三分", "卫生室改造十六分"):
            expect(preview).not_to_contain_text(title)
        page.screenshot(path=str(SHOTS / "policy-preview.png"), full_page=True)

        page.get_by_role("button", name="发布为新版本").click()  # without a note: refused in words
        wait_for_text(page, "请填写发布说明")
        assert own_files(profile_dir) == original
        page.get_by_role("textbox", name="发布说明（必填）").fill("县人大常委会第十二次会议决定：储备线降为 14 分")
        page.get_by_role("button", name="发布为新版本").click()
        wait_for_text(page, "已发布新版本")
        assert "total >= 14" in (profile_dir / SCREENING).read_text(encoding="utf-8")
        with rt.db.read() as session:
            entry = session.execute(select(AuditEntry).where(AuditEntry.action == "profile.publish")).scalar_one()
        assert entry.actor == "admin" and entry.after["note"].endswith("储备线降为 14 分")
        page.get_by_role("heading", name=SCREENING).wait_for()  # still on the file just published
        history = page.get_by_test_id("stExpander")
        expect(history.first).to_contain_text("储备线降为 14 分")
        expect(history.first).to_contain_text("县人大系统管理员")
        history.first.click()
        expect(history.first).to_contain_text("rows → [reserve] → when")  # the change in the file's words
        expect(history.first).to_contain_text("total ≥ 14")
        page.screenshot(path=str(SHOTS / "policy-published.png"), full_page=True)

        page.get_by_role("textbox", name="恢复说明（必填）").fill("会议决定暂缓执行，恢复 15 分")
        page.get_by_role("button", name="回到这个版本").click()
        wait_for_text(page, "已回到版本")
        assert own_files(profile_dir) == original
        expect(page.get_by_test_id("stExpander")).to_have_count(2)
        expect(page.get_by_test_id("stExpander").first).to_contain_text("恢复 15 分")


def test_a_running_app_takes_an_edit_on_disk_and_keeps_its_version_when_the_folder_breaks(
        copy_rt, profile_dir, db_url, tmp_path, page):  # noqa: F811
    create_user(copy_rt, SYSTEM, "admin", "县人大系统管理员", ["administrator"], password=PASSWORD)
    county = profile_dir / "county.yaml"
    original = county.read_text(encoding="utf-8")
    with serving(profile_dir, db_url, tmp_path) as server:
        sign_in(page, server, "admin", PASSWORD)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_contain_text("桑植县")
        county.write_text(original.replace("name: 桑植县\n", "name: 桑植县（试行）\n", 1), encoding="utf-8")
        page.get_by_role("link", name="政策设置").click()  # the next page run, no restart
        expect(sidebar).to_contain_text("桑植县（试行）")
        county.write_text(original.replace("name: 桑植县\n", "name: 桑植县\nnickname: 桑植\n", 1), encoding="utf-8")
        page.get_by_role("link", name="账户管理").click()
        wait_for_text(page, "系统仍按上次加载的版本")
        expect(page.get_by_test_id("stMain")).to_contain_text("nickname")  # the problem, named by its key
        expect(sidebar).to_contain_text("桑植县（试行）")  # still serving the version that loaded
        page.screenshot(path=str(SHOTS / "policy-broken-on-disk.png"), full_page=True)

"""The Streamlit app, driven by Streamlit's AppTest: pages generated from the profile, roles enforced."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from engine.core import accounts, records
from engine.core.actors import SYSTEM
from engine.core.signin import authenticate
from engine.store.tables import SignInClient, User
from tests.conftest import CONFIG, ROOT

MAIN = str(ROOT / "apps/web/main.py")


@pytest.fixture
def app(rt, db_url, monkeypatch):
    monkeypatch.setenv("MINSHENG_CONFIG", str(CONFIG))
    monkeypatch.setenv("DATABASE_URL", db_url)
    at = AppTest.from_file(MAIN, default_timeout=60)
    yield at
    from apps.web import state
    state.cached_runtime.clear()


def by_label(widgets, label):
    return next(w for w in widgets if w.label.rstrip(" *") == label)


def fill_suggestion(at, **overrides):
    values = {"建议标题": "修建河道便民桥一座", "具体内容": "村民过河只能走漫水桥，汛期常被冲断，建议修建便民桥。",
              "建议人姓名": "张建国", "联系电话": "13912345678"}
    values.update(overrides)
    for label, value in values.items():
        widget = next((w for w in list(at.text_input) + list(at.text_area) if w.label.rstrip(" *") == label))
        widget.set_value(value)
    by_label(at.selectbox, "类别").set_value("roads")
    by_label(at.selectbox, "所在乡镇").set_value("t02")
    at.run()
    by_label(at.date_input, "提出日期").set_value(dt.date(2025, 3, 4))
    at.run()


def test_public_form_is_generated_from_the_profile(app):
    app.run()
    assert not app.exception
    assert app.title[0].value == "民生实事建议"
    labels = [w.label for w in list(app.text_input) + list(app.text_area) + list(app.selectbox)]
    assert "联系电话 *" in labels and "所在乡镇 *" in labels
    # the session field appears only once an offline channel is chosen
    assert "线下活动 *" not in [w.label for w in app.selectbox] and "线下活动 *" not in [c.value for c in app.caption]


def test_submit_shows_receipt_and_errors(app, rt):
    app.run()
    fill_suggestion(app, **{"联系电话": "123"})
    app.button[0].click().run()
    assert app.error[0].value == "请修改标出的项后再提交。"
    assert any("格式不对" in m.value for m in app.markdown)
    by_label(app.text_input, "联系电话").set_value("13912345678")
    app.run()
    app.button[0].click().run()
    assert app.success[0].value.startswith("提交成功")
    code = app.code[0].value
    view, _ = records.find_by_receipt(rt, code)
    assert view.data["township"] == "t02" and view.data["station"] == "s02"


def test_station_choices_follow_the_township(app):
    app.run()
    by_label(app.selectbox, "所在乡镇").set_value("t01")
    app.run()
    assert by_label(app.selectbox, "代表联络站").options == ["澧源镇人大代表联络站", "澧源镇城区人大代表联络站"]


def test_english_switch(app):
    app.run()
    app.sidebar.selectbox[0].set_value("en").run()
    assert app.title[0].value == "Livelihood project suggestion"


def test_sign_in_in_the_sidebar_opens_staff_pages(app, rt):
    accounts.create_user(rt, SYSTEM, "liaison", "联络员", ["liaison_staff"], "Qiao-lu-2025-sangzhi")
    app.run()
    box = app.sidebar
    box.text_input(key="sign_in.username").set_value("liaison")
    box.text_input(key="sign_in.password").set_value("wrong")
    box.button[0].click().run()
    assert app.sidebar.error[0].value == "用户名或密码不对"
    assert "actor" not in app.session_state
    app.sidebar.text_input(key="sign_in.password").set_value("Qiao-lu-2025-sangzhi")
    app.sidebar.button[0].click().run()
    assert app.session_state["actor"].username == "liaison"
    assert app.sidebar.caption[0].value == "当前用户：联络员"


def test_a_session_ends_after_the_idle_time_and_a_locked_account_says_so(app, rt):
    import time
    from engine.core.signin import SignInRefused
    accounts.create_user(rt, SYSTEM, "liaison", "联络员", ["liaison_staff"], "Qiao-lu-2025-sangzhi")
    signed_in(app, rt, authenticate(rt, "liaison", "Qiao-lu-2025-sangzhi"))
    idle = rt.profile.county.sign_in.idle_minutes * 60
    app.session_state["signed_in_at"] = app.session_state["seen_at"] = time.time() - idle - 5
    app.run()
    assert app.session_state["actor"].signed_in is False
    assert app.sidebar.info[0].value.startswith("登录已失效")
    for _ in range(rt.profile.county.sign_in.lock_after_failures):  # as if guessed from elsewhere, over time
        try:
            authenticate(rt, "liaison", "wrong")
        except SignInRefused:
            pass
        with rt.db.transaction() as session:  # skip each wait
            session.execute(update(SignInClient).values(last_failed_at=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)))
    app.sidebar.text_input(key="sign_in.username").set_value("liaison")
    app.sidebar.text_input(key="sign_in.password").set_value("Qiao-lu-2025-sangzhi")
    app.sidebar.button[0].click().run()
    assert app.sidebar.error[0].value == "该账号因多次密码错误已被锁定，请联系系统管理员解锁"


def test_a_session_ends_at_once_when_its_account_changes(app, rt):
    """Sessions outlived the account (issue 38): a reset password, a role taken away, a lock or a
    deactivation ends every open session on its next page run, in whichever process."""
    changes = [
        lambda: accounts.set_password(rt, SYSTEM, "liaison", "Another-road-2026-bridge"),
        lambda: _set(rt, roles=["deputy"]),
        lambda: _set(rt, locked_at=dt.datetime.now(dt.timezone.utc)),
        lambda: _set(rt, active=False),
        lambda: _set(rt, township="t05"),
    ]
    for n, change in enumerate(changes):
        name = f"liaison{n}"
        accounts.create_user(rt, SYSTEM, name, "联络员", ["liaison_staff"], "Qiao-lu-2025-sangzhi")
        signed_in(app, rt, authenticate(rt, name, "Qiao-lu-2025-sangzhi"))
        app.run()
        assert app.session_state["actor"].username == name  # a page run with nothing changed keeps it
        with rt.db.transaction() as session:  # the change, made to this account
            session.execute(update(User).where(User.username == name).values(username="liaison"))
        change()
        with rt.db.transaction() as session:
            session.execute(update(User).where(User.username == "liaison").values(username=name))
        app.run()
        assert app.session_state["actor"].signed_in is False, n
        assert app.sidebar.info[0].value.startswith("登录已失效")


def _set(rt, **values):
    with rt.db.transaction() as session:
        session.execute(update(User).where(User.username == "liaison").values(**values))


def signed_in(at, rt, who):
    """The session as signing in leaves it: the account and the stamp its session was granted on."""
    at.session_state["actor"] = who
    at.session_state["account_stamp"] = accounts.stamp_of(rt, who.username)
    return who


def page_app(render: str, *args):
    source = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
              f"from {render.rsplit('.', 1)[0]} import {render.rsplit('.', 1)[1]} as render\n"
              f"render(*{args!r})\n")
    return AppTest.from_string(source, default_timeout=60)


def test_list_page_needs_the_right_role(app, rt, good_suggestion):
    for i in range(3):
        records.submit(rt, SYSTEM, "suggestion", dict(good_suggestion, title=f"第{i}条：修建便民桥"))
    at = page_app("apps.web.page_records.render_list_page", "suggestion")
    at.run()
    assert at.error[0].value == "请先在左侧登录。"  # signed out: refused by the engine
    signed_in(at, rt, accounts.create_user(rt, SYSTEM, "liaison", "联络员", ["liaison_staff"], "Qiao-lu-2025-sangzhi"))
    at.run()
    assert not at.error and at.caption[0].value.startswith("共 3 条")
    signed_in(at, rt, accounts.create_user(rt, SYSTEM, "resident", "群众", ["citizen"], "Qiao-lu-2025-sangzhi"))
    at.run()
    assert at.error[0].value == "您没有权限做这件事。"  # signed in, but not a role that may list
    signed_in(at, rt, authenticate(rt, "liaison", "Qiao-lu-2025-sangzhi"))
    at.run()
    table = at.dataframe[0].value
    assert list(table["标题"]) == ["第2条：修建便民桥", "第1条：修建便民桥", "第0条：修建便民桥"]
    assert set(table["所在乡镇"]) == {"瑞塔铺镇"}


def test_lookup_page_shows_status_without_private_fields(app, rt, good_suggestion):
    view = records.submit(rt, SYSTEM, "suggestion", good_suggestion)
    at = page_app("apps.web.page_lookup.render_lookup_page")
    at.run()
    at.text_input[0].set_value(view.receipt_code.lower())
    at.button[0].click().run()
    assert at.metric[0].value == "待筛选"
    shown = at.table[0].value.to_string()
    assert good_suggestion["phone"] not in shown and good_suggestion["proposer_name"] not in shown
    assert "瑞塔铺镇" in shown
    at.text_input[0].set_value("SZ25-0000-0000-0000")
    at.button[0].click().run()
    assert at.warning[0].value.startswith("没有找到")


def test_notices_page_is_public_and_lists_the_admitted(app, rt, good_suggestion):
    from tests.test_screening import screened
    screened(rt, dict(good_suggestion, title="新建集中供水工程"), [(5, 5, 5, 5)] * 3)
    screened(rt, dict(good_suggestion, title="不予采纳的建议"), [(1, 1, 1, 1)] * 3)
    at = page_app("apps.web.page_notices.render_notices_page")
    at.run()
    assert not at.exception and not at.error
    at.selectbox(key="notices.township").set_value("t02").run()
    shown = at.table[0].value.to_string()
    assert "新建集中供水工程" in shown and "不予采纳的建议" not in shown


def test_lookup_shows_the_reason_and_what_it_was_merged_into(app, rt, good_suggestion):
    from engine.core import regroup
    from tests.test_screening import LIAISON, SCREENER, score
    from engine.core.workflow import transition
    main = records.submit(rt, SYSTEM, "suggestion", good_suggestion)
    dup = records.submit(rt, SYSTEM, "suggestion", dict(good_suggestion, proposer_name="李秀英"))
    regroup.merge(rt, LIAISON, main.id, [dup.id])
    for member in ("甲", "乙", "丙"):
        score(rt, main.id, member, 1, 2, 1, 1)
    transition(rt, SCREENER, main.id, "screen")
    at = page_app("apps.web.page_lookup.render_lookup_page")
    at.run()
    at.text_input[0].set_value(dup.receipt_code)
    at.button[0].click().run()
    assert at.metric[0].value == "未予采纳"
    assert "低于 11 分，暂不纳入民生实事项目" in at.info[0].value
    assert any(main.receipt_code in c.value and c.value.startswith("已并入") for c in at.caption)


def test_to_do_page_lists_unanswered_proposers_for_staff_only(app, rt, good_suggestion):
    from tests.test_screening import screened
    view = screened(rt, good_suggestion, [(1, 1, 1, 1)] * 3)
    at = page_app("apps.web.page_records.render_awaiting_page", "suggestion", "answer")
    at.run()
    assert at.error[0].value == "请先在左侧登录。"
    signed_in(at, rt, accounts.create_user(rt, SYSTEM, "liaison", "联络员", ["liaison_staff"], "Qiao-lu-2025-sangzhi", "t02"))
    at.run()
    assert at.caption[0].value.startswith("共 1 条")
    assert list(at.dataframe[0].value["记录编号"]) == [view.id]


def test_fund_page_for_finance_and_audit_only(app, rt, good_suggestion):
    from tests.test_funds import FINANCE, DAY, funded_pool, projects
    from engine.features.funds import allocate
    pool = funded_pool(rt)
    a, _ = projects(rt, good_suggestion)
    allocate(rt, FINANCE, pool, a, "300000", DAY)
    at = page_app("apps.web.page_funds.render_funds_page", "livelihood_pool")
    at.run()
    assert at.error[0].value == "您没有权限做这件事。"
    signed_in(at, rt, accounts.create_user(rt, SYSTEM, "audit", "审计局", ["auditor"], "Qiao-lu-2025-sangzhi"))
    at.run()
    assert not at.exception and not at.error
    assert [m.value for m in at.metric] == ["6,730,000.00", "300,000.00", "6,430,000.00", "0.00"]
    assert "300,000.00" in at.dataframe[0].value.to_string()  # money per project
    at.button(key="fund.make_xlsx").click().run()  # the ledger is written when asked for
    assert not at.exception and at.session_state["fund.xlsx"][:2] == b"PK"


def test_saving_a_record_without_a_receipt_code_says_its_number(app, rt):
    """An offline session has no receipt code: the page says it was saved and its number, in
    Chinese, not "请保存您的回执码：#2599"; a suggestion still shows its code to keep."""
    at = page_app("apps.web.page_form.render_form_page", "offline_session")
    signed_in(at, rt, accounts.create_user(rt, SYSTEM, "liaison", "联络员", ["liaison_staff"], "Qiao-lu-2025-sangzhi"))
    at.session_state["done.offline_session"] = 2599
    at.run()
    assert at.success[0].value == "已保存，记录编号 2599" and not at.code
    public = page_app("apps.web.page_form.render_form_page", "suggestion")
    public.session_state["done.suggestion"] = "SZ25-ABCD-EFGH-JKMN"
    public.run()
    assert public.success[0].value == "提交成功！请保存您的回执码：" and public.code[0].value == "SZ25-ABCD-EFGH-JKMN"


def form_of(at, form_id: str):
    return next(f for f in at.get("form") if f.proto.form.form_id == form_id)


def test_the_accounts_page_unlocks_sets_passwords_and_creates_accounts(app, rt):
    admin = accounts.create_user(rt, SYSTEM, "admin", "系统管理员", ["administrator"], "Qiao-lu-2025-sangzhi")
    accounts.create_user(rt, SYSTEM, "wang", "王站长", ["liaison_staff"], "Qiao-lu-2025-sangzhi", "t02")
    with rt.db.transaction() as session:
        session.execute(update(User).where(User.username == "wang").values(locked_at=dt.datetime.now(dt.timezone.utc)))
    at = page_app("apps.web.page_accounts.render_accounts_page")
    signed_in(at, rt, accounts.create_user(rt, SYSTEM, "resident", "群众", ["citizen"], "Qiao-lu-2025-sangzhi"))
    at.run()
    assert at.error[0].value == "您没有权限做这件事。" and not at.dataframe  # only who may manage accounts
    signed_in(at, rt, admin)
    at.run()
    assert [m.value for m in at.metric] == ["3", "1", "0"]
    at.button(key="accounts.unlock.do").click().run()
    assert at.success[0].value == "已解锁王站长（wang），可以重新登录。"
    assert authenticate(rt, "wang", "Qiao-lu-2025-sangzhi").username == "wang"

    reset = form_of(at, "accounts.reset")
    reset.selectbox[0].set_value("wang")
    reset.text_input[0].set_value("Song-shu-2026-liyuan")
    reset.text_input[1].set_value("Song-shu-2026-liyuan!")
    reset.button[0].click().run()
    assert at.error[0].value == "再输入一次新密码：两次输入的密码不一致"
    reset = form_of(at, "accounts.reset")
    reset.text_input[0].set_value("123456")
    reset.text_input[1].set_value("123456")
    reset.button[0].click().run()
    assert at.error[0].value.startswith("新密码：至少")
    reset = form_of(at, "accounts.reset")
    reset.text_input[0].set_value("Song-shu-2026-liyuan")
    reset.text_input[1].set_value("Song-shu-2026-liyuan")
    reset.button[0].click().run()
    assert at.success[0].value == "已为王站长（wang）设置新密码。"
    assert authenticate(rt, "wang", "Song-shu-2026-liyuan").username == "wang"

    at.selectbox(key="accounts.new.township").set_value("t02").run()
    new = form_of(at, "accounts.new")
    new.text_input[0].set_value("张 三")
    new.text_input[1].set_value("")
    new.multiselect[0].set_value(["screening_group"])
    new.text_input[2].set_value("Song-shu-2026-liyuan")
    new.text_input[3].set_value("Song-shu-2026-liyuan")
    new.button[0].click().run()
    assert at.error[0].value == "用户名：用户名只能用英文字母、数字和下划线；姓名或单位：此项必填"
    new = form_of(at, "accounts.new")
    new.text_input[0].set_value("ruitapu_screening")
    new.text_input[1].set_value("瑞塔铺镇筛选小组")
    new.button[0].click().run()
    assert at.success[0].value == "已建立账户：瑞塔铺镇筛选小组（ruitapu_screening）。"
    made = authenticate(rt, "ruitapu_screening", "Song-shu-2026-liyuan")
    assert made.township == "t02" and made.roles == {"screening_group"}

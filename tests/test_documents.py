"""Printed documents: the answer letter and the notice-board list, as PDF, read back as a person
would: rendered to PNG with poppler and read with Tesseract's Simplified Chinese model."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from engine.output import documents
from engine.kernel.errors import InputError, PermissionDenied
from engine.core.actors import ANONYMOUS
from tests.test_screening import LIAISON, OTHER_TOWNSHIP, SCREENER, screened

TODAY = dt.date(2025, 5, 6)


def pdf_text(content: bytes) -> str:
    """The text a reader copies out of the PDF (poppler's pdftotext)."""
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
                          ).stdout.decode("utf-8")


def ocr(content: bytes, tmp_path, page: int = 1) -> str:
    """What a reader sees on the page: rendered at 150 dpi, read by Tesseract, spaces removed."""
    if not shutil.which("pdftoppm") or not shutil.which("tesseract"):
        pytest.fail("poppler-utils and tesseract-ocr-chi-sim are needed (.ci/run installs them)")
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(content)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", str(page), "-l", str(page), str(pdf),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 10_000  # a real page, not a blank
    out = subprocess.run(["tesseract", str(png), "-", "-l", "chi_sim", "--psm", "4"], capture_output=True,
                         text=True, check=True).stdout
    return re.sub(r"\s+", "", out)


def test_answer_letter_says_why_in_chinese_with_the_letterhead(rt, good_suggestion, tmp_path):
    view = screened(rt, good_suggestion, [(2, 2, 2, 2)] * 3)
    made = documents.letter(rt, LIAISON, "answer_letter", view.id, today=TODAY)
    assert made.content.startswith(b"%PDF") and made.filename == f"answer_letter-{view.receipt_code}.pdf"
    text = re.sub(r"\s+", "", pdf_text(made.content))
    assert "桑植县人大常委会民生实事项目办公室" in text
    assert "张建国同志：" in text
    assert "合计8分，低于11分，暂不纳入民生实事项目" in text
    assert "2025年5月6日" in text and view.receipt_code in text
    seen = ocr(made.content, tmp_path)
    for words in ("民生实事项目办公室", "建议的答复", "张建国同志", "暂不纳入民生实事项目"):
        assert words in seen, f"{words!r} not legible on the page: {seen[:300]}"


def test_letter_only_for_answerable_states_and_for_staff(rt, good_suggestion):
    admitted = screened(rt, good_suggestion, [(5, 5, 5, 5)] * 3)
    with pytest.raises(InputError) as info:
        documents.letter(rt, LIAISON, "answer_letter", admitted.id)
    assert info.value.problems[""].code == "document_wrong_state"
    rejected = screened(rt, good_suggestion, [(2, 2, 2, 2)] * 3)
    with pytest.raises(PermissionDenied):
        documents.letter(rt, ANONYMOUS, "answer_letter", rejected.id)
    with pytest.raises(PermissionDenied):
        documents.letter(rt, OTHER_TOWNSHIP, "answer_letter", rejected.id)


def test_notice_lists_the_townships_admitted_suggestions_with_the_objection_period(rt, good_suggestion, tmp_path):
    first = screened(rt, dict(good_suggestion, title="硬化一组通组公路"), [(5, 5, 5, 5)] * 3)
    second = screened(rt, dict(good_suggestion, title="新建集中供水工程", category="water"), [(5, 4, 4, 4)] * 3)
    screened(rt, dict(good_suggestion, title="不应出现的建议"), [(2, 2, 2, 2)] * 3)
    screened(rt, dict(good_suggestion, title="别的乡镇的建议", township="t05"), [(5, 5, 5, 5)] * 3,
             actor=dataclasses.replace(SCREENER, township="t05"))
    made = documents.notice(rt, ANONYMOUS, "admitted_notice", "t02", today=TODAY)  # public: anyone
    text = re.sub(r"\s+", "", pdf_text(made.content))
    assert "瑞塔铺镇2025年民生实事储备项目公示" in text
    assert "以下2个建议纳入" in text
    assert "公示期自2025年5月6日起至2025年5月13日止" in text
    assert "硬化一组通组公路" in text and "新建集中供水工程" in text and "饮水安全" in text
    assert first.receipt_code in text and second.receipt_code in text
    assert "不应出现的建议" not in text and "别的乡镇的建议" not in text
    assert len(PdfReader(io.BytesIO(made.content)).pages) == 1
    page = PdfReader(io.BytesIO(made.content)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4
    # Tesseract reads running text well and table cells poorly; the cells were checked above.
    seen = ocr(made.content, tmp_path)
    for words in ("瑞塔铺镇2025年民生实事储备项目公示", "以下2个建议纳入", "公示期自2025年5月6日起至2025年5月13日止",
                  "项目名称", "人民代表大会主席团"):
        assert words in seen, f"{words!r} not legible on the page: {seen[:300]}"


def test_notice_for_an_unknown_township_is_an_input_error(rt):
    with pytest.raises(InputError):
        documents.notice(rt, ANONYMOUS, "admitted_notice", "t99")


def test_answer_text_message_to_copy(rt, good_suggestion):
    view = screened(rt, good_suggestion, [(2, 2, 2, 2)] * 3)
    text = documents.message(rt, LIAISON, "answer_sms", view.id)
    assert text == (f"【桑植县人大】张建国您好，您提出的“硬化村组道路约2公里”建议（回执码{view.receipt_code}）办理结果："
                    "经乡镇筛选小组评议，必要性 2、可行性 2、普惠性 2、紧迫性 2，合计 8 分，低于 11 分，暂不纳入民生实事项目。"
                    "凭回执码可随时查询进度。瑞塔铺镇代表联络站")
    with pytest.raises(PermissionDenied):
        documents.message(rt, ANONYMOUS, "answer_sms", view.id)


def test_the_widest_receipt_code_stays_on_one_line_of_the_notice(rt):
    """Receipt codes are random; one of W and M only is the widest a notice must print unbroken."""
    from engine.output import pdf
    from engine.output.documents import NOTICE_TABLE_PT
    doc = rt.profile.documents["admitted_notice"]
    code = "SZ25-WMWM-MWMW-WWMM"
    row = [code if "receipt_code" in c.value else "瑞塔铺镇人大代表联络站" for c in doc.columns]
    content = pdf.render(letterhead=["x"], title="t", font_size=NOTICE_TABLE_PT,
                         table=([c.label for c in doc.columns], [c.width for c in doc.columns], [row]))
    assert code in pdf_text(content)


def test_placeholder_contact_details_are_a_blank_to_fill_in_not_a_made_up_number():
    import re
    from engine.profile.loader import load_profile
    from tests.conftest import CONFIG
    letterhead = " ".join(load_profile(CONFIG).county.letterhead)
    assert "联系电话：＿" in letterhead and not re.search(r"\d{3,}", letterhead)


def test_letters_are_numbered_in_their_series_and_keep_number_and_date(rt, good_suggestion):
    from sqlalchemy import select
    from engine.store.tables import AuditEntry
    first = screened(rt, good_suggestion, [(2, 2, 2, 2)] * 3)
    second = screened(rt, dict(good_suggestion, title="更换老化供水管网"), [(2, 2, 2, 2)] * 3)
    one = re.sub(r"\s+", "", pdf_text(documents.letter(rt, LIAISON, "answer_letter", first.id, today=TODAY).content))
    two = re.sub(r"\s+", "", pdf_text(documents.letter(rt, LIAISON, "answer_letter", second.id, today=TODAY).content))
    assert "桑人大民函〔2025〕1号" in one and "桑人大民函〔2025〕2号" in two
    # printed again a month later: the same number and the day it was first issued
    again = re.sub(r"\s+", "", pdf_text(documents.letter(
        rt, LIAISON, "answer_letter", first.id, today=TODAY + dt.timedelta(days=30)).content))
    assert "桑人大民函〔2025〕1号" in again and "2025年5月6日" in again and "2025年6月5日" not in again
    with rt.db.read() as session:
        issued = session.scalars(select(AuditEntry).where(AuditEntry.action == "document.issued")).all()
    assert [(e.entity_id, e.after["number"]) for e in issued] == [
        (f"answer_letter:record:{first.id}", "桑人大民函〔2025〕1号"), (f"answer_letter:record:{second.id}", "桑人大民函〔2025〕2号")]


def test_a_printed_letter_leaves_room_for_the_seal(rt, good_suggestion, tmp_path):
    view = screened(rt, good_suggestion, [(2, 2, 2, 2)] * 3)
    made = documents.letter(rt, LIAISON, "answer_letter", view.id, today=TODAY)
    assert "（盖章）" in pdf_text(made.content)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-", str(tmp_path / "seal")], input=made.content, check=True)
    from PIL import Image
    page = Image.open(next(tmp_path.glob("seal*.png"))).convert("RGB")
    width, height = page.size
    red = [(x, y) for x in range(width // 2, width) for y in range(height // 3, height * 2 // 3)
           if (lambda p: p[0] > 150 and p[1] < 100 and p[2] < 100)(page.getpixel((x, y)))]
    assert len(red) > 40  # the dashed red circle over the closing lines, in the right half


def test_document_number_mistakes_are_config_errors(profile_dir, monkeypatch):
    from tests.test_config_errors import edit, line_of, problems
    letter = profile_dir / "documents/answer_letter.yaml"
    edit(letter, "number: 桑人大民函〔{year}〕{n}号", "number: 桑人大民函〔{yaer}〕号")
    at = "profile/documents/answer_letter.yaml"
    assert problems(profile_dir, monkeypatch) == [
        f"{at}:{line_of(letter, 'number:')}: At Document(id='answer_letter') -> number: the number needs {{n}}, "
        "the place of the document in its series",
        f"{at}:{line_of(letter, 'number:')}: At Document(id='answer_letter') -> number: unknown placeholder {{yaer}} "
        "(did you mean 'year'?); known: n, year"]


def test_two_writers_issuing_at_once_take_distinct_numbers_and_one_each_subject(db_url):
    """Two app processes print letters at the same moment (here two threads, each with its own
    connections and runtime): every subject gets one number, the numbers of the series are 1..n
    without a gap or a twin, and a subject both print is issued once."""
    import threading
    from sqlalchemy import select
    from engine.core.actors import SYSTEM
    from engine.core.runtime import Runtime
    from engine.output.issuing import issue
    from engine.store.tables import IssuedDocument
    from tests.conftest import CONFIG
    runtimes = [Runtime.open(CONFIG, db_url) for _ in range(2)]
    doc = runtimes[0].profile.documents["answer_letter"]
    start = threading.Barrier(2)
    got: dict[int, list] = {0: [], 1: []}

    def printing(k: int) -> None:
        start.wait()
        for n in range(12):  # each its own six letters and, in turn, six both print
            subject = f"record:{k}-{n}" if n % 2 else f"record:both-{n}"
            got[k].append((subject, issue(runtimes[k], SYSTEM, doc, subject, TODAY).number))

    try:
        threads = [threading.Thread(target=printing, args=(k,)) for k in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with runtimes[0].db.read() as session:
            stored = session.execute(select(IssuedDocument.subject, IssuedDocument.number).where(
                IssuedDocument.document_id == "answer_letter")).all()
    finally:
        for runtime in runtimes:
            runtime.db.dispose()
    assert sorted(n for _, n in stored) == list(range(1, 19))  # 6 + 6 own letters, 6 printed by both
    assert len({s for s, _ in stored}) == 18
    both = {s: number for k in (0, 1) for s, number in got[k] if "both" in s}
    assert all(dict(got[0])[s] == dict(got[1])[s] == number for s, number in both.items())


def test_a_rejected_proposer_is_not_promised_a_second_look(rt, good_suggestion):
    """Issue 35: the answer letter told every proposer "列入待研项目库的建议…将重新研究", a rejected one too."""
    from sqlalchemy import update
    from engine.store.tables import Record
    rejected = screened(rt, good_suggestion, [(2, 2, 2, 2)] * 3)
    pending = screened(rt, dict(good_suggestion, title="新建集中供水工程"), [(2, 2, 2, 2)] * 3)
    with rt.db.transaction() as session:
        session.execute(update(Record).where(Record.id == pending.id).values(state="pending"))
    said = {view.id: re.sub(r"\s+", "", pdf_text(documents.letter(rt, LIAISON, "answer_letter", view.id,
                                                                   today=TODAY).content))
            for view in (rejected, pending)}
    assert "待研项目库" not in said[rejected.id] and "凭回执码随时查询" in said[rejected.id]
    assert "您的建议已列入待研项目库，在条件或政策发生变化时将重新研究" in said[pending.id]


def test_a_paragraph_for_states_the_document_does_not_have_is_a_config_error(profile_dir, monkeypatch):
    from tests.test_config_errors import edit, line_of, problems
    letter = profile_dir / "documents/answer_letter.yaml"
    edit(letter, "    states: [pending]", "    states: [pendng]")
    assert problems(profile_dir, monkeypatch) == [
        f"profile/documents/answer_letter.yaml:{line_of(letter, '[pendng]')}: At Document(id='answer_letter') -> "
        "paragraphs[2] -> states[0]: state 'pendng' is not one of the document's states (rejected, pending)"]

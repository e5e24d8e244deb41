"""Printable documents from records: a letter about one record, a notice listing a township's.

The words come from the profile's documents/*.yaml; this module fills their placeholders and
hands the result to engine.output.pdf to lay out. Every action is checked here, on the server: the
document's roles, and for staff tied to a township, that township.
"""
from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterator, Mapping

from sqlalchemy import select

from engine.schema.county import PUBLIC
from engine.schema.documents import Document
from engine.kernel.dates import stored_date
from engine.kernel.errors import InputError, NotFound, Problem
from engine.core.runtime import Runtime
from engine.core.actors import Actor, require, require_township
from engine.core import policy
from engine.core.workflow import last_decision
from engine.store.tables import Record
from engine.kernel import clock
from engine.output import pdf
from engine.output.issuing import issue
from engine.core.sheets import SUBJECT
from engine.store.tables import RecordLink
from engine.store.tables import VoteRound

# Notice tables hold receipt codes: at this size the widest code (W and M only) fits on one line of
# a column a third of the page wide, so a reader can copy it.
NOTICE_TABLE_PT = 9.5

def document(rt: Runtime, doc_id: str) -> Document:
    doc = rt.profile.documents.get(doc_id)
    if doc is None:
        raise NotFound("document")
    return doc


def _common(rt: Runtime, today: dt.date) -> dict[str, str]:
    county = rt.profile.county
    return {"county": county.name, "congress": county.congress, "today": rt.profile.county.date_text(today), "year": str(county.year)}


def _record_values(rt: Runtime, record: Record, number: int = 0) -> dict[str, str]:
    form = rt.profile.forms[record.form_id]
    values = {f.id: rt.display_value(form, f.id, record.data.get(f.id)) for f in form.fields}
    for f in form.fields:  # dates as the county writes them in documents
        if f.type == "date" and record.data.get(f.id):
            values[f.id] = rt.profile.county.date_text(stored_date(record.data[f.id]))
    decision = last_decision(rt, record.id) or {}
    decided_at = decision.get("at")
    values.update(_sheet_values(rt, record))
    values.update(receipt_code=record.receipt_code or "", reason=decision.get("reason") or "",
                  decided_on=rt.profile.county.date_text(decided_at.date() if decided_at else None),
                  state=rt.state_label(record.form_id, record.state),
                  received_on=rt.profile.county.date_text(record.created_at.date()), number=str(number))
    return values


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


class _Formatter(string.Formatter):
    """{sheet_form.field} names one value, not an attribute of another."""

    def get_field(self, field_name, args, kwargs):
        return kwargs[field_name], field_name


def fill(template: str | None, values: Mapping[str, str]) -> str:
    return "" if template is None else _Formatter().vformat(template, (), _Blank(values))


def _sheet_values(rt: Runtime, record: Record) -> dict[str, str]:
    """{sheet_form.field} values: from the latest sheet or action form of each kind on the record."""
    with rt.db.read() as session:
        rows = session.scalars(select(Record).join(RecordLink, RecordLink.record_id == Record.id).where(
            RecordLink.target_id == record.id, RecordLink.field_id == SUBJECT).order_by(Record.id)).all()
    values: dict[str, str] = {}
    for row in rows:  # later ones overwrite earlier ones
        form = rt.profile.forms.get(row.form_id)
        for f in form.fields if form else ():
            shown = rt.display_value(form, f.id, row.data.get(f.id))
            if f.type == "date" and row.data.get(f.id):
                shown = rt.profile.county.date_text(stored_date(row.data[f.id]))
            values[f"{row.form_id}.{f.id}"] = shown
    return values


@dataclass(frozen=True)
class Made:
    """A document, checked and filled in; its PDF is drawn the first time `content` is read (a
    page offers a download without drawing the PDF on every rerun: drawing takes a large share of
    a second)."""
    filename: str
    render: Callable[[], bytes]

    @cached_property
    def content(self) -> bytes:  # the PDF
        return self.render()


def _about_record(rt: Runtime, actor: Actor, doc_id: str, kind: str, record_id: int,
                  today: dt.date) -> tuple[Document, Record, dict[str, str]]:
    """A letter's or message's document, record and placeholder values, after every check."""
    doc = document(rt, doc_id)
    require(actor, doc.roles, f"document:{doc_id}")
    if doc.kind != kind:
        raise NotFound("document")
    with rt.db.read() as session:
        record = session.get(Record, record_id)
        if record is None or record.form_id != doc.form:
            raise NotFound("record")
        policy.require_scope(rt, actor, record)
        if record.state not in doc.states:
            raise InputError({"": Problem("document_wrong_state", {"state": rt.state_label(record.form_id, record.state)})})
        vrt = rt.for_version(record.profile_version)
        return doc, record, {**_common(vrt, today), **_record_values(vrt, record)}


def message(rt: Runtime, actor: Actor, doc_id: str, record_id: int, today: dt.date | None = None) -> str:
    """A short text about one record for staff to copy (an SMS to the proposer)."""
    doc, record, values = _about_record(rt, actor, doc_id, "message", record_id, today or dt.date.today())
    return "".join(fill(p, values) for p in (doc.title, *doc.paragraphs_for(record.state), *doc.closing))


def letter(rt: Runtime, actor: Actor, doc_id: str, record_id: int, today: dt.date | None = None) -> Made:
    """The letter about one record, e.g. the written answer to a proposer. It is issued when it is
    first drawn (its number and date taken then, and kept for every later print)."""
    today = today or clock.now().date()
    doc, record, values = _about_record(rt, actor, doc_id, "letter", record_id, today)

    def render() -> bytes:
        issued = issue(rt, actor, doc, f"record:{record.id}", today)
        here = {**values, "today": rt.profile.county.date_text(issued.issued_on), "document_number": issued.number}
        return pdf.render(letterhead=rt.profile.county.letterhead, number=issued.number, seal=doc.seal,
                          title=fill(doc.title, here), salutation=fill(doc.salutation, here),
                          paragraphs=[fill(p, here) for p in doc.paragraphs_for(record.state)],
                          closing=[fill(c, here) for c in doc.closing])
    return Made(f"{doc.id}-{record.receipt_code or record.id}.pdf", render)


def issue_letter(rt: Runtime, actor: Actor, doc_id: str, record_id: int, today: dt.date | None = None) -> str:
    """Issue the letter now without drawing it (its number and date are then the ones it prints
    with whenever it is printed, as when the answers are sent the day they are decided)."""
    today = today or clock.now().date()
    doc, record, _ = _about_record(rt, actor, doc_id, "letter", record_id, today)
    return issue(rt, actor, doc, f"record:{record.id}", today).number


def notice_rows(rt: Runtime, doc: Document, township: str) -> Iterator[Record]:
    """The records a township's notice lists, oldest first, read in pages (never the whole table)."""
    last_id = 0
    while True:
        with rt.db.read() as session:
            rows = session.scalars(select(Record).where(
                Record.form_id == doc.form, Record.township == township, Record.state.in_(doc.states),
                Record.id > last_id).order_by(Record.id).limit(200)).all()
            session.expunge_all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def notice(rt: Runtime, actor: Actor, doc_id: str, township: str, today: dt.date | None = None) -> Made:
    """The notice for one township's notice board, e.g. the list of admitted suggestions."""
    doc = document(rt, doc_id)
    require(actor, doc.roles, f"document:{doc_id}")
    if doc.kind != "notice":
        raise NotFound("document")
    if township not in {t.id for t in rt.profile.county.townships}:
        raise InputError({"township": Problem("not_option", {"value": township})})
    today = today or clock.now().date()
    rows = []
    for n, record in enumerate(notice_rows(rt, doc, township), start=1):
        rows.append(row_values(rt, doc, record, n))
    until = today + dt.timedelta(days=doc.objection_days) if doc.objection_days is not None else None
    values = {**_common(rt, today), "township_name": rt.reference_label("townships", township),
              "count": str(len(rows)), "objection_until": rt.profile.county.date_text(until)}
    return Made(f"{doc.id}-{township}-{today.isoformat()}.pdf", lambda: pdf.render(
        letterhead=rt.profile.county.letterhead, title=fill(doc.title, values),
        salutation=fill(doc.salutation, values), paragraphs=[fill(p, values) for p in doc.paragraphs_for()],
        table=([c.text("zh") for c in doc.columns], [c.width for c in doc.columns], rows),
        closing=[fill(c, values) for c in doc.closing], font_size=NOTICE_TABLE_PT, seal=doc.seal))


def public_notices(rt: Runtime) -> list[Document]:
    return [d for d in rt.profile.documents.values() if d.kind == "notice" and PUBLIC in d.roles]


def row_values(rt: Runtime, doc: Document, record: Record, number: int) -> list[str]:
    """One notice row as text (the public page shows the same rows as the PDF)."""
    values = _record_values(rt.for_version(record.profile_version), record, number)
    return [fill(c.value, values) for c in doc.columns]



def result(rt: Runtime, actor: Actor, doc_id: str, round_id: int, today: dt.date | None = None) -> Made:
    """The result of a counted ballot, a row per candidate with the count's words."""
    doc = document(rt, doc_id)
    require(actor, doc.roles, f"document:{doc_id}")
    if doc.kind != "result":
        raise NotFound("document")
    with rt.db.read() as session:
        closed = session.scalar(select(VoteRound.closed_at).where(VoteRound.id == round_id))
    # dated the day the ballot closed, whenever it is printed: the result belongs to that sitting
    today = today or (closed.date() if closed else clock.now().date())
    values, rows = result_rows(rt, doc, round_id, today)

    def render() -> bytes:
        issued = issue(rt, actor, doc, f"round:{round_id}", today)
        here = {**values, "today": rt.profile.county.date_text(issued.issued_on), "document_number": issued.number}
        return pdf.render(letterhead=rt.profile.county.letterhead, number=issued.number, seal=doc.seal,
                          title=fill(doc.title, here), salutation=fill(doc.salutation, here),
                          paragraphs=[fill(p, here) for p in doc.paragraphs_for()],
                          table=([c.text("zh") for c in doc.columns], [c.width for c in doc.columns], rows),
                          closing=[fill(c, here) for c in doc.closing])
    return Made(f"{doc.id}-{round_id}.pdf", render)


def issue_results(rt: Runtime, actor: Actor, round_id: int) -> list[str]:
    """Issue the counted round's result documents now (as the desk does after the count), so a
    later print, by anyone, only reads their number and date."""
    with rt.db.read() as session:
        row = session.get(VoteRound, round_id)
        if row is None or row.state != "counted":
            raise NotFound("result")
        rules = rt.for_version(row.profile_version).profile.votes.get(row.vote_id)
        if rules is None:
            raise NotFound(f"vote '{row.vote_id}'")
        # the desk that counted it: the presidium or a teller of the round's township
        require(actor, rules.roles.presidium + rules.roles.tellers, f"vote:{row.vote_id}")
        require_township(actor, row.township)
        closed = row.closed_at
    day = closed.date() if closed else clock.now().date()
    return [issue(rt, actor, doc, f"round:{round_id}", day).number
            for doc in rt.profile.documents.values() if doc.kind == "result"]


def result_rows(rt: Runtime, doc: Document, round_id: int, today: dt.date) -> tuple[dict[str, str], list[list[str]]]:
    """The round's values and the table's rows, for the PDF and the public page alike."""
    with rt.db.read() as session:
        row = session.get(VoteRound, round_id)
        if row is None or row.state != "counted":
            raise NotFound("result")
        counted = dict(row.result)
        records = {r.id: r for r in session.scalars(select(Record).where(
            Record.id.in_([int(line["candidate"]) for line in counted["lines"]])))}
        session.expunge_all()
        vote = rt.profile.votes.get(row.vote_id)
        values = {**_common(rt, today), "township_name": rt.reference_label("townships", row.township) if row.township else "",
                  "places": str(row.places), "candidates_count": str(len(counted["lines"])), "members": str(row.members), "present": str(row.present),
                  "ballots": str(counted["ballots"]), "valid": str(counted["valid"]),
                  "invalid": str(sum(counted["invalid"].values())), "chosen_count": str(len(counted["chosen"])),
                  "notes": " ".join(counted.get("notes") or []), "vote": vote.label if vote else row.vote_id}
    rows = []
    ordered = sorted(counted["lines"], key=lambda line: (-line["tally"]["yes"], int(line["candidate"])))
    for n, line in enumerate(ordered, start=1):
        record = records[int(line["candidate"])]
        here = {**values, **_record_values(rt.for_version(record.profile_version), record, n),
                "approvals": str(line["tally"]["yes"]), "against": str(line["tally"]["no"]),
                "abstentions": str(line["tally"]["abstain"]), "rank": str(line["rank"] or ""),
                "outcome": line["reason"]}
        rows.append([fill(c.value, here) for c in doc.columns])
    return values, rows

"""What the ballot page and the vote desk share: the candidates with what a deputy needs to know,
the marks' inputs, and a ballot's marks in words to confirm."""
from __future__ import annotations

import streamlit as st
from sqlalchemy import select

from apps.i18n import refusal_text
from apps.web.state import lang, t
from apps.web.plain import plain
from engine.features.voting import BallotCandidate, VoteRefused
from engine.lang.vote_methods import YES
from engine.store.tables import Record, VoteCandidate

MARKS = ("yes", "no", "abstain")


def refused(exc: VoteRefused) -> str:
    return refusal_text(exc, lang()) or exc.code


def candidate_titles(rt, round_id: int) -> list[tuple[str, str]]:
    with rt.db.read() as session:
        rows = session.execute(select(Record.id, Record.title).join(VoteCandidate, VoteCandidate.record_id == Record.id)
                               .where(VoteCandidate.round_id == round_id).order_by(VoteCandidate.position)).all()
    return [(str(i), title) for i, title in rows]


def candidate_facts(rt, rules, candidate: BallotCandidate) -> str:
    """One line: township, the form's list columns, the estimated cost."""
    form = rt.form(rules.form).form
    facts = [rt.display_value(form, fid, value, lang()) for fid, value in candidate.shown.items() if value not in (None, "")]
    if candidate.township:
        facts.insert(0, rt.reference_label("townships", candidate.township, lang()))
    if candidate.cost is not None:
        facts.append(t("vote.cost", amount=f"{candidate.cost:,.2f}"))
    return " · ".join(str(f) for f in facts)


def candidate_details(candidate: BallotCandidate) -> None:
    """The description and why the project is on the list, folded away."""
    if not (candidate.description or candidate.reason):
        return
    with st.expander(t("vote.details")):
        if candidate.description:
            st.markdown(plain(candidate.description))
        if candidate.reason:
            st.caption(t("vote.why_on_list", reason=plain(candidate.reason)))


def mark_widget(rules, cid: str, title: str, key: str) -> str | None:
    """The mark for one candidate: a checkbox (approve: yes or nothing) or yes/no/abstain."""
    if rules.method == "approve_and_rank":
        return YES if st.checkbox(plain(title), key=f"{key}.{cid}") else None
    options = {m: t(f"vote.{m}") for m in MARKS}
    return st.radio(plain(title), list(options), format_func=options.get, horizontal=True, index=2, key=f"{key}.{cid}")


def marks_input(rules, candidates: list[tuple[str, str]], key: str) -> dict[str, str]:
    """Every candidate's mark, as a teller enters a paper ballot."""
    marks = {cid: mark_widget(rules, cid, title, key) for cid, title in candidates}
    return {cid: mark for cid, mark in marks.items() if mark is not None}


def marks_in_words(rules, candidates: list[tuple[str, str]], marks: dict[str, str]) -> list[str]:
    """A ballot as lines to confirm: the approved, then (yes/no/abstain) the opposed and abstained."""
    titles = dict(candidates)
    lines = []
    if rules.method == "approve_and_rank":
        approved = [titles[c] for c, _ in candidates if marks.get(c) == YES]
        others = [titles[c] for c, _ in candidates if marks.get(c) != YES]
        lines.append(t("vote.summary_yes", titles="、".join(map(plain, approved)) or t("vote.summary_none")))
        lines.append(t("vote.summary_unmarked", titles="、".join(map(plain, others)) or t("vote.summary_none")))
        return lines
    for mark in MARKS:
        chosen = [titles[c] for c, _ in candidates if marks.get(c) == mark]
        lines.append(t(f"vote.summary_{mark}", titles="、".join(map(plain, chosen)) or t("vote.summary_none")))
    return lines

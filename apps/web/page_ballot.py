"""A deputy's ballot (phone-friendly): each candidate with its township, category, cost and why it
is on the list; the marks summed up in words to confirm before the ballot is cast, which cannot
be undone. engine.features.voting checks the roster and the marks again."""
from __future__ import annotations

import streamlit as st
from sqlalchemy import select

from apps.web.state import actor, runtime, t
from apps.web.vote_widgets import candidate_details, candidate_facts, mark_widget, marks_in_words, refused
from apps.web.plain import plain
from engine.features import voting
from engine.features.voting import VoteRefused
from engine.kernel.errors import PermissionDenied
from engine.lang.vote_count import max_yes
from engine.store.tables import VoteRound, VoteRoster, VoteVoter


def render_ballot_page() -> None:
    """A deputy's ballots: the open rounds where the deputy is on the roster and present."""
    rt = runtime()
    who = actor()
    st.title(t("vote.ballot_page"))
    with rt.db.read() as session:
        rounds = session.execute(select(VoteRound).join(VoteRoster, VoteRoster.round_id == VoteRound.id).where(
            VoteRound.state == "open", VoteRoster.deputy == who.username, VoteRoster.status == "present")
            .order_by(VoteRound.id)).scalars().all()
        voted = set(session.scalars(select(VoteVoter.round_id).where(VoteVoter.deputy == who.username)))
    if not rounds:
        st.info(t("vote.nothing_open"))
        return
    for row in rounds:
        rules = rt.for_version(row.profile_version).profile.votes[row.vote_id]
        st.subheader(f"{plain(row.title)} · {t('vote.kind_' + row.kind)}")  # a run-off has its first round's title
        if row.id in voted:
            st.success(t("vote.cast_done"))
            continue
        limit = max_yes(rules, row.places)
        st.caption(t("vote.how_" + rules.method, places=row.places, limit=limit))
        candidates = voting.ballot_candidates(rt, who, row.id)
        marks = {}
        for candidate in candidates:
            with st.container(border=True):
                cid = str(candidate.record_id)
                mark = mark_widget(rules, cid, candidate.title, f"ballot.{row.id}")
                if mark is not None:
                    marks[cid] = mark
                st.caption(candidate_facts(rt, rules, candidate))
                candidate_details(candidate)
        if st.button(t("vote.cast"), type="primary", key=f"cast.{row.id}", width="stretch"):
            titles = [(str(c.record_id), c.title) for c in candidates]
            st.dialog(t("vote.confirm_cast_title"))(_confirm_cast)(rt, rules, row.id, titles, marks)


def _confirm_cast(rt, rules, round_id: int, titles: list[tuple[str, str]], marks: dict[str, str]) -> None:
    """The ballot in words; cast only on a second, deliberate click."""
    for line in marks_in_words(rules, titles, marks):
        st.markdown(line)
    st.warning(t("vote.cast_final"))
    back, cast = st.columns(2)
    if back.button(t("vote.change_marks"), key=f"back.{round_id}", width="stretch"):
        st.rerun()
    if cast.button(t("vote.confirm_cast"), type="primary", key=f"confirm.{round_id}", width="stretch"):
        try:
            voting.cast(rt, actor(), round_id, marks)
        except VoteRefused as exc:
            st.error(refused(exc))
            return
        except PermissionDenied:
            st.error(t("not_allowed"))
            return
        st.rerun()

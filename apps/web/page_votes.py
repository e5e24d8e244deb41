"""The vote's desk for the presidium and the tellers, and the public results. Each step that
cannot be undone (fixing the candidate list, opening, closing, counting) is confirmed in a dialog
that shows the candidates and the turnout; closing early asks for the reason, which is audited.
Every button calls engine.features.voting, which checks roles and numbers again. (A deputy's
ballot is page_ballot.)"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import streamlit as st
from sqlalchemy import func, select

from apps.web.state import actor, lang, runtime, t
from apps.web.vote_widgets import candidate_titles, marks_input, refused
from apps.web.plain import table
from apps.web.plain import plain
from engine.output import documents
from engine.kernel.errors import NotFound, PermissionDenied
from engine.features import voting
from engine.features.voting import VoteRefused
from engine.lang.vote_count import closing_early
from engine.store.tables import PaperEntry, Record, VoteCandidate, VoteRound, VoteRoster, VoteVoter


def render_desk_page(vote_id: str) -> None:
    """The presidium's and tellers' desk for one kind of vote."""
    rt = runtime()
    who = actor()
    rules = voting.vote_rules(rt, vote_id)
    st.title(rules.text(lang()))
    townships = [tw.id for tw in rt.profile.county.townships]
    township = who.township or st.selectbox(t("township"), townships, key="desk.township",
                                            format_func=lambda v: rt.reference_label("townships", v, lang()))
    presidium, teller = who.may(rules.roles.presidium), who.may(rules.roles.tellers)
    with rt.db.read() as session:
        rounds = session.scalars(select(VoteRound).where(VoteRound.vote_id == vote_id, VoteRound.township == township)
                                 .order_by(VoteRound.id)).all()
        session.expunge_all()
    for row in rounds:
        with st.container(border=True):
            st.markdown(f"**{plain(row.title)}** · {t('vote.kind_' + row.kind)} · {t('vote.state_' + row.state)}")
            st.caption(t("vote.numbers", places=row.places, members=row.members, present=row.present))
            st.caption(t("vote.candidates_are", titles="；".join(f"#{cid} {plain(title)}" for cid, title in
                                                                 candidate_titles(rt, row.id))))
            try:
                _round_actions(rt, rules, row, presidium, teller)
            except VoteRefused as exc:
                st.error(refused(exc))
    if presidium:
        _new_round(rt, rules, vote_id, township)


def _round_actions(rt, rules, row, presidium: bool, teller: bool) -> None:
    who = actor()
    if row.state == "draft" and presidium:
        roster = voting.roster_of(rt, row.id)
        labels = {s: t("vote.status_" + s) for s in voting.STATUSES}
        edited = st.data_editor(
            [{t("vote.deputy"): d, t("vote.name"): n, t("vote.status"): labels[s],
              **({t("vote.weight"): w} if rules.roster.weight else {})} for d, n, s, w in roster],
            column_config={t("vote.status"): st.column_config.SelectboxColumn(options=list(labels.values()))},
            disabled=[t("vote.deputy"), t("vote.name"), t("vote.weight")], hide_index=True, key=f"roster.{row.id}")
        left, right = st.columns(2)
        if left.button(t("vote.save_roster"), key=f"save.{row.id}"):
            back = {v: k for k, v in labels.items()}
            for (deputy, _, status, _), new in zip(roster, edited):
                if back[new[t("vote.status")]] != status:
                    voting.set_status(rt, who, row.id, deputy, back[new[t("vote.status")]])
            st.rerun()
        if right.button(t("vote.open"), type="primary", key=f"open.{row.id}"):
            st.dialog(t("vote.confirm_open_title"))(_confirm_open)(rt, row)
    elif row.state == "open":
        with rt.db.read() as session:
            voted = session.scalar(select(func.count()).select_from(VoteVoter).where(VoteVoter.round_id == row.id))
            waiting = session.scalars(select(VoteRoster.deputy).where(
                VoteRoster.round_id == row.id, VoteRoster.status == "present",
                VoteRoster.deputy.not_in(select(VoteVoter.deputy).where(VoteVoter.round_id == row.id)))).all()
        st.metric(t("vote.voted_so_far"), f"{voted} / {row.present}")
        shown_key = st.session_state.get(f"count_key.{row.id}")
        if presidium and shown_key:  # shown once, to whoever opened the round; the server keeps no copy
            st.warning(t("vote.count_key_note"))
            st.code(shown_key, language=None)
        if teller and waiting:
            deputy = st.selectbox(t("vote.paper_to"), waiting, key=f"paper.to.{row.id}")
            if st.button(t("vote.hand_out"), key=f"hand.{row.id}"):
                voting.hand_out_paper(rt, who, row.id, deputy)
                st.rerun()
        if presidium and st.button(t("vote.close"), type="primary", key=f"close.{row.id}"):
            st.dialog(t("vote.confirm_close_title"))(_confirm_close)(rt, rules, row)
    elif row.state == "closed":
        if teller:
            _paper_desk(rt, rules, row)
        if presidium:
            choice = None
            if rules.tie_break == "presidium":
                titles = dict(candidate_titles(rt, row.id))
                choice = st.multiselect(t("vote.presidium_choice"), list(titles), format_func=titles.get,
                                        placeholder=t("ui.choose"),
                                        key=f"choice.{row.id}") or None
            count_key = st.text_input(t("vote.count_key"), value=st.session_state.get(f"count_key.{row.id}", ""),
                                      type="password", key=f"count_key_in.{row.id}", help=t("vote.count_key_help"))
            if st.button(t("vote.count"), type="primary", key=f"count.{row.id}"):
                st.dialog(t("vote.confirm_count_title"))(_confirm_count)(rt, row, choice, count_key or None)
    elif row.state == "counted":
        _result_table(rt, row.id)


def _turnout(rt, row) -> int:
    with rt.db.read() as session:
        return session.scalar(select(func.count()).select_from(VoteVoter).where(VoteVoter.round_id == row.id)) or 0


def _candidate_list(rt, round_id: int) -> None:
    st.markdown("\n".join(f"{n}. {plain(title)}（#{cid}）" for n, (cid, title) in enumerate(candidate_titles(rt, round_id), 1)))


def _confirm_open(rt, row) -> None:
    """Opening fixes the candidates, the roster and the rules; the count key is shown once after."""
    st.markdown(t("vote.numbers", places=row.places, members=row.members, present=row.present))
    _candidate_list(rt, row.id)
    st.warning(t("vote.open_final"))
    if st.button(t("vote.confirm_open"), type="primary", key=f"open.ok.{row.id}", width="stretch"):
        try:
            st.session_state[f"count_key.{row.id}"] = voting.open_round(rt, actor(), row.id)
        except VoteRefused as exc:
            st.error(refused(exc))
            return
        st.rerun()


def _confirm_close(rt, rules, row) -> None:
    """The turnout before closing; closing early (below the quorum, or before most of those
    present have voted) needs a reason, kept in the audit log."""
    voted = _turnout(rt, row)  # ballots may have come in since the page was drawn
    st.metric(t("vote.voted_so_far"), f"{voted} / {row.present}")
    st.caption(t("vote.numbers", places=row.places, members=row.members, present=row.present))
    reason = None
    if closing_early(rules, row.members, row.present, voted):
        st.warning(t("vote.close_early_warning", voted=voted, present=row.present, members=row.members))
        reason = st.text_area(t("vote.close_reason"), key=f"close.reason.{row.id}", max_chars=500)
    if st.button(t("vote.confirm_close"), type="primary", key=f"close.ok.{row.id}", width="stretch"):
        try:
            voting.close_round(rt, actor(), row.id, reason=reason)
        except VoteRefused as exc:
            st.error(refused(exc))
            return
        st.rerun()


def _confirm_count(rt, row, choice, count_key: str | None) -> None:
    """What is counted, exactly as stored (app ballots, device ballots, paper handed out, typed in
    and checked), and the candidates; a count that would be refused is said before any button
    (the engine refuses it too, before anything is opened)."""
    box = voting.box_contents(rt, actor(), row.id)
    st.metric(t("vote.ballots_in"), f"{box.countable} / {box.present}")
    lines = [t("vote.box_app", n=box.app)] + ([t("vote.box_devices", n=box.devices)] if box.devices else []) + \
        ([t("vote.box_paper", handed=box.paper_handed_out, checked=box.paper_checked, unchecked=box.paper_unchecked)]
         if box.paper_handed_out else [])
    st.markdown("\n".join(f"- {line}" for line in lines))
    _candidate_list(rt, row.id)
    if box.paper_unchecked:
        st.error(t("vote.paper_unchecked"))
        return
    if box.app and not count_key:
        st.error(t("vote.still_sealed"))
        return
    st.warning(t("vote.count_final"))
    if st.button(t("vote.confirm_count"), type="primary", key=f"count.ok.{row.id}", width="stretch"):
        try:
            voting.count_round(rt, actor(), row.id, choice, count_key=count_key)
        except VoteRefused as exc:
            st.error(refused(exc))
            return
        documents.issue_results(rt, actor(), row.id)  # numbered by the desk, not by a first reader
        st.session_state.pop(f"count_key.{row.id}", None)
        st.rerun()


def _paper_desk(rt, rules, row) -> None:
    who = actor()
    with rt.db.read() as session:
        pending = session.execute(select(PaperEntry.id, PaperEntry.entered_by).where(
            PaperEntry.round_id == row.id).order_by(PaperEntry.id)).all()
    with st.expander(t("vote.paper_enter"), icon=":material/edit_note:"):
        marks = marks_input(rules, candidate_titles(rt, row.id), f"paper.{row.id}")
        if st.button(t("vote.paper_save"), key=f"paper.save.{row.id}"):
            voting.enter_paper(rt, who, row.id, marks)
            st.rerun()
    for entry_id, entered_by in pending:
        if entered_by == who.username:
            st.caption(t("vote.paper_waiting", who=entered_by))
            continue
        with st.expander(t("vote.paper_check", who=entered_by)):
            marks = marks_input(rules, candidate_titles(rt, row.id), f"check.{entry_id}")
            if st.button(t("vote.paper_confirm"), key=f"confirm.{entry_id}"):
                voting.confirm_paper(rt, who, entry_id, marks)
                st.rerun()


def _new_round(rt, rules, vote_id: str, township: str) -> None:
    with rt.db.read() as session:
        on_a_ballot = select(VoteCandidate.record_id).join(VoteRound, VoteRound.id == VoteCandidate.round_id).where(
            VoteRound.state != "counted")
        rows = session.execute(select(Record.id, Record.title).where(
            Record.form_id == rules.form, Record.township == township, Record.state.in_(rules.candidate_states),
            Record.id.not_in(on_a_ballot)).order_by(Record.id)).all()
    st.subheader(t("vote.new_round"))
    carried = voting.carried_places(rt, vote_id, township)
    if carried is not None:  # the places a count left empty come first: the county's rule fills them now
        st.info(t("vote.carried", title=plain(carried.title), places=carried.places))
    if not rows:
        states = "、".join(rt.state_label(rules.form, s, lang()) for s in rules.candidate_states)
        st.info(t("vote.no_candidates", states=states))
        return
    picked = [rid for rid, title in rows if st.checkbox(f"#{rid} {plain(title)}", value=True, key=f"cand.{township}.{rid}")]
    if carried is not None:
        places = carried.places
        st.caption(t("vote.numbers_carried", places=places))
    else:
        places = st.number_input(t("vote.places"), min_value=1, max_value=max(1, len(rows)),
                                 value=max(1, len(rows) - 1), key=f"places.{township}")
    title = st.text_input(t("vote.title"), value=t("vote.carried_title" if carried else "vote.default_title",
                                                  township=rt.reference_label("townships", township),
                                                  year=rt.profile.county.year),
                          key=f"title.{township}")
    budget = None
    if rules.places_by == "budget":  # the places are limited by money: the township's allocation
        budget = st.number_input(t("vote.budget"), min_value=0.0, step=10000.0, format="%.2f", key=f"budget.{township}")
        budget = Decimal(str(budget)).quantize(Decimal("0.01"))
    closes_at = None
    if st.checkbox(t("vote.timed"), key=f"timed.{township}"):
        left, right = st.columns(2)
        day = left.date_input(t("vote.close_day"), key=f"closeday.{township}")
        moment = right.time_input(t("vote.close_time"), key=f"closetime.{township}")
        closes_at = dt.datetime.combine(day, moment).astimezone()  # the server's local time
    if st.button(t("vote.create"), key=f"create.{township}"):
        titles = dict(rows)
        st.dialog(t("vote.confirm_create_title"))(_confirm_create)(
            rt, vote_id, township, title, int(places), [(rid, titles[rid]) for rid in picked], closes_at, budget,
            carried is not None)


def _confirm_create(rt, vote_id: str, township: str, title: str, places: int, picked: list[tuple[int, str]],
                    closes_at, budget, fills_carried: bool = False) -> None:
    """The candidate list, the places and the roster, before they are fixed as a draft ballot."""
    roster = voting.roster_from_records(rt, vote_id, township)
    st.markdown(f"**{plain(title)}**")
    st.markdown(t("vote.create_numbers", candidates=len(picked), places=places, members=len(roster)))
    st.markdown("\n".join(f"{n}. {plain(name)}（#{rid}）" for n, (rid, name) in enumerate(picked, 1)))
    if budget is not None:
        st.markdown(t("vote.budget_is", amount=f"{budget:,.2f}"))
    if closes_at is not None:
        st.markdown(t("vote.closes_at", at=f"{closes_at:%Y-%m-%d %H:%M}"))
    if st.button(t("vote.confirm_create"), type="primary", key=f"create.ok.{township}", width="stretch"):
        try:
            if fills_carried:  # exactly the places carried, once, whoever else is at a desk
                voting.fill_from_reserve(rt, actor(), vote_id, township, title, [rid for rid, _ in picked], roster,
                                         closes_at=closes_at, budget=budget)
            else:
                voting.create_round(rt, actor(), vote_id, township, title, places, [rid for rid, _ in picked], roster,
                                    closes_at=closes_at, budget=budget)
        except VoteRefused as exc:
            st.error(refused(exc))
            return
        st.rerun()


def _result_table(rt, round_id: int) -> None:
    doc = next((d for d in rt.profile.documents.values() if d.kind == "result"), None)
    if doc is None:
        return
    values, rows = documents.result_rows(rt, doc, round_id, dt.date.today())
    headings = [c.text(lang()) for c in doc.columns]
    table([dict(zip(headings, r)) for r in rows], hide_index=True, border="horizontal")
    if values["notes"]:
        st.warning(values["notes"])


def render_results_page() -> None:
    """Public: the counted ballots of a township, with every candidate's count, and the PDF."""
    rt = runtime()
    st.title(t("vote.results"))
    doc = next((d for d in rt.profile.documents.values() if d.kind == "result"), None)
    townships = [tw.id for tw in rt.profile.county.townships]
    mine = actor().township
    township = st.selectbox(t("township"), townships, key="results.township",
                            index=townships.index(mine) if mine in townships else 0,
                            format_func=lambda v: rt.reference_label("townships", v, lang()))
    with rt.db.read() as session:
        counted = session.execute(select(VoteRound.id, VoteRound.title, VoteRound.kind).where(
            VoteRound.township == township, VoteRound.state == "counted").order_by(VoteRound.id)).all()
    if not counted or doc is None:
        st.info(t("no_records"))
        return
    for round_id, title, kind in counted:
        st.subheader(f"{plain(title)} · {t('vote.kind_' + kind)}")
        try:
            _result_table(rt, round_id)
            made = documents.result(rt, actor(), doc.id, round_id)
        except (NotFound, PermissionDenied):
            continue
        st.download_button(t("download", what=doc.text(lang())), lambda made=made: made.content, file_name=made.filename,
                           mime="application/pdf", key=f"result.pdf.{round_id}", icon=":material/print:")

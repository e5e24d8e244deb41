"""A voting device's results imported into a round and counted like app ballots; the ballot and
sheet commands of the command line, refused in the app's words."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from apps.cli import app
from apps.i18n_votes import DEVICE_IGNORED, DEVICE_WORDS
from engine.core.actors import SYSTEM
from engine.features import voting
from engine.features.voting import VoteRefused
from engine.kernel.errors import InputError
from engine.store.tables import Ballot
from tests.conftest import CONFIG
from tests.test_voting import PRESIDIUM, candidates, count_round, deputy, open_round, roster

runner = CliRunner()
TELLER = PRESIDIUM  # congress staff are the tellers in Sangzhi's rules


def closed_round(rt, good, n_candidates=3, members=9, places=2):
    ids = candidates(rt, good, n_candidates)
    round_id = voting.create_round(rt, PRESIDIUM, "township_congress", "t02", "票决", places, ids, roster(members))
    open_round(rt, PRESIDIUM, round_id)
    return round_id, [str(i) for i in ids]


MARKS = [("yes", "yes", ""), ("yes", "", "yes"), ("yes", "yes", ""), ("", "yes", ""), ("yes", "yes", "yes"),
         ("yes", "", ""), ("赞成", "赞成", ""), ("", "", "")]  # the fifth: too many marks for two places


def test_device_ballots_are_decided_like_app_ballots(rt, good_suggestion, tmp_path):
    app_round, app_ids = closed_round(rt, good_suggestion)
    for n, row in enumerate(MARKS):
        marks = {c: "yes" for c, m in zip(app_ids, row) if m}
        if len(marks) > 2:
            continue  # the app refuses an invalid ballot; the device takes it as marked
        voting.cast(rt, deputy(n), app_round, marks)
    voting.close_round(rt, PRESIDIUM, app_round, reason="（测试）提前结束")
    by_app = count_round(rt, PRESIDIUM, app_round)

    device_round, ids = closed_round(rt, good_suggestion)
    voting.close_round(rt, PRESIDIUM, device_round, reason="（测试）提前结束")
    export = tmp_path / "device.csv"
    export.write_text("选票编号," + ",".join(f"#{i}" for i in ids) + "\n" + "".join(
        f"{n + 1}," + ",".join(row) + "\n" for n, row in enumerate(MARKS)), encoding="utf-8")
    assert voting.import_device_ballots(rt, TELLER, device_round, export, DEVICE_WORDS, DEVICE_IGNORED) == len(MARKS)
    by_device = voting.count_round(rt, PRESIDIUM, device_round)
    assert [(l.tally.yes, l.passed, l.chosen, l.reason) for l in by_device.lines] == \
        [(l.tally.yes, l.passed, l.chosen, l.reason) for l in by_app.lines]
    assert (by_device.ballots, by_device.invalid) == (8, {"too_many_marks": 1})
    with pytest.raises(VoteRefused) as info:
        voting.import_device_ballots(rt, TELLER, device_round, export)
    assert info.value.code in ("device_already_imported", "device_after_close")


def test_a_device_file_with_mistakes_changes_nothing(rt, good_suggestion, tmp_path):
    round_id, ids = closed_round(rt, good_suggestion, members=4)
    voting.close_round(rt, PRESIDIUM, round_id, reason="（测试）提前结束")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"#{ids[0]},#{ids[1]},#999\nyes,maybe,\nyes,,\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        voting.import_device_ballots(rt, TELLER, round_id, bad)
    assert {k: (p.code, p.params) for k, p in info.value.problems.items()} == {
        "column #999": ("device_column", {"column": "#999"}),
        "row 2": ("device_mark", {"value": "maybe", "column": f"#{ids[1]}"})}
    too_many = tmp_path / "many.csv"
    too_many.write_text(f"#{ids[0]}\n" + "yes\n" * 5, encoding="utf-8")
    with pytest.raises(VoteRefused) as refused:  # 5 ballots from 4 deputies present
        voting.import_device_ballots(rt, TELLER, round_id, too_many)
    assert (refused.value.code, refused.value.params) == (
        "more_device_ballots_than_present", {"ballots": 5, "cast": 0, "present": 4})
    with rt.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id)) == 0


def test_ballot_and_sheet_commands(rt, db_url, good_suggestion, tmp_path, monkeypatch):
    from engine.core import records
    from engine.core.accounts import create_user
    from engine.core.actors import ANONYMOUS
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("MINSHENG_LOG", str(tmp_path / "log.txt"))
    for n in range(3):
        create_user(rt, SYSTEM, f"d{n:03d}", f"代表{n}", ["deputy"], "Qiao-lu-2025-sangzhi")
    create_user(rt, SYSTEM, "screener2", "筛选员", ["screening_group"], "Qiao-lu-2025-sangzhi", township="t02")
    round_id, ids = closed_round(rt, good_suggestion, members=3)
    base = ["--config", str(CONFIG)]
    done = runner.invoke(app, ["ballot", "cast", str(round_id), "--as", "d000", "-m", f"#{ids[0]}=yes", *base])
    assert done.exit_code == 0 and "cast: a ballot with 1 mark(s)" in done.output
    again = runner.invoke(app, ["ballot", "cast", str(round_id), "--as", "d000", "-m", f"{ids[1]}=yes", *base])
    assert again.exit_code == 1 and "error: you have already voted" in again.output
    too_many = runner.invoke(app, ["ballot", "cast", str(round_id), "--as", "d001",
                                   *(x for i in ids for x in ("-m", f"{i}=yes")), *base])
    assert too_many.exit_code == 1 and "error: more than 2 marks; remove some" in too_many.output
    badly = runner.invoke(app, ["ballot", "cast", str(round_id), "--as", "d001", "-m", "yes", *base])
    assert badly.exit_code == 2 and "write a mark as name=value" in badly.output
    view = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)
    filed = runner.invoke(app, ["sheet", "file", str(view.id), "screening_score", "--as", "screener2",
                                "-v", "member=甲", "-v", "member_kind=deputy", "-v", "necessity=5", "-v", "feasibility=4",
                                "-v", "universality=4", "-v", "urgency=3", *base])
    assert filed.exit_code == 0, filed.output
    assert "filed: screening_score #" in filed.output
    wrong = runner.invoke(app, ["sheet", "file", str(view.id), "screening_score", "--as", "screener2",
                                "-v", "member=乙", "-v", "necessity=9", *base])
    assert wrong.exit_code == 1 and "Traceback" not in wrong.output and "necessity" in wrong.output
    no_device = runner.invoke(app, ["ballot", "import", str(round_id), str(tmp_path / "none.csv"), *base])
    assert no_device.exit_code == 2 and "none.csv: no" in no_device.output and "such file" in no_device.output

"""The minsheng command: plain messages and exit codes, never a traceback."""
from __future__ import annotations

import json

from sqlalchemy import select
import pytest
from typer.testing import CliRunner

from apps.cli import app
from engine.store.tables import Flag
from tests.conftest import CONFIG
from tests.test_delivery import under_way

runner = CliRunner()


def test_check_ok_and_broken(profile_dir, monkeypatch):
    ok = runner.invoke(app, ["check", "--config", str(CONFIG)])
    assert ok.exit_code == 0 and "OK" in ok.output
    (profile_dir / "county.yaml").write_text(
        (profile_dir / "county.yaml").read_text(encoding="utf-8").replace("year: 2025", "year: next"), encoding="utf-8")
    monkeypatch.chdir(profile_dir.parent)
    bad = runner.invoke(app, ["check", "--config", "profile"])
    assert bad.exit_code == 1
    assert "profile/county.yaml:13: At County(id='sangzhi') -> year: input should be a valid integer" in bad.output
    assert "Traceback" not in bad.output


def test_schema_files_match_the_models(tmp_path):
    result = runner.invoke(app, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0
    form_schema = json.loads((tmp_path / "form.schema.json").read_text(encoding="utf-8"))
    assert form_schema["additionalProperties"] is False
    field = form_schema["$defs"]["Field"]
    assert "phone" in field["properties"]["type"]["enum"]
    # the committed copies in docs/schema are up to date
    for path in tmp_path.iterdir():
        assert path.read_text(encoding="utf-8") == (CONFIG.parent / "docs/schema" / path.name).read_text(encoding="utf-8"), \
            f"docs/schema/{path.name} is stale: run `minsheng schema`"


def test_user_import_and_errors(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("MINSHENG_LOG", str(tmp_path / "log.txt"))
    config = ["--config", str(CONFIG)]
    added = runner.invoke(app, ["user", "add", "wang", "--name", "王", "--role", "liaison_staff",
                                "--password", "Qiao-lu-2025-sangzhi", *config])
    assert added.exit_code == 0, added.output
    dup = runner.invoke(app, ["user", "add", "wang", "--name", "王", "--role", "liaison_staff",
                              "--password", "Qiao-lu-2025-sangzhi", *config])
    assert dup.exit_code == 1 and "username: already taken" in dup.output
    listed = runner.invoke(app, ["user", "list", *config])
    assert "wang" in listed.output and "liaison_staff" in listed.output

    csv_path = tmp_path / "h.csv"
    csv_path.write_text("工单编号,工单标题,诉求内容,诉求类别,所属乡镇,来电人,来电号码,受理时间\n"
                        "GD1,修建河道便民桥一座,村民过河只能走漫水桥。,交通出行,瑞塔铺镇,张建国,13912345678,2025-03-01\n"
                        "GD2,短,太短,交通出行,瑞塔铺镇,张建国,13912345678,2025-03-01\n", encoding="utf-8")
    rejections = tmp_path / "rejected.csv"
    result = runner.invoke(app, ["import", "hotline_12345", str(csv_path), "--rejections", str(rejections), *config])
    assert result.exit_code == 0, result.output
    assert "read 2 rows: 1 added, 0 already there, 1 rejected" in result.output
    assert "3,建议标题,至少 4 个字" in rejections.read_text(encoding="utf-8-sig")

    missing = runner.invoke(app, ["import", "hotline_12345", str(tmp_path / "nope.csv"), *config])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    unknown = runner.invoke(app, ["import", "nope", str(csv_path), *config])
    assert unknown.exit_code == 1 and "the profile has: deputies, hotline_12345" in unknown.output


def test_every_config_key_is_documented():
    from engine.profile.export import kinds, models_in, reference_markdown
    seen = {}
    for model, _ in kinds().values():
        models_in(model, seen)
    undocumented = [f"{name}.{key}" for name, model in seen.items()
                    for key, field in model.model_fields.items() if not (field.description or "").strip()]
    assert undocumented == []
    assert (CONFIG.parent / "docs/reference.md").read_text(encoding="utf-8") == reference_markdown() + "\n", \
        "docs/reference.md is stale: run `minsheng schema`"


def test_tick_command(tmp_path, monkeypatch, db_url, rt, good_suggestion):
    monkeypatch.setenv("DATABASE_URL", db_url)
    project = under_way(rt, good_suggestion, [("完工", "2025-01-31")])  # long past: due at the first tick
    result = runner.invoke(app, ["tick", "--config", str(CONFIG)])
    assert result.exit_code == 0, result.output
    assert "deadlines fired: 1; automatic transitions: 0" in result.output
    assert "delivery flags raised: 1" in result.output
    again = runner.invoke(app, ["tick", "--config", str(CONFIG)])  # nothing fires twice
    assert again.exit_code == 0 and "deadlines fired: 0" in again.output and "flags raised: 0" in again.output
    with rt.db.read() as session:
        assert session.scalars(select(Flag.subject).where(Flag.record_id == project)).all() == ["完工"]


def test_migrate_command(monkeypatch, db_url):
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = runner.invoke(app, ["migrate", "suggestion", "--dry-run", "--config", str(CONFIG)])
    assert result.exit_code == 0 and "would move 0 record(s)" in result.output
    unknown = runner.invoke(app, ["migrate", "nothing", "--config", str(CONFIG)])
    assert unknown.exit_code == 1 and "not found: form nothing" in unknown.output


def test_act_screens_a_township_and_documents_are_written(tmp_path, monkeypatch, db_url, rt, good_suggestion):
    from engine.core import records
    from engine.core.actors import ANONYMOUS, SYSTEM
    from tests.test_screening import score
    monkeypatch.setenv("DATABASE_URL", db_url)
    ids = []
    for marks in ((5, 5, 5, 5), (1, 1, 1, 1), None):
        view = records.submit(rt, ANONYMOUS, "suggestion", good_suggestion)
        for member in ("甲", "乙", "丙") if marks else ():
            score(rt, view.id, member, *marks)
        ids.append(view.id)
    other = records.submit(rt, ANONYMOUS, "suggestion", dict(good_suggestion, township="t05"))
    base = ["--config", str(CONFIG)]
    dry = runner.invoke(app, ["act", "screen", "--township", "t02", "--dry-run", *base])
    assert dry.exit_code == 0, dry.output
    assert "3 records considered" in dry.output and "would move to 已纳入储备库 (reserve): 1" in dry.output
    assert "not moved, 1: 目前只有 0 份评分表，筛选至少需要 3 名成员评分" in dry.output
    assert [records.get(rt, SYSTEM, i)[0].state for i in ids] == ["received"] * 3  # a dry run writes nothing
    done = runner.invoke(app, ["act", "screen", "--township", "t02", *base])
    assert done.exit_code == 0 and "moved to 未予采纳 (rejected): 1" in done.output
    assert [records.get(rt, SYSTEM, i)[0].state for i in ids] == ["reserve", "rejected", "received"]
    assert records.get(rt, SYSTEM, other.id)[0].state == "received"  # another township: untouched
    bad = runner.invoke(app, ["act", "review", *base])
    assert bad.exit_code == 1 and "'review' needs a form for each record; take it in the app" in bad.output
    assert runner.invoke(app, ["act", "screen", "--township", "t99", *base]).exit_code == 1
    letter = runner.invoke(app, ["document", "letter", "answer_letter", str(ids[1]), "--out", str(tmp_path), *base])
    assert letter.exit_code == 0, letter.output
    assert next(tmp_path.glob("answer_letter-*.pdf")).read_bytes().startswith(b"%PDF")
    wrong = runner.invoke(app, ["document", "letter", "answer_letter", str(ids[0]), *base])
    assert wrong.exit_code == 1 and "does not apply in the current state (已纳入储备库)" in wrong.output
    notices = runner.invoke(app, ["document", "notice", "admitted_notice", "--out", str(tmp_path / "n"), *base])
    assert notices.exit_code == 0 and len(list((tmp_path / "n").glob("*.pdf"))) == 23


def test_stopping_serve_by_its_pid_stops_the_app(tmp_path, db_url):
    """`minsheng serve` becomes the Streamlit process: a stop by its PID leaves nothing serving."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, DATABASE_URL=db_url)
    process = subprocess.Popen([sys.executable, "-m", "apps.cli", "serve", "--config", str(CONFIG), "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("the app did not start")
        process.send_signal(signal.SIGTERM)
        process.wait(20)
        time.sleep(0.5)
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=2)  # nobody answers on the port any more
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever was left of the group (the old design's child)
        except ProcessLookupError:
            pass


def test_refusals_are_said_in_words_not_codes():
    """`error: project_over_max: {'project': Decimal(...)}` was what a refused step printed."""
    from decimal import Decimal
    from apps.cli_base import friendly
    from apps.i18n import refusal_text
    from engine.core.workflow import TransitionRefused
    from engine.features.funds import FundRefused
    from engine.features.voting import VoteRefused
    over = FundRefused("project_over_max", project=Decimal("3041672.00"), max=Decimal("3000000.00"))
    assert refusal_text(over, "en") == "this project would get 3,041,672.00, above the cap 3,000,000.00"
    assert refusal_text(over) == "该项目分配将达 3,041,672.00 元，超过单个项目上限 3,000,000.00 元"
    assert refusal_text(TransitionRefused("condition_false", action="screen"), "en") == \
        "Not done: its condition does not hold"
    assert refusal_text(TransitionRefused("condition_false", explanation={"reason": "目前只有 0 份评分表"})) == \
        "未能办理：目前只有 0 份评分表"
    assert refusal_text(VoteRefused("wrong_count_key"), "en").startswith("that is not this ballot's count key")
    assert refusal_text(VoteRefused("no_such_code")) is None and refusal_text(ValueError("x")) is None

    import typer
    from typer.testing import CliRunner as Runner
    tiny = typer.Typer()

    @tiny.command()
    @friendly
    def pay() -> None:
        raise over
    result = Runner().invoke(tiny, [])
    assert result.exit_code == 1
    assert "error: this project would get 3,041,672.00, above the cap 3,000,000.00" in result.output
    assert "Decimal" not in result.output and "project_over_max" not in result.output

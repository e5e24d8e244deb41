"""Groups that projects are assigned to (supervision groups): the responsibility list names the
project's group, only that group's members (of the accounts in groups) file its supervision
records and follow-ups, their start page counts only theirs, and accounts are put in groups by
an administrator, audited. Played on the second county's demo year (examples/qingshan)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from demo.seed import seed_demo
from engine.core import accounts, sheets
from engine.core.actors import SYSTEM, Actor
from engine.core.record_queries import not_merged
from engine.core.records import GROUP_FILTER, get, list_records
from engine.core.runtime import Runtime
from engine.core.sheet_batches import grid_for
from engine.core.worklist import work_for
from engine.kernel.errors import ConfigError, InputError, PermissionDenied
from engine.profile.loader import load_profile
from engine.store.tables import AuditEntry, Record, RecordLink, User
from tests.conftest import CONFIG, overlay
from tests.test_second_county import QINGSHAN

SUPERVISION = {"kind": "periodic_inspection", "held_on": "2025-11-20", "participants": "监督小组", "findings": "进度正常"}
DELIVERED = ("chosen", "delivering", "completed", "evaluated", "rectifying", "rectification_overdue")
SUPERVISED = ("chosen", "delivering", "completed")  # where the workflow takes supervision records


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """The Qingshan demo year, seeded once for this module (its tests change only what they undo
    or what the others do not read)."""
    from tests.conftest import fresh_database
    with fresh_database(tmp_path_factory.mktemp("groups")) as url:
        runtime = Runtime.open(QINGSHAN, url)
        seed_demo(runtime)
        yield runtime
        runtime.db.dispose()


def _member(rt: Runtime, username: str) -> Actor:
    with rt.db.read() as session:
        return accounts.actor_of(session.scalars(select(User).where(User.username == username)).one())


def _projects_by_group(rt: Runtime, states=SUPERVISED) -> dict[str, list[int]]:
    with rt.db.read() as session:
        rows = session.execute(select(Record.group_id, Record.id).where(
            Record.form_id == "suggestion", Record.state.in_(states), not_merged()).order_by(Record.id)).all()
    out: dict[str, list[int]] = {}
    for group, record_id in rows:
        out.setdefault(group, []).append(record_id)
    return out


def test_the_responsibility_list_assigns_each_project_its_group(year):
    by_group = _projects_by_group(year, DELIVERED)
    assert set(by_group) == {"g1", "g2", "g3"}  # the demo names the groups in turn; none left out
    with year.db.read() as session:
        listed = session.execute(select(Record.data).where(Record.form_id == "responsibility_list")).scalars().all()
        audited = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "record.group"))
    assert {d["monitoring_group"] for d in listed} == {"g1", "g2", "g3"}
    assert audited == len(listed)  # one a project, each listed once
    view, _ = get(year, SYSTEM, by_group["g2"][0])
    assert view.group_id == "g2"


def test_only_the_projects_group_files_its_supervision(year):
    by_group = _projects_by_group(year)
    member = _member(year, "group1")
    assert member.groups == frozenset({"g1"})
    own, other = by_group["g1"][0], by_group["g2"][0]
    offered = {s.form for s in sheets.sheets_allowed(year, member, get(year, SYSTEM, own)[0])}
    assert {"supervision_record", "follow_up"} <= offered
    offered = {s.form for s in sheets.sheets_allowed(year, member, get(year, SYSTEM, other)[0])}
    assert "supervision_record" not in offered and "follow_up" not in offered
    with pytest.raises(PermissionDenied) as refused:
        sheets.file_sheet(year, member, other, "supervision_record", SUPERVISION)
    assert str(refused.value) == "group:g2"
    filed = sheets.file_sheet(year, member, own, "supervision_record", SUPERVISION)
    assert filed.form_id == "supervision_record"
    # county staff in no group are not limited
    sheets.file_sheet(year, _member(year, "supervisor"), other, "supervision_record", SUPERVISION)
    # in bulk: the other group's project is refused by its index, the member's own is filed
    report = sheets.file_sheets(year, member, [(other, "supervision_record", SUPERVISION),
                                               (own, "supervision_record", SUPERVISION)])
    assert len(report.filed) == 1 and [(i, r) for i, r, _ in report.refused] == [(0, other)]
    assert isinstance(report.refused[0][2], PermissionDenied)


def test_a_members_start_page_counts_their_groups_projects(year):
    by_group = _projects_by_group(year)
    member, everyone = _member(year, "group2"), _member(year, "supervisor")

    def waiting(actor):
        return next(i.count for i in work_for(year, actor) if i.kind == "sheet" and i.name == "supervision_record")

    # the member's own: g2 projects in the sheet's states (none has a sheet of theirs yet)
    assert waiting(member) == len(by_group["g2"]) > 0
    assert waiting(everyone) > waiting(member)
    # the batch grid of supervision records holds the member's group's projects only
    grid = grid_for(year, member, "suggestion", "supervision_record")
    assert sorted(r.record.id for r in grid.records) == by_group["g2"] and grid.total == len(by_group["g2"])
    assert grid_for(year, everyone, "suggestion", "supervision_record").total > grid.total


def test_a_later_list_moves_the_project_to_another_group(year):
    with year.db.read() as session:  # a project still under way, and the list it has
        project, was = session.execute(select(Record.id, Record.group_id).where(
            Record.form_id == "suggestion", Record.state == "delivering", not_merged()).order_by(Record.id)).first()
        old = session.scalars(select(Record).join(RecordLink, RecordLink.record_id == Record.id).where(
            RecordLink.target_id == project, Record.form_id == "responsibility_list")).one().data
    assert old["monitoring_group"] == was
    now = "g1" if was != "g1" else "g2"
    sheets.file_sheet(year, SYSTEM, project, "responsibility_list", {**old, "monitoring_group": now})
    with year.db.read() as session:
        assert session.get(Record, project).group_id == now
        moved = session.scalars(select(AuditEntry).where(AuditEntry.action == "record.group",
                                                         AuditEntry.entity_id == str(project))
                                .order_by(AuditEntry.id.desc())).first()
    assert moved.before == {"group": was} and moved.after == {"group": now}
    with pytest.raises(InputError) as refused:  # a group the county does not have
        sheets.file_sheet(year, SYSTEM, project, "responsibility_list", {**old, "monitoring_group": "g9"})
    assert "monitoring_group" in refused.value.problems


def test_administrators_put_accounts_in_groups(year):
    admin = _member(year, "admin")
    made = accounts.create_user(year, admin, "group3", "第三监督小组成员", ["supervisor"], "Lattice-Harbor-91x",
                                groups=["g3", "g3"])
    assert made.groups == frozenset({"g3"})
    with pytest.raises(InputError) as refused:
        accounts.create_user(year, admin, "group4", "某组", ["supervisor"], "Lattice-Harbor-91x", groups=["g4"])
    assert refused.value.problems["groups"].code == "unknown_groups"
    with pytest.raises(PermissionDenied):
        accounts.set_groups(year, _member(year, "group1"), "group3", ["g1"])
    accounts.set_groups(year, admin, "group3", ["g1", "g2"])
    assert _member(year, "group3").groups == frozenset({"g1", "g2"})
    assert next(a for a in accounts.account_views(year, admin) if a.username == "group3").groups == ("g1", "g2")
    with year.db.read() as session:
        change = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.groups")).one()
    assert (change.actor, change.before, change.after) == ("admin", {"groups": ["g3"]}, {"groups": ["g1", "g2"]})
    accounts.set_groups(year, admin, "group3", [])  # out of every group: no longer limited
    assert _member(year, "group3").groups == frozenset()


@pytest.mark.parametrize("files, said", [
    ({"workflows/suggestion.yaml": "sheets:\n- form: responsibility_list\n  assigns_group: monitoring_grup\n"},
     "form 'responsibility_list' has no field 'monitoring_grup'"),
    ({"workflows/suggestion.yaml": "sheets:\n- form: responsibility_list\n  assigns_group: team\n"},
     "field 'team' of form 'responsibility_list' must name a group"),
    ({"workflows/suggestion.yaml": "sheets:\n- form: supervision_record\n  group_only: true\n"},
     "no sheet of this workflow assigns records to a group"),
    ({"forms/responsibility_list.yaml": "fields:\n- {id: monitoring_group, label: 监督小组, type: reference, to: groups}\n",
      "workflows/suggestion.yaml": "sheets:\n- form: responsibility_list\n  assigns_group: monitoring_group\n"},
     "county.yaml declares no `groups` to assign records to"),
])
def test_group_settings_are_checked_at_load(tmp_path, files, said):
    folder = overlay(tmp_path / "county", files)
    with pytest.raises(ConfigError) as refused:
        load_profile(folder)
    assert said in str(refused.value)
    assert "workflows/suggestion.yaml" in str(refused.value)


def test_sheets_of_an_overlay_merge_by_their_form(tmp_path):
    """A workflow's sheets have no ids: an overlay names a sheet by its form and changes only what
    it says; the others stay as the base has them."""
    folder = overlay(tmp_path / "county", {
        "county.yaml": "groups:\n- {id: g1, name: 第一组}\n",
        "forms/responsibility_list.yaml": "fields:\n- {id: monitoring_group, label: 监督小组, type: reference, to: groups}\n",
        "workflows/suggestion.yaml": "sheets:\n- form: responsibility_list\n  assigns_group: monitoring_group\n"
                                     "- form: supervision_record\n  group_only: true\n"})
    mine, base = load_profile(folder).workflows["suggestion"], load_profile(CONFIG).workflows["suggestion"]
    assert [s.form for s in mine.sheets] == [s.form for s in base.sheets]
    assert mine.sheet("responsibility_list").assigns_group == "monitoring_group"
    assert mine.sheet("responsibility_list").single and mine.sheet("responsibility_list").awaited
    assert mine.sheet("supervision_record").group_only and mine.sheet("supervision_record").roles == \
        base.sheet("supervision_record").roles
    assert not mine.sheet("follow_up").group_only


def test_a_list_is_filtered_by_group(year):
    with year.db.read() as session:
        assigned = session.scalar(select(func.count()).select_from(Record).where(
            Record.form_id == "suggestion", Record.group_id == "g2"))
    page = list_records(year, SYSTEM, "suggestion", {GROUP_FILTER: "g2"}, page_size=200)
    assert page.total == assigned > 0 and {r.group_id for r in page.items} == {"g2"}
    with pytest.raises(InputError) as refused:
        list_records(year, SYSTEM, "suggestion", {GROUP_FILTER: "g9"})
    assert refused.value.problems[GROUP_FILTER].code == "enum"


def test_a_group_setting_error_names_the_file_the_line_and_the_key(tmp_path):
    folder = overlay(tmp_path / "county", {"workflows/suggestion.yaml": "sheets:\n- form: supervision_record\n  group_only: true\n"})
    with pytest.raises(ConfigError) as refused:
        load_profile(folder)
    assert [str(p) for p in refused.value.problems] == [
        f"{folder}/workflows/suggestion.yaml:3: At Workflow(id='suggestion') -> sheets -> Sheet[9] -> group_only: "
        "no sheet of this workflow assigns records to a group: give one of them `assigns_group: <its groups field>` "
        f"(merged with {CONFIG}/workflows/suggestion.yaml)"]

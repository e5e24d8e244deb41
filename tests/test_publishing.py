"""Publishing a profile edit from the app (engine.core.publishing): checked like `minsheng check`,
written to the folder with comments kept, stored as a new version with one audit row, refused in
words when it cannot be made, and returned to an earlier version."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.core.actors import Actor
from engine.core.publishing import (PublishRefused, draft_problems, files_of_version, history, own_files, publish,
                                    restore)
from engine.core.runtime import Runtime
from engine.kernel.errors import ConfigError, PermissionDenied
from engine.profile.loader import disk_version
from engine.store.tables import AuditEntry, ProfileVersion
from tests.test_voting import open_ballot

ADMIN = Actor("admin", "管理员", frozenset({"administrator"}))
CLERK = Actor("clerk", "工作人员", frozenset({"liaison_staff"}))
SCREENING = "rules/screening.yaml"


@pytest.fixture
def live(profile_dir, db_url):
    runtime = Runtime.open(profile_dir, db_url)
    yield runtime
    runtime.db.dispose()


def threshold(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_publishing_writes_the_files_stores_the_version_and_audits_it(live, profile_dir):
    before = (profile_dir / SCREENING).read_text(encoding="utf-8")
    edited = threshold(before, "total >= 15", "total >= 14")
    made = publish(live, ADMIN, profile_dir, {SCREENING: edited}, "降低储备线", base_version=live.version)
    assert (profile_dir / SCREENING).read_text(encoding="utf-8") == edited  # comments kept: the text as typed
    assert made.before == live.version and made.after == disk_version(profile_dir) != live.version
    assert made.actor == "admin" and made.note == "降低储备线"
    assert any("15" in line and "14" in line and line.startswith(SCREENING) for line in made.changes), made.changes
    with live.db.read() as session:
        assert session.get(ProfileVersion, made.after) is not None
        rows = session.execute(select(AuditEntry).where(AuditEntry.action == "profile.publish")).scalars().all()
    assert len(rows) == 1 and rows[0].after["files"][SCREENING] == edited and rows[0].before["files"][SCREENING] == before
    assert [p.after for p in history(live)] == [made.after]


def test_a_draft_that_does_not_load_is_refused_with_checks_messages_and_changes_nothing(live, profile_dir):
    before = own_files(profile_dir)
    broken = threshold(before[SCREENING], "total >= 15", "totl >= 15")
    problems = draft_problems(profile_dir, {SCREENING: broken})
    assert problems and all(str(profile_dir) in p.file and ".draft" not in p.file for p in problems)
    assert any("unknown name 'totl'" in p.message and p.line for p in problems), problems
    with pytest.raises(ConfigError):
        publish(live, ADMIN, profile_dir, {SCREENING: broken}, "错误的修改", base_version=live.version)
    assert own_files(profile_dir) == before and history(live) == []


@pytest.mark.parametrize("note, edits, code", [
    ("", {SCREENING: "edited"}, "note_required"),
    ("没有改动", {}, "unchanged"),
])
def test_a_publication_without_a_note_or_without_a_change_is_refused(live, profile_dir, note, edits, code):
    if SCREENING in edits:
        edits = {SCREENING: threshold(own_files(profile_dir)[SCREENING], "total >= 15", "total >= 14")}
    with pytest.raises(PublishRefused) as refused:
        publish(live, ADMIN, profile_dir, edits, note, base_version=live.version)
    assert refused.value.code == code


def test_only_the_profiles_editors_may_publish(live, profile_dir):
    edited = threshold(own_files(profile_dir)[SCREENING], "total >= 15", "total >= 14")
    with pytest.raises(PermissionDenied):
        publish(live, CLERK, profile_dir, {SCREENING: edited}, "试一试", base_version=live.version)


def test_a_draft_made_before_someone_else_published_is_refused(live, profile_dir):
    files = own_files(profile_dir)
    publish(live, ADMIN, profile_dir, {SCREENING: threshold(files[SCREENING], "total >= 15", "total >= 14")},
            "第一次", base_version=live.version)
    with pytest.raises(PublishRefused) as refused:  # drafted from the version before the first publication
        publish(live, ADMIN, profile_dir, {SCREENING: threshold(files[SCREENING], "total >= 15", "total >= 16")},
                "第二次", base_version=live.version)
    assert refused.value.code == "stale"


def test_returning_to_an_earlier_version_puts_its_files_back(live, profile_dir):
    original = own_files(profile_dir)
    added = "forms/extra_note.yaml"  # a file the earlier version did not have goes when returning to it
    extra = original["forms/follow_up_report.yaml"].replace("id: follow_up_report", "id: extra_note")
    first = publish(live, ADMIN, profile_dir, {SCREENING: threshold(original[SCREENING], "total >= 15", "total >= 14"),
                                              added: extra}, "降低储备线", base_version=live.version)
    assert added in own_files(profile_dir)
    assert files_of_version(live, live.version) == original
    back = restore(live, ADMIN, profile_dir, live.version, "恢复原来的储备线", base_version=first.after)
    assert own_files(profile_dir) == original and added not in own_files(profile_dir)
    assert back.after == live.version and back.restored_from == live.version
    assert [p.note for p in history(live)] == ["恢复原来的储备线", "降低储备线"]


def test_the_rules_of_a_vote_with_an_open_ballot_are_refused_with_the_reason(live, profile_dir, good_suggestion):
    open_ballot(live, good_suggestion)
    vote = "votes/township_congress.yaml"
    text = own_files(profile_dir)[vote]
    with pytest.raises(PublishRefused) as refused:
        publish(live, ADMIN, profile_dir, {vote: threshold(text, "  of: all_members", "  of: present")},
                "按出席代表计算", base_version=live.version)
    assert refused.value.code == "vote_open" and refused.value.params["file"] == vote
    assert "票决" in refused.value.params["title"]
    assert own_files(profile_dir)[vote] == text
    # other files may still be published while the ballot is open
    edited = threshold(own_files(profile_dir)[SCREENING], "total >= 15", "total >= 14")
    assert publish(live, ADMIN, profile_dir, {SCREENING: edited}, "降低储备线", base_version=live.version).after


def test_a_file_name_outside_the_profile_is_refused(live, profile_dir):
    with pytest.raises(PublishRefused) as refused:
        publish(live, ADMIN, profile_dir, {"../outside.yaml": "id: x\n"}, "越界", base_version=live.version)
    assert refused.value.code == "bad_file_name"
    assert not (profile_dir.parent / "outside.yaml").exists()


def test_two_administrators_publishing_from_the_same_version_at_once_do_not_overwrite_each_other(
        profile_dir, db_url):
    """Two app processes (two runtimes, two threads) publish different edits made from the same
    version at the same moment: one is written, the other is refused as stale, and the folder holds
    exactly the published one (before, both could pass the check and the second overwrote the first)."""
    import threading
    runtimes = [Runtime.open(profile_dir, db_url) for _ in range(2)]
    try:
        base = runtimes[0].version
        text = (profile_dir / SCREENING).read_text(encoding="utf-8")
        edits = [threshold(text, "total >= 15", f"total >= {n}") for n in (14, 16)]
        start, outcomes = threading.Barrier(2), [None, None]

        def publish_one(i):
            start.wait()
            try:
                outcomes[i] = publish(runtimes[i], ADMIN, profile_dir, {SCREENING: edits[i]}, f"第{i}位管理员",
                                      base_version=base).after
            except PublishRefused as exc:
                outcomes[i] = exc.code
        threads = [threading.Thread(target=publish_one, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(o == "stale" for o in outcomes) == [False, True], outcomes
        winner = next(i for i, o in enumerate(outcomes) if o != "stale")
        assert (profile_dir / SCREENING).read_text(encoding="utf-8") == edits[winner]
        assert [p.after for p in history(runtimes[0])] == [outcomes[winner]]
    finally:
        for runtime in runtimes:
            runtime.db.dispose()


KILLED_PUBLISH = """
import os, signal, sys
sys.path.insert(0, {root!r})
from engine.core import publishing
from engine.core.actors import Actor
from engine.core.runtime import Runtime
def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # a power cut: the files are written, the audit row is not
rt = Runtime.open({folder!r}, {url!r})
text = open({target!r}, encoding="utf-8").read()
publishing.audit = killed
publishing.publish(rt, Actor("admin", "管理员", frozenset({{"administrator"}})), {folder!r},
                   {{{rel!r}: text.replace("total >= 15", "total >= 14", 1)}}, "降低储备线", base_version=rt.version)
"""


def test_a_publish_killed_before_its_audit_row_is_undone_by_the_next_start(live, profile_dir, db_url):
    """The files were written, the row was not: the app restarted on a version no one published.
    Now the next start puts the files back and says so in the audit log; a completed publish
    killed after its commit keeps its files."""
    import subprocess
    import sys
    from tests.conftest import ROOT
    before_text, before_version = (profile_dir / SCREENING).read_text(encoding="utf-8"), live.version
    script = KILLED_PUBLISH.format(root=str(ROOT), folder=str(profile_dir), url=db_url,
                                   target=str(profile_dir / SCREENING), rel=SCREENING)
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert (profile_dir / SCREENING).read_text(encoding="utf-8") != before_text  # the crash left the new text
    restarted = Runtime.open(profile_dir, db_url)
    try:
        assert (profile_dir / SCREENING).read_text(encoding="utf-8") == before_text
        assert restarted.version == before_version == disk_version(profile_dir)
        assert not (profile_dir / ".publish-journal.json").exists()
        with restarted.db.read() as session:
            undone = session.scalars(select(AuditEntry).where(AuditEntry.action == "profile.publish_undone")).all()
        assert [row.after["files"] for row in undone] == [[SCREENING]]
        assert history(restarted) == []
        # a publish that completes leaves no journal, and the next start changes nothing
        made = publish(restarted, ADMIN, profile_dir, {SCREENING: threshold(before_text, "total >= 15", "total >= 14")},
                       "降低储备线", base_version=restarted.version)
        again = Runtime.open(profile_dir, db_url)
        assert again.version == made.after and not (profile_dir / ".publish-journal.json").exists()
        again.db.dispose()
    finally:
        restarted.db.dispose()


def test_a_publish_killed_after_its_commit_keeps_its_files(live, profile_dir, db_url):
    import subprocess
    import sys
    from tests.conftest import ROOT
    script = KILLED_PUBLISH.format(root=str(ROOT), folder=str(profile_dir), url=db_url,
                                   target=str(profile_dir / SCREENING), rel=SCREENING)
    script = script.replace("publishing.audit = killed", "publishing.profile_journal.end = killed")
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert (profile_dir / ".publish-journal.json").exists()
    after_text = (profile_dir / SCREENING).read_text(encoding="utf-8")
    restarted = Runtime.open(profile_dir, db_url)
    try:
        assert (profile_dir / SCREENING).read_text(encoding="utf-8") == after_text and "total >= 14" in after_text
        assert [p.note for p in history(restarted)] == ["降低储备线"] and history(restarted)[0].after == restarted.version
        assert not (profile_dir / ".publish-journal.json").exists()
    finally:
        restarted.db.dispose()

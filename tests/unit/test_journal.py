"""Audited before it exists: an intent is committed before the product, and settled afterwards or at the next
sign-in (services/journal.py)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop.domain.models import AuditEntry, PendingOperation
from wenze_desktop.errors import ValidationError
from wenze_desktop.security.audit import verify_chain
from wenze_desktop.services import journal
from wenze_desktop.services.auth import login

FILE_FAILED = "未能完成：文件操作失败"  # an OSError inside an intent reaches the user in Chinese


def entries(ctx, action):
    with ctx.workspace.session() as s:
        return [json.loads(e.new_values) | {"success": e.success}
                for e in s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))]


def pending(ctx):
    with ctx.workspace.session() as s:
        return list(s.scalars(select(PendingOperation)))


def test_the_intent_is_committed_before_the_product_exists_and_completed_after(ctx, tmp_path):
    out = tmp_path / "x.bin"
    with journal.intended(ctx, "workspace.backup", "workspace", new={"file": out.name}, product=out) as intent:
        assert entries(ctx, "workspace.backup") == [{"file": "x.bin", "stage": "started", "success": True}]
        assert len(pending(ctx)) == 1 and not out.exists()
        intent.part.write_bytes(b"data")
        intent.publish()
        intent.complete({"sha256": journal.sha256_file(out)})
    assert out.read_bytes() == b"data" and not intent.part.exists()
    assert [e["stage"] for e in entries(ctx, "workspace.backup")] == ["started", "completed"]
    assert pending(ctx) == []


def test_a_failure_removes_what_was_produced_and_is_recorded(ctx, tmp_path):
    out = tmp_path / "x.bin"
    with (pytest.raises(ValidationError, match=FILE_FAILED),
          journal.intended(ctx, "workspace.backup", "workspace", product=out) as intent):
        intent.part.write_bytes(b"data")
        intent.publish()
        raise OSError("磁盘已满")
    assert not out.exists() and not intent.part.exists()
    last = entries(ctx, "workspace.backup")[-1]
    assert last["stage"] == "failed" and last["success"] is False and "磁盘已满" in last["reason"]
    assert pending(ctx) == []


@pytest.mark.parametrize("published", [False, True])
def test_an_intent_left_by_a_killed_process_is_settled_at_the_next_sign_in(workspace, data_dir, clock, tmp_path,
                                                                          published):
    ctx, _ = workspace
    out = tmp_path / "x.bin"
    out.write_bytes(b"an older file of the same name")
    with ctx.transaction() as s:  # what a killed process leaves: the intent, and perhaps its product
        intent = journal.begin(ctx, s, "transfer.export", "package", new={"file": out.name}, product=out)
    intent.part.write_bytes(b"new")
    if published:
        intent.publish()
    intent.alive.release(remove=False)  # what the operating system does when the process dies
    ctx.workspace.close()
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        last = entries(again, "transfer.export")[-1]
        assert last["recovered"] is True and last["stage"] == ("completed" if published else "failed")
        if published:
            assert last["sha256"] == journal.sha256_file(out)
        assert not intent.part.exists() and pending(again) == []
        assert not list(data_dir.glob(".operation-*.lock"))
        assert out.read_bytes() == (b"new" if published else b"an older file of the same name")
        assert len(again.notices) == 1 and "中断" in again.notices[0]
        with again.workspace.session() as s:
            assert verify_chain(s).ok
    finally:
        again.workspace.close()


def test_a_sign_in_elsewhere_leaves_a_live_operation_alone(workspace, data_dir, clock, tmp_path):
    """Another program's intent whose process is still at work is not settled as interrupted by our sign-in."""
    ctx, _ = workspace
    out = tmp_path / "x.bin"
    with journal.intended(ctx, "workspace.backup", "workspace", product=out) as intent:
        other = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)  # e.g. the command line beside the window
        try:
            assert other.notices == [] and len(pending(other)) == 1
        finally:
            other.workspace.close()
        intent.part.write_bytes(b"data")
        intent.publish()
        intent.complete({"sha256": journal.sha256_file(out)})
    assert [e["stage"] for e in entries(ctx, "workspace.backup")] == ["started", "completed"]
    assert not list(data_dir.glob(".operation-*.lock"))


def test_a_lock_left_by_a_process_killed_before_its_intent_is_swept_but_a_held_one_is_kept(workspace, data_dir,
                                                                                          clock):
    from wenze_desktop.storage.filelock import Held

    ctx, _ = workspace
    orphan = Held.take(data_dir / ".operation-orphan.lock")
    orphan.release(remove=False)  # killed before its intent was committed
    live = Held.take(data_dir / ".operation-live.lock")  # another program, about to commit its intent
    ctx.workspace.close()
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert not (data_dir / ".operation-orphan.lock").exists()
        assert (data_dir / ".operation-live.lock").exists()
    finally:
        live.release()
        again.workspace.close()


def test_a_killed_operation_is_not_credited_with_another_operations_file(workspace, data_dir, clock, tmp_path):
    """Killed before it wrote anything; a retry then made the file: only the retry's entry names it."""
    ctx, _ = workspace
    out = tmp_path / "x.bin"
    with ctx.transaction() as s:
        killed = journal.begin(ctx, s, "workspace.backup", "workspace", product=out)
    killed.alive.release(remove=False)
    with journal.intended(ctx, "workspace.backup", "workspace", product=out) as retry:
        retry.part.write_bytes(b"the retry's backup")
        retry.publish()
        retry.complete({"sha256": journal.sha256_file(out)})
    ctx.workspace.close()
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        settled = [e for e in entries(again, "workspace.backup") if e.get("intent") == killed.seq]
        assert [e["stage"] for e in settled] == ["failed"]
        assert out.read_bytes() == b"the retry's backup"  # another operation's file is left alone
        assert "未产生结果" in again.notices[0]
    finally:
        again.workspace.close()


# -- the database side, applied with the outcome ------------------------------------------------------------------

def _check_probe(description: dict) -> None:
    if set(description) != {"mark"} or not isinstance(description["mark"], str):
        raise ValueError("not a probe")


@journal.applier("test.probe", _check_probe)
def _apply_probe(ctx, s, description, note):
    ctx.audit(s, "test.probe", "workspace", None, new={"mark": description["mark"], **note})


def killed_intent(ctx, keyring_digest, side):
    """What a process killed after committing its intent leaves (a slot-file change it may or may not have made)."""
    with ctx.transaction() as s:
        intent = journal.begin(ctx, s, "config.login_policy", "workspace", keyring=("policy", keyring_digest),
                               apply=side)
    intent.alive.release(remove=False)
    return intent


@pytest.mark.parametrize("done", [False, True])
def test_the_database_side_is_applied_with_the_outcome_the_next_sign_in_records(workspace, data_dir, clock, done):
    ctx, _ = workspace
    ring = ctx.workspace.keyring
    side = journal.database_side("test.probe", completed={"mark": "done"}, failed={"mark": "undone"})
    digest = journal.keyring_digest(ring, "policy") if done else "0" * 64  # the slot file holds it, or not
    intent = killed_intent(ctx, digest, side)
    assert entries(ctx, "test.probe") == []  # nothing applied with the intent
    ctx.workspace.close()
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        probe = entries(again, "test.probe")
        assert probe == [{"mark": "done" if done else "undone", "intent": intent.seq, "recovered": True,
                          "success": True}]
        with again.workspace.session() as s:  # applied in the transaction that records the outcome: next to it
            seqs = [e.seq for e in s.scalars(select(AuditEntry).where(
                AuditEntry.action.in_(["test.probe", "config.login_policy"])).order_by(AuditEntry.seq))]
        assert seqs[-1] == seqs[-2] + 1
        assert entries(again, "config.login_policy")[-1]["stage"] == ("completed" if done else "failed")
    finally:
        again.workspace.close()


def test_the_database_side_is_applied_with_this_process_s_completion_or_failure(ctx, tmp_path):
    side = journal.database_side("test.probe", completed={"mark": "done"}, failed={"mark": "undone"})
    with journal.intended(ctx, "workspace.backup", "workspace", product=tmp_path / "a", apply=side) as intent:
        intent.part.write_bytes(b"a")
        intent.publish()
        intent.complete()
    with (pytest.raises(ValidationError, match=FILE_FAILED),
          journal.intended(ctx, "workspace.backup", "workspace", product=tmp_path / "b", apply=side)):
        raise OSError("磁盘已满")
    assert [e["mark"] for e in entries(ctx, "test.probe")] == ["done", "undone"]


def test_a_description_no_applier_accepts_is_refused_before_the_intent_and_never_blocks_a_sign_in(
        workspace, data_dir, clock):
    ctx, _ = workspace
    with pytest.raises(ValueError):
        journal.database_side("test.probe", completed={"mark": 1})
    with pytest.raises(ValueError):
        journal.database_side("no.such.applier", completed={})
    # a row edited by hand (or by a later version) names what this version cannot apply
    killed_intent(ctx, journal.keyring_digest(ctx.workspace.keyring, "policy"),
                  {"by": "test.probe", "completed": {"mark": "x", "table": "staff_user"}})
    ctx.workspace.close()
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        last = entries(again, "config.login_policy")[-1]
        assert last["stage"] == "completed" and "unapplied" in last
        assert entries(again, "test.probe") == [] and pending(again) == []
    finally:
        again.workspace.close()


def test_an_applier_registered_by_a_module_not_yet_imported_is_found():
    """The command line signs in without importing the account service; its applier is still found."""
    import importlib
    import sys

    saved = journal._APPLIERS.pop("staff_user", None)
    module = sys.modules.pop("wenze_desktop.services.accounts", None)
    try:
        assert journal._applier("staff_user").check is not None
    finally:
        if module is not None:  # leave the module the other tests imported in place
            sys.modules["wenze_desktop.services.accounts"] = module
            journal._APPLIERS["staff_user"] = saved
        else:
            importlib.import_module("wenze_desktop.services.accounts")

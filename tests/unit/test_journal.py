"""Audited before it exists: an intent is committed before the product, and settled afterwards or at the next
sign-in (services/journal.py)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop.domain.models import AuditEntry, PendingOperation
from wenze_desktop.security.audit import verify_chain
from wenze_desktop.services import journal
from wenze_desktop.services.auth import login


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
    with pytest.raises(OSError), journal.intended(ctx, "workspace.backup", "workspace", product=out) as intent:
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

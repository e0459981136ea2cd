"""Backup is a consistent encrypted copy with its key slots; restore checks everything and gets a new id."""

import hashlib

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN, ADMIN_PASSWORD
from wenze_desktop.domain.models import AuditEntry, Case, Respondent, WorkspaceInfo
from wenze_desktop.errors import IntegrityFailure, ValidationError, WorkspaceExists, WrongPassword
from wenze_desktop.services.admin import AdminService, restore
from wenze_desktop.services.auth import login
from wenze_desktop.services.cases import CaseService


@pytest.fixture
def filled(ctx):
    cases = CaseService(ctx)
    case_id = cases.create_case("坛作问〔2026〕3号", "关于王五作风问题的问责案", "jt2019", facts="迟到早退")
    cases.add_respondent(case_id, "person", name="王五", gender="male", ethnicity="汉族", rank="一级科员")
    cases.add_attachment(case_id, "谈话笔录.txt", "谈话内容".encode())
    return ctx


def test_round_trip_gives_the_same_data_and_a_new_instance_id(filled, tmp_path, clock):
    out = tmp_path / "b.wzbak"
    AdminService(filled).backup(out)
    assert not out.read_bytes().count(b"SQLite format 3")
    old_id = AdminService(filled).workspace_info().id

    target = tmp_path / "restored"
    before_id, new_id = restore(out, target, ADMIN, ADMIN_PASSWORD, clock=clock)
    assert before_id == old_id and new_id != old_id
    ctx = login(target, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        with ctx.workspace.session() as s:
            assert s.scalars(select(WorkspaceInfo.id)).one() == new_id
            assert s.scalars(select(Case.title)).one() == "关于王五作风问题的问责案"
            assert s.scalars(select(Respondent.name)).one() == "王五"
            assert s.scalars(select(AuditEntry.action).where(AuditEntry.action == "workspace.restore")).one()
        name, content = CaseService(ctx).read_attachment(_attachment_id(ctx))
        assert (name, content) == ("谈话笔录.txt", "谈话内容".encode())
        assert AdminService(ctx).verify().ok
    finally:
        ctx.workspace.close()


def _attachment_id(ctx) -> str:
    from wenze_desktop.domain.models import Attachment

    with ctx.workspace.session() as s:
        return s.scalars(select(Attachment.id)).one()


def test_corrupt_backup_refused_and_target_untouched(filled, tmp_path, clock):
    out = tmp_path / "b.wzbak"
    AdminService(filled).backup(out)
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    target = tmp_path / "restored"
    with pytest.raises(IntegrityFailure):
        restore(out, target, ADMIN, ADMIN_PASSWORD, clock=clock)
    assert not (target / "wenze.db").exists() and not (target / "wenze.keys").exists()


def test_truncated_backup_refused(filled, tmp_path, clock):
    out = tmp_path / "b.wzbak"
    AdminService(filled).backup(out)
    out.write_bytes(out.read_bytes()[:5000])
    with pytest.raises(IntegrityFailure):
        restore(out, tmp_path / "restored", ADMIN, ADMIN_PASSWORD, clock=clock)


def test_restore_with_wrong_password_refused(filled, tmp_path, clock):
    out = tmp_path / "b.wzbak"
    AdminService(filled).backup(out)
    with pytest.raises(WrongPassword):
        restore(out, tmp_path / "restored", ADMIN, "wrong-password", clock=clock)


def test_restore_over_an_existing_workspace_needs_replace(filled, data_dir, tmp_path, clock):
    out = tmp_path / "b.wzbak"
    AdminService(filled).backup(out)
    CaseService(filled).create_case("C-after", "备份之后的新案件", "gz2009")
    filled.workspace.close()
    current = hashlib.sha256((data_dir / "wenze.db").read_bytes()).hexdigest()
    with pytest.raises(WorkspaceExists):
        restore(out, data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    assert hashlib.sha256((data_dir / "wenze.db").read_bytes()).hexdigest() == current
    restore(out, data_dir, ADMIN, ADMIN_PASSWORD, replace=True, clock=clock)
    kept = list((data_dir / "backups").glob("replaced-*/wenze.db"))
    assert len(kept) == 1 and hashlib.sha256(kept[0].read_bytes()).hexdigest() == current
    ctx = login(data_dir, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        with ctx.workspace.session() as s:
            assert "C-after" not in s.scalars(select(Case.number)).all()
    finally:
        ctx.workspace.close()


def backup_entries(ctx) -> list[dict]:
    import json

    with ctx.workspace.session() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "workspace.backup").order_by(AuditEntry.seq))
        return [json.loads(e.new_values) | {"id": e.id, "seq": e.seq, "success": e.success} for e in rows]


def pending_operations(ctx) -> list:
    from wenze_desktop.domain.models import PendingOperation

    with ctx.workspace.session() as s:
        return list(s.scalars(select(PendingOperation)))


def test_a_backup_is_audited_before_it_exists(filled, tmp_path, monkeypatch):
    from wenze_desktop import crashpoints
    from wenze_desktop.storage.backup import sha256_file

    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "b.wzbak"
    seen = {}

    def step(name):
        if name == "workspace.backup/written":  # written, not yet published
            seen["entries"], seen["out_exists"] = backup_entries(filled), out.exists()
            seen["scratch"] = [p.name for p in folder.iterdir() if p.name.startswith(".wzbak-")]

    monkeypatch.setattr(crashpoints, "step", step)
    manifest = AdminService(filled).backup(out)
    assert [e["stage"] for e in seen["entries"]] == ["started"] and not seen["out_exists"]
    assert len(seen["scratch"]) == 2 and any(name.endswith(".lock") for name in seen["scratch"])  # folder + lock
    started, completed = backup_entries(filled)
    assert manifest["intent"] == started["id"] and completed["intent"] == started["seq"]
    assert completed["stage"] == "completed" and completed["sha256"] == sha256_file(out)
    assert completed["size"] == out.stat().st_size and completed["file"] == str(out.absolute())
    assert pending_operations(filled) == []
    assert [p.name for p in folder.iterdir()] == ["b.wzbak"]  # no scratch left


def test_a_failed_backup_leaves_no_file_and_says_so(filled, tmp_path, monkeypatch):
    from wenze_desktop import crashpoints

    folder = tmp_path / "out"
    folder.mkdir()

    def step(name):
        if name == "workspace.backup/written":
            raise OSError("磁盘已满")

    monkeypatch.setattr(crashpoints, "step", step)
    with pytest.raises(ValidationError, match="未能完成：文件操作失败"):
        AdminService(filled).backup(folder / "b.wzbak")
    assert list(folder.iterdir()) == []
    last = backup_entries(filled)[-1]
    assert last["stage"] == "failed" and last["success"] is False and "磁盘已满" in last["reason"]
    assert pending_operations(filled) == []


def test_a_restored_workspace_records_its_own_backup_as_completed(filled, tmp_path, clock):
    from wenze_desktop.storage.backup import sha256_file

    out = tmp_path / "b.wzbak"
    AdminService(filled).backup(out)
    target = tmp_path / "restored"
    restore(out, target, ADMIN, ADMIN_PASSWORD, clock=clock)
    ctx = login(target, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert ctx.notices == [] and pending_operations(ctx) == []  # no "interrupted backup" to confuse anyone
        started, completed = backup_entries(ctx)
        assert started["stage"] == "started"
        assert completed["stage"] == "completed" and completed["settled_by"] == "workspace.restore"
        assert completed["sha256"] == sha256_file(out) and completed["size"] == out.stat().st_size
        assert AdminService(ctx).verify().ok
    finally:
        ctx.workspace.close()


def test_an_operation_under_way_elsewhere_when_the_backup_was_taken_is_settled_after_restoring(filled, tmp_path,
                                                                                              clock):
    """Restored on another machine: the process lock the operation named there is not waited for here."""
    from wenze_desktop.services import journal

    with filled.transaction() as s:  # e.g. an export in another window while the backup ran
        under_way = journal.begin(filled, s, "transfer.export", "package", product=tmp_path / "gone" / "x.wzpkg")
    out = tmp_path / "b.wzbak"
    AdminService(filled).backup(out)
    filled.workspace.close()
    data_dir = filled.workspace.data_dir
    data_dir.rename(tmp_path / "the other machine")  # its lock's folder does not exist here
    target = tmp_path / "restored"
    restore(out, target, ADMIN, ADMIN_PASSWORD, clock=clock)
    ctx = login(target, ADMIN, ADMIN_PASSWORD, clock=clock)
    try:
        assert pending_operations(ctx) == []
        assert len(ctx.notices) == 1 and "导出数据包" in ctx.notices[0]
        assert AdminService(ctx).verify().ok
    finally:
        ctx.workspace.close()
        under_way.alive.release(remove=False)  # still held until now, over there

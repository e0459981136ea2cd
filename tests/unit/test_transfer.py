"""Case packages between two offices: round trip, dry run, re-import, updates, conflicts and their resolution."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.unit.transfer_helpers import audit_of, befriend, dump, key_file, office, received_audit, rich_case
from wenze_desktop.domain.models import Attachment, AuditEntry, CaseDeadline, IssuedDocument
from wenze_desktop.errors import Cancelled, IntegrityFailure, PermissionDenied, ValidationError
from wenze_desktop.transfer.snapshot import case_record


def record(ws, case_id):
    with ws.ctx.workspace.session() as s:
        return case_record(s, case_id)


def blobs(ws, case_id):
    with ws.ctx.workspace.session() as s:
        return sorted([(r.id, r.content) for r in s.scalars(select(Attachment).where(Attachment.case_id == case_id))]
                      + [(r.id, r.content) for r in s.scalars(select(IssuedDocument)
                                                               .where(IssuedDocument.case_id == case_id))])


def deadlines(ws, case_id):
    with ws.ctx.workspace.session() as s:
        return sorted((d.rule_id, d.due, d.is_open) for d in s.scalars(
            select(CaseDeadline).where(CaseDeadline.case_id == case_id)))


def send(a, b, case_ids, path):
    a.transfer.export(case_ids, path, to=b.keys.own().fingerprint)
    return path


def test_round_trip_carries_cases_attachments_documents_and_the_audit_trail(offices, tmp_path):
    a, b = offices
    first = rich_case(a, "张三", attachment=b"scan-1" * 5000)
    second = rich_case(a, "李四", attachment=bytes(range(256)) * 300)
    trail = {cid: audit_of(a, cid) for cid in (first, second)}
    result = a.transfer.export([first, second], tmp_path / "out.wzpkg", to=str(key_file(b, tmp_path / "b.wzkey")))
    assert result.recipient == "乙市纪委" and len(result.case_numbers) == 2

    preview = b.transfer.apply(result.path)
    assert [p.action for p in preview.cases] == ["new", "new"]
    for cid in (first, second):
        assert record(b, cid) == record(a, cid)
        assert blobs(b, cid) == blobs(a, cid) and blobs(b, cid)
        assert received_audit(b, cid) == trail[cid] and trail[cid]
        assert deadlines(b, cid) == deadlines(a, cid)  # derived again from the same events with the same calendar
    assert b.cases.get_case(first).handler_id is None  # the sender's staff are not ours


def test_dry_run_verifies_and_writes_no_case_data(offices, tmp_path):
    a, b = offices
    cid = rich_case(a)
    path = send(a, b, [cid], tmp_path / "p.wzpkg")
    before = dump(b)
    preview = b.transfer.inspect(path)
    assert preview.cases[0].action == "new" and preview.sender_name == "甲县纪委"
    assert preview.sender_fingerprint == a.keys.own().fingerprint
    assert dump(b) == before


def test_reimporting_the_same_package_changes_nothing(offices, tmp_path):
    a, b = offices
    path = send(a, b, [rich_case(a)], tmp_path / "p.wzpkg")
    b.transfer.apply(path)
    after_first = dump(b)
    again = b.transfer.apply(path)
    assert [p.action for p in again.cases] == ["unchanged"]
    assert dump(b) == after_first


def test_a_case_changed_only_by_the_receiver_comes_back_as_an_update(offices, tmp_path):
    a, b = offices
    cid = rich_case(a)
    b.transfer.apply(send(a, b, [cid], tmp_path / "1.wzpkg"))
    b.cases.update_case(cid, title="关于张三同志的问责案（市纪委补充）")
    b.cases.add_attachment(cid, "补充材料.pdf", b"more evidence")
    preview = a.transfer.apply(send(b, a, [cid], tmp_path / "2.wzpkg"))
    assert [p.action for p in preview.cases] == ["updated"]
    assert record(a, cid) == record(b, cid)
    assert blobs(a, cid) == blobs(b, cid)
    # And the old package, arriving late, does not roll the case back.
    assert [p.action for p in b.transfer.apply(tmp_path / "1.wzpkg").cases] == ["local_newer"]
    assert record(a, cid) == record(b, cid)


def test_a_case_changed_on_both_sides_is_a_conflict_kept_with_both_versions(offices, tmp_path):
    a, b = offices
    cid = rich_case(a)
    b.transfer.apply(send(a, b, [cid], tmp_path / "1.wzpkg"))
    a.cases.update_case(cid, title="甲方修改的标题")
    b.cases.update_case(cid, title="乙方修改的标题")
    local_before = record(a, cid)
    preview = a.transfer.apply(send(b, a, [cid], tmp_path / "2.wzpkg"))
    assert [p.action for p in preview.cases] == ["conflict"] and "都修改" in preview.cases[0].reason
    assert record(a, cid) == local_before  # never silently overwritten
    [conflict] = a.transfer.conflicts()
    local, incoming = a.transfer.conflict_versions(conflict.id)
    assert (local["case"]["title"], incoming["case"]["title"]) == ("甲方修改的标题", "乙方修改的标题")
    assert conflict.sender_name == "乙市纪委"
    # The same package again adds no second copy of the conflict.
    assert [p.action for p in a.transfer.apply(tmp_path / "2.wzpkg").cases] == ["known_conflict"]
    assert len(a.transfer.conflicts()) == 1

    a.transfer.resolve(conflict.id, "incoming")
    assert record(a, cid) == record(b, cid) and blobs(a, cid) == blobs(b, cid)
    assert a.transfer.conflicts() == []
    assert [p.action for p in a.transfer.apply(tmp_path / "2.wzpkg").cases] == ["unchanged"]


def test_keeping_the_local_version_makes_it_count_as_newer(offices, tmp_path):
    a, b = offices
    cid = rich_case(a)
    b.transfer.apply(send(a, b, [cid], tmp_path / "1.wzpkg"))
    a.cases.update_case(cid, title="甲方")
    b.cases.update_case(cid, title="乙方")
    a.transfer.apply(send(b, a, [cid], tmp_path / "2.wzpkg"))
    [conflict] = a.transfer.conflicts()
    a.transfer.resolve(conflict.id, "local")
    assert record(a, cid)["case"]["title"] == "甲方"
    assert [p.action for p in a.transfer.apply(tmp_path / "2.wzpkg").cases] == ["local_newer"]
    # Sent back, ours now fast-forwards theirs.
    assert [p.action for p in b.transfer.apply(send(a, b, [cid], tmp_path / "3.wzpkg")).cases] == ["updated"]
    assert record(b, cid)["case"]["title"] == "甲方"


def test_three_offices_edits_from_two_receivers_conflict_at_the_sender(tmp_path, clock):
    a, b, c = (office(tmp_path, name, clock) for name in ("甲县纪委", "乙市纪委", "丙区纪委"))
    befriend(a, b)
    befriend(a, c)
    cid = rich_case(a)
    path = a.transfer.export([cid], tmp_path / "to-b.wzpkg", to="乙市纪委").path
    b.transfer.apply(path)
    c.transfer.apply(a.transfer.export([cid], tmp_path / "to-c.wzpkg", to="丙区纪委").path)
    b.cases.update_case(cid, title="乙改")
    c.cases.update_case(cid, title="丙改")
    assert a.transfer.apply(send(b, a, [cid], tmp_path / "b.wzpkg")).cases[0].action == "updated"
    assert a.transfer.apply(send(c, a, [cid], tmp_path / "c.wzpkg")).cases[0].action == "conflict"
    assert record(a, cid)["case"]["title"] == "乙改"
    for ws in (a, b, c):
        ws.close()


def test_a_new_case_whose_number_is_taken_here_is_a_conflict(offices, tmp_path):
    a, b = offices
    cid = rich_case(a)
    rich_case(b)  # the same first number of the year, another case
    preview = b.transfer.apply(send(a, b, [cid], tmp_path / "p.wzpkg"))
    assert preview.cases[0].action == "conflict" and "已被本单位另一案件使用" in preview.cases[0].reason


def test_export_and_import_are_audited_with_the_file_hash(offices, tmp_path):
    a, b = offices
    cid = rich_case(a)
    result = a.transfer.export([cid], tmp_path / "p.wzpkg", to="乙市纪委")
    import hashlib

    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == result.sha256
    b.transfer.apply(result.path)
    with b.ctx.workspace.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "transfer.import")).one()
    assert result.sha256 in entry.new_values and entry.username == "admin" and entry.success
    with a.ctx.workspace.session() as s:  # the intent (to whom, which cases, where) before the file existed
        started, completed = (json.loads(e.new_values) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "transfer.export").order_by(AuditEntry.seq)))
        [sent] = [json.loads(e.new_values) for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action == "case.export"))]
    assert started["stage"] == "started" and started["to"] == "乙市纪委" and started["file"] == "p.wzpkg"
    assert started["cases"] == result.case_numbers and started["path"] == str(result.path)
    assert completed == {"file": "p.wzpkg", "sha256": result.sha256, "size": result.size, "stage": "completed",
                         "intent": completed["intent"]}
    assert sent["package"] == result.package_id and sent["intent"] == completed["intent"]


def test_export_refuses_an_office_that_is_not_trusted(tmp_path, clock):
    a, stranger = office(tmp_path, "甲县纪委", clock), office(tmp_path, "某单位", clock)
    cid = rich_case(a)
    with pytest.raises(ValidationError, match="尚未导入为可信单位"):
        a.transfer.export([cid], tmp_path / "p.wzpkg", to=str(key_file(stranger, tmp_path / "s.wzkey")))
    assert not (tmp_path / "p.wzpkg").exists()
    a.close()
    stranger.close()


def test_passphrase_package_round_trip_and_wrong_passphrase(offices, tmp_path):
    a, b = offices
    cid = rich_case(a)
    path = a.transfer.export([cid], tmp_path / "p.wzpkg", passphrase="交换口令-2026").path
    before = dump(b)
    with pytest.raises(ValidationError, match="口令"):
        b.transfer.inspect(path)
    with pytest.raises(IntegrityFailure, match="口令错误"):
        b.transfer.apply(path, passphrase="wrong-passphrase")
    assert dump(b) == before
    assert b.transfer.apply(path, passphrase="交换口令-2026").cases[0].action == "new"
    assert record(b, cid) == record(a, cid)


def test_a_passphrase_does_not_make_an_unknown_sender_trusted(tmp_path, clock):
    """Sender and receiver agree: a passphrase only encrypts; the receiver still refuses a sender it does not trust,
    and says what to do (docs/package-format.md, "Passphrase packages")."""
    stranger, b = office(tmp_path, "某单位", clock), office(tmp_path, "乙市纪委", clock)
    try:
        path = stranger.transfer.export([rich_case(stranger)], tmp_path / "p.wzpkg", passphrase="交换口令-2026").path
        before = dump(b)
        with pytest.raises(IntegrityFailure, match="口令数据包也一样") as refused:
            b.transfer.apply(path, passphrase="交换口令-2026")
        assert stranger.keys.own().fingerprint in str(refused.value)
        assert dump(b) == before
    finally:
        stranger.close()
        b.close()


def test_passphrase_packages_are_kept_to_what_fits_in_memory(offices, tmp_path, monkeypatch):
    import pyrage

    from wenze_desktop.transfer import archive

    a, b = offices
    cid = rich_case(a, attachment=bytes(range(256)) * 6000)  # 1.5 MB
    path = a.transfer.export([cid], tmp_path / "p.wzpkg", passphrase="交换口令-2026").path
    tar_size = len(pyrage.passphrase.decrypt(path.read_bytes(), "交换口令-2026"))

    monkeypatch.setattr(archive, "PASSPHRASE_MAX_BYTES", 100_000)  # refused before anything is built
    with pytest.raises(ValidationError, match=r"超过上限.*对方单位的密钥"):
        a.transfer.export([cid], tmp_path / "big.wzpkg", passphrase="交换口令-2026")
    monkeypatch.setattr(archive, "PASSPHRASE_MAX_BYTES", tar_size - 1)  # the tar's own headers tip it over
    with pytest.raises(ValidationError, match="超过上限"):
        a.transfer.export([cid], tmp_path / "big.wzpkg", passphrase="交换口令-2026")
    assert not list(tmp_path.glob("big.wzpkg*"))

    monkeypatch.setattr(archive, "PASSPHRASE_MAX_BYTES", tar_size)  # what export allows, import opens
    assert a.transfer.export([cid], tmp_path / "edge.wzpkg", passphrase="交换口令-2026").size == path.stat().st_size
    assert b.transfer.inspect(tmp_path / "edge.wzpkg", passphrase="交换口令-2026").cases[0].action == "new"
    monkeypatch.setattr(archive, "PASSPHRASE_MAX_BYTES", tar_size - 10_000)
    before = dump(b)
    with pytest.raises(ValidationError, match="超过上限"):
        b.transfer.apply(path, passphrase="交换口令-2026")
    assert dump(b) == before
    assert a.transfer.export([cid], tmp_path / "keyed.wzpkg", to="乙市纪委").size > 1_500_000  # no such limit


def export_entries(ws) -> list[dict]:
    with ws.ctx.workspace.session() as s:
        return [json.loads(v) | {"success": ok} for v, ok in s.execute(
            select(AuditEntry.new_values, AuditEntry.success).where(AuditEntry.action == "transfer.export")
            .order_by(AuditEntry.seq))]


def test_the_export_is_audited_before_its_file_exists(offices, tmp_path, monkeypatch):
    import wenze_desktop.services.transfer as transfer_service

    a, _b = offices
    cid = rich_case(a)
    real = transfer_service.write_package
    seen = []
    usb = tmp_path / "usb"
    usb.mkdir()

    def write(out, **kwargs):
        seen.append((export_entries(a), list(usb.iterdir())))
        return real(out, **kwargs)

    monkeypatch.setattr(transfer_service, "write_package", write)
    result = a.transfer.export([cid], usb / "p.wzpkg", to="乙市纪委")
    [(entries, files)] = seen
    assert [e["stage"] for e in entries] == ["started"] and entries[0]["file"] == "p.wzpkg" and files == []
    assert [e["stage"] for e in export_entries(a)] == ["started", "completed"]
    assert export_entries(a)[-1]["sha256"] == result.sha256
    assert [p.name for p in usb.iterdir()] == ["p.wzpkg"]  # the scratch file was the intent's, and is gone


def test_an_export_whose_completion_cannot_be_recorded_leaves_no_package(offices, tmp_path, monkeypatch):
    """Another program holds a read lock when the export records its completion: the commit waits, then gives
    up. The package must not stay behind without its entry; the next sign-in records the failure."""
    import threading

    from sqlalchemy import text

    from wenze_desktop.errors import WorkspaceBusy
    from wenze_desktop.services import journal

    a, _b = offices
    cid = rich_case(a)
    usb = tmp_path / "usb"
    usb.mkdir()
    holding, release = threading.Event(), threading.Event()

    def reader():  # a second window or command in the middle of a long read
        with a.ctx.workspace.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN")
            conn.execute(text("SELECT count(*) FROM case_file")).scalar()
            holding.set()
            release.wait(30)
            conn.rollback()

    real_publish = journal.Intent.publish

    def publish(intent):
        real_publish(intent)
        threading.Thread(target=reader, daemon=True).start()
        holding.wait(10)

    monkeypatch.setattr(journal.Intent, "publish", publish)
    with a.ctx.workspace.engine.connect() as conn:  # this thread's connection: give up on a lock after 0.2 s
        conn.exec_driver_sql("PRAGMA busy_timeout = 200")
    try:
        with pytest.raises(WorkspaceBusy, match=r"工作区正忙.*它的开始已记入审计日志"):
            a.transfer.export([cid], usb / "p.wzpkg", to="乙市纪委")
        assert list(usb.iterdir()) == []  # neither the package nor its scratch
    finally:
        release.set()
        with a.ctx.workspace.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout = 15000")
    # Even the failure could not be written while the lock was held: the intent waits for the next sign-in.
    assert [e["stage"] for e in export_entries(a)] == ["started"]
    journal.reconcile(a.ctx)
    assert [e["stage"] for e in export_entries(a)] == ["started", "failed"]
    assert export_entries(a)[-1]["success"] is False and a.admin.verify().ok


def test_a_full_disk_leaves_no_file_and_says_so(offices, tmp_path, monkeypatch):
    import errno

    from wenze_desktop.transfer import archive

    a, _b = offices
    cid = rich_case(a, attachment=b"x" * 300_000)
    real_emit = archive.HashingWriter._emit

    def emit(self, data):
        if self.size > 100_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_emit(self, data)

    monkeypatch.setattr(archive.HashingWriter, "_emit", emit)
    with pytest.raises(ValidationError, match="空间不足"):
        a.transfer.export([cid], tmp_path / "p.wzpkg", to="乙市纪委")
    assert list(tmp_path.glob("p.wzpkg*")) == []


def test_cancel_leaves_no_file(offices, tmp_path):
    a, _b = offices
    cid = rich_case(a)
    with pytest.raises(Cancelled):
        a.transfer.export([cid], tmp_path / "p.wzpkg", to="乙市纪委", progress=lambda done, total, msg: done == 0)
    assert list(tmp_path.glob("p.wzpkg*")) == []


def test_only_users_with_the_transfer_permission_may_export_or_import(offices, tmp_path):
    from wenze_desktop.services import Workspace

    a, _b = offices
    cid = rich_case(a)
    a.accounts.create_user("auditor", "审计员", ["security_auditor"], "Auditor-密码-2026")
    auditor = Workspace.open(a.ctx.workspace.data_dir, "auditor", "Auditor-密码-2026", clock=a.ctx.clock)
    with pytest.raises(PermissionDenied):
        auditor.transfer.export([cid], tmp_path / "p.wzpkg", to="乙市纪委")
    auditor.close()


def test_keys_trusted_listed_and_removed(offices, tmp_path):
    a, b = offices
    names = [(o.office_name, o.own) for o in a.keys.offices()]
    assert names == [("甲县纪委", True), ("乙市纪委", False)]
    cid = rich_case(b)
    path = send(b, a, [cid], tmp_path / "p.wzpkg")
    a.keys.remove(b.keys.own().fingerprint)
    with pytest.raises(IntegrityFailure, match="不在本单位的可信单位名单中"):
        a.transfer.inspect(path)
    with pytest.raises(ValidationError):
        a.transfer.export([rich_case(a, "王五")], tmp_path / "q.wzpkg", to="乙市纪委")


def test_the_received_trail_is_kept_as_the_senders_and_our_own_chain_still_verifies(offices, tmp_path):
    a, b = offices
    cid = rich_case(a)
    b.transfer.apply(send(a, b, [cid], tmp_path / "p.wzpkg"))
    report = b.admin.verify()
    assert report.ok, report.checks
    with b.ctx.workspace.session() as s:  # ours records the import; theirs stays in its own table
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.object_id == cid)))
    assert actions == {"case.import"}
    assert {row[4] for row in received_audit(b, cid)} >= {"case.create", "attachment.create", "document.issue"}


def test_a_workspace_from_before_keys_gets_its_key_pair_on_first_use(ctx):
    from sqlalchemy import delete

    from wenze_desktop.domain.exchange import OfficeKey
    from wenze_desktop.services.office_keys import OfficeKeyService

    with ctx.workspace.session() as s, s.begin():  # as after the upgrade of a workspace made before keys existed
        s.execute(delete(OfficeKey))
    keys = OfficeKeyService(ctx)
    first = keys.own()
    assert keys.own() == first and len(first.fingerprint) == 39
    with ctx.workspace.session() as s:
        made = s.scalars(select(AuditEntry).where(AuditEntry.action == "key.create")).all()
    assert len(made) == 2 and first.fingerprint in made[-1].new_values  # one at set-up, one now

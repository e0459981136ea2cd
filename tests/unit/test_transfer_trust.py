"""A trusted office cannot touch what it did not send.

Each attack is built the way a trusted but hostile (or broken) sender would: its own signing key signs whatever
record it likes, encrypted to our key — the signature and every hash check out. What must stop it is what the
receiver checks in the records themselves: every row belongs to the record's case, an issued document is never
rewritten, and the import's audit entries name every row it changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import tarfile

import pyrage
import pytest
from sqlalchemy import select

from tests.unit.test_transfer import record, send
from tests.unit.transfer_helpers import dump, rich_case
from wenze_desktop.domain.exchange import OfficeKey
from wenze_desktop.domain.models import Attachment, AuditEntry, IssuedDocument, WorkspaceInfo
from wenze_desktop.errors import IntegrityFailure, ValidationError
from wenze_desktop.services.office_keys import own_key_row, pair_of, public_of, trusted_row
from wenze_desktop.services.transfer import ImportedWithError
from wenze_desktop.services.transfer_plan import KIND_LABELS
from wenze_desktop.transfer.package import write_package
from wenze_desktop.transfer.snapshot import PARTS, content_hash, encode, files_of

KINDS = list(PARTS)


def forge(a, b, case_ids, path, edit=lambda records: None, files: dict[str, bytes] | None = None):
    """A package office ``a`` signs with its own key: its cases as it holds them, after ``edit(records)`` (case id
    → record, changed in place). Each forged version descends from the one sent before (its history holds it),
    so the receiver takes it for an update. File bytes come from any case of ``a`` or from ``files``."""
    with a.ctx.workspace.session() as s:
        info = s.scalars(select(WorkspaceInfo)).one()
        sender = pair_of(own_key_row(s, a.ctx))
        recipient = public_of(trusted_row(s, b.keys.own().fingerprint))
        outgoing = a.transfer._outgoing(s, case_ids, info)
    records = {c.id: json.loads(c.record) for c in outgoing}
    edit(records)
    cases = []
    for c in outgoing:
        rec = records[c.id]
        digest = content_hash(rec)
        cases.append(dataclasses.replace(c, content_hash=digest, history=sorted({*c.history, digest}),
                                         record=encode(rec), files=files_of(rec)))

    def load(_case_id: str, sha: str) -> bytes:
        if files and sha in files:
            return files[sha]
        with a.ctx.workspace.session() as s:
            for model in (Attachment, IssuedDocument):
                data = s.scalar(select(model.content).where(model.sha256 == sha).limit(1))
                if data is not None:
                    return data
        raise AssertionError(sha)

    write_package(path, sender=sender, sender_info={"workspace_id": info.id, "workspace_name": info.name,
                                                    "organ_name": info.organ_name, "office_name": "甲县纪委"},
                  cases=cases, load_file=load, created_at=a.ctx.clock(), exported_by="admin", recipient=recipient)
    return path


def resign(a, b, path, edit_manifest) -> None:
    """The real package with its manifest edited and signed again with ``a``'s key (re-encrypted to ``b``)."""
    with b.ctx.workspace.session() as s:
        own = s.scalars(select(OfficeKey).where(OfficeKey.own.is_(True))).one()
        identity, recipient = own.age_identity, own.recipient
    with a.ctx.workspace.session() as s:
        sender = pair_of(own_key_row(s, a.ctx))
    plain = pyrage.decrypt(path.read_bytes(), [pyrage.x25519.Identity.from_str(identity)])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        entries = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    manifest = json.loads(entries[0][1])
    edit_manifest(manifest)
    manifest_bytes = json.dumps(manifest, ensure_ascii=False).encode()
    import base64

    signature = json.dumps({"algorithm": "Ed25519", "fingerprint": sender.public.fingerprint,
                            "signature": base64.b64encode(sender.sign(manifest_bytes)).decode()}).encode()
    entries[:2] = [("manifest.json", manifest_bytes), ("manifest.sig", signature)]
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(pyrage.encrypt(out.getvalue(), [pyrage.x25519.Recipient.from_str(recipient)]))


@pytest.fixture
def shared(offices, tmp_path):
    """甲 has sent two cases, K1 and K2, to 乙; both offices now hold the same rows under the same ids."""
    a, b = offices
    k1, k2 = rich_case(a, "张三"), rich_case(a, "李四")
    b.transfer.apply(send(a, b, [k1, k2], tmp_path / "first.wzpkg"))
    return a, b, k1, k2


def number(ws, case_id):
    return ws.cases.get_case(case_id).number


def refused_imports(ws) -> list[str]:
    with ws.ctx.workspace.session() as s:
        return list(s.scalars(select(AuditEntry.new_values).where(AuditEntry.action == "transfer.import",
                                                                 AuditEntry.success.is_(False))))


def assert_refused(b, path, *parts: str) -> None:
    """Refused by the dry run and by the import, naming ``parts``; nothing written; the refusal audited."""
    before = dump(b)
    for attempt in (b.transfer.inspect, b.transfer.apply):
        with pytest.raises(IntegrityFailure) as refused:
            attempt(path)
        assert all(part in str(refused.value) for part in parts), str(refused.value)
        assert "未导入任何内容" in str(refused.value)
    assert dump(b) == before
    assert parts[0] in refused_imports(b)[-1]


# -- rows of another case ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_an_update_carrying_a_row_of_another_local_case_is_refused(shared, tmp_path, kind):
    a, b, k1, k2 = shared
    other = record(a, k2)

    def steal(records):
        row = dict(other[kind][0], case_id=k1)  # K2's row, relabelled as K1's
        if kind == "documents":
            row["number"] = "问〔2026〕99号"  # and the register rewritten while at it
        records[k1][kind].append(row)

    path = forge(a, b, [k1], tmp_path / "steal.wzpkg", steal)
    assert_refused(b, path, number(b, k1), f"另一案件 {number(b, k2)} ", KIND_LABELS[kind])
    with b.ctx.workspace.session() as s:
        assert s.scalars(select(IssuedDocument.number).where(IssuedDocument.case_id == k2)).all() != ["问〔2026〕99号"]


@pytest.mark.parametrize("kind", ["respondents", "documents", "events"])
def test_a_row_that_names_another_case_inside_this_cases_record_is_refused(shared, tmp_path, kind):
    a, b, k1, k2 = shared
    other = record(a, k2)
    path = forge(a, b, [k1], tmp_path / "other.wzpkg", lambda records: records[k1][kind].append(other[kind][0]))
    assert_refused(b, path, number(b, k1), "属于其他案件的记录", KIND_LABELS[kind])


def test_a_new_case_cannot_carry_rows_of_a_case_of_ours(shared, tmp_path):
    a, b, _k1, _k2 = shared
    ours = rich_case(b, "赵六")  # 乙's own case; its ids have reached 甲 (say, in a package 乙 sent earlier)
    with b.ctx.workspace.session() as s:
        from wenze_desktop.transfer.snapshot import case_record

        respondent = case_record(s, ours)["respondents"][0]
    k3 = rich_case(a, "王五")  # new to 乙

    path = forge(a, b, [k3], tmp_path / "new.wzpkg",
                 lambda records: records[k3]["respondents"].append(dict(respondent, case_id=k3)))
    assert_refused(b, path, number(a, k3), f"另一案件 {number(b, ours)} ", "被问责对象")


@pytest.mark.parametrize(("kind", "column", "target"), [("evidence", "attachment_id", "attachments"),
                                                        ("accountabilities", "respondent_id", "respondents"),
                                                        ("restrictions", "respondent_id", "respondents")])
def test_a_reference_to_a_row_of_another_case_is_refused(shared, tmp_path, kind, column, target):
    a, b, k1, k2 = shared
    other = record(a, k2)

    def point_away(records):
        records[k1][kind][0][column] = other[target][0]["id"]

    path = forge(a, b, [k1], tmp_path / "ref.wzpkg", point_away)
    assert_refused(b, path, number(b, k1), f"指向其他案件{KIND_LABELS[target]}的记录")


def test_a_document_naming_another_cases_event_is_refused(shared, tmp_path):
    a, b, k1, k2 = shared
    other = record(a, k2)

    def point_away(records):
        records[k1]["documents"][0]["event_id"] = other["events"][0]["id"]

    path = forge(a, b, [k1], tmp_path / "ref.wzpkg", point_away)
    assert_refused(b, path, number(b, k1), f"另一案件 {number(b, k2)} ", "程序记录")


def test_two_new_cases_in_one_package_cannot_share_a_row(offices, tmp_path):
    a, b = offices
    k1, k2 = rich_case(a, "张三"), rich_case(a, "李四")

    def share(records):
        records[k2]["respondents"].append(dict(records[k1]["respondents"][0], case_id=k2))

    path = forge(a, b, [k1, k2], tmp_path / "share.wzpkg", share)
    before = dump(b)
    with pytest.raises(IntegrityFailure, match=f"案件 {number(a, k2)} .*同一数据包中案件 {number(a, k1)} 的记录"):
        b.transfer.apply(path)
    assert dump(b) == before


@pytest.mark.parametrize(("kind", "key", "value"), [("respondents", "birth_date", 19800101),
                                                    ("documents", "issued_at", "2026-03-02T09:00:00"),
                                                    ("events", "seq", "1"), ("case", "title", ["列表"])])
def test_a_value_of_the_wrong_kind_is_refused_before_anything_is_written(shared, tmp_path, kind, key, value):
    a, b, k1, _k2 = shared

    def spoil(records):
        row = records[k1]["case"] if kind == "case" else records[k1][kind][0]
        row[key] = value

    path = forge(a, b, [k1], tmp_path / "spoilt.wzpkg", spoil)
    assert_refused(b, path, number(b, k1), "格式不正确的字段", KIND_LABELS[kind])


@pytest.mark.parametrize(("kind", "key"), [("case", "handler_id"), ("documents", "seal_id"),
                                         ("respondents", "version"), ("case", "next_due")])
def test_what_each_office_keeps_for_itself_cannot_be_sent(shared, tmp_path, kind, key):
    """A handler, a seal, a version counter are ours: a record naming them would set them here."""
    a, b, k1, _k2 = shared
    value = {"handler_id": b.ctx.user.id, "seal_id": "00000000-0000-4000-8000-000000000001", "version": 1,
             "next_due": "2026-12-01"}[key]

    def carry(records):
        row = records[k1]["case"] if kind == "case" else records[k1][kind][0]
        row[key] = value

    path = forge(a, b, [k1], tmp_path / "local.wzpkg", carry)
    assert_refused(b, path, number(b, k1), "本单位自有的字段", KIND_LABELS[kind])


# -- issued documents are never rewritten --------------------------------------------------------------------------

@pytest.mark.parametrize("rewrite", ["number", "file", "issued_by"])
def test_an_update_that_rewrites_an_issued_document_is_a_conflict_never_applied(shared, tmp_path, rewrite):
    a, b, k1, _k2 = shared
    forged_pdf = b"%PDF-1.4 another decision"
    sha = hashlib.sha256(forged_pdf).hexdigest()

    def edit(records):
        doc = records[k1]["documents"][0]
        records[k1]["case"]["title"] = "甲方补充的标题"  # an ordinary change rides along
        if rewrite == "number":
            doc.update(number="问〔2026〕88号", verification_code="AAAA-BBBB-CCCC")
        elif rewrite == "file":
            doc.update(sha256=sha, size=len(forged_pdf))
        else:
            doc["issued_by"] = "someone"

    path = forge(a, b, [k1], tmp_path / "rewrite.wzpkg", edit, files={sha: forged_pdf})
    kept = record(b, k1)
    preview = b.transfer.inspect(path)
    assert preview.cases[0].action == "conflict" and "已签发的文书不会被导入改写" in preview.cases[0].reason
    label = {"number": "文号", "file": "文件内容", "issued_by": "签发人"}[rewrite]
    assert label in preview.cases[0].reason
    assert b.transfer.apply(path).cases[0].action == "conflict"
    assert record(b, k1) == kept  # the title too: a conflicting case is kept whole, never half applied
    [conflict] = b.transfer.conflicts()
    with pytest.raises(ValidationError, match="不能采用对方版本：文书"):
        b.transfer.resolve(conflict.id, "incoming")
    assert record(b, k1) == kept
    b.transfer.resolve(conflict.id, "local")
    assert record(b, k1) == kept


def test_a_void_by_the_sender_travels_but_a_void_is_never_undone(shared, tmp_path):
    a, b, k1, k2 = shared
    doc1 = record(a, k1)["documents"][0]["id"]
    a.documents.void(doc1, "文字有误")
    assert b.transfer.apply(send(a, b, [k1], tmp_path / "void.wzpkg")).cases[0].action == "updated"
    assert record(b, k1) == record(a, k1) and record(b, k1)["documents"][0]["void_reason"] == "文字有误"

    doc2 = record(b, k2)["documents"][0]["id"]  # 乙 voids its copy of K2's document and sends K2 back
    b.documents.void(doc2, "送达对象有误")
    assert a.transfer.apply(send(b, a, [k2], tmp_path / "back.wzpkg")).cases[0].action == "updated"

    def undo(records):
        records[k2]["documents"][0].update(voided_at=None, voided_by=None, void_reason=None)

    kept = record(b, k2)
    preview = b.transfer.apply(forge(a, b, [k2], tmp_path / "undo.wzpkg", undo))
    assert preview.cases[0].action == "conflict" and "作废" in preview.cases[0].reason
    assert record(b, k2) == kept and kept["documents"][0]["voided_at"] is not None


# -- the audit names what the import changed -----------------------------------------------------------------------

def import_entries(ws, case_id) -> list[dict]:
    with ws.ctx.workspace.session() as s:
        return [json.loads(v) for v in s.scalars(select(AuditEntry.new_values).where(
            AuditEntry.action == "case.import", AuditEntry.object_id == case_id).order_by(AuditEntry.seq))]


def test_the_import_audit_names_every_row_it_added_changed_or_removed(shared, tmp_path):
    a, b, k1, _k2 = shared
    first = import_entries(b, k1)[0]
    sent = record(a, k1)
    assert first["result"] == "new" and "updated" not in first and "removed" not in first
    assert first["added"] == {"case": [k1], **{kind: sorted(r["id"] for r in sent[kind]) for kind in PARTS}}

    evidence = sent["evidence"][0]["id"]
    a.cases.remove_evidence(evidence)
    added = a.cases.add_attachment(k1, "补充材料.pdf", b"%PDF-1.4 more")
    a.cases.update_case(k1, title="甲方补充的标题")
    assert b.transfer.apply(send(a, b, [k1], tmp_path / "update.wzpkg")).cases[0].action == "updated"
    entry = import_entries(b, k1)[-1]
    assert entry["result"] == "updated"
    assert entry["added"] == {"attachments": [added]}
    assert entry["updated"] == {"case": [k1]}
    assert entry["removed"] == {"evidence": [evidence]}


def test_a_conflict_names_the_kept_version_and_changes_no_row(shared, tmp_path):
    a, b, k1, _k2 = shared
    a.cases.update_case(k1, title="甲方")
    b.cases.update_case(k1, title="乙方")
    b.transfer.apply(send(a, b, [k1], tmp_path / "both.wzpkg"))
    entry = import_entries(b, k1)[-1]
    [conflict] = b.transfer.conflicts()
    assert entry["result"] == "conflict" and entry["added"] == {"conflicts": [conflict.id]}
    assert "updated" not in entry and "removed" not in entry


# -- after the commit, the message never says nothing was imported -------------------------------------------------

@pytest.mark.parametrize("edit", [lambda m: m.update(recipient="乙市纪委"), lambda m: m.update(created_at=20260302),
                                  lambda m: m.update(exported_by=None), lambda m: m["entries"][0].update(size="1")])
def test_a_malformed_manifest_is_refused_before_anything_is_written(offices, tmp_path, edit):
    a, b = offices
    path = send(a, b, [rich_case(a)], tmp_path / "p.wzpkg")
    resign(a, b, path, edit)
    before = dump(b)
    with pytest.raises(IntegrityFailure, match="清单的内容不完整或格式不正确"):
        b.transfer.apply(path)
    assert dump(b) == before


def test_a_failure_after_the_commit_says_what_was_imported(offices, tmp_path, monkeypatch):
    a, b = offices
    cases = [rich_case(a, "张三"), rich_case(a, "李四")]
    path = send(a, b, cases, tmp_path / "p.wzpkg")

    def broken(_changes):
        raise RuntimeError("界面通知失败")

    monkeypatch.setattr(b.ctx, "changed", broken)
    with pytest.raises(ImportedWithError) as raised:
        b.transfer.apply(path)
    message = str(raised.value)
    assert message.startswith("数据包已导入：新增 2 件") and "界面通知失败" in message
    assert "未导入" not in message and "未被改动" not in message
    assert raised.value.result.applied and [p.action for p in raised.value.result.cases] == ["new", "new"]
    assert all(record(b, cid) == record(a, cid) for cid in cases)

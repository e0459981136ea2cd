"""Issuing documents: every kind for every regulation that uses it, required elements, numbering, seals,
verification, reprints (no Qt)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from sqlalchemy import select, update

from tests.conftest import ADMIN, ADMIN_PASSWORD, FakeClock
from tests.unit.document_helpers import A4_PT, fonts, issue_all_kinds, page_sizes, text
from tests.unit.procedure_helpers import new_case
from wenze_desktop.documents.seal_image import demo_seal_png
from wenze_desktop.domain.glossary import Role
from wenze_desktop.domain.models import AuditEntry, IssuedDocument
from wenze_desktop.errors import IntegrityFailure, PermissionDenied, ProcedureRefused, ValidationError
from wenze_desktop.procedure import documents as rules
from wenze_desktop.rules.profiles import load_profile, profile_ids
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services import Workspace, walkthrough

START = date(2026, 3, 2)


@pytest.fixture(scope="module")
def issued_everything(tmp_path_factory):
    """One workspace in which every regulation's documents were issued (sealed where they usually are)."""
    ws = Workspace.create(tmp_path_factory.mktemp("docs") / "ws", ADMIN, ADMIN_PASSWORD, params=FAST_TEST_PARAMS,
                          organ_name="测试市纪委监委", clock=FakeClock())
    ws.organ.set_letterhead(organ_code="测纪", cc="测试市委组织部")
    ws.organ.register_seal("测试市纪委监委", demo_seal_png("测试市纪委监委"))
    issued = {pid: issue_all_kinds(ws, pid) for pid in profile_ids()}
    pdfs = {pid: {kind: ws.documents.read(info.id) for kind, info in kinds.items()} for pid, kinds in issued.items()}
    yield ws, issued, pdfs
    ws.close()


@pytest.fixture
def ws(ctx):
    workspace = Workspace(ctx)
    workspace.organ.register_seal("测试机关", demo_seal_png("测试机关"))
    return workspace


@pytest.mark.parametrize("profile_id", profile_ids())
def test_every_kind_renders_for_every_profile_that_uses_it(issued_everything, profile_id):
    _, issued, pdfs = issued_everything
    wanted = {s.kind for s in rules.sources(load_profile(profile_id))}
    assert set(issued[profile_id]) == wanted
    for kind, pdf in pdfs[profile_id].items():
        assert all(abs(w - A4_PT[0]) < 0.5 and abs(h - A4_PT[1]) < 0.5 for w, h in page_sizes(pdf)), kind
        used = fonts(pdf)
        assert used and all(used.values()), f"{kind}: fonts not embedded: {used}"
        assert len(pdf) < 300_000, f"{kind}: {len(pdf)} bytes — fonts must be subset"
        words = text(pdf)
        info = issued[profile_id][kind]
        assert info.number in words and ("李四" if kind == "withdrawal_decision" else "张三") in words, kind
        assert info.verification_code in words, kind


ELEMENT_WORDS = {"respondent_info": ["张三", "某区人民政府副区长"], "facts": ["事实清楚"], "evidence": ["询问笔录"],
                 "responsibility": ["主要领导责任"], "basis": ["有关条款"], "organ": [], "date": ["2026年"],
                 "title": ["关于对张三同志问责的决定"], "document_number": ["〔2026〕"]}


@pytest.mark.parametrize("profile_id", profile_ids())
def test_the_decision_contains_each_element_its_regulation_requires(issued_everything, profile_id):
    _, _, pdfs = issued_everything
    profile = load_profile(profile_id)
    words = text(pdfs[profile_id]["decision"])
    form = walkthrough.lightest_form(profile, "person")
    for element in profile.decision_document.elements:
        expected = {"decision": [form, "集体讨论" if profile.procedure.collective_body else form],
                    "appeal_route": ["申请"] if profile.appeal.allowed else []}.get(element.id,
                                                                                  ELEMENT_WORDS.get(element.id, []))
        for word in expected:
            assert word in words, f"{profile_id}: element {element.id} ({element.label}) lacks {word!r}"


def test_wf2011_decision_follows_its_template_number_and_title(issued_everything):
    _, issued, _ = issued_everything
    info = issued["wf2011"]["decision"]
    assert info.number.startswith("测纪〔2026〕决字第") and info.number.endswith("号")
    assert info.title == "关于对张三同志问责的决定"


def test_pdftotext_gives_the_chinese_back(issued_everything, tmp_path):
    _, issued, pdfs = issued_everything
    path = tmp_path / "decision.pdf"
    path.write_bytes(pdfs["gz2009"]["decision"])
    out = subprocess.run([shutil.which("pdftotext") or "pdftotext", str(path), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8")
    flat = "".join(out.split())
    assert "关于对张三同志问责的决定" in flat and issued["gz2009"]["decision"].number in flat


def decided_without_evidence(ws, profile="gz2009") -> str:
    case_id = new_case(ws, profile, received=START)
    steps = walkthrough.walk(ws.procedure, case_id, start=START, until="reported")
    on = steps[-1][1]
    data = walkthrough.sample_values(load_profile(profile), on)
    ws.procedure.perform(case_id, "decide", on=on, forms=data["forms"], meeting=data["meeting"], facts="事实清楚",
                         responsibility="主要领导责任", basis="第七条", organ="市委", paper_ref="会议纪要第3号")
    return case_id


def test_a_missing_element_refuses_to_issue_and_names_it(ws):
    case_id = decided_without_evidence(ws)
    choice = next(c for c in ws.documents.choices(case_id) if c.kind == "decision")
    assert choice.refusal and "存在问责情形的证据" in choice.refusal and "第二十五条" in choice.refusal
    with pytest.raises(ProcedureRefused) as refused:
        ws.documents.issue(case_id, "decision")
    assert "存在问责情形的证据" in refused.value.message and refused.value.article == "第二十五条（二）"
    with pytest.raises(ProcedureRefused):
        ws.documents.preview(case_id, "decision")
    with ws.ctx.workspace.session() as s:
        assert s.scalars(select(IssuedDocument)).first() is None


def test_a_document_before_its_step_refuses_naming_the_step(ws):
    case_id = new_case(ws, "gz2009", received=START)
    with pytest.raises(ProcedureRefused, match="立项"):
        ws.documents.issue(case_id, "filing_decision")
    with pytest.raises(ProcedureRefused, match="不产生"):
        ws.documents.issue(new_case(ws, "sh2022", received=START), "defence_record")


def decided_case(ws, profile="gz2009") -> str:
    case_id = new_case(ws, profile, received=START)
    walkthrough.walk(ws.procedure, case_id, start=START, until="decided")
    return case_id


def clerk(ws, data_dir, clock) -> Workspace:
    ws.accounts.create_user("clerk", "承办人", [Role.HANDLER], "Clerk-pass-2026")
    return Workspace.open(data_dir, "clerk", "Clerk-pass-2026", clock=clock)


def test_only_a_user_with_the_sealing_permission_seals(ws, data_dir, clock):
    case_id = decided_case(ws)
    with clerk(ws, data_dir, clock) as handler:
        with pytest.raises(PermissionDenied, match="加盖印章"):
            handler.documents.issue(case_id, "decision", sealed=True)
        unsealed = handler.documents.issue(case_id, "decision", sealed=False)
        assert not unsealed.sealed
        with pytest.raises(PermissionDenied):
            handler.organ.register_seal("假章", demo_seal_png("假章"))
    sealed = ws.documents.issue(case_id, "decision", sealed=True)
    assert sealed.sealed and sealed.number != unsealed.number
    with ws.ctx.workspace.session() as s:
        refused = s.scalars(select(AuditEntry).where(AuditEntry.action == "document.seal",
                                                     AuditEntry.success.is_(False))).all()
        sealing = s.scalars(select(AuditEntry).where(AuditEntry.action == "document.seal",
                                                     AuditEntry.success.is_(True))).one()
    assert len(refused) == 1 and json.loads(sealing.new_values)["sha256"] == sealed.sha256


def test_sealing_needs_a_registered_seal(ctx):
    ws = Workspace(ctx)
    case_id = decided_case(ws)
    with pytest.raises(ValidationError, match="尚未登记印章"):
        ws.documents.issue(case_id, "decision", sealed=True)
    ws.organ.register_seal("测试机关", demo_seal_png("测试机关"))
    assert ws.documents.issue(case_id, "decision").sealed


def png(mode: str, color) -> bytes:
    out = io.BytesIO()
    image = Image.new(mode, (400, 400), color)
    if mode == "RGBA":
        image.paste((0, 0, 0, 0), (0, 0, 400, 40))  # transparent margin, the rest is "ink"
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (b"GIF89a not a png", "PNG"), (png("RGB", (220, 20, 30)), "透明"), (png("RGBA", (20, 20, 220, 255)), "红色"),
    (demo_seal_png("测试")[:500], "无法读取")])
def test_seal_images_that_would_not_print_right_are_refused(ctx, data, message):
    with pytest.raises(ValidationError, match=message):
        Workspace(ctx).organ.register_seal("测试机关", data)


def test_numbers_count_per_series_and_year_and_a_voided_number_is_never_reused(ws, clock):
    first, second = decided_case(ws), decided_case(ws)
    a = ws.documents.issue(first, "decision")
    b = ws.documents.issue(second, "decision")
    report = ws.documents.issue(first, "investigation_report")
    assert (a.number, b.number, report.number) == ("问〔2026〕1号", "问〔2026〕2号", "报〔2026〕1号")
    ws.documents.void(b.id, "送达前发现当事人职务有误")
    again = ws.documents.issue(second, "decision")
    assert again.number == "问〔2026〕3号"
    with ws.ctx.workspace.session() as s:
        voided = s.get(IssuedDocument, b.id)
        assert voided.voided_at is not None and voided.void_reason == "送达前发现当事人职务有误"
    with pytest.raises(ValidationError, match="已于"):
        ws.documents.void(b.id, "再次作废")
    ws.organ.set_letterhead(organ_code="测纪")
    clock.now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    assert ws.documents.issue(first, "decision").number == "测纪问〔2027〕1号"


def test_verification_passes_for_the_issued_file_and_fails_after_one_changed_byte(ws):
    case_id = decided_case(ws)
    info = ws.documents.issue(case_id, "decision")
    pdf = ws.documents.read(info.id)
    result = ws.documents.verify(pdf)
    assert result.ok and result.document.number == info.number and info.number in result.message
    for offset in (len(pdf) // 3, len(pdf) // 2, len(pdf) - 40):
        altered = bytearray(pdf)
        altered[offset] ^= 0x01
        check = ws.documents.verify(bytes(altered))
        assert not check.ok
        assert info.number in check.message, "the code on the file still says which document it claims to be"
    assert not ws.documents.verify(pdf + b"\n").ok
    stranger = ws.documents.verify(b"%PDF-1.4\n%%EOF\n")
    assert not stranger.ok and stranger.document is None
    ws.documents.void(info.id, "错发")
    voided = ws.documents.verify(pdf)
    assert not voided.ok and "作废" in voided.message


def test_a_reprint_is_the_identical_file_and_a_tampered_archive_is_refused(ws):
    case_id = decided_case(ws)
    info = ws.documents.issue(case_id, "decision")
    first, second = ws.documents.read(info.id), ws.documents.read(info.id, purpose="export")
    assert first == second and __import__("hashlib").sha256(first).hexdigest() == info.sha256
    with ws.ctx.workspace.session() as s, s.begin():
        s.execute(update(IssuedDocument).where(IssuedDocument.id == info.id).values(content=first[:-10]))
    with pytest.raises(IntegrityFailure, match="哈希"):
        ws.documents.read(info.id)


def test_a_preview_is_marked_and_stores_nothing(ws):
    case_id = decided_case(ws)
    pdf = ws.documents.preview(case_id, "decision")
    assert "预览稿" in text(pdf) and "〔2026〕" in text(pdf)
    assert ws.documents.issued(case_id) == []


def test_the_letterhead_is_the_administrators_to_set(ws, data_dir, clock):
    ws.organ.set_letterhead(mark="中共测试市纪律检查委员会", organ_code="测纪", kind_codes={"decision": "责"})
    case_id = decided_case(ws)
    info = ws.documents.issue(case_id, "decision")
    assert info.number == "测纪责〔2026〕1号"
    assert "中共测试市纪律检查委员会" in text(ws.documents.read(info.id))
    with pytest.raises(ValidationError):
        ws.organ.set_letterhead(kind_codes={"nonsense": "X"})
    with clerk(ws, data_dir, clock) as handler, pytest.raises(PermissionDenied):
        handler.organ.set_letterhead(mark="冒名机关")


# -- numbering when an issue fails, and copies written to files -------------------------------------------------------

def test_an_issue_that_fails_before_its_commit_gives_no_number_and_leaves_no_gap(ws, monkeypatch):
    """The number, the PDF and the audit entry are one transaction: a failure after numbering (here: appending the
    audit entry) keeps nothing, and the next issue takes the number the failed one would have had."""
    case_id = decided_case(ws)
    real_audit = ws.ctx.audit

    def failing(session, action, *args, **kwargs):
        if action == "document.issue":
            raise OSError("disk full")
        return real_audit(session, action, *args, **kwargs)

    monkeypatch.setattr(ws.ctx, "audit", failing)
    with pytest.raises(OSError):
        ws.documents.issue(case_id, "decision", sealed=False)
    monkeypatch.setattr(ws.ctx, "audit", real_audit)
    with ws.ctx.workspace.session() as s:
        assert s.scalars(select(IssuedDocument)).all() == []
    first = ws.documents.issue(case_id, "decision", sealed=False)
    second = ws.documents.issue(case_id, "decision", sealed=False)
    assert [first.number[-3:], second.number[-3:]] == ["〕1号", "〕2号"]


def test_a_copy_written_to_a_file_is_audited_before_it_exists(ws, tmp_path, monkeypatch):
    case_id = decided_case(ws)
    info = ws.documents.issue(case_id, "decision", sealed=False)
    out = ws.documents.export(info.id, tmp_path / "out" / "决定书.pdf")
    assert hashlib.sha256(out.read_bytes()).hexdigest() == info.sha256
    with ws.ctx.workspace.session() as s:
        stages = [(json.loads(e.new_values)["stage"], json.loads(e.new_values).get("sha256")) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "document.export").order_by(AuditEntry.seq))]
    assert stages == [("started", None), ("completed", info.sha256)]

    def broken(*_args):
        raise OSError("the USB stick was pulled")

    monkeypatch.setattr("wenze_desktop.services.journal.os.replace", broken)
    with pytest.raises(ValidationError, match="未能完成：文件操作失败"):
        ws.documents.export(info.id, tmp_path / "other.pdf")
    assert not (tmp_path / "other.pdf").exists() and not list(tmp_path.glob("other.pdf*"))
    with ws.ctx.workspace.session() as s:
        last = s.scalars(select(AuditEntry).where(AuditEntry.action == "document.export")
                         .order_by(AuditEntry.seq.desc())).first()
    assert json.loads(last.new_values)["stage"] == "failed" and not last.success

"""Services check the permission, make the change and audit it in one transaction."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from wenze_desktop.domain.models import AuditEntry, Case
from wenze_desktop.errors import IntegrityFailure, PermissionDenied, ValidationError
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.auth import login
from wenze_desktop.services.cases import CaseService


def audit_actions(ctx) -> list[tuple[str, bool]]:
    with ctx.workspace.session() as s:
        return [(e.action, e.success) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def test_refused_permission_is_audited_and_changes_nothing(ctx, data_dir, clock):
    AccountService(ctx).create_user("shen", "审计员", ["security_auditor"], "Auditor-pass-1")
    auditor = login(data_dir, "shen", "Auditor-pass-1", clock=clock)
    try:
        with pytest.raises(PermissionDenied, match="办理案件"):
            CaseService(auditor).create_case("C-9", "不应建立", "gz2009")
        with auditor.workspace.session() as s:
            assert s.scalars(select(Case)).all() == []
        assert audit_actions(auditor)[-1] == ("case.create", False)
    finally:
        auditor.workspace.close()


def test_role_separation_for_the_auditor(ctx):
    with pytest.raises(ValidationError, match="三员分立"):
        AccountService(ctx).create_user("x", "某人", ["security_auditor", "system_admin"], "Some-pass-123")


def test_failed_change_leaves_no_audit_entry(ctx):
    cases = CaseService(ctx)
    cases.create_case("C-1", "第一件", "gz2009")
    before = audit_actions(ctx)
    with pytest.raises(ValidationError, match="已被使用"):
        cases.create_case("C-1", "重复编号", "gz2009")
    assert audit_actions(ctx) == before


def test_records_have_uuid_and_stamp_and_version(ctx, clock):
    cases = CaseService(ctx)
    case_id = cases.create_case("C-2", "第二件", "gz2009")
    created = cases.get_case(case_id)
    assert len(created.id) == 36 and created.version == 1 and created.updated_at == clock.now
    clock.advance(hours=1)
    cases.update_case(case_id, facts="补充事实")
    updated = cases.get_case(case_id)
    assert updated.version == 2 and updated.updated_at == clock.now


def test_stale_edit_is_refused_not_overwritten(ctx):
    case_id = CaseService(ctx).create_case("C-3", "并发编辑", "gz2009")
    with ctx.workspace.session() as first, ctx.workspace.session() as second:
        a, b = first.get(Case, case_id), second.get(Case, case_id)
        a.title = "甲的修改"
        first.commit()
        b.title = "乙的修改"
        with pytest.raises(StaleDataError):
            second.commit()


def test_respondents_person_and_unit(ctx):
    cases = CaseService(ctx)
    case_id = cases.create_case("C-4", "单位与个人", "sh2022")
    cases.add_respondent(case_id, "unit", name="双河市某局", principal="赵六")
    with pytest.raises(ValidationError, match="单位被问责对象没有这些字段"):
        cases.add_respondent(case_id, "unit", name="某单位", gender="male")
    with pytest.raises(ValidationError, match="不能为空"):
        cases.add_respondent(case_id, "person", name=" ")


def test_attachment_hash_checked_on_read(ctx):
    cases = CaseService(ctx)
    case_id = cases.create_case("C-5", "附件", "gz2009")
    attachment_id = cases.add_attachment(case_id, "证据.pdf", b"%PDF-1.7 evidence")
    assert cases.read_attachment(attachment_id) == ("证据.pdf", b"%PDF-1.7 evidence")
    with ctx.workspace.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE attachment SET content = X'00'"))
    with pytest.raises(IntegrityFailure, match="哈希不符"):
        cases.read_attachment(attachment_id)

"""The case service's part methods: the read model, clue/respondent/evidence edits, roles per profile, audit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from wenze_desktop.domain.models import AuditEntry, Case, Evidence, Respondent
from wenze_desktop.errors import PermissionDenied, ValidationError
from wenze_desktop.services.accounts import AccountService
from wenze_desktop.services.auth import login
from wenze_desktop.services.case_parts import AttachmentEntry, CaseDetails, CaseSave, EvidenceEntry, RespondentEntry
from wenze_desktop.services.cases import CaseService
from wenze_desktop.services.context import snapshot


def last_audit(ctx, action: str | None = None) -> AuditEntry:
    with ctx.workspace.session() as s:
        query = select(AuditEntry).order_by(AuditEntry.seq.desc())
        if action:
            query = query.where(AuditEntry.action == action)
        return s.scalars(query).first()


def new_case(cases: CaseService, profile: str = "sh2022", **respondent) -> str:
    people = [{"kind": "person", "name": "张三", **respondent}]
    return cases.create(profile, "关于张三的问责案", "complaint", date(2026, 11, 2), respondents=people,
                        provider="李四", clue_content="占道经营整治不力", facts="初查事实")


@pytest.fixture
def cases(ctx) -> CaseService:
    return CaseService(ctx)


def test_details_is_a_plain_read_model(cases):
    case_id = new_case(cases, role="分管领导")
    attachment_id = cases.add_attachment(case_id, "笔录.pdf", b"%PDF-1.7 record")
    cases.add_evidence(case_id, "询问笔录", "证人证言", "调查组", date(2026, 11, 5), attachment_id=attachment_id)
    details = cases.details(case_id)
    assert isinstance(details, CaseDetails)
    assert (details.title, details.facts, details.regulation_id) == ("关于张三的问责案", "初查事实", "sh2022")
    assert (details.clue.source, details.clue.provider, details.clue.content) == ("complaint", "李四",
                                                                                   "占道经营整治不力")
    [person] = details.respondents
    assert (person.name, person.kind, person.role) == ("张三", "person", "分管领导")
    [item] = details.evidence
    assert (item.seq, item.title, item.kind, item.attachment_id) == (1, "询问笔录", "证人证言", attachment_id)
    [attachment] = details.attachments
    assert attachment.size == len(b"%PDF-1.7 record") and len(attachment.sha256) == 64
    assert not hasattr(attachment, "content")
    assert cases.list_attachments(case_id) == [attachment]


def test_update_case_title_and_facts_audited_old_to_new(cases, ctx):
    case_id = new_case(cases)
    cases.update_case(case_id, title="关于张三同志的问责案", facts="补充事实")
    entry = last_audit(ctx)
    assert entry.action == "case.update"
    assert json.loads(entry.old_values) == {"title": "关于张三的问责案", "facts": "初查事实"}
    assert json.loads(entry.new_values) == {"title": "关于张三同志的问责案", "facts": "补充事实"}
    with pytest.raises(ValidationError, match="案件名称不能为空"):
        cases.update_case(case_id, title="  ")


def test_unchanged_save_writes_nothing(cases, ctx):
    case_id = new_case(cases)
    before = last_audit(ctx).seq
    cases.update_case(case_id, title="关于张三的问责案")
    cases.update_clue(cases.details(case_id).clue.id, provider="李四")
    assert last_audit(ctx).seq == before
    assert cases.details(case_id).version == 1


def test_update_clue(cases, ctx):
    case_id = new_case(cases)
    clue_id = cases.details(case_id).clue.id
    cases.update_clue(clue_id, source="media", received_on=date(2026, 11, 1), content="媒体报道")
    clue = cases.details(case_id).clue
    assert (clue.source, clue.received_on, clue.content) == ("media", date(2026, 11, 1), "媒体报道")
    entry = last_audit(ctx, "clue.update")
    assert json.loads(entry.old_values)["source"] == "complaint"
    with pytest.raises(ValidationError, match="线索来源"):
        cases.update_clue(clue_id, source="rumour")


def test_roles_are_checked_against_the_profile(cases):
    sh = new_case(cases, "sh2022")
    with pytest.raises(ValidationError, match="主要领导、分管领导、科室负责人、直接责任人"):
        cases.add_respondent(sh, "person", name="王五", role="主要负责人")
    with pytest.raises(ValidationError, match="没有区分所负责任"):
        cases.add_respondent(sh, "person", name="王五", responsibility="主要领导责任")
    cases.add_respondent(sh, "unit", name="双河市某局", principal="赵六", role="直接责任人")

    ccp = new_case(cases, "ccp2016", role="领导班子主要负责人", responsibility="主要领导责任")
    [person] = cases.details(ccp).respondents
    assert (person.role, person.responsibility) == ("领导班子主要负责人", "主要领导责任")
    with pytest.raises(ValidationError, match="全面领导责任、主要领导责任、重要领导责任"):
        cases.update_respondent(person.id, responsibility="次要责任")

    with pytest.raises(ValidationError, match="没有区分被问责对象的职责"):
        new_case(cases, "wf2011", role="分管领导")
    wf = new_case(cases, "wf2011", role="")  # an empty choice is "not recorded", not an error
    assert cases.details(wf).respondents[0].role is None


def test_update_and_remove_respondent_audited(cases, ctx):
    case_id = new_case(cases)
    [person] = cases.details(case_id).respondents
    cases.update_respondent(person.id, name="张三丰", post="副局长", role="主要领导")
    entry = last_audit(ctx, "respondent.update")
    assert json.loads(entry.old_values) == {"name": "张三", "post": None, "role": None}
    assert json.loads(entry.new_values) == {"name": "张三丰", "post": "副局长", "role": "主要领导"}
    with pytest.raises(ValidationError, match="不能为空"):
        cases.update_respondent(person.id, name="")
    with pytest.raises(ValidationError, match="单位被问责对象没有这些字段"):
        cases.update_respondent(person.id, kind="unit", gender="male")
    # Switching a person to a unit drops the person-only fields.
    cases.update_respondent(person.id, kind="unit", name="双河市某局", principal="赵六")
    unit = cases.details(case_id).respondents[0]
    assert (unit.kind, unit.post, unit.principal, unit.role) == ("unit", None, "赵六", "主要领导")

    cases.remove_respondent(person.id)
    assert cases.details(case_id).respondents == ()
    entry = last_audit(ctx)
    assert entry.action == "respondent.delete" and json.loads(entry.old_values)["name"] == "双河市某局"


def test_evidence_list(cases, ctx):
    case_id = new_case(cases)
    first = cases.add_evidence(case_id, "询问笔录", "证人证言")
    second = cases.add_evidence(case_id, "照片", "视听资料", collected_on=date(2026, 11, 3))
    third = cases.add_evidence(case_id, "通报", "书证")
    cases.update_evidence(second, note="现场拍摄", collected_on="2026-11-04")
    entry = last_audit(ctx, "evidence.update")
    assert json.loads(entry.new_values) == {"note": "现场拍摄", "collected_on": "2026-11-04"}
    cases.remove_evidence(first)
    assert [(e.seq, e.id) for e in cases.details(case_id).evidence] == [(1, second), (2, third)]
    entry = last_audit(ctx)
    assert entry.action == "evidence.delete" and json.loads(entry.old_values)["title"] == "询问笔录"
    with pytest.raises(ValidationError, match="证据名称不能为空"):
        cases.add_evidence(case_id, " ")
    other = new_case(cases)
    foreign = cases.add_attachment(other, "别案.pdf", b"x")
    with pytest.raises(ValidationError, match="不属于本案件"):
        cases.update_evidence(second, attachment_id=foreign)


def test_closed_case_refuses_edits(cases, ctx):
    case_id = new_case(cases)
    with ctx.workspace.session() as s, s.begin():
        s.get(Case, case_id).step = "archived"
    with pytest.raises(ValidationError, match="已终结"):
        cases.update_case(case_id, facts="迟到的修改")
    with pytest.raises(ValidationError, match="已终结"):
        cases.add_evidence(case_id, "迟到的证据")


def test_refusals_are_audited_and_change_nothing(ctx, data_dir, clock, cases):
    case_id = new_case(cases)
    [person] = cases.details(case_id).respondents
    evidence_id = cases.add_evidence(case_id, "询问笔录")
    AccountService(ctx).create_user("lead", "领导", ["leader"], "Leader-pass-12")
    leader = login(data_dir, "lead", "Leader-pass-12", clock=clock)
    try:
        theirs = CaseService(leader)
        assert theirs.details(case_id).title == "关于张三的问责案"  # may read …
        refused = [
            (lambda: theirs.update_case(case_id, title="改"), "case.update"),
            (lambda: theirs.update_clue(cases.details(case_id).clue.id, provider="改"), "clue.update"),
            (lambda: theirs.update_respondent(person.id, name="改"), "respondent.update"),
            (lambda: theirs.remove_respondent(person.id), "respondent.delete"),
            (lambda: theirs.add_evidence(case_id, "改"), "evidence.create"),
            (lambda: theirs.update_evidence(evidence_id, title="改"), "evidence.update"),
            (lambda: theirs.remove_evidence(evidence_id), "evidence.delete"),
        ]
        for call, action in refused:  # … but not change
            with pytest.raises(PermissionDenied, match="办理案件"):
                call()
            entry = last_audit(ctx)
            assert (entry.action, entry.success) == (action, False)
    finally:
        leader.workspace.close()
    with ctx.workspace.session() as s:
        assert s.get(Respondent, person.id).name == "张三"
        assert s.scalars(select(Evidence.title)).all() == ["询问笔录"]


# -- the whole case form in one transaction (save_case) --------------------------------------------------------------

def database_picture(ctx) -> tuple:
    """Every row a save could touch, and the audit chain's length: equal pictures mean nothing was stored."""
    from wenze_desktop.domain.models import Attachment, Clue

    with ctx.workspace.session() as s:
        rows = tuple(tuple(sorted((r.id, r.version, *(str(v) for v in snapshot(r).values())) for r in s.scalars(
            select(model)))) for model in (Case, Clue, Respondent, Evidence, Attachment))
        return rows, s.scalar(select(func.count()).select_from(AuditEntry))


def new_case_data(**changes) -> CaseSave:
    return CaseSave(**{
        "regulation_id": "sh2022", "title": "关于王小明的问责案", "facts": "初查事实",
        "clue": {"source": "media", "received_on": date(2026, 11, 2), "provider": "双河日报", "content": "报道"},
        "respondents": (RespondentEntry({"kind": "person", "name": "王小明", "role": "分管领导"}, key="r1"),
                        RespondentEntry({"kind": "unit", "name": "双河市某局", "principal": ""}, key="r2")),
        "attachments": (AttachmentEntry("a1", "笔录.pdf", b"%PDF-1.7 record", "application/pdf"),),
        "evidence": (EvidenceEntry({"title": "询问笔录", "kind": "证人证言", "source": "", "collected_on": None,
                                    "note": ""}, attachment="a1", key="e1"),),
        **changes})


def test_save_case_stores_a_new_case_with_every_part_and_notes_it(cases, ctx):
    from wenze_desktop.services import changes as change_notes

    with change_notes.collect() as collected:
        saved = cases.save_case(new_case_data())
    assert saved.created and saved.number == "sh2022-2026-0001" and set(saved.ids) == {"r1", "r2", "a1", "e1"}
    assert collected.changes.case_ids == {saved.case_id} and collected.changes.cases_added
    details = cases.details(saved.case_id)
    assert details.clue.id == saved.clue_id and details.clue.provider == "双河日报"
    assert {r.id: r.name for r in details.respondents} == {saved.ids["r1"]: "王小明", saved.ids["r2"]: "双河市某局"}
    [item] = details.evidence
    assert (item.id, item.attachment_id) == (saved.ids["e1"], saved.ids["a1"])
    with ctx.workspace.session() as s:
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[-3:] == ["case.create", "attachment.create", "evidence.create"]  # as the single methods write


def test_a_new_case_failing_midway_stores_nothing(cases, ctx, monkeypatch):
    other = new_case(cases)
    foreign = cases.add_attachment(other, "别案.pdf", b"x")
    before = database_picture(ctx)
    # The last part refers to another case's file: refused after the case, its respondents and file were added.
    bad = EvidenceEntry({"title": "照片", "kind": "书证"}, attachment=foreign, key="e2")
    with pytest.raises(ValidationError, match="不属于本案件"):
        cases.save_case(new_case_data(evidence=(*new_case_data().evidence, bad)))
    assert database_picture(ctx) == before
    # … and an error that is not a validation, raised by the last helper, rolls back just the same.
    monkeypatch.setattr(CaseService, "_add_evidence", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        cases.save_case(new_case_data())
    assert database_picture(ctx) == before
    monkeypatch.undo()
    assert cases.save_case(new_case_data()).number == "sh2022-2026-0002"  # the number was not used up


def test_an_edit_failing_midway_leaves_the_case_as_it_was(cases, ctx, monkeypatch):
    saved = cases.save_case(new_case_data())
    details = cases.details(saved.case_id)
    [unit, person] = details.respondents
    edit = CaseSave(
        regulation_id="sh2022", title="改过的名称", number=details.number, facts="补充事实", case_id=saved.case_id,
        clue_id=saved.clue_id, clue={"source": "complaint", "received_on": date(2026, 11, 3), "provider": "张某",
                                     "content": "举报"},
        respondents=(RespondentEntry({"kind": "person", "name": "王小明", "role": "主要领导"}, id=person.id),
                     RespondentEntry({"kind": "person", "name": "赵六"}, key="r3")),
        removed_respondents=(unit.id,), attachments=(AttachmentEntry("a2", "照片.jpg", b"jpeg"),),
        evidence=(EvidenceEntry({"title": "照片", "kind": "视听资料"}, attachment="a2", key="e2"),),
        removed_evidence=(details.evidence[0].id,), removed_attachments=(details.attachments[0].id,))
    before = database_picture(ctx)
    too_large = AttachmentEntry("a3", "录像.mp4", b"0123456789")
    monkeypatch.setattr("wenze_desktop.services.case_attachments.MAX_ATTACHMENT_BYTES", 9)
    with pytest.raises(ValidationError, match="超过"):
        cases.save_case(CaseSave(**{**edit.__dict__, "attachments": (*edit.attachments, too_large)}))
    monkeypatch.undo()
    # A failure in the very last part (a file removed while evidence still points to it) undoes the rest.
    still_used = CaseSave(**{**edit.__dict__, "removed_evidence": (), "evidence": ()})
    with pytest.raises(ValidationError, match="请先修改该证据"):
        cases.save_case(still_used)
    assert database_picture(ctx) == before
    assert cases.details(saved.case_id) == details

    result = cases.save_case(edit)  # the same save, with nothing failing: all of it
    after = cases.details(saved.case_id)
    assert (after.title, after.facts, after.clue.source) == ("改过的名称", "补充事实", "complaint")
    assert sorted((r.name, r.role) for r in after.respondents) == [("王小明", "主要领导"), ("赵六", None)]
    assert [(e.title, e.attachment_id) for e in after.evidence] == [("照片", result.ids["a2"])]
    assert [a.filename for a in after.attachments] == ["照片.jpg"] and not result.created
    with ctx.workspace.session() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.seq > before[1])).all()
    assert sorted(actions) == sorted(["case.update", "clue.update", "respondent.delete", "respondent.update",
                                      "respondent.create", "attachment.create", "evidence.delete",
                                      "evidence.create", "attachment.delete"])


def test_save_case_is_refused_whole_without_the_permission_and_never_reaches_into_another_case(
        cases, ctx, data_dir, clock):
    saved = cases.save_case(new_case_data())
    other = new_case(cases)
    [stranger] = cases.details(other).respondents
    details = cases.details(saved.case_id)
    edit = CaseSave(regulation_id="sh2022", title="改", number=details.number, case_id=saved.case_id,
                    clue={}, removed_respondents=(stranger.id,))
    before = database_picture(ctx)
    with pytest.raises(ValidationError, match="不属于本案件"):
        cases.save_case(edit)
    assert database_picture(ctx) == before
    AccountService(ctx).create_user("lead", "领导", ["leader"], "Leader-pass-12")
    leader = login(data_dir, "lead", "Leader-pass-12", clock=clock)
    try:
        with pytest.raises(PermissionDenied, match="办理案件"):
            CaseService(leader).save_case(CaseSave(**{**edit.__dict__, "removed_respondents": ()}))
    finally:
        leader.workspace.close()
    entry = last_audit(ctx)
    assert (entry.action, entry.success, entry.object_id) == ("case.update", False, saved.case_id)
    assert cases.details(saved.case_id) == details


def test_an_attachment_a_procedure_record_cites_is_not_removed(cases, ctx):
    from wenze_desktop.domain.models import ProcedureEvent

    case_id = new_case(cases)
    scan = cases.add_attachment(case_id, "呈批表.pdf", b"%PDF-1.7 signed")
    with ctx.workspace.session() as s, s.begin():
        s.add(ProcedureEvent(case_id=case_id, seq=1, action="file", step_before="clue", step_after="filed",
                             occurred_on=date(2026, 11, 3), data={"paper_scan": {"attachment_id": scan}}))
    with pytest.raises(ValidationError, match="已被办理记录引用"):
        cases.remove_attachment(scan)
    assert [a.id for a in cases.details(case_id).attachments] == [scan]
    loose = cases.add_attachment(case_id, "草稿.txt", b"draft")
    cases.remove_attachment(loose)
    entry = last_audit(ctx)
    assert entry.action == "attachment.delete" and json.loads(entry.old_values)["filename"] == "草稿.txt"

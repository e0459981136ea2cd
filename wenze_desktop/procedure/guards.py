"""Guards up to the decision (team, recusal, filing, report, defence, meeting, forms, the decision document), and
``check``, which runs a transition's guards. The registry is in guard_registry.py; the guards of the steps after the
decision in guards_after_decision.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure import decisions
from wenze_desktop.procedure.citations import Refusal
from wenze_desktop.procedure.deadlines import Deadline, compute
from wenze_desktop.procedure.guard_registry import GUARDS, Proposal, cite, fact, guard, reads_of
from wenze_desktop.procedure.guards_after_decision import appeal_window_due
from wenze_desktop.procedure.view import CaseView, names, team_of
from wenze_desktop.rules.profiles import Profile

__all__ = ["GUARDS", "Proposal", "Refusal", "appeal_window_due", "check", "ended", "fact", "late_reason", "missed",
           "reads_of"]


def ended(profile: Profile, case: CaseView) -> Refusal:
    return Refusal(f"案件已终结（{profile.step_label(case.step)}），不能再办理任何事项。", "", c.CASE_ENDED)


def case_open(case: CaseView, p: Proposal) -> Refusal | None:
    """Implicit for every action: a withdrawn or archived case accepts nothing more."""
    return ended(p.profile, case) if p.profile.is_terminal(case.step) else None


def missed(deadlines: Iterable[Deadline], action: str, on: date) -> list[Deadline]:
    """The open deadlines ``action`` would meet on ``on`` after they fell due."""
    return [d for d in deadlines if d.open and d.action == action and on > d.due]


def late_text(late: Iterable[Deadline], on: date) -> str:
    """「调查报告」的期限（2026-04-14 到期），逾期 5 天 — what the form and the refusal say was missed."""
    return "、".join(f"「{d.label}」的期限（{d.due.isoformat()} 到期），逾期 {(on - d.due).days} 天" for d in late)


def late_reason(case: CaseView, p: Proposal) -> Refusal | None:
    """Implicit for every action recorded with its data: a step that meets a deadline after it fell due says why
    (``delay_reason``). The texts set the deadlines, none says what a late step records: a reading, no article."""
    if p.data is None or p.text("delay_reason"):
        return None
    late = missed(compute(p.profile, case, p.calendar), p.transition.action, p.on)
    if not late:
        return None
    return Refusal(f"本次办理已超过{late_text(late, p.on)}：请写明逾期原因。", "", c.LATE_REASON)


# -- investigation team and recusal --------------------------------------------------------------------------------

@guard("investigators_minimum", what="调查人员人数", needs_data=True, article_key="investigators_article",
       reads=("staff",))
def investigators_minimum(case: CaseView, p: Proposal) -> Refusal | None:
    staff = list(dict.fromkeys(names((p.data or {}).get("staff"))))
    need = p.profile.procedure.min_investigators
    if len(staff) < need:
        return Refusal(f"调查须由至少 {need} 名工作人员进行，现指定 {len(staff)} 名。",
                       cite(p, "investigators_article"), c.INVESTIGATORS)
    return None


@guard("investigators_cleared", what="调查人员已声明利害关系、回避已决定", article_key="recusal_article")
def investigators_cleared(case: CaseView, p: Proposal) -> Refusal | None:
    team = team_of(case)
    article = cite(p, "recusal_article")
    if team.pending_recusals:
        who = "、".join(team.pending_recusals)
        return Refusal(f"被调查人申请「{who}」回避，尚未作出决定，调查不能继续。", article, c.RECUSAL)
    if team.interested():
        who = "、".join(team.interested())
        return Refusal(f"调查人员「{who}」声明与被调查人有利害关系，应当回避；请先作出回避决定并更换人员。", article,
                       c.RECUSAL)
    if team.undeclared():
        who = "、".join(team.undeclared())
        # The texts say who must withdraw; asking each investigator to declare first is how the program knows.
        return Refusal(f"调查人员「{who}」尚未作出利害关系声明，调查不能开展。", "", c.INTEREST_DECLARED)
    need = p.profile.procedure.min_investigators
    if len(team.members) < need:
        return Refusal(f"回避后调查人员只剩 {len(team.members)} 名，须补足至少 {need} 名。",
                       cite(p, "investigators_article"), c.INVESTIGATORS)
    return None


@guard("staff_assigned", what="须是本案调查人员", reads=("staff",))
def staff_assigned(case: CaseView, p: Proposal) -> Refusal | None:
    team = team_of(case)
    if not team.members:
        return fact("尚未指定调查人员。")
    if p.data is None:
        return None
    named = names(p.data.get("staff"))
    if not named:
        return fact("请写明是哪一名调查人员。")
    strangers = [n for n in named if n not in team.members]
    if strangers:
        return fact(f"「{'、'.join(strangers)}」不是本案的调查人员。")
    return None


@guard("recusal_pending", what="有待决定的回避事项", reads=("staff",))
def recusal_pending(case: CaseView, p: Proposal) -> Refusal | None:
    team = team_of(case)
    open_matters = team.pending_recusals + [n for n in team.interested() if n not in team.pending_recusals]
    if not open_matters:
        return fact("没有待决定的回避申请或利害关系声明。")
    if p.data is not None:
        named = names(p.data.get("staff"))
        unknown = [n for n in named if n not in open_matters]
        if not named or unknown:
            return fact(f"回避决定须针对待决定的人员：{'、'.join(open_matters)}。")
    return None


# -- filing, report, defence ---------------------------------------------------------------------------------------

@guard("filing_approved", what="立项须经批准", needs_data=True, article_key="filing_article", reads=("approved_by",))
def filing_approved(case: CaseView, p: Proposal) -> Refusal | None:
    if not p.text("approved_by"):
        by = p.profile.procedure.filing_approval or "决定机关"
        return Refusal(f"立项须报{by}批准，请填写批准人。", cite(p, "filing_article"), c.FILING_APPROVAL)
    return None


@guard("report_complete", what="调查报告写明事实、结论和建议", needs_data=True, article_key="report_article",
       reads=("facts", "conclusion", "accountable", "recommended_forms"))
def report_complete(case: CaseView, p: Proposal) -> Refusal | None:
    data = p.data or {}
    article = cite(p, "report_article")
    if not (p.text("facts") or case.facts.strip()):
        return Refusal("调查报告须写明问责情形的具体事实。", article, c.REPORT_CONTENTS)
    if not p.text("conclusion"):
        return Refusal("调查报告须写明基本结论。", article, c.REPORT_CONTENTS)
    if "accountable" not in data:
        return Refusal("调查报告须提出是否问责的建议。", article, c.REPORT_CONTENTS)
    if data["accountable"]:
        recommended = data.get("recommended_forms") or []
        if not recommended:
            return Refusal("建议问责的，调查报告须写明建议采用的问责方式。", article, c.REPORT_CONTENTS)
        unknown = [str(f) for f in recommended if p.profile.form(str(f)) is None]
        if unknown:
            return decisions.not_a_form(p.profile, f"「{'、'.join(unknown)}」不是本规定的问责方式。").refusal
    return None


@guard("defence_heard_or_waived", what="决定前已听取陈述申辩或记录放弃", article_key="defence_article")
def defence_heard_or_waived(case: CaseView, p: Proposal) -> Refusal | None:
    if not (case.has("record_defence") or case.has("waive_defence")):
        return Refusal("作出决定前，须听取并记录被问责对象的陈述和申辩，或记录其明确放弃。", cite(p, "defence_article"),
                       c.DEFENCE)
    return None


@guard("reason_given", what="写明理由", needs_data=True, reads=("reason", "text"))
def reason_given(case: CaseView, p: Proposal) -> Refusal | None:
    if not p.text("reason", "text"):
        if p.transition.action == "waive_defence":
            return Refusal("放弃陈述申辩须由被调查人明确表示，请录入其书面表示。", cite(p, "waiver_article"), c.WAIVER)
        return fact("请写明理由。")
    return None


@guard("direct_decision_reason", what="直接决定须写明理由", needs_data=True, reads=("direct_reason",))
def direct_decision_reason(case: CaseView, p: Proposal) -> Refusal | None:
    if not p.text("direct_reason"):
        route = p.transition.label or "直接作出决定"
        return Refusal(f"「{route}」须写明理由：为何属于所引条文允许的情形。", p.transition.article, c.DIRECT)
    return None


# -- the decision ---------------------------------------------------------------------------------------------------

@guard("collective_meeting", what="集体讨论（登记会议）", needs_data=True, article_key="collective_article",
       reads=("meeting",))
def collective_meeting(case: CaseView, p: Proposal) -> Refusal | None:
    article = cite(p, "collective_article")
    body = p.profile.procedure.collective_body or "领导班子"
    meeting = (p.data or {}).get("meeting")
    if not isinstance(meeting, Mapping) or not meeting.get("date"):
        return Refusal(f"问责决定须经{body}集体讨论，请登记会议日期、出席人员和持不同意见的成员。", article,
                       c.COLLECTIVE)
    if not names(meeting.get("attendees")):
        return fact("请登记出席会议的人员。")
    dissent_key = next((k for k in ("dissenting", "dissent", "dissenters") if k in meeting), None)
    if dissent_key is None:
        return fact("请登记持不同意见的成员（没有则写明无人持不同意见）。")
    strangers = [n for n in names(meeting[dissent_key]) if n not in names(meeting.get("attendees"))]
    if strangers:
        return fact(f"持不同意见的「{'、'.join(strangers)}」不在出席人员之中。")
    held_on = meeting["date"] if isinstance(meeting["date"], date) else date.fromisoformat(str(meeting["date"]))
    if held_on > p.on:
        return fact("会议日期不能晚于决定日期。")
    return None


@guard("forms_of_profile", what="问责方式为本规定所列且适用于被问责对象", needs_data=True, reads=("forms",))
def forms_of_profile(case: CaseView, p: Proposal) -> Refusal | None:
    try:
        decisions.resolve_forms(p.profile, case, (p.data or {}).get("forms"))
    except decisions.FormProblem as problem:
        return problem.refusal
    return None


@guard("dissenters_not_held", what="明确反对者不予问责",
       needs_data=True, article_key="dissent_article", reads=("meeting", "forms"))
def dissenters_not_held(case: CaseView, p: Proposal) -> Refusal | None:
    meeting = (p.data or {}).get("meeting") or {}
    if not isinstance(meeting, Mapping):
        return None
    dissenters = set(names(meeting.get("dissenting", meeting.get("dissent", meeting.get("dissenters")))))
    try:
        held = decisions.resolve_forms(p.profile, case, (p.data or {}).get("forms"))
    except decisions.FormProblem:
        return None  # forms_of_profile reports it
    wrongly = sorted({h.respondent.name for h in held if h.respondent.name in dissenters})
    if wrongly:
        return Refusal(f"「{'、'.join(wrongly)}」在集体决策中明确提出反对意见，不予问责。", cite(p, "dissent_article"),
                       c.DISSENT)
    return None


@guard("harsher_needs_reason", what="不得因申辩而从重",
       needs_data=True, article_key="no_harsher_article", reads=("forms", "harsher_reason"))
def harsher_needs_reason(case: CaseView, p: Proposal) -> Refusal | None:
    """Only where the text forbids a harsher outcome because of the defence (wf2011 第十一条). Elsewhere a decision
    harsher than the report's recommendation is allowed; the decision records it (``harsher_than_report``)."""
    article = p.profile.procedure.no_harsher_article
    if not article or not case.has("record_defence"):
        return None
    recommended = decisions.recommended_severity(p.profile, case)
    try:
        held = decisions.resolve_forms(p.profile, case, (p.data or {}).get("forms"))
    except decisions.FormProblem:
        return None
    if recommended is not None and decisions.severity(held) > recommended and not p.text("harsher_reason"):
        return Refusal("决定重于调查报告的建议，而被问责对象已作陈述申辩：须写明加重的理由，"
                       "且不得因其申辩而加重。", article, c.NO_HARSHER)
    return None


@guard("simplified_forms_only", what="简易程序只用较轻的问责方式", needs_data=True, reads=("forms",))
def simplified_forms_only(case: CaseView, p: Proposal) -> Refusal | None:
    try:
        held = decisions.resolve_forms(p.profile, case, (p.data or {}).get("forms"))
    except decisions.FormProblem:
        return None
    heavy = sorted({h.form.name for h in held if h.form.tier != "light"}, key=str)
    if heavy:
        light = "、".join(f.name for f in p.profile.forms if f.tier == "light")
        route = p.transition.label or "简易程序"
        return Refusal(f"「{route}」只适用于较轻的问责方式（{light}）；「{'、'.join(heavy)}」须按一般程序办理。",
                       p.transition.article, c.SIMPLIFIED)
    return None


@guard("decision_document_complete", what="决定书要素齐全")
def decision_document_complete(case: CaseView, p: Proposal) -> Refusal | None:
    missing = decisions.missing_element_specs(p.profile, case)
    return decisions.elements_refusal(p.profile, missing) if missing else None


def check(case: CaseView, proposal: Proposal) -> Refusal | None:
    """The first refusal among ``case_open``, the transition's guards (data guards only with data) and, once the
    regulation's rules are met, ``late_reason`` (with data)."""
    refusal = case_open(case, proposal)
    if refusal:
        return refusal
    for name in proposal.transition.guards:
        spec = GUARDS[name]
        if spec.needs_data and proposal.data is None:
            continue
        refusal = spec.check(case, proposal)
        if refusal:
            return refusal
    return late_reason(case, proposal)

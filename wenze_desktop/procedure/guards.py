"""Guards: small pure functions over a read-only case view that return nothing or a refusal citing its article.

A guard that needs the data of the action being recorded (``needs_data``) is skipped when the engine only asks
whether an action is available; it runs when the action is performed. Permissions are checked elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from wenze_desktop.domain.glossary import ReviewOutcome, term
from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure import decisions
from wenze_desktop.procedure.actions import label_of
from wenze_desktop.procedure.citations import Refusal
from wenze_desktop.procedure.fields import outcome_code
from wenze_desktop.procedure.view import CaseView, names, team_of
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import Profile, Transition


@dataclass(frozen=True)
class Proposal:
    """The action being checked: which transition, on which date, with which data (None: availability only)."""

    profile: Profile
    transition: Transition
    on: date
    data: Mapping[str, Any] | None
    calendar: WorkCalendar

    def text(self, *keys: str) -> str:
        for key in keys:
            value = (self.data or {}).get(key)
            if value is not None and str(value).strip():
                return str(value).strip()
        return ""


Guard = Callable[[CaseView, Proposal], Refusal | None]


@dataclass(frozen=True)
class GuardSpec:
    check: Guard
    needs_data: bool
    article_key: str = ""  # the [procedure] key whose article the guard cites, if not the transition's
    reads: tuple[str, ...] = ()  # the action fields (procedure/fields.py) the guard reads
    what: str = ""  # what it checks, in Chinese (the compliance matrix)


GUARDS: dict[str, GuardSpec] = {}


def guard(name: str, *, what: str, needs_data: bool = False, article_key: str = "", reads: tuple[str, ...] = ()):
    def register(check: Guard) -> Guard:
        GUARDS[name] = GuardSpec(check, needs_data, article_key, reads, what)
        return check
    return register


def reads_of(guard_names) -> set[str]:
    """The action fields the named guards read (what a form must ask for before the action can pass)."""
    return {key for name in guard_names for key in GUARDS[name].reads}


def cite(p: Proposal, key: str) -> str:
    """The profile's article for ``key`` ([procedure]); "" where the text is silent (the refusal is then a reading)."""
    return getattr(p.profile.procedure, key, "")


def fact(message: str) -> Refusal:
    """A refusal about the case's state or an empty field: it claims no article."""
    return Refusal(message, "", c.FACT)


def ended(profile: Profile, case: CaseView) -> Refusal:
    return Refusal(f"案件已终结（{profile.step_label(case.step)}），不能再办理任何事项。", "", c.CASE_ENDED)


def case_open(case: CaseView, p: Proposal) -> Refusal | None:
    """Implicit for every action: a withdrawn or archived case accepts nothing more."""
    return ended(p.profile, case) if p.profile.is_terminal(case.step) else None


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


# -- appeal, execution, extension, archive -------------------------------------------------------------------------

def appeal_window_due(case: CaseView, profile: Profile, calendar: WorkCalendar):
    """The last day to lodge an appeal, or None when the profile gives no window or the trigger is not recorded."""
    rules = profile.appeal
    trigger = case.last(rules.window_trigger)
    if trigger is None or not (rules.window_working_days or rules.window_days):
        return None
    if rules.window_working_days:
        return calendar.add_working_days(trigger.on, rules.window_working_days)
    return calendar.add_days(trigger.on, rules.window_days)


@guard("appeal_window", what="申诉期限和处理方式", reads=("review_kind",))
def appeal_window(case: CaseView, p: Proposal) -> Refusal | None:
    rules = p.profile.appeal
    if not rules.allowed:
        return Refusal(f"《{p.profile.short_title}》没有规定申诉程序。", "", c.NO_SUCH_PROCEDURE)
    due = appeal_window_due(case, p.profile, p.calendar)
    if due is not None and p.on > due.due:
        period = f"{rules.window_working_days}个工作日" if rules.window_working_days else f"{rules.window_days}日"
        return Refusal(f"申诉须在收到决定后{period}内提出，期限已于{due.describe()}届满。",
                       rules.window_article, c.APPEAL_WINDOW)
    if p.data is not None and rules.review_kinds:
        kind = p.text("review_kind")
        if kind and kind not in rules.review_kinds:
            return Refusal(f"申诉只能按规定所列的方式提出：{'、'.join(rules.review_kinds)}。", rules.article,
                           c.APPEAL_KINDS)
    return None


@guard("review_outcome", what="复核/复查结果为维持、变更或撤销", needs_data=True, reads=("outcome", "forms"))
def review_outcome(case: CaseView, p: Proposal) -> Refusal | None:
    outcomes = p.profile.appeal.outcomes or tuple(ReviewOutcome)
    article = p.profile.appeal.outcomes_article
    outcome = outcome_code(p.text("outcome"))
    if outcome not in outcomes:
        return Refusal(f"复核/复查决定只能是{'、'.join(term(o) for o in outcomes)}原问责决定之一。", article,
                       c.REVIEW_OUTCOMES)
    if outcome == ReviewOutcome.MODIFY:
        try:
            decisions.resolve_forms(p.profile, case, (p.data or {}).get("forms"))
        except decisions.FormProblem as problem:
            return Refusal(f"变更原决定须写明变更后的问责方式：{problem.message}", problem.article, problem.rule,
                           problem.words)
    return None


def appeal_pending(case: CaseView) -> bool:
    lodged, decided = case.all("lodge_appeal"), case.all("decide_appeal")
    return len(lodged) > len(decided)


@guard("execution_not_paused", what="申诉期间暂缓执行", reads=())
def execution_not_paused(case: CaseView, p: Proposal) -> Refusal | None:
    if not appeal_pending(case):
        return None
    rules = p.profile.appeal
    paused = rules.execution_pauses == "yes" or (
        rules.execution_pauses == "may" and bool(case.last("lodge_appeal").get("pause_execution")))
    if paused:
        return Refusal("申诉期间原问责决定暂缓执行，复核/复查决定作出后再报告执行情况。",
                       rules.execution_article, c.EXECUTION_PAUSE)
    return None


@guard("extension_allowed", what="延长期限须批准、不超过上限",
       needs_data=True, reads=("deadline", "extension", "approver", "reason"))
def extension_allowed(case: CaseView, p: Proposal) -> Refusal | None:
    from wenze_desktop.procedure.deadlines import extension_problem  # deadlines imports this module

    return extension_problem(case, p)


@guard("archive_complete", what="归档前材料齐全")
def archive_complete(case: CaseView, p: Proposal) -> Refusal | None:
    article = p.profile.archive_article
    missing = [a for a in p.profile.archive_requirements(case.path) if not case.has(a)]
    decision = case.last("decide")
    revoked = any(outcome_code(e.get("outcome")) == ReviewOutcome.REVOKE for e in case.all("decide_appeal"))
    if decision is not None:
        if not case.has("serve_decision") and "serve_decision" in p.profile.actions():
            missing.append("serve_decision")
        if not revoked and not case.has("report_execution") and "report_execution" in p.profile.actions():
            missing.append("report_execution")
    if appeal_pending(case):
        missing.append("decide_appeal")
    if missing:
        labels = "、".join(dict.fromkeys(label_of(a) for a in missing))
        return Refusal(f"归档前须具备全部材料，尚缺：{labels}。", article, c.ARCHIVE)
    return None


def check(case: CaseView, proposal: Proposal) -> Refusal | None:
    """The first refusal among ``case_open`` and the transition's guards (data guards only with data)."""
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
    return None

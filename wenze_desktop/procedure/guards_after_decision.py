"""Guards of the steps after the decision: the appeal, its outcome, execution, deadline extensions, the archive."""

from __future__ import annotations

from wenze_desktop.domain.glossary import ReviewOutcome, term
from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure import decisions
from wenze_desktop.procedure.actions import label_of
from wenze_desktop.procedure.citations import Refusal
from wenze_desktop.procedure.deadlines import extension_problem
from wenze_desktop.procedure.fields import outcome_code
from wenze_desktop.procedure.guard_registry import Proposal, guard
from wenze_desktop.procedure.view import CaseView
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import Profile

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

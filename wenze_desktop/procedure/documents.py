"""Which documents a case can produce, from which recorded action, and what each still lacks (the issuing guard).

A profile names the documents of each transition (``documents = ["decision"]``); a document can be issued once
that action is recorded and every element it must contain has data. The decision's elements are the regulation's
own list (``[decision_document]``); the others' are what the document cannot do without.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure import decisions
from wenze_desktop.procedure.actions import DOCUMENT_KINDS, label_of
from wenze_desktop.procedure.citations import Refusal
from wenze_desktop.procedure.view import CaseView, EventView, names, team_of
from wenze_desktop.rules.profiles import Profile


def _text(value) -> bool:
    return value is not None and bool(str(value).strip())


def _respondents(case: CaseView, event: EventView) -> bool:
    return bool(case.respondents) and all(_text(r.name) for r in case.respondents)


Check = Callable[[CaseView, EventView], bool]

# kind -> the other records whose contents the document prints (besides the record that produced it): a record an
# issued document rests on is corrected or withdrawn only after that document is voided.
READS: dict[str, frozenset[str]] = {
    "filing_decision": frozenset({"preliminary_check"}),
    "investigation_notice": frozenset({"assign_investigators", "decide_recusal"}),
    "investigation_report": frozenset(),
    "decision": frozenset({"submit_report"}),
    "withdrawal_decision": frozenset({"file_case"}),
    "service_receipt": frozenset({"decide"}),
    "review_decision": frozenset({"lodge_appeal", "decide"}),
    "execution_report": frozenset({"decide"}),
    "defence_record": frozenset(),
}

# kind -> (element label, check) for the documents whose contents no regulation lists
REQUIRED: dict[str, list[tuple[str, Check]]] = {
    "filing_decision": [("被调查对象", _respondents),
                        ("立项事由（立项理由或案件事实）", lambda c, e: _text(e.get("summary")) or _text(c.facts))],
    "investigation_notice": [("被调查对象", _respondents),
                             ("调查组成员", lambda c, e: bool(team_of(c).members)),
                             ("调查事项（案件事实）", lambda c, e: _text(c.facts))],
    "defence_record": [("陈述申辩人", _respondents), ("陈述申辩内容", lambda c, e: _text(e.get("text")))],
    "investigation_report": [
        ("被调查对象", _respondents),
        ("具体事实", lambda c, e: _text(e.get("facts")) or _text(c.facts)),
        ("基本结论", lambda c, e: _text(e.get("conclusion"))),
        ("处理建议", lambda c, e: e.get("accountable") is False or bool(names(e.get("recommended_forms"))))],
    "withdrawal_decision": [("被调查对象", _respondents), ("撤项理由", lambda c, e: _text(e.get("reason")))],
    "service_receipt": [("受送达人", lambda c, e: _respondents(c, e) or bool(names(e.get("recipients"))))],
    "review_decision": [("申诉人", _respondents), ("复核/复查结论", lambda c, e: _text(e.get("outcome"))),
                        ("理由", lambda c, e: _text(e.get("reason")))],
    "execution_report": [("被问责人", _respondents), ("执行情况", lambda c, e: _text(e.get("summary")))],
}


@dataclass(frozen=True)
class DocumentSource:
    kind: str
    label: str
    actions: tuple[str, ...]   # the actions whose transitions produce it in this profile
    article: str


def sources(profile: Profile) -> list[DocumentSource]:
    """The documents this profile's procedure produces, in the order they first appear."""
    found: dict[str, tuple[list[str], str]] = {}
    for t in profile.transitions:
        for kind in t.documents:
            actions, _ = found.setdefault(kind, ([], t.article))
            if t.action not in actions:
                actions.append(t.action)
    order = list(DOCUMENT_KINDS)
    return [DocumentSource(k, DOCUMENT_KINDS[k], tuple(a), art)
            for k, (a, art) in sorted(found.items(), key=lambda kv: order.index(kv[0]))]


def source_of(profile: Profile, kind: str) -> DocumentSource | None:
    return next((s for s in sources(profile) if s.kind == kind), None)


def source_event(case: CaseView, source: DocumentSource) -> EventView | None:
    """The latest recorded event that produces the document."""
    events = [e for e in case.events if e.action in source.actions]
    return events[-1] if events else None


def missing(profile: Profile, case: CaseView, kind: str, event: EventView) -> list[str]:
    if kind == "decision":
        return decisions.missing_elements(profile, case)
    return [label for label, check in REQUIRED.get(kind, []) if not check(case, event)]


def refusal(profile: Profile, case: CaseView, kind: str) -> Refusal | None:
    """Why the document cannot be issued now (naming the missing element and, for the decision, the article that
    lists its elements; other documents' elements are the profile's reading), or None."""
    label = DOCUMENT_KINDS.get(kind, kind)
    source = source_of(profile, kind)
    if source is None:
        return Refusal(f"《{profile.short_title}》规定的程序不产生{label}。", "", c.NO_SUCH_PROCEDURE)
    event = source_event(case, source)
    if event is None:
        steps = "或".join(f"“{label_of(a)}”" for a in source.actions)
        return Refusal(f"尚未记录{steps}，还不能制作{label}。", "", c.FACT)
    lacking = missing(profile, case, kind, event)
    if lacking:
        if kind == "decision":
            return decisions.elements_refusal(profile, decisions.missing_element_specs(profile, case))
        listed = {"investigation_report": (profile.procedure.report_article, c.REPORT_CONTENTS),
                  "review_decision": (profile.appeal.outcomes_article, c.REVIEW_OUTCOMES)}.get(kind)
        if listed and listed[0]:  # the text says what this document holds
            return Refusal(f"{label}缺少必备内容：{'、'.join(lacking)}。", *listed)
        return Refusal(f"{label}缺少必备内容：{'、'.join(lacking)}。", "", c.DOCUMENT_CONTENTS)
    return None

"""Which documents a case can produce, when, from which record, and what each still lacks (the issuing guard).

A profile names the documents of each transition (``documents = ["decision"]``). Most documents are made once that
action is recorded, from its record. A document a service delivers is made before it: the 调查通知书 once the
case stands where the notice can be served (the team formed), and the 送达回证 together with the document it
accompanies (the decision; the notice where the profile serves one). Its record is then the one that let it be
made; the service record, once there is one, adds the date and manner of service. A document can be issued when
every element it must contain has data: the decision's elements are the regulation's own list
(``[decision_document]``); the others' are what the document cannot do without.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
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

RECEIPT = "service_receipt"
# document -> the action that records its service; a receipt accompanies these, the later stage first
SERVED_BY: dict[str, str] = {"investigation_notice": "serve_notice", "decision": "serve_decision"}

# kind -> the other records whose contents the document prints (besides the record it rests on): a record an
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
    "service_receipt": [("受送达人", lambda c, e: _respondents(c, e) or bool(names(e.get("recipients")))
                         or bool(names(e.get("served_to"))))],
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
    ready: tuple[str, ...] = ()  # records that let it be made before the producing one (the step it needs)


def _leading(profile: Profile, actions: Collection[str]) -> tuple[str, ...]:
    """The actions that bring a case to where one of ``actions`` can be recorded (组成调查组 before 送达调查通知)."""
    sources = {s for t in profile.transitions if t.action in actions for s in t.sources}
    return tuple(dict.fromkeys(u.action for u in profile.transitions
                               if u.to in sources and u.action not in actions))


def sources(profile: Profile) -> list[DocumentSource]:
    """The documents this profile's procedure produces, in the order they first appear."""
    found: dict[str, tuple[list[str], str]] = {}
    for t in profile.transitions:
        for kind in t.documents:
            actions, _ = found.setdefault(kind, ([], t.article))
            if t.action not in actions:
                actions.append(t.action)
    ready: dict[str, tuple[str, ...]] = {}
    for kind, (actions, _) in found.items():
        if set(actions) <= set(SERVED_BY.values()):  # made before its own service
            ready[kind] = _leading(profile, actions)
    if RECEIPT in found:  # made with whichever document it accompanies
        ready[RECEIPT] = tuple(dict.fromkeys(
            a for k in SERVED_BY if k in found for a in (*ready.get(k, ()), *found[k][0])
            if a not in found[RECEIPT][0]))
    order = list(DOCUMENT_KINDS)
    return [DocumentSource(k, DOCUMENT_KINDS[k], tuple(a), art, ready.get(k, ()))
            for k, (a, art) in sorted(found.items(), key=lambda kv: order.index(kv[0]))]


def source_of(profile: Profile, kind: str) -> DocumentSource | None:
    return next((s for s in sources(profile) if s.kind == kind), None)


def source_event(case: CaseView, source: DocumentSource) -> EventView | None:
    """The latest recorded event that produces the document."""
    events = [e for e in case.events if e.action in source.actions]
    return events[-1] if events else None


def accompanies(profile: Profile) -> tuple[str, ...]:
    """The documents a receipt of this profile accompanies, earlier stage first ((): the profile has no receipt)."""
    kinds = {s.kind for s in sources(profile)}
    return tuple(k for k in SERVED_BY if k in kinds) if RECEIPT in kinds else ()


def receipt_target(profile: Profile, issued: Collection[str]) -> str | None:
    """The document a receipt made now accompanies: of the case's live issued documents (``issued``: their kinds),
    the later stage (the decision over the notice); None when none is issued."""
    return next((k for k in reversed(accompanies(profile)) if k in issued), None)


def served_kind(profile: Profile, action: str) -> str | None:
    """Which document a receipt resting on a record of ``action`` accompanies."""
    for kind in accompanies(profile):
        source = source_of(profile, kind)
        if action in (*source.actions, *source.ready, SERVED_BY[kind]):
            return kind
    return None


def service_event(case: CaseView, kind: str) -> EventView | None:
    """The record of the service of a ``kind`` document (送达调查通知, 送达问责决定), None until recorded."""
    action = SERVED_BY.get(kind)
    events = [e for e in case.events if e.action == action]
    return events[-1] if events else None


def _latest(case: CaseView, actions: Collection[str]) -> EventView | None:
    events = [e for e in case.events if e.action in actions]
    return events[-1] if events else None


def _ready(profile: Profile, case: CaseView, source: DocumentSource, label: str = "") -> EventView | Refusal:
    """The record a document rests on, or why it cannot be made (a fact of the case, citing nothing)."""
    produced = source_event(case, source)
    if produced is not None:
        return produced
    label = label or source.label
    before = _latest(case, source.ready)
    if before is None:
        steps = "或".join(f"“{label_of(a)}”" for a in (source.ready or source.actions))
        return Refusal(f"尚未记录{steps}，还不能制作{label}。", "", c.FACT)
    where = {s for t in profile.transitions if t.action in source.actions for s in t.sources}
    if case.step not in where:  # moved on without the service (撤项): there is nothing left to serve
        service = "或".join(f"“{label_of(a)}”" for a in source.actions)
        return Refusal(f"案件已转入“{profile.step_label(case.step)}”环节，未记录{service}，不能再制作{label}。", "",
                       c.FACT)
    return before


def basis(profile: Profile, case: CaseView, kind: str, serves: str | None = None) -> EventView | None:
    """The record a document rests on and draws from: the record that produces it; before that, the record that let
    it be made (the notice before its service: the team's). A receipt's is the service record of the document it
    accompanies (``serves``) once recorded, else that document's own."""
    if kind == RECEIPT and serves:
        return service_event(case, serves) or basis(profile, case, serves)
    source = source_of(profile, kind)
    found = _ready(profile, case, source) if source else None
    return found if isinstance(found, EventView) else None


def missing(profile: Profile, case: CaseView, kind: str, event: EventView) -> list[str]:
    if kind == "decision":
        return decisions.missing_elements(profile, case)
    return [label for label, check in REQUIRED.get(kind, []) if not check(case, event)]


def refusal(profile: Profile, case: CaseView, kind: str, issued: Collection[str] | None = None) -> Refusal | None:
    """Why the document cannot be issued now (naming the missing element and, for the decision, the article that
    lists its elements; other documents' elements are the profile's reading), or None. ``issued``: the kinds of
    the case's live issued documents where known (a receipt is made with an issued document it accompanies)."""
    label = DOCUMENT_KINDS.get(kind, kind)
    source = source_of(profile, kind)
    if source is None:
        return Refusal(f"《{profile.short_title}》规定的程序不产生{label}。", "", c.NO_SUCH_PROCEDURE)
    found = _receipt(profile, case, source, issued) if kind == RECEIPT else _ready(profile, case, source)
    if isinstance(found, Refusal):
        return found
    lacking = missing(profile, case, kind, found)
    if lacking:
        if kind == "decision":
            return decisions.elements_refusal(profile, decisions.missing_element_specs(profile, case))
        listed = {"investigation_report": (profile.procedure.report_article, c.REPORT_CONTENTS),
                  "review_decision": (profile.appeal.outcomes_article, c.REVIEW_OUTCOMES)}.get(kind)
        if listed and listed[0]:  # the text says what this document holds
            return Refusal(f"{label}缺少必备内容：{'、'.join(lacking)}。", *listed)
        return Refusal(f"{label}缺少必备内容：{'、'.join(lacking)}。", "", c.DOCUMENT_CONTENTS)
    return None


def _receipt(profile: Profile, case: CaseView, source: DocumentSource,
             issued: Collection[str] | None) -> EventView | Refusal:
    """A receipt is made with a document it accompanies: once one of them can be made and, where the issued
    documents are known, is issued. Its record is then that document's (or the record of its service)."""
    served = accompanies(profile)
    ready = {k: _ready(profile, case, source_of(profile, k), source.label) for k in served}
    made = [k for k in served if isinstance(ready[k], EventView)]
    produced = source_event(case, source)
    if not made:
        if produced is not None:
            return produced
        moved = [ready[k] for k in served if _latest(case, source_of(profile, k).ready) is not None]
        if moved:
            return moved[-1]
        steps = "或".join(f"“{label_of(a)}”" for k in served for a in (source_of(profile, k).ready
                                                                       or source_of(profile, k).actions))
        kinds = "或".join(DOCUMENT_KINDS[k] for k in served)
        return Refusal(f"尚未记录{steps}，还不能制作{source.label}（送达回证随所送达的{kinds}制作）。", "", c.FACT)
    if issued is None:
        return ready[made[-1]]
    target = receipt_target(profile, issued)
    if target is None:
        return Refusal(f"请先签发{'或'.join(DOCUMENT_KINDS[k] for k in made)}（送达回证随所送达的文书制作）。", "",
                       c.FACT)
    found = ready[target]
    return (service_event(case, target) or found) if isinstance(found, EventView) else found

"""What a decision says: which forms for which respondent, how severe, and what its document still lacks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure.citations import Refusal, Rule
from wenze_desktop.procedure.view import CaseView, RespondentView
from wenze_desktop.rules.profiles import DocumentElement, Form, Profile


@dataclass(frozen=True)
class Held:
    respondent: RespondentView
    form: Form


class FormProblem(Exception):
    def __init__(self, message: str, article: str, rule: Rule, words: tuple[tuple[str, ...], ...] = ()) -> None:
        super().__init__(message)
        self.message, self.article, self.rule, self.words = message, article, rule, words

    @property
    def refusal(self) -> Refusal:
        return Refusal(self.message, self.article, self.rule, self.words)


def _fact(message: str) -> FormProblem:
    return FormProblem(message, "", c.FACT)


def not_a_form(profile: Profile, message: str) -> FormProblem:
    """A form the profile does not have: cites the article listing the forms, which names some of them."""
    return FormProblem(message, forms_article(profile), c.FORMS, (tuple(f.name for f in profile.forms),))


def forms_article(profile: Profile) -> str:
    """Every whole article that lists forms, in the profile's order: 第九条（一）… 第十三条 -> 第九条、第十三条."""
    return "、".join(dict.fromkeys(m.group(0) for f in profile.forms if (m := _WHOLE_ARTICLE.match(f.article))))


_WHOLE_ARTICLE = re.compile(r"^.*?第[一二三四五六七八九十百零〇\d]+条")


def resolve_forms(profile: Profile, case: CaseView, value: Any) -> list[Held]:
    """``forms=["诫勉谈话"]`` (for every respondent) or ``[{"respondent": "张三", "form": "诫勉谈话"}, …]``."""
    if not value:
        raise _fact("问责决定须写明问责方式。")
    if isinstance(value, (str, Mapping)):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise _fact("问责方式应当是规定所列问责方式的名称。")
    pairs: list[tuple[RespondentView, str]] = []
    for item in value:
        if isinstance(item, Mapping):
            who = case.respondent(str(item.get("respondent", "")))
            if who is None:
                raise _fact(f"本案没有被问责对象「{item.get('respondent', '')}」。")
            chosen = item.get("forms", item.get("form")) or []
            chosen = [chosen] if isinstance(chosen, str) else chosen
            if not isinstance(chosen, (list, tuple)) or not [f for f in chosen if str(f).strip()]:
                raise _fact(f"请为「{who.name}」选择问责方式。")
            pairs.extend((who, str(f)) for f in chosen)
        else:
            if not case.respondents:
                raise _fact("本案尚未登记被问责对象。")
            pairs.extend((who, str(item)) for who in case.respondents)
    held: list[Held] = []
    for who, key in pairs:
        form = profile.form(key, who.kind)
        if form is None:
            names = "、".join(f.name for f in profile.forms)
            raise not_a_form(profile, f"「{key}」不是《{profile.short_title}》规定的问责方式；可用的有：{names}。")
        if who.kind not in form.applies_to:
            kind = "单位" if who.kind == "unit" else "个人"
            raise FormProblem(f"「{form.name}」不适用于{kind}被问责对象「{who.name}」。", form.applies_article,
                              c.FORM_FOR_KIND, ((form.name,), KIND_WORDS[form.applies_to[0]]))
        held.append(Held(who, form))
    return held


# What a text says to tie a form to persons or to units (the form's ``applies_article`` must say it).
KIND_WORDS = {"unit": ("单位", "党组织", "班子", "部门"),
              "person": ("干部", "人员", "领导", "个人", "同志", "成员", "当事人", "负责人")}


def severity(held: list[Held]) -> int:
    """The heaviest form chosen (-1 for none)."""
    return max((h.form.severity for h in held), default=-1)


def recommended_severity(profile: Profile, case: CaseView) -> int | None:
    """The heaviest form the last report recommended; -1 if it recommended no accountability; None if no report."""
    report = case.last("submit_report")
    if report is None:
        return None
    if not report.get("accountable", True):
        return -1
    forms = [profile.form(str(f)) for f in report.get("recommended_forms", [])]
    return max((f.severity for f in forms if f is not None), default=-1)


def harsher_note(profile: Profile, case: CaseView, held: list[Held]) -> str:
    """A note when the decision is harsher than the report recommended ("" otherwise). Where the text forbids a
    harsher outcome because of the defence, a guard asks for the reason; elsewhere it is allowed and recorded."""
    recommended = recommended_severity(profile, case)
    if recommended is None or severity(held) <= recommended:
        return ""
    report = case.last("submit_report")
    advised = "、".join(str(f) for f in report.get("recommended_forms", [])) if report.get("accountable", True) \
        else "不予问责"
    chosen = "、".join(dict.fromkeys(h.form.name for h in held))
    return f"决定（{chosen}）重于调查报告的建议（{advised or '未写明'}）。"


def _text(value: Any) -> bool:
    return bool(str(value).strip()) if value is not None else False


def missing_elements(profile: Profile, case: CaseView) -> list[str]:
    """The decision document's required elements that have no data yet (labels in the profile's words)."""
    return [e.label for e in missing_element_specs(profile, case)]


def elements_refusal(profile: Profile, missing: list[DocumentElement]) -> Refusal:
    """The decision lacks elements: cites each missing element's own article, which names it."""
    labels = "、".join(e.label for e in missing)
    article = "、".join(dict.fromkeys(e.article for e in missing if e.article))
    return Refusal(f"问责决定书缺少必备内容：{labels}。", article, c.DECISION_DOCUMENT,
                   (tuple(_element_words(e) for e in missing),))


def _element_words(element: DocumentElement) -> str:
    """What the text calls the element, without the words the profile adds (（以书面形式作出）)."""
    return re.sub(r"（[^）]*）$", "", element.label)


def missing_element_specs(profile: Profile, case: CaseView) -> list[DocumentElement]:
    decision = case.last("decide")
    data: Mapping[str, Any] = decision.data if decision else {}
    present = {
        "respondent_info": bool(case.respondents) and all(
            _text(r.name) and (r.kind == "unit" or _text(r.unit) or _text(r.post)) for r in case.respondents),
        "facts": _text(data.get("facts")) or _text(case.facts),
        "evidence": _text(data.get("evidence")),
        "responsibility": _text(data.get("responsibility")),
        "basis": _text(data.get("basis")),
        "decision": decision is not None and bool(data.get("held")),
        "appeal_route": profile.appeal.allowed or _text(data.get("appeal_route")),
        "organ": _text(data.get("organ")) or _text(profile.deciding_organ),
        "date": decision is not None,
        "title": decision is not None,
        # assigned and applied when the document is issued (documents issue)
        "document_number": True,
        "seal": True,
    }
    return [e for e in profile.decision_document.elements if not present.get(e.id, False)]

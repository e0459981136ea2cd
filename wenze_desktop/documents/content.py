"""What each kind of document says, built from the case, the event that produced it and the regulation (no Qt,
no database). The decision's body follows the regulation's own list of elements, in its order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from wenze_desktop.documents.spec import Colophon, DocumentSpec, FieldTable, Para, Signature
from wenze_desktop.domain.glossary import ReviewOutcome
from wenze_desktop.procedure.actions import DOCUMENT_KINDS
from wenze_desktop.procedure.fields import outcome_code
from wenze_desktop.procedure.view import CaseView, EventView, names, team_of
from wenze_desktop.rules.profiles import Profile

if TYPE_CHECKING:  # the case form's read model, passed in by the document service (documents do not call services)
    from wenze_desktop.services.case_parts import CaseDetails, RespondentInfo

# kind -> layout style: "official" (red header, 发文字号, sealed), "form" (sealed form), "record", "report"
STYLES = {"filing_decision": "official", "investigation_notice": "official", "decision": "official",
          "withdrawal_decision": "official", "review_decision": "official", "service_receipt": "form",
          "defence_record": "record", "investigation_report": "report", "execution_report": "report"}
SEALED_BY_DEFAULT = frozenset(k for k, s in STYLES.items() if s in ("official", "form"))
DEFAULT_DECISION_ORDER = ("respondent_info", "facts", "evidence", "responsibility", "basis", "decision",
                          "appeal_route")


@dataclass(frozen=True)
class Letterhead:
    """The issuing organ as its documents name it (set by the system administrator)."""

    mark: str                 # 发文机关标志, e.g. 中共广州市某区纪律检查委员会
    signing_organ: str = ""   # 发文机关署名 (default: the mark)
    organ_code: str = ""      # 机关代字, e.g. 穗纪
    kind_codes: Mapping[str, str] = field(default_factory=dict)
    printer: str = ""         # 印发机关 (default: the signing organ)
    cc: str = ""              # 抄送

    @property
    def signer(self) -> str:
        return self.signing_organ or self.mark


@dataclass(frozen=True)
class DocumentFacts:
    kind: str
    profile: Profile
    case: CaseView
    event: EventView
    details: CaseDetails
    letterhead: Letterhead
    number: str
    issued_on: date
    sealed: bool
    related_number: str = ""   # the decision's number (the review decision); the receipt's: what it accompanies
    handler: str = ""
    service: EventView | None = None  # the notice's or the receipt's service record; None until it is recorded
    served_title: str = ""     # the receipt: the title of the document it accompanies


BLANK_DATE = "　　　　年　　月　　日"  # filled in by hand on the paper
MADE_BEFORE_SERVICE = frozenset({"investigation_notice", "service_receipt"})


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def dated(f: DocumentFacts) -> date:
    """The document's own date: a document made before its service bears the day it is issued (the service's once
    recorded); the others, the day of the record they rest on."""
    if f.kind in MADE_BEFORE_SERVICE:
        return f.service.on if f.service is not None else f.issued_on
    return f.event.on


def who(respondents: tuple[RespondentInfo, ...]) -> str:
    """张三、李四同志 / 某某单位 / 张三同志和某某单位."""
    persons = [r.name for r in respondents if r.kind == "person"]
    units = [r.name for r in respondents if r.kind == "unit"]
    parts = (["、".join(persons) + "同志"] if persons else []) + (["、".join(units)] if units else [])
    return "和".join(parts) or "×××"


def describe(r: RespondentInfo) -> str:
    """The respondent's basic particulars (wf2011 式样第一部分: 姓名、性别、民族、出生年月日、所在单位及职务)."""
    if r.kind == "unit":
        return f"{r.name}" + (f"，主要负责人{r.principal}" if r.principal else "") + "。"
    parts = [r.name]
    parts += [{"male": "男", "female": "女"}[r.gender]] if r.gender in ("male", "female") else []
    parts += [r.ethnicity] if r.ethnicity else []
    parts += [f"{r.birth_date.year}年{r.birth_date.month}月{r.birth_date.day}日出生"] if r.birth_date else []
    post = f"{r.unit or ''}{r.post or ''}" + (f"（{r.rank}）" if r.rank else "")
    parts += [f"现任{post}"] if post else []
    return "，".join(parts) + "。"


def paragraphs(text: str) -> list[Para]:
    """One paragraph per line typed, each ending as a sentence does."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    return [Para(line if line[-1] in "。！？；：…”」）)." else line + "。") for line in lines]


def sentence(text, lead: str, tail: str = "", keep_if: tuple[str, ...] = ()) -> list[Para]:
    """Staff type fragments ("谈话笔录、会议记录"); the document needs sentences ("上述事实有……等证据证实。")."""
    text = str(text or "").strip().rstrip("。；;.，,")
    if not text:
        return []
    if text.startswith(keep_if or (lead,)):
        return [Para(text + "。")]
    return [Para(f"{lead}{text}{tail}。")]


def held_forms(event: EventView) -> list[tuple[str, str]]:
    return [(h.get("respondent", ""), h.get("form", "")) for h in event.get("held", []) or []]


def appeal_sentence(f: DocumentFacts, decision: Mapping) -> str:
    if decision.get("appeal_route"):
        return str(decision["appeal_route"])
    rules, profile = f.profile.appeal, f.profile
    if not rules.allowed:
        return ""
    if rules.window_working_days:
        window = f"自收到本决定之日起{rules.window_working_days}个工作日内"
    elif rules.window_days:
        window = f"自收到本决定之日起{rules.window_days}日内"
    else:
        window = "按照有关规定"
    kinds = "或".join(rules.review_kinds) or "申诉"
    text = f"如不服本决定，可以{window}向本机关提出{kinds}申请（《{profile.short_title}》{rules.article}）。"
    if rules.execution_pauses == "no":
        text += "申诉期间不停止本决定的执行。"
    return text


def decision_body(f: DocumentFacts) -> list[Para]:
    data, profile = f.event.data, f.profile
    order = [e.id for e in profile.decision_document.elements] or list(DEFAULT_DECISION_ORDER)
    held = held_forms(f.event)
    meeting = data.get("meeting") or {}
    organ = data.get("organ") or f.letterhead.signer
    articles = sorted({form.article for _, name in held if (form := profile.form(name)) and form.article})
    builders: dict[str, Callable[[], list[Para]]] = {
        "respondent_info": lambda: [Para(describe(r)) for r in f.details.respondents],
        "facts": lambda: paragraphs(data.get("facts") or f.details.facts),
        "evidence": lambda: sentence(data.get("evidence"), "上述事实有", "等证据证实", ("上述", "以上", "有")) or (
            [Para("上述事实有以下证据证实：" + "；".join(f"{i}. {e.title}" for i, e in
                                                   enumerate(f.details.evidence, 1)) + "。")]
            if f.details.evidence else []),
        "responsibility": lambda: sentence(data.get("responsibility"), f"经认定，{who(f.details.respondents)}", "",
                                           ("经", *(r.name for r in f.details.respondents))) or [
            Para(f"经认定，{r.name}同志负有{r.responsibility}。") for r in f.details.respondents if r.responsibility],
        "basis": lambda: sentence(data.get("basis"), "依据", "的规定", ("依据", "根据", "按照")) or [
            Para(f"依据《{profile.title}》" + ("、".join(articles) if articles else "") + "的规定。")],
        "decision": lambda: [Para(
            (f"经{organ}于{cn_date(date.fromisoformat(str(meeting['date'])))}集体讨论，" if meeting.get("date")
             else "经研究，") + "决定" + "；".join(f"给予{name}{form}问责" for name, form in held) + "。")],
        "appeal_route": lambda: [Para(s)] if (s := appeal_sentence(f, data)) else [],
    }
    body = [p for element in order if element in builders for p in builders[element]()]
    effective = profile.decision_document.effective
    if effective.startswith("问责决定自"):
        body.append(Para("本决定" + effective.removeprefix("问责决定") + "。"))
    return body


def filing_body(f: DocumentFacts) -> list[Para]:
    clue, target = f.details.clue, who(f.details.respondents)
    body = []
    if clue is not None:
        body.append(Para(f"{cn_date(clue.received_on)}，本机关收到" + (f"{clue.provider}反映的" if clue.provider
                                                                   else "") + f"有关{target}的问题线索。"))
    body += paragraphs(f.event.get("summary") or f.details.facts)
    approved = f"经{f.event.get('approved_by')}批准，" if f.event.get("approved_by") else "经研究，"
    article = _article(f, "file_case")
    body.append(Para(f"根据《{f.profile.title}》{article}的规定，{approved}决定对{target}予以立项调查。"))
    return body


def notice_body(f: DocumentFacts) -> list[Para]:
    team = team_of(f.case).members
    leader = next((e.get("leader") for e in reversed(f.case.events) if e.action == "assign_investigators"), "")
    recusal = f.profile.procedure.recusal_article
    return [
        Para(f"根据《{f.profile.title}》{_article(f, 'serve_notice')}的规定，本机关决定对“{f.details.title}”"
             "有关问题进行调查。"),
        Para(f"调查组由{'、'.join(team)}组成" + (f"，{leader}任组长" if leader else "") + "。"),
        Para("请你积极配合调查，如实说明情况，提供有关材料。调查人员与本案有利害关系或者有其他可能影响公正调查情形的，"
             "你可以申请其回避" + (f"（{recusal}）" if recusal else "") + "。"),
    ] + ([Para(f"联系人：{f.handler}")] if f.handler else [])


def record_body(f: DocumentFacts) -> list[Para]:
    r = f.details.respondents
    rows = [Para(f"时间：{cn_date(f.event.on)}", "flush"), Para("地点：", "flush"),
            Para("陈述申辩人：" + "；".join(describe(x).rstrip("。") for x in r), "flush"),
            Para(f"案件：{f.details.number} {f.details.title}", "flush"),
            Para(f"记录人：{f.handler}", "flush"), Para("陈述申辩内容：", "flush")]
    rows += paragraphs(f.event.get("text"))
    if f.event.get("adopted"):
        rows += [Para("采纳情况：", "flush"), *paragraphs(f.event.get("adopted"))]
    rows.append(Para("以上笔录已向陈述申辩人宣读（或交其阅读），确认无误。", "body"))
    return rows


def report_body(f: DocumentFacts) -> list[Para]:
    e, r = f.event, f.details.respondents
    forms = names(e.get("recommended_forms"))
    advice = ("建议给予" + who(r) + "、".join(forms) + "问责。") if e.get("accountable", True) and forms else \
        "建议不予问责。"
    body = [Para("一、被调查对象基本情况", "h1"), *[Para(describe(x)) for x in r],
            Para("二、调查认定的事实", "h1"), *paragraphs(e.get("facts") or f.details.facts)]
    if f.details.evidence:
        body += [Para("三、主要证据", "h1"),
                 Para("；".join(f"{i}. {x.title}" for i, x in enumerate(f.details.evidence, 1)) + "。")]
    n = "四" if f.details.evidence else "三"
    m = "五" if f.details.evidence else "四"
    return [*body, Para(f"{n}、调查结论", "h1"), *paragraphs(e.get("conclusion")),
            Para(f"{m}、处理建议", "h1"), Para(advice)]


def withdrawal_body(f: DocumentFacts) -> list[Para]:
    target = who(f.details.respondents)
    filed = f.case.last("file_case")
    body = [Para(f"{cn_date(filed.on)}，本机关决定对{target}立项调查。")] if filed else []
    body += paragraphs(f.event.get("reason"))
    body.append(Para(f"根据《{f.profile.title}》{_article(f, 'withdraw')}的规定，经研究，"
                     f"决定撤销对{target}的立项（撤项）。"))
    return body


def review_body(f: DocumentFacts) -> list[Para]:
    lodged = f.case.last("lodge_appeal")
    kinds = f.profile.appeal.review_kinds  # a text without 复核/复查 (ccp2016) reads "申诉" and "审查"
    kind = (lodged.get("review_kind") if lodged else "") or (kinds[0] if kinds else "")
    decided = f"本机关作出的问责决定（{f.related_number}）" if f.related_number else "本机关作出的问责决定"
    body = []
    if lodged:
        body.append(Para(f"你于{cn_date(lodged.on)}对{decided}提出{kind + '申请' if kind else '申诉'}"
                         + (f"，理由是：{lodged.get('reason')}" if lodged.get("reason") else "") + "。"))
    body += paragraphs(f.event.get("reason"))
    outcome = outcome_code(f.event.get("outcome"))
    result = {ReviewOutcome.UPHOLD: "决定维持原问责决定。", ReviewOutcome.REVOKE: "决定撤销原问责决定。"}.get(
        outcome, "决定将原问责决定变更为：" + "、".join(names(f.event.get("forms"))) + "。")
    basis = f"根据《{f.profile.title}》{f.profile.appeal.outcomes_article}的规定，"
    body.append(Para(f"{basis}经{kind or '审查'}，{result}"))
    return body


def execution_body(f: DocumentFacts) -> list[Para]:
    decided = f.case.last("decide")
    ref = f"（{f.related_number}）" if f.related_number else ""
    intro = f"{cn_date(decided.on)}作出的《关于对{who(f.details.respondents)}问责的决定》{ref}，执行情况如下：" \
        if decided else "问责决定的执行情况如下："
    return [Para(intro), *paragraphs(f.event.get("summary")), Para("特此报告。")]


def receipt_tables(f: DocumentFacts) -> tuple[FieldTable, ...]:
    """One form, drawn as consecutive tables: rows typed or ticked get one line, rows written by hand two (the
    place; the signature). Before the service is recorded its manner and date are left for the pen."""
    title = f.served_title or f"关于对{who(f.details.respondents)}问责的决定"
    served = title + (f"（{f.related_number}）" if f.related_number else "")
    service = f.service
    recipients = names(service.get("recipients") or service.get("served_to")) if service else []
    return (FieldTable((("送达文书", served),
                        ("受送达人", "、".join(recipients) or "、".join(r.name for r in f.details.respondents))),
                       min_lines=1),
            FieldTable((("送达地点", ""),)),
            FieldTable((("送达方式", str(service.get("method") or "") if service else ""),
                        ("送达日期", cn_date(service.on) if service else BLANK_DATE), ("送达人", f.handler)),
                       min_lines=1),
            FieldTable((("受送达人签收", "（签名）　　　　　　　　年　　月　　日"), ("备注", ""))))


def _article(f: DocumentFacts, action: str) -> str:
    return next((t.article for t in f.profile.transitions if t.action == action and t.article), "有关条款")


TITLES: dict[str, Callable[[str, str], str]] = {
    "filing_decision": lambda w, k: f"关于对{w}立项调查的决定",
    "investigation_notice": lambda w, k: "调查通知书",
    "defence_record": lambda w, k: "陈述申辩笔录",
    "investigation_report": lambda w, k: f"关于{w}有关问题的调查报告",
    "decision": lambda w, k: f"关于对{w}问责的决定",
    "withdrawal_decision": lambda w, k: f"关于撤销对{w}立项调查的决定",
    "service_receipt": lambda w, k: "送达回证",
    "review_decision": lambda w, k: f"关于{w}申诉的{k}决定",
    "execution_report": lambda w, k: f"关于对{w}问责决定执行情况的报告",
}
BODIES = {"filing_decision": filing_body, "investigation_notice": notice_body, "defence_record": record_body,
          "investigation_report": report_body, "decision": decision_body, "withdrawal_decision": withdrawal_body,
          "review_decision": review_body, "execution_report": execution_body}


def build(f: DocumentFacts) -> DocumentSpec:
    style = STYLES[f.kind]
    target = who(f.details.respondents)
    lodged = f.case.last("lodge_appeal")
    review_kind = lodged.get("review_kind") if lodged else ""
    title = TITLES[f.kind](target, review_kind if review_kind in ("复核", "复查") else "处理")
    blocks = receipt_tables(f) if f.kind == "service_receipt" else tuple(BODIES[f.kind](f))
    addressee = {"investigation_notice": f"{target}：", "review_decision": f"{target}：",
                 "investigation_report": f"{f.letterhead.signer}：", "execution_report": f"{f.letterhead.signer}："}
    signer = f.event.get("organ") if f.kind == "decision" and f.event.get("organ") else f.letterhead.signer
    signature = None
    if style in ("official", "form", "report"):
        signer = "调查组" if f.kind == "investigation_report" else signer
        signature = Signature(signer, cn_date(dated(f)), f.sealed)
    signing = ("陈述申辩人（签名）：　　　　　　　　　年　　月　　日",
               "记录人（签名）：　　　　　　　　　　　年　　月　　日") if style == "record" else ()
    colophon = Colophon(f.letterhead.printer or f.letterhead.signer, cn_date(f.issued_on), f.letterhead.cc) \
        if style == "official" else None
    return DocumentSpec(kind=f.kind, title=title, blocks=blocks, mark=f.letterhead.mark if style == "official" else "",
                        number=f.number, addressee=addressee.get(f.kind, ""), signature=signature,
                        signing_lines=signing, colophon=colophon, author=f.letterhead.signer,
                        keywords=(DOCUMENT_KINDS[f.kind], f.details.number))

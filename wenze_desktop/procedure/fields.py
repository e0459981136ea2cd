"""The registry of action fields: for every procedure action, what it records — key, Chinese label, kind, whether
it must be filled, and how a value reads in plain Chinese.

One list serves the wizard's forms (gui/action_forms.py), the record renderer (``render`` below: 办理记录, history,
tooltips, the CLI, the conflict view), the service's checks (unknown keys, who decided), the sample data of the
walkthrough and docs/procedure.md. Adding a field is one edit here.

Required-ness:
- ``ALWAYS``: every record of the action has it (the contents of the document the action produces);
- ``GUARDED``: required where the profile puts a guard on the transition that reads it (guards.py ``reads``);
- ``OPTIONAL``: never required by the form (a guard may still ask for it in a particular case);
- ``SIGNED``: who decided or approved — required of every approval and decision, checked by the service.
Approvals and decisions also need the signed paper: a 呈批表 number (``paper_ref``) or its scan (``paper_scan``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from wenze_desktop.domain.glossary import ReviewOutcome, term
from wenze_desktop.procedure.view import names

if TYPE_CHECKING:
    from wenze_desktop.rules.profiles import Profile


class Kind(StrEnum):
    TEXT = "text"              # one line
    LONG_TEXT = "long_text"    # paragraphs
    NAMES = "names"            # people typed by name
    TEAM = "team"              # people picked from the investigation team
    BOOL = "bool"
    DATE = "date"
    CHOICE = "choice"          # one of fixed codes (outcome, review kind)
    SUGGEST = "suggest"        # free text with suggestions (service method)
    FORMS = "forms"            # forms of accountability (per respondent where there are several)
    MEETING = "meeting"        # the collective decision meeting
    EXTENSION = "extension"    # N working days or N days (stored as ``working_days`` or ``days``)
    DEADLINE = "deadline"      # one of the case's deadlines (a rule id of the profile)
    ATTACHMENT = "attachment"  # one of the case's attachments (stored with its name and SHA-256)


class Need(StrEnum):
    ALWAYS = "always"
    GUARDED = "guarded"
    OPTIONAL = "optional"
    SIGNED = "signed"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: Kind = Kind.TEXT
    need: Need = Need.OPTIONAL
    hint: str = ""          # placeholder, or the check box's text for BOOL
    default: Any = None     # BOOL's initial state
    keys: tuple[str, ...] = ()  # the stored keys when they differ from ``key`` (EXTENSION)
    choices: tuple[tuple[str, str], ...] = ()  # CHOICE: (code, label); empty: the profile gives them
    required_if: tuple[str, Any] | None = None  # required while another field has this value

    @property
    def stored_keys(self) -> tuple[str, ...]:
        return self.keys or (self.key,)


SERVICE_METHODS = ("直接送达", "邮寄送达", "委托送达", "留置送达")
EXTENSION_UNITS = {"working_days": "个工作日", "days": "日"}


def _f(key: str, label: str, kind: Kind = Kind.TEXT, need: Need = Need.OPTIONAL, **more: Any) -> FieldSpec:
    return FieldSpec(key, label, kind, need, **more)


L, G, A, S = Kind.LONG_TEXT, Need.GUARDED, Need.ALWAYS, Need.SIGNED

# Who decided, and the signed paper: appended to every approval and decision.
PAPER = (_f("paper_ref", "呈批表编号", hint="已签批的呈批表、会议纪要的编号"),
         _f("paper_scan", "呈批表扫描件", Kind.ATTACHMENT))
DECIDED_BY = _f("decided_by", "决定人", need=S, hint="签批的领导姓名或作出决定的会议、机关")

FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "preliminary_check": (_f("summary", "初核情况", L),
                          # read by deadline rules with ``when = { severity = … }`` (jc2017 整改时限)
                          _f("severity", "事项类别", Kind.CHOICE,
                             choices=(("ordinary", "一般事项"), ("major", "重大问题、复杂事项")))),
    "file_case": (_f("approved_by", "批准人", need=S, hint="签批立项的领导姓名"), _f("summary", "立项理由", L),
                  _f("direct_reason", "直接立项的理由", L, G), *PAPER),  # jc2017: 立项 straight from the clue
    "close_without_filing": (_f("reason", "不予立项的理由", L, G), DECIDED_BY, *PAPER),
    "withdraw": (_f("reason", "撤项理由", L, G), _f("served_on", "撤项决定送达日期", Kind.DATE), DECIDED_BY, *PAPER),
    "assign_investigators": (_f("staff", "调查人员", Kind.NAMES, G), _f("leader", "组长")),
    "declare_interest": (_f("staff", "作出声明的调查人员", Kind.TEAM, A),
                         _f("interest", "有利害关系", Kind.BOOL, A, hint="与被调查人有利害关系", default=False),
                         _f("note", "说明", L)),
    "apply_recusal": (_f("staff", "被申请回避的人员", Kind.TEAM, G), _f("reason", "申请理由", L),
                      _f("applicant", "申请人")),
    "decide_recusal": (_f("staff", "决定所针对的人员", Kind.TEAM, G),
                       _f("granted", "准予回避", Kind.BOOL, A, hint="准予回避", default=True),
                       _f("replacement", "替换人员", Kind.NAMES), _f("reason", "理由", L), DECIDED_BY, *PAPER),
    "serve_notice": (_f("served_to", "受送达人"), _f("method", "送达方式", Kind.SUGGEST)),
    "receive_explanation": (_f("summary", "书面说明摘要", L), _f("evidence", "提交的证据", L)),
    "suspend_respondent": (_f("reason", "暂停职务的理由", L, G, hint="阻挠、拒绝或干预调查的情况"),
                           _f("approved_by", "决定人", need=S, hint="作出暂停职务决定的领导或机关"), *PAPER),
    "inform_findings": (_f("summary", "告知的调查结果", L),),
    "record_defence": (_f("text", "陈述申辩内容", L, A), _f("adopted", "采纳情况", L)),
    "waive_defence": (_f("text", "放弃陈述申辩的书面表示", L, A),),
    "submit_report": (_f("facts", "具体事实", L, hint="不填则用案件事实"), _f("conclusion", "基本结论", L, A),
                      _f("accountable", "建议问责", Kind.BOOL, A, hint="建议问责", default=True),
                      _f("recommended_forms", "建议的问责方式", Kind.FORMS, hint="建议问责时必填",
                         required_if=("accountable", True))),
    "extend_deadline": (_f("deadline", "延长的期限", Kind.DEADLINE),
                        _f("extension", "延长", Kind.EXTENSION, A, keys=("working_days", "days")),
                        _f("approver", "批准人", need=S), _f("reason", "延长理由", L, G), *PAPER),
    "decide": (_f("forms", "问责方式", Kind.FORMS, G), _f("meeting", "集体讨论会议", Kind.MEETING, G),
               _f("facts", "事实", L, A), _f("evidence", "证据", L, A), _f("responsibility", "责任认定", L, A),
               _f("basis", "问责依据", L, A), _f("organ", "决定机关", need=S),
               _f("harsher_reason", "重于调查报告建议的理由", L), _f("direct_reason", "直接作出决定的理由", L, G),
               *PAPER),
    "decide_no_accountability": (_f("reason", "不予问责的理由", L,
                                    hint="写明依据：不属于所列问责情形，或属于免予问责的情形（写明条款）"),
                                 _f("meeting", "集体讨论会议", Kind.MEETING, G),
                                 _f("organ", "决定机关", need=S), *PAPER),
    "serve_decision": (_f("recipients", "受送达人", Kind.NAMES), _f("method", "送达方式", Kind.SUGGEST)),
    "lodge_appeal": (_f("review_kind", "处理方式", Kind.CHOICE, A), _f("reason", "申诉理由", L, A),
                     _f("pause_execution", "暂缓执行", Kind.BOOL, hint="申诉期间暂缓执行原问责决定", default=False)),
    "decide_appeal": (_f("outcome", "处理结果", Kind.CHOICE, G),
                      _f("forms", "变更后的问责方式", Kind.FORMS, hint="变更时必填",
                         required_if=("outcome", ReviewOutcome.MODIFY.value)),
                      _f("reason", "理由", L, A), DECIDED_BY, *PAPER),
    "report_execution": (_f("summary", "执行情况", L, A),),
    "archive": (_f("archive_no", "档案号"), _f("location", "存放位置")),
}

# Recorded by every action that meets a deadline of some profile (a rule names the action that meets it): recorded
# after the deadline fell due, the engine asks why (guards.late_reason). Required only then, so OPTIONAL here; the
# form shows it only then.
DELAY_REASON = _f("delay_reason", "逾期原因", L, hint="写明未能在期限内办理的原因，如：被调查人住院，无法按期送达")

# What the service adds to a record, shown like the rest (never typed into a form).
DERIVED: dict[str, FieldSpec] = {
    "held": _f("held", "问责方式（按被问责对象）", Kind.FORMS),
    "aggravation": _f("aggravation", "从重情节"),
    "harsher_than_report": _f("harsher_than_report", "与调查报告建议的比较"),
}


@cache
def deadline_actions() -> frozenset[str]:
    """The actions that meet a deadline under some profile (those that may be late)."""
    from wenze_desktop.rules.profiles import all_profiles  # data read once; the profiles' module imports procedure

    return frozenset(rule.action for profile in all_profiles() for rule in profile.deadlines)


def fields_of(action: str) -> tuple[FieldSpec, ...]:
    own = FIELDS.get(action, ())
    return (*own, DELAY_REASON) if action in deadline_actions() else own


def spec(action: str, key: str) -> FieldSpec | None:
    for f in fields_of(action):
        if key == f.key or key in f.stored_keys:
            return f
    return DERIVED.get(key)


def stored_keys(action: str) -> set[str]:
    return {k for f in fields_of(action) for k in f.stored_keys}


def signed_fields(action: str) -> tuple[FieldSpec, ...]:
    """Who decided or approved (the action is an approval or decision when this is not empty)."""
    return tuple(f for f in fields_of(action) if f.need is Need.SIGNED)


def is_signed(action: str) -> bool:
    return bool(signed_fields(action))


def required_keys(action: str, guard_reads: set[str], data: Mapping[str, Any] | None = None) -> set[str]:
    """The fields a form must have filled: ALWAYS and SIGNED ones, GUARDED ones some guard reads, and those
    ``required_if`` another field's value in ``data`` (when given)."""
    found = {f.key for f in fields_of(action)
             if f.need in (Need.ALWAYS, Need.SIGNED) or (f.need is Need.GUARDED and f.key in guard_reads)}
    if data is not None:
        found |= {f.key for f in fields_of(action) if f.required_if and data.get(f.required_if[0]) == f.required_if[1]}
    return found


def present(value: Any) -> bool:
    return value not in (None, "", [], {}) and not (isinstance(value, str) and not value.strip())


# -- rendering in plain Chinese ------------------------------------------------------------------------------------

TRAILING = "。；;，,、：: "


def cn_date(value: Any) -> str:
    """2026年11月27日 from a date or an ISO string; the text itself when it is not a date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value.strip()
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def clean(text: Any) -> str:
    """A typed text as one clause: inner line breaks as ；, no trailing punctuation (the joiner adds it). Whatever
    else arrives (a list, a mapping, nothing) reads as its values, never as a Python repr."""
    if text is None:
        return ""
    if isinstance(text, bool):
        return "是" if text else "否"
    if isinstance(text, Mapping):
        return "，".join(t for v in text.values() if (t := clean(v)))
    if isinstance(text, (list, tuple, set)):
        return "、".join(t for v in text if (t := clean(v)))
    lines = [line.strip().rstrip(TRAILING) for line in str(text).splitlines() if line.strip()]
    return "；".join(line for line in lines if line)


def _names(value: Any) -> str:
    try:
        return "、".join(clean(n) for n in names(value))
    except (AttributeError, TypeError):  # not a list of names: its values, whatever they are
        return clean(value)


def _forms(value: Any) -> str:
    """诫勉谈话、通报 — or, per respondent, 张三（诫勉谈话）、李四（通报批评）."""
    if isinstance(value, (str, Mapping)):
        value = [value]
    plain: list[str] = []
    by_person: dict[str, list[str]] = {}
    for item in value if isinstance(value, (list, tuple)) else [value] if value else []:
        if isinstance(item, Mapping):
            who = clean(item.get("respondent", ""))
            chosen = item.get("forms", item.get("form")) or []
            forms = [clean(f) for f in ([chosen] if not isinstance(chosen, (list, tuple)) else chosen)]
            if who:
                by_person.setdefault(who, []).extend(forms)
            else:
                plain.extend(forms)
        else:
            plain.append(clean(item))
    parts = ["、".join(dict.fromkeys(p for p in plain if p))] if any(plain) else []
    parts += [f"{who}（{'、'.join(dict.fromkeys(f for f in forms if f))}）" if any(forms) else who
              for who, forms in by_person.items()]
    return "、".join(p for p in parts if p)


def meeting_name(body: str) -> str:
    """市委常委会 → 市委常委会会议; 市委常委会议 stays as it is."""
    body = body.strip()
    return body if body.endswith("会议") else f"{body}会议" if body else "会议"


def meeting_text(value: Any, body: str = "") -> str:
    """2026年11月27日 市委常委会议，出席：甲、乙，持反对意见：无."""
    if not isinstance(value, Mapping):
        return clean(value)
    title = clean(value.get("body") or "") or meeting_name(body)
    parts = [f"{cn_date(value.get('date')) if value.get('date') else ''} {title}".strip()]
    attendees = _names(value.get("attendees"))
    if attendees:
        parts.append(f"出席：{attendees}")
    dissent = value.get("dissenting", value.get("dissent", value.get("dissenters")))
    if dissent is not None:
        parts.append(f"持反对意见：{_names(dissent) or '无'}")
    return "，".join(parts)


def _aggravation(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    items = [i for i in items if i not in (None, "")]
    texts = [clean(i.get("message") or i.get("respondent", "")) if isinstance(i, Mapping) else clean(i)
             for i in items]
    return "；".join(t for t in texts if t) or "无"


def outcome_code(value: Any) -> str:
    """The outcome's code, also from the words older records stored (维持/变更/撤销)."""
    text = str(value or "").strip()
    for outcome in ReviewOutcome:
        if text in (outcome.value, term(outcome)):
            return outcome.value
    return text


def _attachment(value: Any) -> str:
    if isinstance(value, Mapping):  # its SHA-256 is kept with the record, not shown
        return clean(value.get("filename", "")) or "附件"
    return clean(value)


def render_value(field: FieldSpec, value: Any, data: Mapping[str, Any] | None = None,
                 profile: Profile | None = None) -> str:
    """One field's value in plain Chinese ("" when there is nothing to show)."""
    if field.kind is Kind.EXTENSION:
        data = data or {}
        return "、".join(f"{data[k]}{EXTENSION_UNITS[k]}" for k in field.stored_keys if present(data.get(k)))
    if not present(value) and value is not False:
        return ""
    renderers: dict[Kind, Callable[[Any], str]] = {
        Kind.NAMES: _names, Kind.TEAM: _names, Kind.FORMS: _forms, Kind.DATE: cn_date,
        Kind.BOOL: lambda v: "是" if v else "否", Kind.ATTACHMENT: _attachment,
        Kind.MEETING: lambda v: meeting_text(v, profile.procedure.collective_body if profile else ""),
        Kind.CHOICE: lambda v: (term(outcome_code(v)) if field.key == "outcome"
                                else dict(field.choices).get(str(v), clean(v))),
        Kind.DEADLINE: lambda v: _deadline_label(profile, str(v)),
    }
    if field.key == "aggravation":
        return _aggravation(value)
    return renderers.get(field.kind, clean)(value)


def _deadline_label(profile: Profile | None, rule_id: str) -> str:
    if profile is not None:
        for rule in profile.deadlines:
            if rule.id == rule_id:
                return rule.label
    return "期限"


def render(action: str, data: Mapping[str, Any], profile: Profile | None = None) -> list[tuple[str, str]]:
    """The record's fields as (label, text), in the registry's order; derived data after; keys the registry
    does not know (from an older version) under 其他, never as raw keys."""
    shown: list[tuple[str, str]] = []
    used: set[str] = set()
    own = fields_of(action)
    for field in own:
        used.update(field.stored_keys)
        text = render_value(field, data.get(field.key), data, profile)
        if text:
            shown.append((field.label, text))
    forms_shown = any(f.kind is Kind.FORMS and present(data.get(f.key)) for f in own)
    for key, field in DERIVED.items():
        used.add(key)
        if key == "held" and forms_shown:
            continue  # the same forms, already shown as decided
        text = render_value(field, data.get(key), data, profile)
        if text and not (key == "aggravation" and text == "无"):
            shown.append((field.label, text))
    for key, value in data.items():
        if key in used or key.startswith("_") or not present(value):
            continue
        text = _generic(value)
        if text:
            shown.append(("其他", text))
    return shown


def _generic(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Mapping):
        return "，".join(t for v in value.values() if (t := _generic(v)))
    if isinstance(value, (list, tuple)):
        return "、".join(t for v in value if (t := _generic(v)))
    return clean(value)


def record_text(action: str, data: Mapping[str, Any], profile: Profile | None = None) -> str:
    """The whole record on one line: 批准人：周建国；立项理由：……"""
    return "；".join(f"{label}：{text}" for label, text in render(action, data, profile))

"""`wenze case history`, `case amend`, `case withdraw-record`: a case's 办理记录 on the command line — shown in
plain Chinese (procedure/fields.py renders every record), corrected with a reason, the latest one withdrawn.
Registered by wenze_desktop.cli.

A field is named on the command line by its key or its Chinese label (``--set 调查人员=张三、李四``); the value is
read according to the field's kind (names split on 、 and commas, 是/否, dates, a meeting as
``2026-03-11;甲、乙、丙;无``, an extension as ``15个工作日``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from wenze_desktop.errors import ValidationError
from wenze_desktop.procedure import fields
from wenze_desktop.procedure.actions import label_of
from wenze_desktop.procedure.fields import FieldSpec, Kind, cn_date

INDENT = "    "
CN_DAY = re.compile(r"\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*")
NAME_SPLIT = re.compile(r"[、,，\r\n]+")
MEETING_SPLIT = re.compile(r"[;；]")
TRUE_WORDS = {"是", "有", "true", "yes", "y", "1"}
FALSE_WORDS = {"否", "无", "没有", "false", "no", "n", "0"}
NONE_WORDS = {"", "无", "没有", "无人"}


# -- reading what was typed --------------------------------------------------------------------------------------------

def _day(text: str, what: str = "日期") -> date:
    """A day written as 2026-03-11 or 2026年3月11日."""
    text = (text or "").strip()
    try:
        found = CN_DAY.fullmatch(text)
        return date(*map(int, found.groups())) if found else date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{what}「{text}」不是有效的日期，请写成 YYYY-MM-DD（如 2026-03-11）。") from None


def _seq(text: str) -> int:
    found = re.fullmatch(r"\s*第?\s*(\d+)\s*[条号]?\s*", text or "")
    if not found or int(found.group(1)) < 1:
        raise ValidationError(f"「{text}」不是办理记录的序号；序号见 `wenze case history` 的第一列，如 3。")
    return int(found.group(1))


def _reason(text: str | None, verb: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ValidationError(f"{verb}记录须写明理由：请加 --reason 理由。")
    return reason


def _pairs(items: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"--set 的格式是 登记项=内容（如 --set 调查人员=张三、李四），「{item}」不符合。")
        pairs.append((key.strip(), value.strip()))
    return pairs


def _names(text: str) -> list[str]:
    return [n.strip() for n in NAME_SPLIT.split(text) if n.strip()]


def _json(field: FieldSpec, text: str, want: type | tuple[type, ...]) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise ValidationError(f"「{field.label}」的内容不是有效的 JSON：{text}") from None
    if not isinstance(value, want):
        raise ValidationError(f"「{field.label}」的内容格式不对：{text}")
    return value


def _bool(field: FieldSpec, text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(f"「{field.label}」请写 是 或 否（也可写 true / false），不是「{text}」。")


def _choice(field: FieldSpec, text: str, profile) -> str:
    from wenze_desktop.domain.glossary import ReviewOutcome, term

    choices = list(field.choices)
    if field.key == "outcome":
        choices = [(o.value, term(o)) for o in ReviewOutcome]
    elif field.key == "review_kind" and profile is not None:
        choices = [(k, k) for k in profile.appeal.review_kinds]
    if not choices:
        return text
    for code, label in choices:
        if text in (code, label):
            return code
    listed = "、".join(label for _, label in choices)
    raise ValidationError(f"「{field.label}」只能是：{listed}；不是「{text}」。")


def _meeting(field: FieldSpec, text: str, current: Any) -> dict[str, Any]:
    """A JSON object, or 日期;出席人1、出席人2;持反对意见的人（无则写 无）[;会议名称]."""
    if text.startswith("{"):
        meeting = _json(field, text, dict)
    else:
        parts = [p.strip() for p in MEETING_SPLIT.split(text)]
        if len(parts) not in (3, 4):
            raise ValidationError(
                f"「{field.label}」请写成 日期;出席人1、出席人2;持反对意见的人（没有写 无）[;会议名称]，"
                "如 2026-03-11;书记甲、副书记乙、委员丙;无")
        held_on = _day(parts[0], "会议日期").isoformat()
        dissent = [] if parts[2] in NONE_WORDS else _names(parts[2])
        kept = {k: v for k, v in (current.items() if isinstance(current, Mapping) else ())
                if k not in ("date", "attendees", "dissenting", "dissent", "dissenters")}
        meeting = {**kept, "date": held_on, "attendees": _names(parts[1]), "dissenting": dissent}
        if len(parts) == 4 and parts[3]:
            meeting["body"] = parts[3]
    if meeting.get("date"):
        meeting["date"] = _day(str(meeting["date"]), "会议日期").isoformat()
    return meeting


def _extension(field: FieldSpec, key: str, text: str) -> dict[str, Any]:
    """15个工作日 / 15工作日 / 30日 / 30天; a bare number when the key itself says the unit (working_days=15)."""
    found = re.fullmatch(r"(\d+)\s*(个?工作日|日|天)?", text.strip())
    unit = key if key in fields.EXTENSION_UNITS else None
    if found and found.group(2):
        unit = "working_days" if "工作日" in found.group(2) else "days"
    if not found or unit is None or int(found.group(1)) < 1:
        raise ValidationError(f"「{field.label}」请写成 15个工作日 或 30日，不是「{text}」。")
    return {k: (int(found.group(1)) if k == unit else None) for k in field.stored_keys}


def _deadline(field: FieldSpec, text: str, profile) -> str:
    rules = list(profile.deadlines) if profile is not None else []
    for rule in rules:
        if text in (rule.id, rule.label):
            return rule.id
    listed = "、".join(rule.label for rule in rules)
    raise ValidationError(f"「{field.label}」须是本案规定的期限之一：{listed}；不是「{text}」。")


def parse_value(field: FieldSpec, key: str, text: str, profile=None, current: Mapping[str, Any] | None = None
                ) -> dict[str, Any]:
    """What ``--set KEY=TEXT`` stores: stored key -> value (None removes; an extension clears its other unit)."""
    text = text.strip()
    if not text:
        raise ValidationError(f"「{field.label}」的内容为空；要删去这一项请用 --unset {field.label}。")
    current = current or {}
    kind = field.kind
    if kind is Kind.EXTENSION:
        return _extension(field, key, text)
    if kind in (Kind.NAMES, Kind.TEAM):
        value: Any = _names(text)
    elif kind is Kind.BOOL:
        value = _bool(field, text)
    elif kind is Kind.DATE:
        value = _day(text, f"「{field.label}」").isoformat()
    elif kind is Kind.CHOICE:
        value = _choice(field, text, profile)
    elif kind is Kind.FORMS:
        value = _json(field, text, (list, dict, str)) if text.startswith(("[", "{")) else _names(text)
    elif kind is Kind.MEETING:
        value = _meeting(field, text, current.get(field.key))
    elif kind is Kind.DEADLINE:
        value = _deadline(field, text, profile)
    else:  # TEXT, LONG_TEXT, SUGGEST, ATTACHMENT (the attachment's id)
        value = text
    if value in ([], {}):
        raise ValidationError(f"「{field.label}」的内容为空；要删去这一项请用 --unset {field.label}。")
    return {field.key: value}


def field_named(action: str, name: str) -> FieldSpec:
    """The action's field called ``name`` (its key, a stored key, or its Chinese label)."""
    wanted = name.strip().rstrip("：:").strip()
    for field in fields.fields_of(action):
        if wanted == field.key or wanted in field.stored_keys or wanted == field.label:
            return field
    labels = "、".join(f.label for f in fields.fields_of(action)) or "（无）"
    raise ValidationError(f"「{label_of(action)}」记录没有「{wanted}」这一项。可以更正的登记项：{labels}；"
                          "日期请用 --on 更正。")


def changes_of(action: str, sets: list[tuple[str, str]], unsets: list[str], profile=None,
               current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    touched: dict[str, str] = {}
    for key, text in sets:
        field = field_named(action, key)
        if field.key in touched:
            raise ValidationError(f"「{field.label}」写了不止一次。")
        touched[field.key] = "set"
        changes.update(parse_value(field, key, text, profile, current))
    for key in unsets:
        field = field_named(action, key)
        if field.key in touched:
            raise ValidationError(f"「{field.label}」不能同时用 --set 和 --unset。")
        touched[field.key] = "unset"
        changes.update(dict.fromkeys(field.stored_keys))
    return changes


# -- showing records ---------------------------------------------------------------------------------------------------

def _when(value: Any) -> str:
    """When a correction or withdrawal was made: 2026年11月23日 17:05 (local time)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return cn_date(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return f"{cn_date(moment.date())} {moment:%H:%M}"


def _revision_lines(action: str, revisions, profile) -> list[str]:
    lines = []
    for number, revision in enumerate(revisions, 1):
        text = fields.record_text(action, revision.get("data") or {}, profile)
        lines.append(f"{INDENT}第{number}次更正：{_when(revision.get('at', ''))}，{revision.get('by') or '不详'}，"
                     f"理由：{fields.clean(revision.get('reason', ''))}")
        lines.append(f"{INDENT}{INDENT}更正前：{cn_date(revision.get('on', ''))}"
                     + (f"　{text}" if text else ""))
    return lines


def record_lines(seq: int, on: Any, action: str, recorded_by: str, data: Mapping[str, Any], revisions, profile,
                 show_revisions: bool, mark: str = "") -> list[str]:
    head = f"{mark}{seq}  {cn_date(on)}  {label_of(action)}  录入人：{recorded_by or '不详'}"
    if revisions:
        head += f"〔已更正{len(revisions)}次〕"
    text = fields.record_text(action, data, profile)
    lines = [head, f"{INDENT}{text}" if text else f"{INDENT}（未登记具体内容）"]
    if show_revisions:
        lines += _revision_lines(action, revisions, profile)
    return lines


def _record_json(action: str, data: Mapping[str, Any], profile) -> dict[str, Any]:
    from wenze_desktop.services.case_state import jsonable

    return {"action": action, "action_label": label_of(action), "data": jsonable(data),
            "text": fields.record_text(action, data, profile),
            "fields": [{"label": label, "text": text} for label, text in fields.render(action, data, profile)]}


def _revisions_json(action: str, revisions, profile) -> list[dict[str, Any]]:
    from wenze_desktop.services.case_state import jsonable

    return [{"on": r.get("on"), "reason": r.get("reason", ""), "by": r.get("by", ""), "at": r.get("at", ""),
             "data": jsonable(r.get("data") or {}),
             "text": fields.record_text(action, r.get("data") or {}, profile)} for r in revisions]


def history_json(view, profile, withdrawn: list[dict]) -> dict[str, Any]:
    records = [{"seq": e.seq, "on": e.on.isoformat(), **_record_json(e.action, e.data, profile),
                "path": e.path, "step_before": e.step_before, "step_after": e.step_after,
                "recorded_by": e.recorded_by,
                "recorded_at": e.recorded_at.isoformat() if e.recorded_at else None,
                "revisions": _revisions_json(e.action, e.revisions, profile)} for e in view.events]
    gone = [{"seq": r.get("seq"), "on": r.get("on"), **_record_json(r.get("action", ""), r.get("data") or {}, profile),
             "recorded_by": r.get("recorded_by", ""), "recorded_at": r.get("recorded_at", ""),
             "reason": r.get("reason", ""), "by": r.get("by", ""), "at": r.get("at", ""),
             "revisions": _revisions_json(r.get("action", ""), r.get("revisions") or [], profile)}
            for r in withdrawn]
    return {"case": view.number, "regulation": view.profile_id, "step": view.step,
            "step_label": profile.step_label(view.step), "records": records, "withdrawn": gone}


def history_lines(view, profile, withdrawn: list[dict], show_revisions: bool) -> list[str]:
    lines = [f"案件 {view.number}（{profile.title}）　当前步骤：{profile.step_label(view.step)}",
             f"办理记录（共 {len(view.events)} 条，按办理顺序）：" if view.events else "尚无办理记录。"]
    for e in view.events:
        lines += record_lines(e.seq, e.on, e.action, e.recorded_by, e.data, e.revisions, profile, show_revisions)
    if withdrawn:
        lines.append(f"已撤回的记录（{len(withdrawn)} 条）：")
        for r in withdrawn:
            action = r.get("action", "")
            lines += record_lines(r.get("seq", ""), r.get("on", ""), action, r.get("recorded_by", ""),
                                  r.get("data") or {}, r.get("revisions") or [], profile, show_revisions,
                                  mark="〔已撤回〕")
            lines.append(f"{INDENT}撤回理由：{fields.clean(r.get('reason', ''))}"
                         f"（{r.get('by') or '不详'}，{_when(r.get('at', ''))}）")
    revised = any(e.revisions for e in view.events) or any(r.get("revisions") for r in withdrawn)
    if revised and not show_revisions:
        lines.append("（加 --revisions 查看更正前的内容和更正理由）")
    return lines


# -- the commands ------------------------------------------------------------------------------------------------------

def _event(view, seq: int):
    event = next((e for e in view.events if e.seq == seq), None)
    if event is None:
        listed = f"现有序号 {view.events[0].seq}–{view.events[-1].seq}" if view.events else "本案尚无办理记录"
        raise ValidationError(f"案件 {view.number} 没有序号为 {seq} 的办理记录（{listed}）。")
    return event


def cmd_history(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.rules.profiles import load_profile
    from wenze_desktop.services.facade import Workspace

    with signed_in(args, secrets) as (ctx, _):
        ws = Workspace(ctx)
        case_id = ws.cases.id_of(args.number)
        view = ws.procedure.view(case_id)
        withdrawn = ws.procedure.withdrawn_records(case_id)
    profile = load_profile(view.profile_id)
    if args.json:
        print(json.dumps(history_json(view, profile, withdrawn), ensure_ascii=False, indent=2, default=str))
    else:
        print("\n".join(history_lines(view, profile, withdrawn, args.revisions)))
    return 0


def cmd_amend(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.rules.profiles import load_profile
    from wenze_desktop.services.facade import Workspace

    # everything that can be checked without the workspace, before the password is asked for
    seq, reason = _seq(args.seq), _reason(args.reason, "更正")
    on = _day(args.on, "--on 的日期") if args.on is not None else None
    sets = _pairs(args.set)
    if on is None and not sets and not args.unset:
        raise ValidationError("没有要更正的内容：请用 --on 更正日期，或用 --set 登记项=内容、--unset 登记项 更正内容。")
    with signed_in(args, secrets) as (ctx, _):
        ws = Workspace(ctx)
        case_id = ws.cases.id_of(args.number)
        view = ws.procedure.view(case_id)
        profile = load_profile(view.profile_id)
        event = _event(view, seq)
        changes = changes_of(event.action, sets, args.unset, profile, event.data)
        ws.procedure.amend(case_id, event.id, reason=reason, on=on, data=changes)
        corrected = _event(ws.procedure.view(case_id), seq)
    print(f"已更正案件 {view.number} 第 {seq} 条记录「{label_of(event.action)}」（理由：{fields.clean(reason)}）。"
          "更正后：")
    print("\n".join(record_lines(corrected.seq, corrected.on, corrected.action, corrected.recorded_by,
                                 corrected.data, corrected.revisions, profile, False)))
    return 0


def cmd_withdraw_record(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.rules.profiles import load_profile
    from wenze_desktop.services.facade import Workspace

    seq, reason = _seq(args.seq), _reason(args.reason, "撤回")
    with signed_in(args, secrets) as (ctx, _):
        ws = Workspace(ctx)
        case_id = ws.cases.id_of(args.number)
        view = ws.procedure.view(case_id)
        event = _event(view, seq)
        ws.procedure.withdraw_record(case_id, event.id, reason=reason)
        after = ws.procedure.view(case_id)
    profile = load_profile(view.profile_id)
    print(f"已撤回案件 {view.number} 第 {seq} 条记录「{label_of(event.action)}」（{cn_date(event.on)}，"
          f"理由：{fields.clean(reason)}）。")
    print(f"案件回到「{profile.step_label(after.step)}」步骤；撤回的记录仍保留，可用 `wenze case history` 查看。")
    return 0


def cmd_case(args, secrets) -> int:
    raise ValidationError("请指定要做什么：wenze case history（查看办理记录）、amend（更正记录）或 "
                          "withdraw-record（撤回最新记录）。")


class _ChineseParser(argparse.ArgumentParser):
    """Usage errors of the `case` commands in Chinese (exit 2, as argparse does)."""

    def error(self, message: str):
        replacements = (("the following arguments are required", "缺少参数"),
                        ("unrecognized arguments", "无法识别的参数"), ("invalid choice", "无效的选择"),
                        ("expected one argument", "需要一个值"), ("argument ", "参数 "), ("choose from", "可选"))
        for english, chinese in replacements:
            message = message.replace(english, chinese)
        sys.stderr.write(self.format_usage().replace("usage:", "用法：", 1))
        self.exit(2, f"{self.prog}：错误：{message}\n")


def register(sub, common: argparse.ArgumentParser) -> None:
    from wenze_desktop.cli import command_adder

    p = sub.add_parser("case", parents=[common], help="查看、更正或撤回案件的办理记录",
                       description="查看、更正或撤回案件的办理记录：history、amend、withdraw-record")
    p.set_defaults(func=cmd_case)
    p.add_argument("--user", default=argparse.SUPPRESS, metavar="NAME", help=argparse.SUPPRESS)
    group = p.add_subparsers(dest="case_command", metavar="COMMAND", parser_class=_ChineseParser)
    add = command_adder(group, common)
    number_help = "案件编号，如 gz2009-2026-0001"
    seq_help = "办理记录的序号（`wenze case history` 的第一列）"

    q = add("history", cmd_history, "按办理顺序列出案件的全部办理记录（含录入人、更正和已撤回的记录）")
    q.add_argument("number", metavar="NUMBER", help=number_help)
    q.add_argument("--revisions", action="store_true", help="同时列出更正记录的每个早先版本和更正理由")
    q.add_argument("--json", action="store_true", help="输出 JSON（供脚本使用）")

    q = add("amend", cmd_amend, "更正一条办理记录的日期或内容（须写明理由；原内容保留为更正历史）")
    q.add_argument("number", metavar="NUMBER", help=number_help)
    q.add_argument("seq", metavar="SEQ", help=seq_help)
    q.add_argument("--reason", metavar="TEXT", help="更正理由（必填）")
    q.add_argument("--on", metavar="YYYY-MM-DD", help="更正后的办理日期")
    q.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="更正一项内容：登记项（中文名称或键名）=内容，可重复；姓名用、或逗号分隔，是/否，"
                        "日期 YYYY-MM-DD，会议写 日期;出席人、出席人;持反对意见的人（无则写 无），延长写 15个工作日")
    q.add_argument("--unset", action="append", default=[], metavar="KEY", help="删去一项内容，可重复")

    q = add("withdraw-record", cmd_withdraw_record, "撤回本案最新的一条办理记录（须写明理由；案件回到此前的步骤）")
    q.add_argument("number", metavar="NUMBER", help=number_help)
    q.add_argument("seq", metavar="SEQ", help=seq_help)
    q.add_argument("--reason", metavar="TEXT", help="撤回理由（必填）")

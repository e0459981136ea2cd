"""`wenze` commands for regulations, deadlines and the holiday calendar (registered by ``wenze_desktop.cli``)."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from wenze_desktop.errors import ValidationError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"「{text}」不是日期，请写成 YYYY-MM-DD") from None


def _print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@contextmanager
def _workspace_calendar(args, secrets):
    """The workspace's calendar when --user is given (entered years count), else the library's alone."""
    from wenze_desktop.cli import signed_in
    from wenze_desktop.rules.calendar import WorkCalendar
    from wenze_desktop.services.calendar import CalendarService

    if not args.user:
        yield WorkCalendar()
        return
    with signed_in(args, secrets) as (ctx, _):
        yield CalendarService(ctx).calendar()


def cmd_deadline(args, secrets) -> int:
    with _workspace_calendar(args, secrets) as calendar:
        due = calendar.add(args.start, working_days=args.working_days or 0, days=args.days or 0,
                           months=args.months or 0)
    if args.json:
        _print_json(due.to_json())
        return 0
    print(due.due.isoformat())
    if due.provisional:
        years = "、".join(map(str, due.unknown_years))
        print(f"注意：这是暂定期限。{years} 年的节假日安排尚未录入，仅按周末推算；"
              f"请管理员用 `wenze calendar import` 录入国务院办公厅公布的安排。", file=sys.stderr)
    return 0


def cmd_deadlines(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.procedure import ProcedureService

    with signed_in(args, secrets) as (ctx, _):
        service = ProcedureService(ctx)
        today = args.today or service.today()
        rows = service.overdue(today) if args.overdue else service.open_deadlines(due_within=args.within,
                                                                                  today=today)
    if args.json:
        _print_json([{"case": r.case_number, "title": r.case_title, "deadline": r.rule_id, "label": r.label,
                      "due": r.due.isoformat(), "days_left": r.days_left(today), "provisional": r.provisional,
                      "unknown_years": list(r.unknown_years), "article": r.article} for r in rows])
        return 0
    for r in rows:
        left = r.days_left(today)
        state = f"已超期 {-left} 天" if left < 0 else f"剩 {left} 天"
        mark = "（暂定）" if r.provisional else ""
        print(f"{r.due.isoformat()}{mark}  {state:<10} {r.case_number}  {r.label}（{r.article}）  {r.case_title}")
    if not rows:
        print("没有符合条件的未完成期限。")
    return 0


def cmd_profiles(args, secrets) -> int:
    from wenze_desktop.rules.profiles import all_profiles

    profiles = all_profiles()
    if args.json:
        _print_json([{"id": p.id, "title": p.title, "document_number": p.document_number, "status": p.status,
                      "applies_to": list(p.applies_to), "forms": len(p.forms), "steps": len(p.steps)}
                     for p in profiles])
        return 0
    for p in profiles:
        kinds = "、".join("个人" if k == "person" else "单位" for k in p.applies_to)
        print(f"{p.id:<8} {p.title}（{p.document_number or '无文号'}，{p.status or '施行'}）适用：{kinds}；"
              f"问责方式 {len(p.forms)} 种")
    return 0


def cmd_profile_show(args, secrets) -> int:
    from wenze_desktop.procedure.actions import label_of
    from wenze_desktop.rules.profiles import load_profile

    p = load_profile(args.id)
    if args.json:
        _print_json(p.describe())
        return 0
    print(f"{p.title}（{p.document_number}）\n发布：{p.issuer} {p.issued or ''}  施行：{p.effective or ''}")
    print(f"适用对象：{p.applies_text}（{p.applies_article}）")
    print("\n问责方式：")
    for form in p.forms:
        tier = f"[{form.tier}] " if form.tier else ""
        print(f"  {tier}{form.name}（{form.article}）")
    print("\n影响期：")
    for effect in p.after_effects:
        print(f"  {effect.text}（{effect.article}）")
    print("\n程序：")
    for step in p.steps:
        actions = "、".join(dict.fromkeys(label_of(t.action) for t in p.transitions_from(step.id)))
        print(f"  {step.label}（{step.article or '本规定未作规定：' + step.reading}）→ {actions or '终结'}")
    print("\n期限：")
    for rule in p.deadlines:
        print(f"  {rule.label}：{rule.describe_period()}（{rule.article}）")
    if p.silence_note:
        print(f"  {p.silence_note}")
    return 0


def cmd_profile_text(args, secrets) -> int:
    """The regulation's own words: the cited article (款, 项), or the whole text."""
    from wenze_desktop.rules.profiles import load_profile
    from wenze_desktop.rules.texts import load_text

    profile, text = load_profile(args.id), load_text(args.id)
    if args.citation:
        print(f"《{profile.title}》\n\n{text.words(args.citation)}")
        return 0
    print(f"{text.title}\n来源：{text.source}")
    document, chapter = None, None
    for article in text.articles:
        if article.document != document:
            document = article.document
            print(f"\n【{document or profile.title}】")
        if article.chapter != chapter and article.chapter:
            chapter = article.chapter
            print(f"\n{chapter}")
        print(f"{article.key} {article.text}")
    return 0


def cmd_calendar_import(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.calendar import CalendarService

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationError(f"读不了节假日安排文件 {path}：{error}") from error
    with signed_in(args, secrets) as (ctx, _):
        entered = CalendarService(ctx).import_year(text, source=path.name)
    print(f"已录入 {entered.year} 年节假日安排：放假 {entered.holidays} 天，调休上班 {entered.workdays} 天。"
          f"{entered.describe()}")
    return 0


def cmd_calendar_remove(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.calendar import CalendarService

    with signed_in(args, secrets) as (ctx, _):
        removed = CalendarService(ctx).remove_year(args.year)
    print(f"已删除录入的 {removed.year} 年节假日安排。{removed.describe()}")
    return 0


def cmd_calendar_list(args, secrets) -> int:
    from wenze_desktop.cli import signed_in
    from wenze_desktop.services.calendar import CalendarService

    with signed_in(args, secrets) as (ctx, _):
        years = CalendarService(ctx).entered_years()
    for y in years:
        print(f"{y['year']}：放假 {y['holidays']} 天，调休上班 {y['workdays']} 天"
              f"（{y['source']}，{y['entered_by']} 录入）")
    if not years:
        print("尚未录入任何年份；使用 chinese-calendar 自带的年份。")
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("deadline", parents=[common], help="按工作日、日或月计算期限")
    p.add_argument("--from", dest="start", required=True, type=_date, metavar="YYYY-MM-DD", help="起算事件的日期")
    unit = p.add_mutually_exclusive_group(required=True)
    unit.add_argument("--working-days", type=int, metavar="N")
    unit.add_argument("--days", type=int, metavar="N")
    unit.add_argument("--months", type=int, metavar="N")
    p.add_argument("--json", action="store_true")
    p.add_argument("--user", metavar="NAME", help="使用该工作区录入的节假日安排（需要密码）")
    p.set_defaults(func=cmd_deadline)

    p = sub.add_parser("deadlines", parents=[common], help="列出工作区内未完成的期限")
    p.add_argument("--user", required=True, metavar="NAME")
    p.add_argument("--overdue", action="store_true", help="只列已超期的")
    p.add_argument("--within", type=int, metavar="N", help="只列 N 天内到期的")
    p.add_argument("--today", type=_date, metavar="YYYY-MM-DD", help="按这一天计算（默认今天）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_deadlines)

    p = sub.add_parser("profiles", parents=[common], help="列出内置的问责规定")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("profile", parents=[common], help="查看一项问责规定")
    commands = p.add_subparsers(dest="profile_command", required=True)
    show = commands.add_parser("show", parents=[common])
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_profile_show)
    words = commands.add_parser("text", parents=[common], help="规定原文（整篇或某一条）")
    words.add_argument("id", metavar="ID")
    words.add_argument("citation", metavar="条文", nargs="?", help="如 第十一条、第二十四条第二款、第十四条（一）")
    words.set_defaults(func=cmd_profile_text)

    p = sub.add_parser("calendar", parents=[common], help="录入或查看节假日安排")
    calendar = p.add_subparsers(dest="calendar_command", required=True)
    q = calendar.add_parser("import", parents=[common], help="录入一年的节假日安排（TOML）")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--user", required=True, metavar="NAME")
    q.set_defaults(func=cmd_calendar_import)
    q = calendar.add_parser("remove", parents=[common], help="删除录入的一年安排（期限随之重新计算）")
    q.add_argument("year", type=int, metavar="YEAR")
    q.add_argument("--user", required=True, metavar="NAME")
    q.set_defaults(func=cmd_calendar_remove)
    q = calendar.add_parser("list", parents=[common], help="列出已录入的年份")
    q.add_argument("--user", required=True, metavar="NAME")
    q.set_defaults(func=cmd_calendar_list)

"""A demonstration workspace: about 30 realistic cases over all seven regulations and all stages.

    ws = build_demo(data_dir)                # signed in as DEMO_USERNAME; ws.close() when done
    Workspace.open(data_dir, DEMO_USERNAME, DEMO_PASSWORD)

Every case is recorded through the services (permission check, guards, audit), exactly as a clerk would record it,
with dates counted back from ``today`` (default: the real today), so that some deadlines are overdue, some fall
due within days and the rest are on time. The cases are in ``demo_cases``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from wenze_desktop.documents.seal_image import demo_seal_png
from wenze_desktop.domain.base import utcnow
from wenze_desktop.domain.glossary import Role
from wenze_desktop.procedure.actions import DECIDING_ACTIONS
from wenze_desktop.procedure.engine import open_transitions
from wenze_desktop.procedure.fields import signed_fields
from wenze_desktop.procedure.view import team_of
from wenze_desktop.rules.calendar import WorkCalendar
from wenze_desktop.rules.profiles import Profile, load_profile
from wenze_desktop.security import kdf
from wenze_desktop.services.context import Clock
from wenze_desktop.services.demo_cases import CASES, DemoCase
from wenze_desktop.services.facade import Workspace
from wenze_desktop.services.walkthrough import MAIN_PATH, data_for

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "wenze-demo-2026"
DEMO_DISPLAY_NAME = "演示管理员"
DEMO_CLERK_USERNAME = "clerk"
DEMO_CLERK_DISPLAY_NAME = "李办案"
DEMO_WORKSPACE_NAME = "演示工作区"
DEMO_ORGAN = "示范市纪委监委"

Progress = Callable[[int, int, str], bool | None]

INVESTIGATORS = ["李明华", "陈晓燕"]
MEETING = ["周建国", "林卫东", "张海燕", "王立新", "赵红梅"]
DECIDING = {"gz2009": "中共示范市委", "wf2011": "示范市教育局", "jt2019": "示范市作风建设领导小组",
            "ccp2016": "中共示范市委", "jc2017": "示范市人民政府", "sh2022": "示范市纪委监委",
            "bx2019": "示范市高新区党工委"}
# What each action records besides what its guards need (see docs/procedure.md).
EXTRA_KEYS = {"preliminary_check": ["summary"], "file_case": ["summary", "approved_by", "paper_ref"],
              "assign_investigators": ["leader"], "serve_notice": ["served_to", "method"],
              "receive_explanation": ["summary"], "inform_findings": ["summary"], "record_defence": ["adopted"],
              "decide": ["organ"], "serve_decision": ["recipients", "method"], "report_execution": ["summary"],
              "archive": ["archive_no", "location"], "withdraw": ["served_on"],
              "lodge_appeal": ["pause_execution"], "decide_appeal": ["reason"]}
for _action in DECIDING_ACTIONS:  # who decided and the signed paper, as a clerk records them
    EXTRA_KEYS.setdefault(_action, []).extend(f.key for f in signed_fields(_action))
    EXTRA_KEYS[_action].append("paper_ref")


SUMMARIES = {"preliminary_check": "经初核，反映的问题基本属实，建议立项调查。",
             "file_case": "经集体研究并报批准，决定立项调查。",
             "receive_explanation": "{names}按期提交书面说明，对主要事实予以承认，并说明了客观原因。",
             "inform_findings": "已向{names}告知调查认定的事实、拟作出问责的理由和依据。",
             "report_execution": "问责决定已执行到位，执行情况已书面报告，相关材料已按规定归档。"}


def values_for(spec: DemoCase, profile: Profile, action: str, on: date, serial: int) -> dict[str, Any]:
    """Realistic data for every key an action of this case may need, in the words a clerk would use."""
    names = "、".join(r["name"] for r in spec.respondents)
    situation = next((s for s in profile.situations if s.get("id") == spec.situation), None)
    article = situation.get("article", "") if situation else ""
    forms = [spec.form] if spec.form else []
    responsibility = profile.responsibilities[1] if len(profile.responsibilities) > 1 else "主要领导责任"
    review_kinds = profile.appeal.review_kinds
    return dict(
        staff=INVESTIGATORS, leader=INVESTIGATORS[0], interest=False, approved_by="周建国",
        reason=spec.reason or "申诉人认为问责方式过重，请求重新审查。", served_on=on.isoformat(),
        summary=SUMMARIES.get(action, "已办理。").format(names=names),
        text=f"{names}对调查认定的事实无异议，但提出客观困难，请求从轻处理。",
        adopted="部分采纳", conclusion=f"{names}的行为属于《{profile.short_title}》{article}规定的应当问责情形。",
        accountable=True, recommended_forms=forms, forms=forms, facts=spec.facts,
        evidence="谈话笔录、书面说明、工作台账、会议记录及现场照片", responsibility=f"负有{responsibility}",
        basis=f"《{profile.title}》{article}", organ=DECIDING[profile.id],
        meeting={"date": on.isoformat(), "attendees": MEETING, "dissenting": []},
        direct_reason="事实清楚、证据确凿，当事人无异议", outcome="uphold", pause_execution=False,
        decided_by="周建国", approver="周建国", paper_ref=f"示纪呈〔{on.year}〕{serial}号",
        review_kind=review_kinds[0] if review_kinds else "申诉", served_to=names, recipients=names.split("、"),
        method="直接送达", archive_no=f"WZ-{on.year}-{serial:03d}", location=f"{DEMO_ORGAN}档案室")


def _workday_on_or_before(calendar: WorkCalendar, day: date) -> date:
    for _ in range(15):
        if calendar.is_workday(day):
            return day
        day -= timedelta(days=1)
    return day


def record_case(ws: Workspace, spec: DemoCase, today: date, serial: int, calendar: WorkCalendar,
                clerk_id: str | None = None) -> str:
    """Create one demo case and record its actions, each dated on a working day counted back from ``today``."""
    profile = load_profile(spec.profile)
    case_id = ws.cases.create(profile=spec.profile, title=spec.title, clue_source=spec.source,
                              received_on=today - timedelta(days=spec.received), respondents=list(spec.respondents),
                              facts=spec.facts, provider=spec.provider, clue_content=spec.clue)
    if spec.attachment:  # before the case is closed: a closed case takes no more material
        name, text = spec.attachment
        ws.cases.add_attachment(case_id, name, text.encode("utf-8"), "text/plain; charset=utf-8")
    if spec.clerk and clerk_id:
        ws.cases.update_case(case_id, handler_id=clerk_id)
    kind = spec.respondents[0]["kind"]
    dates = [_workday_on_or_before(calendar, today - timedelta(days=d)) for d in spec.days]
    then, reached = list(spec.then), False
    for on in dates:
        view = ws.procedure.view(case_id)
        options = {a.id: a for a in ws.procedure.actions(case_id, today=on)}
        if "declare_interest" in options and team_of(view).undeclared():
            chosen = "declare_interest"
        elif not (reached := reached or view.step == spec.until):
            chosen = next((a for a in MAIN_PATH if a in options and options[a].enabled and options[a].to), None)
        else:
            chosen = then.pop(0) if then else None
        if chosen is None:
            raise RuntimeError(f"demo case {spec.title}: nothing to record at {view.step}")
        transition = next(t for t in open_transitions(profile, view) if t.action == chosen)
        values = {**values_for(spec, profile, chosen, on, serial), **spec.extra.get(chosen, {})}
        data = {key: values[key] for key in data_for(profile, transition, on, kind)}
        data.update({key: values[key] for key in EXTRA_KEYS.get(chosen, []) if key in values})
        data.update(spec.extra.get(chosen, {}))
        ws.procedure.perform(case_id, chosen, on=on, **data)
    step = ws.procedure.view(case_id).step
    if then or (step != spec.until and not spec.then):
        raise RuntimeError(f"demo case {spec.title}: stopped at {step}, expected {spec.until} then {spec.then}")
    return case_id


def build_demo(data_dir: str | Path, *, today: date | None = None, params: kdf.Argon2Params | None = None,
               clock: Clock = utcnow, progress: Progress | None = None) -> Workspace:
    """Create the demo workspace in ``data_dir`` (refused with WorkspaceExists if one is there) and fill it.

    Returns the open workspace, signed in as the demo administrator. ``params`` are the Argon2 parameters
    (None: calibrated on this machine, as for a real workspace; tests pass FAST_TEST_PARAMS). ``progress`` returning
    False stops adding cases; the workspace then holds those recorded so far.
    """
    today = today or clock().astimezone().date()
    total = len(CASES) + 1
    if progress:
        progress(0, total, "正在建立加密工作区")
    ws = Workspace.create(data_dir, DEMO_USERNAME, DEMO_PASSWORD, display_name=DEMO_DISPLAY_NAME,
                          workspace_name=DEMO_WORKSPACE_NAME, organ_name=DEMO_ORGAN, params=params, clock=clock)
    try:
        clerk_id = ws.accounts.create_user(DEMO_CLERK_USERNAME, DEMO_CLERK_DISPLAY_NAME, [Role.HANDLER],
                                           DEMO_PASSWORD)
        # Documents print the demo organ's letterhead and a seal marked 样章 (never a real seal).
        ws.organ.set_letterhead(mark=f"{DEMO_ORGAN}（演示）", signing_organ=DEMO_ORGAN, organ_code="示纪",
                                printer=f"{DEMO_ORGAN}办公室", cc="示范市委组织部")
        ws.organ.register_seal(f"{DEMO_ORGAN}（样章）", demo_seal_png(DEMO_ORGAN))
        calendar = ws.calendar.calendar()
        # oldest first, so that a repeated respondent's earlier case is decided before the later one
        ordered = sorted(enumerate(CASES, 1), key=lambda item: -max(item[1].days, default=0))
        for done, (serial, spec) in enumerate(ordered, 1):
            if progress and progress(done, total, f"正在录入示例案件：{spec.title}") is False:
                break  # cancelled: the workspace keeps the cases recorded so far
            record_case(ws, spec, today, serial, calendar, clerk_id)
        if progress:
            progress(total, total, "演示工作区已建好")
    except BaseException:
        ws.close()
        raise
    return ws

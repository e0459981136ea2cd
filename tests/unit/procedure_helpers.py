"""Helpers for the procedure tests: a case under a profile, full action data, the main-path walker."""

from __future__ import annotations

from datetime import date

from wenze_desktop.rules.profiles import Profile
from wenze_desktop.services import Workspace, walkthrough

MEETING_ATTENDEES = walkthrough.ATTENDEES
PAPER = "呈批〔2026〕1号"
SIGNED = {"decided_by": "书记", "paper_ref": PAPER}  # who decided an approval or decision, and the signed paper


def new_case(ws: Workspace, profile: str = "gz2009", *, name: str = "张三", kind: str = "person",
             received: date = date(2026, 3, 2), **respondent) -> str:
    fields = {"kind": kind, "name": name}
    if kind == "person":
        fields.update(unit=respondent.pop("unit", "某区人民政府"), post=respondent.pop("post", "副区长"))
    fields.update(respondent)
    return ws.cases.create(profile=profile, title=f"关于{name}的问责案", clue_source="complaint", received_on=received,
                           respondents=[fields], facts="对群众反映强烈的问题能够解决而不及时解决")


def full_data(profile: Profile, on: date, kind: str = "person", light: bool = False, action: str = "decide") -> dict:
    """Data for ``action`` that satisfies its guards: a value for every field it records."""
    return walkthrough.sample_data(profile, action, on, kind, light)


def walk(ws: Workspace, case_id: str, **options) -> list[str]:
    return [action for action, _, _ in walkthrough.walk(ws.procedure, case_id, **options)]

"""Write docs/procedure.md: the data each action takes, the guards, and a worked example per profile.

The examples are produced by running them against a scratch workspace, so they are known to work:
    .venv/bin/python scripts/procedure_doc.py          # rewrite docs/procedure.md
A test checks that the file is up to date.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wenze_desktop.procedure import fields  # noqa: E402
from wenze_desktop.procedure.actions import ACTION_LABELS, label_of  # noqa: E402
from wenze_desktop.rules.profiles import load_profile, profile_ids  # noqa: E402
from wenze_desktop.security.kdf import FAST_TEST_PARAMS  # noqa: E402
from wenze_desktop.services import Workspace, walkthrough  # noqa: E402

GUARDS = {
    "case_open": "every action: a case at a terminal step (撤项, 归档) accepts nothing",
    "investigators_minimum": "`staff` has at least the profile's `min_investigators` distinct names",
    "investigators_cleared": "every assigned investigator has declared no interest; no recusal application or "
                             "declared interest is undecided; enough investigators remain",
    "staff_assigned": "investigators exist and the named `staff` are among them",
    "recusal_pending": "there is an application or a declared interest to decide, and `staff` names it",
    "filing_approved": "`approved_by` is given",
    "report_complete": "facts (or the case's facts), `conclusion`, `accountable`, and `recommended_forms` of the "
                       "profile when accountable",
    "defence_heard_or_waived": "`record_defence` or `waive_defence` was recorded",
    "reason_given": "`reason` (or `text`) is given; for `waive_defence` the respondent's express waiver",
    "direct_decision_reason": "`direct_reason` (or `reason`) says why the case is decided without investigation",
    "collective_meeting": "`meeting` has `date` (not after the decision), `attendees`, and `dissenting` (a list, "
                          "possibly empty, of attendees)",
    "forms_of_profile": "`forms` are forms of the profile and apply to the respondent's kind (person/unit)",
    "dissenters_not_held": "no member who objected in the meeting is among those held accountable",
    "harsher_needs_reason": "only where the profile gives `no_harsher_article` (wf2011 第十一条): after a recorded "
                            "defence, forms heavier than the report recommended need `harsher_reason`; elsewhere "
                            "they are allowed and the decision records `harsher_than_report`",
    "simplified_forms_only": "only forms the profile marks `light`",
    "decision_document_complete": "every element of the profile's decision document has data",
    "appeal_window": "the appeal is lodged within the profile's window after the decision was served",
    "review_outcome": "`outcome` is 维持, 变更 or 撤销; 变更 needs the new `forms`",
    "execution_not_paused": "no execution report while an appeal pauses execution",
    "extension_allowed": "the deadline is extendable, `approver` and `reason` are given, and the caps hold",
    "archive_complete": "every record the path requires exists (decision served, execution reported unless "
                        "revoked, appeals decided)",
}

HEAD = """# The procedure engine: actions, their data, guards

Every case runs under one regulation profile (`resources/regulations/<id>.toml`, format in
`docs/profile-format.md`). The engine offers the actions the profile allows at the case's current step; each is
recorded with a date and data, after the permission check and the guards. A refusal is
`ProcedureRefused(message, article)`.

```python
from datetime import date
from wenze_desktop.services import Workspace

ws = Workspace.open(data_dir, "admin", password)
case_id = ws.cases.create(profile="gz2009", title="关于张三同志的问责案", clue_source="complaint",
                          received_on=date(2026, 9, 1),
                          respondents=[{"kind": "person", "name": "张三", "unit": "某区人民政府", "post": "副区长"}])
for action in ws.procedure.actions(case_id):           # .id .label .enabled .refusal(.message .article)
    print(action.id, action.enabled, action.refusal)
ws.procedure.perform(case_id, "preliminary_check", on=date(2026, 9, 20))
ws.procedure.deadlines(case_id)                        # .step .due .provisional .met_on .label .article
ws.procedure.aggravations(case_id)                     # 从重: held accountable in the 12 months before
ws.procedure.restrictions(name="张三")                 # after-effects (影响期) with their end dates
ws.procedure.overdue(); ws.procedure.due_soon(7)       # across the workspace
ws.close()
```

Respondents: `{"kind": "person", "name", "unit", "post", "rank", "gender", "ethnicity", "birth_date",
"id_number"}` or `{"kind": "unit", "name", "principal"}`. A person is the same person across cases by
`id_number`, else name + birth date, else name + unit.

Dates: `on` defaults to today; an action may not be dated before the case's previous record.

Who records, who decides: a handler (承办人) records every step, approvals and decisions included; each approval
or decision names who decided (`decided_by`, `approved_by`, `approver`, or the meeting and `organ` of a decision)
and the signed paper — `paper_ref` (呈批表编号) or `paper_scan` (the id of the case's attachment holding the
scan, stored with its name and SHA-256). The account that typed it in is kept apart as the record's 录入人.

Corrections: `ws.procedure.amend(case_id, event_id, reason="…", on=…, data={…})` corrects a record (a value of
`None` in `data` removes a field). The earlier version stays with the record (`EventView.revisions`); the
guards run again on the corrected record and every later one; deadlines, after-effects (影响期) and a
decision's derived data follow. A record an issued, unvoided document rests on is refused: void the
document, correct, reissue.
`ws.procedure.withdraw_record(case_id, event_id, reason="…")` withdraws the latest record; the case returns to
the step before, and the record is kept among the case's withdrawn records. Both are audited.

## The data each action takes

From the registry of action fields (`wenze_desktop/procedure/fields.py`). Need: **always** — every record has it;
**guarded** — required where the profile puts a guard on the transition that reads it; **signed** — who decided,
required of every approval and decision; optional otherwise. Unknown keys are refused.

| action | label | data (key, label, kind, need) |
|---|---|---|
"""


def action_table() -> str:
    rows = []
    for action in ACTION_LABELS:
        data = "; ".join(f"`{'`/`'.join(f.stored_keys)}` {f.label} ({f.kind}" + ("" if f.need == "optional" else
                                                                               f", **{f.need}**") + ")"
                         for f in fields.fields_of(action))
        rows.append(f"| `{action}` | {label_of(action)} | {data} |")
    return "\n".join(rows) + "\n"


def guard_table() -> str:
    lines = ["\n## Guards\n", "Each refusal cites the article the profile gives for the rule, whose shipped text "
             "says it (`tests/unit/test_citations.py`); where the profile gives none the refusal is marked as the "
             "profile's reading. The articles behind each profile: `docs/compliance/<id>.md`.\n",
             "| guard | passes when |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in GUARDS.items()]
    return "\n".join(lines) + "\n"


def _literal(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}": {_literal(v)}' for k, v in value.items()) + "}"
    return repr(value)


def examples() -> str:
    parts = ["\n## Worked examples (the main path of each profile)\n",
             "Generated by `scripts/procedure_doc.py`, which runs them against a scratch workspace.\n"]
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.create(Path(tmp) / "ws", "admin", "Example-密码-2026", params=FAST_TEST_PARAMS,
                              clock=lambda: datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
        try:
            for profile_id in profile_ids():
                parts.append(_example(ws, profile_id))
        finally:
            ws.close()
    return "\n".join(parts)


def _example(ws: Workspace, profile_id: str) -> str:
    profile = load_profile(profile_id)
    kind = "person" if "person" in profile.applies_to else "unit"
    respondent = ({"kind": "person", "name": "张三", "unit": "某单位", "post": "负责人"} if kind == "person"
                  else {"kind": "unit", "name": "某某单位"})
    case_id = ws.cases.create(profile=profile_id, title="示例案件", clue_source="complaint",
                              received_on=date(2026, 3, 2), respondents=[respondent])
    steps = walkthrough.walk(ws.procedure, case_id, kind=kind)
    lines = [f"### {profile_id} — {profile.title}\n", "```python",
             f'case_id = ws.cases.create(profile="{profile_id}", title="示例案件", clue_source="complaint",',
             f"                          received_on=date(2026, 3, 2), respondents=[{_literal(respondent)}])"]
    for action, on, data in steps:
        args = "".join(f", {k}={_literal(v)}" for k, v in data.items())
        lines.append(f'ws.procedure.perform(case_id, "{action}", on=date({on.year}, {on.month}, {on.day}){args})')
    due = "; ".join(f"{d.label} {d.due.isoformat()}（{d.article}）" for d in ws.procedure.deadlines(case_id))
    lines += ["```", f"Deadlines derived: {due or '— (the text sets none on this path)'}\n"]
    return "\n".join(lines)


def render() -> str:
    return HEAD + action_table() + guard_table() + examples()


if __name__ == "__main__":
    (ROOT / "docs" / "procedure.md").write_text(render(), encoding="utf-8")
    print("docs/procedure.md written")

"""Reading PDFs back with a PDF library (pdfium), and walking cases so that every kind of document gets issued."""

from __future__ import annotations

import ctypes
from datetime import date, timedelta

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from tests.unit.procedure_helpers import new_case
from wenze_desktop.procedure import documents as rules
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.services import Workspace, walkthrough

A4_PT = (595.28, 841.89)


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].get_size() for i in range(len(doc))]


def fonts(pdf: bytes) -> dict[str, bool]:
    """Every font the text on any page is set in -> whether it is embedded in the file."""
    doc = pdfium.PdfDocument(pdf)
    found: dict[str, bool] = {}
    for i in range(len(doc)):
        for obj in doc[i].get_objects(filter=[raw.FPDF_PAGEOBJ_TEXT]):
            font = raw.FPDFTextObj_GetFont(obj.raw)
            size = raw.FPDFFont_GetBaseFontName(font, None, 0)
            name = ctypes.create_string_buffer(size)
            raw.FPDFFont_GetBaseFontName(font, name, size)
            found[name.value.decode()] = bool(raw.FPDFFont_GetIsEmbedded(font))
    return found


def text(pdf: bytes) -> str:
    """The extracted text with line breaks and spaces removed (words wrap across lines)."""
    doc = pdfium.PdfDocument(pdf)
    joined = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    return "".join(joined.split())


def issue_all_kinds(ws: Workspace, profile_id: str, start: date = date(2026, 3, 2)) -> dict[str, object]:
    """Walk a case of ``profile_id`` along its main path (with an appeal after service, where allowed) and
    issue each document as soon as it can be; a second case is withdrawn for the withdrawal decision."""
    profile = load_profile(profile_id)
    wanted = {s.kind for s in rules.sources(profile)}
    issued: dict[str, object] = {}
    case_id = new_case(ws, profile_id, received=start)

    def issue_ready(case: str) -> None:
        for choice in ws.documents.choices(case):
            if choice.refusal is None and choice.kind not in issued:
                issued[choice.kind] = ws.documents.issue(case, choice.kind)

    def after(action: str, on: date, data: dict) -> None:
        issue_ready(case_id)
        if action == "serve_decision" and profile.appeal.allowed:
            appeal_on = on + timedelta(days=1)
            values = walkthrough.sample_values(profile, appeal_on)
            ws.procedure.perform(case_id, "lodge_appeal", on=appeal_on, review_kind=values["review_kind"],
                                 reason="认为处理过重")
            ws.procedure.perform(case_id, "decide_appeal", on=appeal_on, outcome="uphold", reason="事实清楚，依据充分",
                                 decided_by="书记", paper_ref="呈批〔2026〕3号")
            issue_ready(case_id)

    walkthrough.walk(ws.procedure, case_id, start=start, on_step=after, until="archived")
    if "withdrawal_decision" in wanted:
        other = new_case(ws, profile_id, name="李四", received=start)
        walkthrough.walk(ws.procedure, other, start=start, until="filed")
        ws.procedure.perform(other, "withdraw", on=start + timedelta(days=5), reason="被调查对象已去世，无需继续调查",
                             decided_by="书记", paper_ref="呈批〔2026〕4号")
        issue_ready(other)
    return issued

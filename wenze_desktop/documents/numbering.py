"""Document numbers (发文字号): 机关代字 + 文种代字 + 〔year〕 + sequence + 号, no leading zeros (GB/T 9704 7.2.3).

A number's *series* is its pattern with year and sequence left out; each series counts per year from 1 and a number,
once assigned, is never given again (voided numbers stay in the register, so gaps are explained).
"""

from __future__ import annotations

from collections.abc import Mapping

from wenze_desktop.rules.profiles import Profile

# 文种代字 used when the organ has not set its own (one character each, so numbers stay short).
DEFAULT_KIND_CODES = {
    "filing_decision": "立", "investigation_notice": "通", "defence_record": "笔", "investigation_report": "报",
    "decision": "问", "withdrawal_decision": "撤", "service_receipt": "送", "review_decision": "复",
    "execution_report": "执",
}
DEFAULT_PATTERN = "{organ}{kind}〔{year}〕{seq}号"


def pattern_for(kind: str, profile: Profile, organ_code: str, kind_codes: Mapping[str, str]) -> str:
    """The pattern with organ and kind filled in: e.g. "穗纪问〔{year}〕{seq}号"."""
    template = profile.decision_document.number_format if kind == "decision" else ""
    code = kind_codes.get(kind) or DEFAULT_KIND_CODES.get(kind, "")
    return (template or DEFAULT_PATTERN).replace("{organ}", organ_code).replace("{kind}", code)


def series_of(pattern: str) -> str:
    return pattern.replace("{year}", "").replace("{seq}", "")


def render(pattern: str, year: int, seq: int | None) -> str:
    """The number; without a sequence (a preview) the place for it is left blank, as on the printed forms."""
    return pattern.replace("{year}", str(year)).replace("{seq}", str(seq) if seq is not None else "　")

"""Checks of an action's data against the registry of fields (procedure/fields.py): each value of its field's
kind, and who decided and the signed paper on every approval and decision. The services run them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from wenze_desktop.procedure.fields import PAPER, FieldSpec, Kind, present, signed_fields


def missing_signature(action: str, data: Mapping[str, Any]) -> str:
    """What an approval or decision lacks of who decided and the signed paper ("" when complete)."""
    signed = signed_fields(action)
    if not signed:
        return ""
    lacking = [f.label for f in signed if not present(data.get(f.key))]
    if not any(present(data.get(f.key)) for f in PAPER):
        lacking.append("呈批表编号或扫描件")
    if not lacking:
        return ""
    return (f"请写明{'、'.join(lacking)}：承办人登记的是领导批准或会议决定的事项，须记录由谁决定，"
            "以及已签批的呈批表（编号或扫描件）。")


TEXT_KINDS = (Kind.TEXT, Kind.LONG_TEXT, Kind.SUGGEST, Kind.CHOICE, Kind.DEADLINE)


def type_problem(field: FieldSpec, value: Any) -> str:
    """Why ``value`` is not what this field records ("" when it is, or when it is empty)."""
    if value is None:
        return ""
    kind, label = field.kind, field.label
    if kind in TEXT_KINDS and not isinstance(value, str):
        return f"「{label}」应当是一段文字。"
    if kind is Kind.DATE and not isinstance(value, (str, date)):
        return f"「{label}」应当是日期。"
    if kind is Kind.DATE and isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"「{label}」应当是日期（如 2026-11-27）。"
    if kind is Kind.BOOL and not isinstance(value, bool):
        return f"「{label}」应当是“是”或“否”。"
    if kind in (Kind.NAMES, Kind.TEAM):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(
                isinstance(i, str) or (isinstance(i, Mapping) and isinstance(i.get("name"), str)) for i in items):
            return f"「{label}」应当是一个或几个姓名。"
    if kind is Kind.FORMS:
        items = [value] if isinstance(value, (str, Mapping)) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(i, (str, Mapping)) for i in items):
            return f"「{label}」应当是问责方式的名称。"
    if kind is Kind.MEETING and not isinstance(value, Mapping):
        return f"「{label}」应当写明会议日期、名称、出席人员和持不同意见的成员。"
    if kind is Kind.EXTENSION and (isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 366):
        return f"「{label}」应当是 1 至 366 之间的天数。"
    return ""

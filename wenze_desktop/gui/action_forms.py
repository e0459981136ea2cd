"""The form for one procedure action of one case: the date and the data it records, then the engine's answer.

Which keys a form shows comes from ACTION_FIELDS; which of them must be filled comes from the guards the profile
puts on the transition (the keys they read, as the worked examples use them). Whether the data satisfies the
regulation is decided by the services: a refusal is shown in the form, which stays open with what was typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.errors import ProcedureRefused
from wenze_desktop.gui.action_fields import (
    BoolField,
    ChoiceField,
    DateField,
    ExtensionField,
    Field,
    FormsField,
    MeetingField,
    NamesField,
    PickNamesField,
    TextField,
    field_row,
    note_label,
)
from wenze_desktop.gui.forms import dialog_buttons, error_label, show_message
from wenze_desktop.procedure.actions import ACTION_FIELDS, ALWAYS, GUARD_KEYS
from wenze_desktop.procedure.deadlines import Deadline
from wenze_desktop.procedure.engine import ActionOption, open_transitions
from wenze_desktop.procedure.view import CaseView, team_of
from wenze_desktop.rules.profiles import Profile, Transition

LONG_TEXT = {"summary", "reason", "text", "facts", "conclusion", "note", "evidence", "responsibility", "basis",
             "harsher_reason", "direct_reason"}
NAMES = {"staff", "replacement", "recipients"}
BOOLS = {"interest": ("与被调查人有利害关系", False), "accountable": ("建议问责", True),
         "granted": ("准予回避", True), "pause_execution": ("申诉期间暂缓执行原问责决定", False)}
# Where ACTION_FIELDS' description is written for programmers (key names, JSON), the form's words instead.
LABELS = {"forms": "问责方式", "recommended_forms": "建议的问责方式（建议问责时必填）", "deadline": "要延长的期限",
          "working_days|days": "延长", "outcome": "处理结果", "review_kind": "处理方式",
          "decide_appeal.forms": "变更后的问责方式（变更时必填）", "declare_interest.staff": "作出声明的调查人员",
          "assign_investigators.staff": "调查人员"}
# Keys a guard reads but can do without: facts default to the case's facts; recommendations only when accountable.
NOT_REQUIRED = {"facts", "recommended_forms"}
SERVICE_METHODS = ["直接送达", "邮寄送达", "委托送达", "留置送达"]


@dataclass(frozen=True)
class ActionContext:
    """Everything a form needs to know about the case, read by the wizard from the services."""

    profile: Profile
    view: CaseView
    option: ActionOption
    today: date
    deadlines: tuple[Deadline, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def transition(self) -> Transition | None:
        here = [t for t in open_transitions(self.profile, self.view) if t.action == self.option.id]
        return next((t for t in here if t.path == self.option.path), here[0] if here else None)


def label_for(action: str, key: str, description: str) -> str:
    found = LABELS.get(f"{action}.{key}") or LABELS.get(key)
    return found or re.sub(r"（[^）]*[A-Za-z][^）]*）", "", description).strip()


def required_keys(context: ActionContext) -> set[str]:
    transition = context.transition
    guards = transition.guards if transition else ()
    read = {k for g in guards for k in GUARD_KEYS.get(g, [])} - NOT_REQUIRED
    return read | set(ALWAYS.get(context.option.id, []))


def build_fields(context: ActionContext) -> list[Field]:
    action, profile, view = context.option.id, context.profile, context.view
    required = required_keys(context)
    team = team_of(view)
    respondents = "、".join(r.name for r in view.respondents)
    fields: list[Field] = []
    for raw, description in ACTION_FIELDS.get(action, {}).items():
        key = raw.rstrip("*")
        label, must = label_for(action, key, description), key in required
        if key == "direct_reason" and context.option.path != "direct":
            continue
        if key == "pause_execution" and profile.appeal.execution_pauses != "may":
            continue  # only where the regulation lets the organ pause execution
        if key == "staff" and action in ("declare_interest", "apply_recusal", "decide_recusal"):
            if action == "decide_recusal":
                choices = team.pending_recusals + [n for n in team.interested() if n not in team.pending_recusals]
                checked = choices
            else:
                choices = team.members
                checked = team.undeclared() if action == "declare_interest" else []
            fields.append(PickNamesField(key, label, choices, checked, must))
        elif key in NAMES:
            field = NamesField(key, label, must)
            if key == "recipients":
                field.set_value([r.name for r in view.respondents])
            fields.append(field)
        elif key in BOOLS:
            fields.append(BoolField(key, *BOOLS[key]))
        elif key in ("forms", "recommended_forms"):
            report = view.last("submit_report")
            checked = [str(f) for f in report.get("recommended_forms", [])] if report and action == "decide" else []
            fields.append(FormsField(key, label, profile, view.respondents, checked, must,
                                     per_respondent=key == "forms"))
        elif key == "meeting":
            body = profile.procedure.collective_body or "领导班子"
            fields.append(MeetingField(key, f"集体讨论会议（{body}）", context.today, must))
        elif key == "outcome":
            outcomes = profile.appeal.outcomes or ("维持", "变更", "撤销")
            fields.append(ChoiceField(key, label, [(o, o) for o in outcomes], True))
        elif key == "review_kind" and profile.appeal.review_kinds:
            fields.append(ChoiceField(key, label, [(k, k) for k in profile.appeal.review_kinds], must))
        elif key == "method":
            fields.append(ChoiceField(key, label, [(m, m) for m in SERVICE_METHODS], must, editable=True))
        elif key == "served_on":
            fields.append(DateField(key, label, context.today, must))
        elif key == "deadline":
            fields.append(ChoiceField(key, label, deadline_choices(context), must))
        elif key == "working_days|days":
            fields.append(ExtensionField(label))
        else:
            field = TextField(key, label, must, long=key in LONG_TEXT)
            defaults = {"facts": view.facts, "organ": profile.deciding_organ, "served_to": respondents}
            field.set_value(defaults.get(key, ""))
            if key == "basis":
                field.widget.setPlaceholderText(f"例如：《{profile.short_title}》第×条")
            fields.append(field)
    return fields


def deadline_choices(context: ActionContext) -> list[tuple[str, str]]:
    """Open deadlines, those the profile lets be extended first (the service says whether this one may be)."""
    extendable = {r.id for r in context.profile.deadlines if r.extendable}
    open_ones = sorted((d for d in context.deadlines if d.open), key=lambda d: d.rule_id not in extendable)
    return [(f"{d.label}（{d.due.isoformat()} 到期）", d.rule_id) for d in open_ones]


def refusal_text(error: Exception) -> str:
    if isinstance(error, ProcedureRefused):
        return f"未能登记：{error.message}" + (f"（依据：{error.article}）" if error.article else "")
    return f"未能登记：{error}"


class ActionDialog(QDialog):
    """Collects the date and data of one action; ``submitted(on, data)`` asks the wizard to record it."""

    submitted = Signal(object, object)  # date, dict

    def __init__(self, context: ActionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        option = context.option
        self.setWindowTitle(f"{option.label} — {context.view.number}")
        heading = QLabel(f"<b>{option.label}</b>　依据：《{context.profile.short_title}》{option.article}")
        heading.setWordWrap(True)

        self.on_field = DateField("on", "办理日期", context.today, True)
        self.fields: dict[str, Field] = {f.key: f for f in build_fields(context)}
        form_holder = QWidget()
        form = QFormLayout(form_holder)
        form.addRow(*field_row(self.on_field))
        for field in self.fields.values():
            label, holder = field_row(field)
            if label:
                form.addRow(label, holder)
            else:
                form.addRow(holder)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form_holder)

        self.error = error_label()
        self.buttons = dialog_buttons("登记", "取消", self.submit, self.reject)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        for note in context.notes:
            layout.addWidget(note_label(note))
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, 520 if len(self.fields) > 3 else 300)
        self._initial = self._snapshot()

    # -- data ---------------------------------------------------------------------------------------
    def collect(self) -> tuple[date, dict[str, Any]]:
        data: dict[str, Any] = {}
        for field in self.fields.values():
            field.put(data)
        return self.on_field.value(), data

    def field(self, key: str) -> Field:
        return self.fields[key]

    def _snapshot(self) -> str:
        return repr(self.collect())

    def validate(self) -> bool:
        results = [field.check() for field in self.fields.values()]
        return all(results)

    # -- recording ----------------------------------------------------------------------------------
    def submit(self) -> None:
        show_message(self.error, "")
        if not self.validate():
            show_message(self.error, "请补全标有＊的必填项。")
            return
        self.set_busy(True)
        self.submitted.emit(*self.collect())

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)

    def show_refusal(self, error: Exception) -> None:
        """The services refused: say why and where the rule is; everything typed stays as it was."""
        self.set_busy(False)
        show_message(self.error, refusal_text(error))

    # -- leaving ------------------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        answer = QMessageBox.question(self, "放弃填写", "已填写的内容尚未登记，确定放弃吗？",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def reject(self) -> None:
        if not self.ok_button.isEnabled():
            return  # being recorded: wait for the answer
        if self._snapshot() != self._initial and not self.confirm_discard():
            return
        super().reject()

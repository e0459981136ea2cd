"""The form for one procedure action of one case: the date and the data it records, then the engine's answer.

Which fields a form shows, their labels and kinds come from the registry of action fields (procedure/fields.py);
which must be filled, from the registry and the guards the profile puts on the transition (what they read). The
same form corrects a recorded action (opened with its values, asking for the reason). Whether the data satisfies
the regulation is decided by the services: a refusal is shown in the form, which stays open with what was typed.
The form records against the case's version it was opened on (``ActionContext.version``); when someone else
changed the case meanwhile it says so, keeps what was typed and offers 载入最新内容 (``reload_requested``: the
wizard reopens the form on the case as it is now, with the same entries).

A date past a deadline the action meets shows the deadline missed and asks for 逾期原因 (the engine refuses a late
step without it: guards.late_reason). The form is a page within the screen (1366×768 included) that scrolls; the
wheel scrolls the page, and changes a choice or number only once that field is focused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.domain.glossary import ReviewOutcome, term
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
    wheel_scrolls_page,
)
from wenze_desktop.gui.forms import dialog_buttons, error_label, show_message
from wenze_desktop.gui.regulation_text import heading_link
from wenze_desktop.procedure import guards
from wenze_desktop.procedure.citations import SILENT
from wenze_desktop.procedure.deadlines import Deadline
from wenze_desktop.procedure.engine import ActionOption, open_transitions
from wenze_desktop.procedure.fields import (
    SERVICE_METHODS,
    FieldSpec,
    Kind,
    fields_of,
    is_signed,
    required_keys,
    spec,
)
from wenze_desktop.procedure.view import CaseView, EventView, team_of
from wenze_desktop.rules.profiles import Profile, Transition


@dataclass(frozen=True)
class ActionContext:
    """Everything a form needs to know about the case, read by the wizard from the services."""

    profile: Profile
    view: CaseView
    option: ActionOption
    today: date
    deadlines: tuple[Deadline, ...] = ()
    notes: tuple[str, ...] = ()
    attachments: tuple[tuple[str, str], ...] = ()  # (id, file name) of the case's attachments: the signed paper
    correcting: EventView | None = None  # the record being corrected (the form opens with its values)
    version: int | None = None  # the case's version the form was opened on (what its recording expects)

    @property
    def transition(self) -> Transition | None:
        if self.correcting is not None:  # the transition the record took
            found = [t for t in self.profile.transitions
                     if t.action == self.option.id and self.correcting.step_before in t.sources]
            return next((t for t in found if t.path == self.option.path), found[0] if found else None)
        here = [t for t in open_transitions(self.profile, self.view) if t.action == self.option.id]
        return next((t for t in here if t.path == self.option.path), here[0] if here else None)


def form_required(context: ActionContext) -> set[str]:
    transition = context.transition
    return required_keys(context.option.id, guards.reads_of(transition.guards if transition else ()))


def shown(spec: FieldSpec, context: ActionContext) -> bool:
    """Fields that only apply on a path or where the regulation provides for them."""
    profile = context.profile
    if spec.key == "direct_reason":
        return context.option.path == "direct"
    if spec.key == "pause_execution":
        return profile.appeal.execution_pauses == "may"
    if spec.key == "severity":
        return any(key == "severity" for rule in profile.deadlines for key, _ in rule.when)
    if spec.key == "review_kind":
        return bool(profile.appeal.review_kinds)
    return True


def build_field(spec: FieldSpec, context: ActionContext, must: bool) -> Field:
    action, profile, view = context.option.id, context.profile, context.view
    team = team_of(view)
    key, label = spec.key, spec.label
    if spec.kind is Kind.TEAM:
        if action == "decide_recusal":
            choices = team.pending_recusals + [n for n in team.interested() if n not in team.pending_recusals]
            checked = choices
        else:
            choices = team.members
            checked = team.undeclared() if action == "declare_interest" else []
        return PickNamesField(key, label, choices, checked, must)
    if spec.kind is Kind.NAMES:
        field = NamesField(key, label, must)
        if key == "recipients":
            field.set_value([r.name for r in view.respondents])
        return field
    if spec.kind is Kind.BOOL:
        return BoolField(key, spec.hint or label, bool(spec.default))
    if spec.kind is Kind.FORMS:
        report = view.last("submit_report")
        checked = [str(f) for f in report.get("recommended_forms", [])] if report and action == "decide" else []
        return FormsField(key, label + (f"（{spec.hint}）" if spec.hint else ""), profile, view.respondents, checked,
                          must, per_respondent=key == "forms")
    if spec.kind is Kind.MEETING:
        body = profile.procedure.collective_body or "领导班子"
        return MeetingField(key, f"{label}（{body}）", context.today, must, body)
    if spec.kind is Kind.CHOICE:
        if key == "outcome":
            outcomes = profile.appeal.outcomes or tuple(ReviewOutcome)
            choices = [(term(o), o) for o in outcomes]
        elif key == "review_kind":
            choices = [(k, k) for k in profile.appeal.review_kinds]
        else:
            choices = [(text, code) for code, text in spec.choices]
        return ChoiceField(key, label, choices, must)
    if spec.kind is Kind.SUGGEST:
        return ChoiceField(key, label, [(m, m) for m in SERVICE_METHODS], must, editable=True)
    if spec.kind is Kind.DATE:
        return DateField(key, label, context.today, must)
    if spec.kind is Kind.DEADLINE:
        return ChoiceField(key, label, deadline_choices(context), must)
    if spec.kind is Kind.EXTENSION:
        return ExtensionField(label, spec.stored_keys)
    if spec.kind is Kind.ATTACHMENT:
        field = ChoiceField(key, label, [("（不附扫描件）", "")] + [(name, id_) for id_, name in context.attachments],
                            False)
        if not context.attachments:
            field.error.setText("本案还没有附件；扫描件可在「案件信息」中添加。")
        return field
    field = TextField(key, label, must, long=spec.kind is Kind.LONG_TEXT, placeholder=spec.hint)
    respondents = "、".join(r.name for r in view.respondents)
    defaults = {"facts": view.facts, "organ": profile.deciding_organ, "served_to": respondents}
    field.set_value(defaults.get(key, ""))
    if key == "basis":
        field.widget.setPlaceholderText(f"例如：《{profile.short_title}》第×条")
    return field


def missed_deadlines(context: ActionContext, on: date | None) -> list[Deadline]:
    """The deadlines this action, recorded on ``on``, meets after they fell due (the engine then asks why:
    guards.late_reason). A correction: the deadline the record met, against its corrected date."""
    if on is None:
        return []
    if context.correcting is None:
        return guards.missed(context.deadlines, context.option.id, on)
    met = [d for d in context.deadlines if d.action == context.option.id and d.met_on == context.correcting.on]
    return [d for d in met if on > d.due]


def build_fields(context: ActionContext) -> list[Field]:
    required = form_required(context)
    return [build_field(spec, context, spec.key in required)
            for spec in fields_of(context.option.id) if shown(spec, context)]


def deadline_choices(context: ActionContext) -> list[tuple[str, str]]:
    """Open deadlines, those the profile lets be extended first (the service says whether this one may be)."""
    extendable = {r.id for r in context.profile.deadlines if r.extendable}
    open_ones = sorted((d for d in context.deadlines if d.open), key=lambda d: d.rule_id not in extendable)
    return [(f"{d.label}（{d.due.isoformat()} 到期）", d.rule_id) for d in open_ones]


def refusal_text(error: Exception) -> str:
    return f"未能登记：{error}"  # a ProcedureRefused reads with its article, or as the profile's reading


class ActionDialog(QDialog):
    """Collects the date and data of one action; ``submitted(on, data)`` asks the wizard to record it."""

    submitted = Signal(object, object)  # date, dict
    corrected = Signal(object, str, object)  # date, reason, dict (None: remove the field)
    reload_requested = Signal()  # 载入最新内容 after the case changed underneath the form

    def __init__(self, context: ActionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        option, correcting = context.option, context.correcting
        verb = "更正" if correcting else ""
        self.setWindowTitle(f"{verb}{option.label} — {context.view.number}")
        where = f"依据：《{context.profile.short_title}》{option.article}" if option.article else SILENT
        heading = QLabel(f"<b>{verb}{option.label}</b>　{where}")
        heading.setWordWrap(True)
        heading_link(heading, context.profile.id, option.article)
        if not option.article:
            heading.setToolTip(option.reading)

        self.on_field = DateField("on", "办理日期", correcting.on if correcting else context.today, True)
        self.on_field.widget.today = lambda: context.today
        self.fields: dict[str, Field] = {f.key: f for f in build_fields(context)}
        self.delay_field = self.fields.pop("delay_reason", None)  # shown, and required, only when late
        self.reason_field = TextField("reason", "更正理由", True, long=True,
                                      placeholder="例如：会议日期录错，应为……") if correcting else None
        self.signed = is_signed(option.id)
        if correcting is not None:
            self.load(correcting.data)
        form_holder = QWidget()
        form = QFormLayout()
        page = QVBoxLayout(form_holder)
        page.addLayout(form)
        page.addStretch(1)  # spare height below the last field, not between the fields
        if self.signed:
            form.addRow(note_label("承办人登记领导批准或会议决定的事项：请写明由谁决定，并填写已签批的呈批表编号或选择其扫描件。"
                                   "录入人（您）由系统自动记录。"))
        form.addRow(*field_row(self.on_field))
        self.late_note = note_label("")
        self.late_note.setStyleSheet("color: #8a4b00;")
        if self.delay_field is not None:
            self.delay_field.required = True
            form.addRow(self.late_note)
            label, self.delay_holder = field_row(self.delay_field)
            form.addRow(label, self.delay_holder)
        for field in self.fields.values():
            label, holder = field_row(field)
            if label:
                form.addRow(label, holder)
            else:
                form.addRow(holder)
        if self.reason_field is not None:
            form.addRow(*field_row(self.reason_field))
        self.form, self.form_holder = form, form_holder
        # A long form (the decision) is a page that scrolls; the wheel scrolls the page, not a field it passes.
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(form_holder)
        wheel_scrolls_page(form_holder)
        self.error = error_label()
        self.buttons = dialog_buttons("保存更正" if correcting else "登记", "取消", self.submit, self.reject)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.reload_button = QPushButton("载入最新内容")
        self.reload_button.setToolTip("按案件的最新情况重新打开本表，您填写的内容保留")
        self.reload_button.clicked.connect(lambda _=False: self.reload_requested.emit())
        self.buttons.addButton(self.reload_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.reload_button.hide()
        self.stale = False  # the case changed underneath: recording from here would be refused again
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        for note in context.notes:
            layout.addWidget(note_label(note))
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.on_field.widget.changed.connect(self._show_late)
        self._show_late()
        self._fit_to_screen()
        self._initial = self._snapshot()
        self._initial_entries = self.entries()

    def _fit_to_screen(self) -> None:
        """As tall as the form needs, never taller or wider than the screen (1366×768: the page scrolls)."""
        screen = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        chrome = self.sizeHint().height() - self.scroll.sizeHint().height()
        wanted = chrome + self.form_holder.sizeHint().height() + 2 * self.scroll.frameWidth() + 8
        self.resize(min(640, screen.width() - 40), max(260, min(wanted, screen.height() - 60)))

    def late(self) -> list[Deadline]:
        """The deadlines missed at the date now in the form."""
        return missed_deadlines(self.context, self.on_field.value()) if self.delay_field is not None else []

    def _show_late(self) -> None:
        """The reason for the delay, asked for only while the date is past a deadline this action meets."""
        if self.delay_field is None:
            return
        late = self.late()
        if late:
            self.late_note.setText(f"办理日期已超过{guards.late_text(late, self.on_field.value())}。"
                                   "请在下面写明逾期原因。")
        else:
            show_message(self.delay_field.error, "")
        for widget in (self.late_note, self.delay_holder):
            self.form.setRowVisible(widget, bool(late))

    # -- data ---------------------------------------------------------------------------------------
    def collect(self) -> tuple[date | None, dict[str, Any]]:
        data: dict[str, Any] = {}
        for field in self.fields.values():
            field.put(data)
        if self.delay_field is not None and self.late():
            self.delay_field.put(data)
        return self.on_field.value(), data

    def load(self, data: Any) -> None:
        """Fill the form with a recorded action's values (for a correction)."""
        fields = {**self.fields, **({"delay_reason": self.delay_field} if self.delay_field is not None else {})}
        for key, field in fields.items():
            if isinstance(field, ExtensionField):
                field.load(data)
            elif key in data and data[key] is not None:
                value = data[key]
                if key == "paper_scan" and isinstance(value, dict):
                    value = value.get("attachment_id", "")
                field.set_value(value)

    def correction(self) -> tuple[date, str, dict[str, Any]]:
        """The corrected date, the reason, and the data (a field emptied now is removed: None)."""
        on, data = self.collect()
        old = self.context.correcting.data if self.context.correcting else {}
        action = self.context.option.id
        keys = [*self.fields, *(["delay_reason"] if self.delay_field is not None else [])]
        stored = {k for key in keys for k in (spec(action, key) or FieldSpec(key, "")).stored_keys}
        cleared = {key: None for key in stored if key in old and key not in data}  # e.g. 个工作日 → 日
        return on, self.reason_field.value() if self.reason_field else "", {**cleared, **data}

    def field(self, key: str) -> Field:
        return self.fields[key]

    def entries(self) -> tuple[date, dict[str, Any], str]:
        """The form's date, data and (a correction's) reason as they stand."""
        on, data = self.collect()
        return on, data, self.reason_field.value() if self.reason_field else ""

    def changed_entries(self) -> tuple[date | None, dict[str, Any], str]:
        """What the user changed since the form opened (the date if changed, the fields changed, the reason): what
        a reopened form on the case as it is now takes over, its other fields showing the case afresh."""
        on, data, reason = self.entries()
        first_on, first, _ = self._initial_entries
        return on if on != first_on else None, {k: v for k, v in data.items() if first.get(k) != v}, reason

    def put_entries(self, on: date | None, data: dict[str, Any], reason: str = "") -> None:
        if on is not None:
            self.on_field.set_value(on)
        self.load(data)
        if self.reason_field is not None and reason:
            self.reason_field.set_value(reason)

    def _snapshot(self) -> str:
        return repr(self.collect())

    def validate(self) -> bool:
        """Every required field filled, those required by another field's value too (建议问责 → 建议的问责方式),
        and an approval's signed paper: the number or the scan."""
        _on, data = self.collect()
        conditional = required_keys(self.context.option.id, set(), data) - {f.key for f in self.fields.values()
                                                                            if f.required}
        results = [self.on_field.check()]
        late = [self.delay_field] if self.delay_field is not None and self.late() else []
        for field in [*late, *self.fields.values(), *([self.reason_field] if self.reason_field else [])]:
            if field.key in conditional and field.empty():
                show_message(field.error, "此项必填。")
                results.append(False)
            else:
                results.append(field.check())
        paper = [self.fields[k] for k in ("paper_ref", "paper_scan") if k in self.fields]
        if self.signed and paper and all(f.empty() for f in paper):
            show_message(paper[0].error, "请填写呈批表编号，或选择已签批呈批表的扫描件。")
            results.append(False)
        return all(results)

    # -- recording ----------------------------------------------------------------------------------
    def submit(self) -> None:
        show_message(self.error, "")
        if not self.validate():
            show_message(self.error, "请补全标有＊的必填项。")
            return
        self.set_busy(True)
        if self.context.correcting is not None:
            self.corrected.emit(*self.correction())
        else:
            self.submitted.emit(*self.collect())

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy and not self.stale)

    def show_refusal(self, error: Exception) -> None:
        """The services refused: say why and where the rule is; everything typed stays as it was."""
        self.set_busy(False)
        text = refusal_text(error)
        show_message(self.error, text.replace("未能登记", "未能更正") if self.context.correcting else text)

    def show_changed(self, error: Exception) -> None:
        """Someone else changed the case since this form opened: nothing was recorded, what was typed stays, and
        载入最新内容 reopens the form on the case as it is now."""
        verb = "更正" if self.context.correcting else "登记"
        self.stale = True
        self.set_busy(False)
        self.reload_button.show()
        self.reload_button.setDefault(True)
        show_message(self.error, f"未能{verb}：{error}\n您填写的内容仍在表中，尚未{verb}。"
                                 f"点击「载入最新内容」，本表将按案件的最新情况重新打开，并保留您的填写。")

    def show_gone(self, reason: str) -> None:
        """After 载入最新内容: this action (or record) is no longer open on the case as it is now."""
        self.reload_button.hide()
        show_message(self.error, f"{reason}\n您填写的内容没有登记；可复制后关闭本表。")

    # -- leaving ------------------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        answer = QMessageBox.question(self, "放弃填写", "已填写的内容尚未登记，确定放弃吗？",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def reject(self) -> None:
        if not self.ok_button.isEnabled() and not self.stale:
            return  # being recorded: wait for the answer
        if self._snapshot() != self._initial and not self.confirm_discard():
            return
        super().reject()

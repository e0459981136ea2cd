"""USB case transfer in the GUI: what the dialogs share (drives, remembered geometry, wording) and the conflicts.

The export, import and office-key dialogs live in ``transfer_export``, ``transfer_import`` and
``office_keys_dialog``; they are thin clients of ``ws.transfer`` and ``ws.keys``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QStorageInfo, Signal
from PySide6.QtWidgets import QDialog, QHeaderView, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.case_parts_widgets import button_row, fill_table, plain_table, selected_row
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.forms import error_label, show_message
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.procedure import fields as action_fields
from wenze_desktop.procedure.actions import label_of
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.facade import Workspace

REMOVABLE_PREFIXES = ("/media/", "/run/media/", "/mnt/", "/Volumes/")
NOTHING = "（无）"


def workspace_of(ws: Workspace | ServiceContext) -> Workspace:
    """The dialogs take the open Workspace; a window that holds only the context gets one around it."""
    return ws if isinstance(ws, Workspace) else Workspace(ws)


def confirm(parent: QWidget, title: str, text: str) -> bool:
    return QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes


def failure_text(parent: QWidget, error: BaseException) -> str:
    """A refusal's own Chinese message; anything unexpected also gets the standard error dialog."""
    if isinstance(error, WenzeError):
        return str(error)
    show_error(parent, error)
    return "操作未完成。"


def local_time(value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return f"{value.astimezone():%Y-%m-%d %H:%M}"


def size_text(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} 字节"


# -- removable drives --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Volume:
    path: str
    name: str
    free: int

    def label(self) -> str:
        return f"{self.name or '可移动磁盘'}（{self.path}）　可用 {size_text(self.free)}"


def is_removable(root_path: str, *, is_root: bool, ready: bool, windows: bool = os.name == "nt") -> bool:
    """A guess from where the system mounts it: USB sticks land under /media, /run/media or /mnt (or /Volumes), and
    on Windows on a drive letter other than C:. Qt cannot tell a stick from a second hard disk portably."""
    if not ready or is_root:
        return False
    if windows:
        drive = root_path.replace("\\", "/").upper()
        return len(drive) >= 2 and drive[1] == ":" and not drive.startswith("C:")
    path = root_path.rstrip("/") + "/"
    return any(path.startswith(prefix) and len(path) > len(prefix) for prefix in REMOVABLE_PREFIXES)


def removable_volumes(writable: bool = False) -> list[Volume]:
    volumes = []
    for info in QStorageInfo.mountedVolumes():
        if not info.isValid() or not is_removable(info.rootPath(), is_root=info.isRoot(), ready=info.isReady()):
            continue
        if writable and info.isReadOnly():
            continue
        volumes.append(Volume(info.rootPath(), info.displayName(), info.bytesAvailable()))
    return volumes


class RememberedDialog(QDialog):
    """A dialog that reopens where and how big the clerk left it (with ``settings``, as the other dialogs do)."""

    def __init__(self, parent: QWidget | None, settings: GuiSettings | None, name: str, size: tuple[int, int]):
        super().__init__(parent)
        self.settings, self.settings_name = settings, name
        if settings and (geometry := settings.window_state(name)[0]) is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(*size)

    def done(self, result: int) -> None:
        if self.settings is not None:
            self.settings.save_window_state(self.settings_name, self.saveGeometry())
        super().done(result)


# -- the two versions of a conflicting case, side by side ----------------------------------------------------------

CASE_LABELS = {"number": "案件编号", "title": "标题", "regulation_id": "适用规定", "step": "当前环节", "facts": "事实",
               "created_at": "登记时间", "withdrawn_records": "已撤回的记录"}
PART_LABELS = {"respondents": "被问责对象", "clues": "问责线索", "attachments": "附件", "evidence": "证据",
               "events": "程序记录", "accountabilities": "问责情况", "restrictions": "影响期限制", "documents": "文书"}
FIELD_LABELS = {
    "name": "姓名（名称）", "kind": "类别", "gender": "性别", "ethnicity": "民族", "birth_date": "出生日期",
    "unit": "单位", "post": "职务", "rank": "职级", "principal": "主要负责人", "id_number": "身份证号", "role": "角色",
    "responsibility": "所负责任", "source": "来源", "received_on": "收到日期", "provider": "提供人", "content": "内容",
    "filename": "文件名", "media_type": "文件类型", "size": "大小（字节）", "sha256": "SHA-256", "title": "标题",
    "collected_on": "收集日期", "note": "备注", "seq": "序号", "action": "操作", "path": "程序",
    "step_before": "原环节", "step_after": "新环节", "occurred_on": "日期", "data": "内容", "recorded_at": "记录时间",
    "decided_on": "决定日期", "forms": "问责方式", "revoked_on": "撤销日期", "person_name": "姓名",
    "form_id": "问责方式代码", "form_name": "问责方式", "text": "内容", "starts_on": "开始日期", "ends_on": "结束日期",
    "number": "文号", "verification_code": "核验码", "sealed": "盖章", "issued_by": "签发人", "issued_at": "签发时间",
    "voided_at": "作废时间", "voided_by": "作废人", "void_reason": "作废原因", "recorded_by_name": "录入人",
    "revisions": "更正历史"}
SKIPPED = frozenset({"id", "case_id", "updated_at", "respondent_id", "event_id", "person_key", "attachment_id",
                     "recorded_by", "series", "year", "fonts"})
COUNTED = (("events", "程序记录（条）"), ("attachments", "附件（个）"), ("documents", "文书（份）"))


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value(v) for v in value)
    return str(value)


def _history(entries: Any, action_key: str = "") -> str:
    """Corrections or withdrawn records as the clerk reads them: how many, and each one's reason."""
    if not entries:
        return "（空）"
    shown = []
    for entry in entries if isinstance(entries, list) else []:
        entry = entry if isinstance(entry, dict) else {}
        what = f"{label_of(str(entry.get(action_key)))}，" if action_key else ""
        shown.append(f"{what}理由：{action_fields.clean(entry.get('reason', ''))}（{entry.get('by', '')}）")
    return f"共{len(shown)}条：" + "；".join(shown)


def _row_name(part: str, row: dict) -> str:
    names = {"respondents": row.get("name"), "attachments": row.get("filename"), "evidence": row.get("title"),
             "events": f"{row.get('seq')}. {label_of(str(row.get('action')))}", "documents": row.get("number"),
             "accountabilities": row.get("person_name"), "clues": row.get("received_on"),
             "restrictions": f"{row.get('person_name')} {row.get('form_name')}"}
    return str(names.get(part) or row.get("id", ""))[:40]


def flatten(record: dict) -> dict[str, tuple[str, str]]:
    """path → (readable label, value) for every field that means something to the clerk."""
    case = record.get("case", {})
    try:
        step_label = load_profile(case.get("regulation_id", "")).step_label
    except (KeyError, ValueError, WenzeError):
        step_label = str
    flat = {}
    for key, label in CASE_LABELS.items():
        value = case.get(key)
        flat[f"case.{key}"] = (label, step_label(value) if key == "step" and value else
                               local_time(value) if key == "created_at" else
                               _history(value, "action") if key == "withdrawn_records" else _value(value))
    for part, part_label in PART_LABELS.items():
        for row in record.get(part, []):
            base, name = f"{part}/{row.get('id')}", f"{part_label}「{_row_name(part, row)}」"
            flat[base] = (name, "有")
            for key, value in row.items():
                if key in SKIPPED:
                    continue
                if key == "data" and isinstance(value, dict):
                    action = str(row.get("action"))
                    for label, text in action_fields.render(action, value):  # the registry's words
                        flat[f"{base}/data.{label}"] = (f"{name} · {label}", text)
                    continue
                if key == "revisions":
                    flat[f"{base}/{key}"] = (f"{name} · {FIELD_LABELS[key]}", _history(value))
                    continue
                if key == "action":
                    value = label_of(str(value))
                elif key in ("step_before", "step_after") and value:
                    value = step_label(value)
                flat[f"{base}/{key}"] = (f"{name} · {FIELD_LABELS.get(key, key)}", _value(value))
    return flat


def differences(local: dict | None, incoming: dict) -> list[tuple[str, str, str]]:
    """(label, local value, incoming value): the counts first, then every field that differs. A part only one side
    has is one line (有/（无）), not one line per field."""
    rows = [(label, str(len(local.get(part, []))) if local is not None else NOTHING, str(len(incoming.get(part, []))))
            for part, label in COUNTED]
    mine, theirs = (flatten(local) if local is not None else {}), flatten(incoming)
    for path in dict.fromkeys([*mine, *theirs]):
        row_path = path.rsplit("/", 1)[0] if path.count("/") == 2 else path
        if row_path != path and (row_path not in mine or row_path not in theirs):
            continue  # the row-level line says it already
        a, b = mine.get(path), theirs.get(path)
        if (a and a[1]) != (b and b[1]):
            rows.append(((a or b)[0], a[1] if a else NOTHING, b[1] if b else NOTHING))
    return rows


class ConflictsDialog(RememberedDialog):
    """Cases both offices changed since they last exchanged them: compare the versions, keep one."""

    resolved = Signal(str)  # the case id

    def __init__(self, ws: Workspace | ServiceContext, parent: QWidget | None = None, *,
                 settings: GuiSettings | None = None, hub: ChangeHub | None = None) -> None:
        super().__init__(parent, settings, "transfer_conflicts", (980, 720))
        self.ws, self.hub = workspace_of(ws), hub
        self.conflicts: list = []
        self.confirm: Callable[[str], bool] = lambda text: confirm(self, "处理冲突", text)  # seam for tests
        self.setWindowTitle("导入冲突")
        intro = QLabel("以下案件在上次交换后双方都作了修改。导入时未覆盖本地版本，对方版本已单独保存。"
                       "请核对两个版本的不同之处，保留本地版本或采用对方版本。")
        intro.setWordWrap(True)
        self.table = plain_table(["案件编号", "标题", "发送单位", "原因", "收到时间"])
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.diff_label = QLabel()
        self.diff = plain_table(["项目", "本地版本", "对方版本"])
        self.diff.setWordWrap(True)
        for column in (1, 2):  # long text (事实) wraps in two equal columns instead of widening the table
            self.diff.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.error = error_label()
        self.keep_local_button = QPushButton("保留本地版本")
        self.keep_local_button.clicked.connect(lambda _=False: self.resolve_selected("local"))
        self.take_incoming_button = QPushButton("采用对方版本")
        self.take_incoming_button.clicked.connect(lambda _=False: self.resolve_selected("incoming"))
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.diff_label)
        layout.addWidget(self.diff, 2)
        layout.addWidget(self.error)
        layout.addLayout(button_row([self.keep_local_button, self.take_incoming_button], stretch_first=False))
        layout.addLayout(button_row([close]))
        self.refresh()

    def refresh(self) -> None:
        """The open conflicts, read on the database worker."""
        transfer = self.ws.transfer
        run_op(self, "", transfer.conflicts, self._show_conflicts,
               on_failure=lambda error: self._show_conflicts([], error), busy_dialog=False)

    def _show_conflicts(self, conflicts, error: BaseException | None = None) -> None:
        self.conflicts = list(conflicts)
        if error is not None:
            show_message(self.error, failure_text(self, error))
        fill_table(self.table, [[c.case_number, c.case_title, c.sender_name, c.reason, local_time(c.received_at)]
                                for c in self.conflicts])
        if self.conflicts:
            self.table.selectRow(0)
        self._selection_changed()

    def selected(self):
        row = selected_row(self.table)
        return self.conflicts[row] if row is not None else None

    def _selection_changed(self) -> None:
        conflict = self.selected()
        self.keep_local_button.setEnabled(conflict is not None)
        self.take_incoming_button.setEnabled(conflict is not None)
        fill_table(self.diff, [])
        if conflict is None:
            self.diff_label.setText("没有待处理的冲突。" if not self.conflicts else "请选择一个冲突。")
            return
        transfer = self.ws.transfer
        run_op(self, "", lambda: transfer.conflict_versions(conflict.id),
               lambda versions: self._show_versions(conflict, *versions),
               on_failure=lambda error: self.diff_label.setText(failure_text(self, error)), busy_dialog=False)

    def _show_versions(self, conflict, local, incoming) -> None:
        if conflict is not self.selected():
            return  # another row was chosen meanwhile
        self.diff_label.setText(f"案件 {conflict.case_number}：本地版本与“{conflict.sender_name}”发来的版本"
                                + ("（本地已无此案件）" if local is None else "") + "的不同之处：")
        fill_table(self.diff, [list(row) for row in differences(local, incoming)])
        self.diff.resizeRowsToContents()

    def resolve_selected(self, keep: str) -> bool:
        conflict = self.selected()
        if conflict is None:
            return False
        text = (f"保留案件 {conflict.case_number} 的本地版本？对方发来的版本将不再导入，下次交换时本地版本视为较新。"
                if keep == "local" else
                f"采用“{conflict.sender_name}”发来的案件 {conflict.case_number}？本地对此案件的修改将被对方版本替换"
                "（已签发的文书登记保留）。此操作不能撤销。")
        if not self.confirm(text):
            return False
        self.keep_local_button.setEnabled(False)
        self.take_incoming_button.setEnabled(False)
        run_op(self, "正在处理冲突…", lambda: self.ws.transfer.resolve(conflict.id, keep=keep),
               lambda _r: self._resolved(conflict), on_failure=self._failed, hub=self.hub)
        return True

    def _failed(self, error: BaseException) -> None:
        show_message(self.error, f"未能处理：{failure_text(self, error)}")
        self._selection_changed()

    def _resolved(self, conflict) -> None:
        show_message(self.error, "")
        self.refresh()
        self.resolved.emit(conflict.case_id)

__all__ = ["ConflictsDialog", "RememberedDialog", "Volume", "differences", "flatten", "removable_volumes",
           "workspace_of"]

"""Importing a case package: check it and preview what it would do (dry run), then import all of it or nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.errors import Cancelled, WenzeError
from wenze_desktop.gui.case_parts_widgets import button_row, fill_table, plain_table
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.forms import password_field
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.gui.transfer_dialogs import (
    RememberedDialog,
    confirm,
    failure_text,
    local_time,
    removable_volumes,
    size_text,
    workspace_of,
)
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.facade import Workspace
from wenze_desktop.services.transfer import ImportedWithError, ImportPreview
from wenze_desktop.services.transfer_plan import CONFLICT
from wenze_desktop.transfer.archive import sniff

NOTHING_IMPORTED = "未导入任何内容。"
CONFLICT_NOTE = "冲突的案件不会覆盖本地，将保留双方版本待处理（在“导入冲突”中逐件核对后决定）。"
INTRO = "先点“预览”：程序解密并核对签名和每个文件的哈希，列出每件案件导入后的结果，不写入任何数据。"
OK_STYLE, BAD_STYLE = "color: #2e7d32; font-weight: bold;", "color: #b00020;"
CONFLICT_COLOR = QColor("#b00020")


def header_text(preview: ImportPreview) -> str:
    how = "口令加密" if preview.by_passphrase else "以本单位公钥加密"
    return "\n".join([f"发送单位：{preview.sender_name}　公钥指纹：{preview.sender_fingerprint}",
                      f"导出人：{preview.exported_by}　导出时间：{local_time(preview.created_at)}　{how}",
                      f"数据包：{size_text(preview.size)}　SHA-256：{preview.package_sha256}",
                      ("导入结果：" if preview.applied else "预览（尚未导入）：") + preview.summary()])


class ImportDialog(RememberedDialog):
    """Choose a .wzpkg file, 预览 (decrypts and checks everything, writes nothing), then 导入."""

    previewed = Signal(object)  # ImportPreview
    imported = Signal(object)  # ImportPreview with applied=True

    def __init__(self, ws: Workspace | ServiceContext, parent: QWidget | None = None, *,
                 settings: GuiSettings | None = None, hub: ChangeHub | None = None) -> None:
        super().__init__(parent, settings, "transfer_import", (860, 640))
        self.ws, self.hub = workspace_of(ws), hub
        self.preview: ImportPreview | None = None
        self.kind: str | None = None  # "x25519" or "scrypt" once a package is chosen
        # Seams for tests (and hosts with their own prompts).
        self.confirm: Callable[[str], bool] = lambda text: confirm(self, "导入案件数据包", text)
        self.choose_file: Callable[[str], str] = lambda start: QFileDialog.getOpenFileName(
            self, "选择案件数据包", start, "案件数据包 (*.wzpkg);;所有文件 (*)")[0]
        self.setWindowTitle("导入案件数据包")
        self.path = QLineEdit()
        self.path.setPlaceholderText("选择 U 盘上的 .wzpkg 文件")
        self.path.textChanged.connect(self._file_changed)
        choose = QPushButton("选择…")
        choose.clicked.connect(lambda _=False: self.choose())
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(choose)
        self.passphrase = password_field("导出方另行告知的口令")
        self.passphrase.textChanged.connect(self._reset)
        self.passphrase_label = QLabel("口令：")
        form = QFormLayout()
        form.addRow("数据包：", file_row)
        form.addRow(self.passphrase_label, self.passphrase)
        self.header = QLabel(INTRO)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = plain_table(["案件编号", "标题", "结果", "说明"])
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_button = QPushButton("预览")
        self.preview_button.setDefault(True)
        self.preview_button.clicked.connect(lambda _=False: self.run_preview())
        self.import_button = QPushButton("导入")
        self.import_button.clicked.connect(lambda _=False: self.run_import())
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.header)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(button_row([self.preview_button, self.import_button, close]))
        self._file_changed()

    # -- choosing the file -----------------------------------------------------------------------------------------

    def choose(self) -> None:
        drives = removable_volumes()
        start = self.path.text() or (drives[0].path if drives else str(Path.home()))
        if chosen := self.choose_file(start):
            self.path.setText(chosen)

    def _file_changed(self, *_args: object) -> None:
        self.kind = None
        path = Path(self.path.text().strip())
        if self.path.text().strip() and path.is_file():
            try:
                self.kind = sniff(path)
            except WenzeError as error:
                self._reset()
                self._say(str(error), BAD_STYLE)
                self._show_passphrase(False)
                return
        self._show_passphrase(self.kind == "scrypt")
        self._reset()

    def _show_passphrase(self, shown: bool) -> None:
        self.passphrase_label.setVisible(shown)
        self.passphrase.setVisible(shown)

    def _reset(self, *_args: object) -> None:
        """Anything changed after a preview: it no longer describes what 导入 would do."""
        self.preview = None
        self.header.setText(INTRO)
        fill_table(self.table, [])
        self._say("")
        self.preview_button.setEnabled(self.kind is not None)
        self.import_button.setEnabled(False)

    def _say(self, text: str, style: str = "") -> None:
        self.status.setText(text)
        self.status.setStyleSheet(style)

    def _passphrase(self) -> str | None:
        return self.passphrase.text() if self.kind == "scrypt" else None

    # -- preview and import ----------------------------------------------------------------------------------------

    def run_preview(self) -> bool:
        path = Path(self.path.text().strip())
        if self.kind is None:
            self._say("请选择数据包文件。", BAD_STYLE)
            return False
        if self.kind == "scrypt" and not self.passphrase.text():
            self._say("此数据包用口令加密，请输入导出方另行告知的口令。", BAD_STYLE)
            return False
        self._reset()
        self.preview_button.setEnabled(False)
        service, passphrase = self.ws.transfer, self._passphrase()
        self._say("正在核对数据包…")
        run_op(self, "正在解密并核对数据包…", lambda report: service.inspect(path, passphrase=passphrase,
                                                                            progress=report),
               self._previewed, progress=True, on_failure=self._failed)
        return True

    def _previewed(self, preview: ImportPreview) -> None:
        self.preview = preview
        self.preview_button.setEnabled(True)
        self._show(preview)
        conflicts = preview.count(CONFLICT)
        self._say("数据包完整，签名和哈希核对无误。点“导入”写入本工作区。" + (CONFLICT_NOTE if conflicts else ""),
                  OK_STYLE)
        self.import_button.setEnabled(True)
        self.previewed.emit(preview)

    def run_import(self) -> bool:
        preview = self.preview
        if preview is None:
            return False
        if preview.count(CONFLICT) and not self.confirm(
                f"数据包中有 {preview.count(CONFLICT)} 件案件与本地版本冲突。{CONFLICT_NOTE}\n继续导入吗？"):
            return False
        self.import_button.setEnabled(False)
        self.preview_button.setEnabled(False)
        service, passphrase = self.ws.transfer, self._passphrase()
        self._say("正在导入…")
        run_op(self, "正在导入案件数据包…", lambda report: service.apply(
            preview.path, passphrase=passphrase, progress=report, expect_sha256=preview.package_sha256),
               self._imported, progress=True, on_failure=self._failed, hub=self.hub)
        return True

    def _imported(self, result: ImportPreview) -> None:
        self.preview = None
        self.preview_button.setEnabled(True)
        conflicts = result.count(CONFLICT)
        self._say(f"导入完成：{result.summary()}。" + (CONFLICT_NOTE if conflicts else ""), OK_STYLE)  # said first
        self._show(result)
        self.imported.emit(result)  # what was written reaches the hub from run_op, noted by the service

    def _failed(self, error: BaseException) -> None:
        self.preview = None
        self.preview_button.setEnabled(self.kind is not None)
        self.import_button.setEnabled(False)
        if isinstance(error, ImportedWithError):  # committed: never say that nothing was imported
            self._show(error.result)
            self._say(str(error), BAD_STYLE)
            self.imported.emit(error.result)
            return
        # Every other failure happened inside the import's transaction, which was rolled back.
        text = "已取消。" if isinstance(error, Cancelled) else failure_text(self, error)
        self._say(f"{text}\n{NOTHING_IMPORTED}", BAD_STYLE)

    def _show(self, preview: ImportPreview) -> None:
        self.header.setText(header_text(preview))
        fill_table(self.table, [[p.number, p.title, p.label, p.reason] for p in preview.cases])
        for row, plan in enumerate(preview.cases):
            if plan.action == CONFLICT:
                self.table.item(row, 2).setForeground(QBrush(CONFLICT_COLOR))

"""Exporting chosen cases onto a USB stick: to a trusted office's key or under a passphrase.

The chosen cases and the trusted offices are read, and the package written, on the database worker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.errors import Cancelled
from wenze_desktop.gui.case_parts_widgets import button_row
from wenze_desktop.gui.forms import error_label, password_field, show_message
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.gui.transfer_dialogs import (
    RememberedDialog,
    confirm,
    failure_text,
    removable_volumes,
    size_text,
    workspace_of,
)
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.facade import Workspace
from wenze_desktop.services.office_keys import OfficeInfo
from wenze_desktop.services.transfer import ExportResult
from wenze_desktop.transfer.archive import PASSPHRASE_MAX_BYTES

SUFFIX = ".wzpkg"
MIN_PASSPHRASE = 8
BAD_NAME_CHARS = '/\\:*?"<>|'


def result_text(result: ExportResult) -> str:
    """What the clerk may copy into the hand-over record (and read out to the receiving office)."""
    return "\n".join([f"文件：{result.path}", f"大小：{size_text(result.size)}（{result.size} 字节）",
                      f"SHA-256：{result.sha256}", f"接收方：{result.recipient}",
                      f"案件（{len(result.case_numbers)} 件）：{'、'.join(result.case_numbers)}"])


class ExportDialog(RememberedDialog):
    """The chosen cases, to whom (a trusted office or a passphrase), where (a USB stick first) and the file name."""

    exported = Signal(object)  # ExportResult
    loaded = Signal()  # the cases and the trusted offices are listed

    def __init__(self, ws: Workspace | ServiceContext, case_ids: list[str], parent: QWidget | None = None, *,
                 settings: GuiSettings | None = None) -> None:
        super().__init__(parent, settings, "transfer_export", (640, 680))
        self.ws = workspace_of(ws)
        self.case_ids = list(dict.fromkeys(case_ids))
        self.result: ExportResult | None = None
        self.loaded_ok = False
        # Seams for tests (and hosts with their own prompts).
        self.confirm: Callable[[str], bool] = lambda text: confirm(self, "覆盖文件？", text)
        self.choose_folder: Callable[[str], str] = lambda start: QFileDialog.getExistingDirectory(
            self, "选择保存数据包的文件夹", start)
        self.setWindowTitle("导出案件数据包")
        self.cases = QListWidget()
        self.cases.setMinimumHeight(60)
        self.cases.addItem("正在读取…")

        self.to_office = QRadioButton("发给可信单位")
        self.by_passphrase = QRadioButton("使用口令")
        self.mode = QButtonGroup(self)
        for button in (self.to_office, self.by_passphrase):
            self.mode.addButton(button)
            button.toggled.connect(self._mode_changed)
        self.office = QComboBox()
        self.no_office = QLabel("尚无可信单位：请安全保密管理员在“单位公钥”中导入对方单位的公钥，或改用口令。")
        self.no_office.setWordWrap(True)
        self.no_office.setVisible(False)
        self.passphrase = password_field(f"至少 {MIN_PASSPHRASE} 个字符")
        self.passphrase_again = password_field("再输入一次")
        hint = QLabel(f"口令请另行告知接收方（如电话），不要与数据包放在一起。口令数据包在内存中生成，"
                      f"不超过 {PASSPHRASE_MAX_BYTES >> 20} MB；更大的请发给对方单位的密钥。")
        hint.setWordWrap(True)
        # A passphrase replaces only the receiver's key; the package is still signed by this office and the receiver
        # refuses a sender it does not trust (docs/package-format.md, "Passphrase packages").
        self.passphrase_trust = QLabel()
        self.passphrase_trust.setWordWrap(True)
        self.passphrase_trust.setVisible(False)
        self.recipient_box = recipient = QGroupBox("接收方")
        grid = QFormLayout(recipient)
        grid.addRow(self.to_office)
        grid.addRow("单位：", self.office)
        grid.addRow(self.no_office)
        grid.addRow(self.by_passphrase)
        grid.addRow("口令：", self.passphrase)
        grid.addRow("确认口令：", self.passphrase_again)
        grid.addRow(hint)
        grid.addRow(self.passphrase_trust)

        self.drives = QListWidget()
        self.drives.setMaximumHeight(100)
        self.drives.currentItemChanged.connect(self._drive_chosen)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("插入 U 盘后点“刷新”，或点“浏览…”选择任意文件夹")
        browse = QPushButton("浏览…")
        browse.clicked.connect(lambda _=False: self.browse())
        refresh = QPushButton("刷新")
        refresh.clicked.connect(lambda _=False: self.refresh_drives())
        self.file_name = QLineEdit(self.default_name())
        target = QGroupBox("保存位置")
        target_layout = QVBoxLayout(target)
        self.drives_label = QLabel()
        target_layout.addWidget(self.drives_label)
        target_layout.addWidget(self.drives)
        folder_form = QFormLayout()
        folder_form.addRow("文件夹：", self.folder)
        folder_form.addRow("文件名：", self.file_name)
        target_layout.addLayout(folder_form)
        target_layout.addLayout(button_row([refresh, browse]))

        self.error = error_label()
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setMaximumHeight(120)
        self.output.hide()
        self.copy_button = QPushButton("复制")
        self.copy_button.clicked.connect(lambda _=False: QApplication.clipboard().setText(self.output.toPlainText()))
        self.copy_button.hide()
        self.export_button = QPushButton("导出")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(lambda _=False: self.export())
        self.close_button = QPushButton("取消")
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"导出以下 {len(self.case_ids)} 件案件（含附件、文书和办理记录，加密并签名）："))
        layout.addWidget(self.cases, 1)
        layout.addWidget(recipient)
        layout.addWidget(target)
        layout.addWidget(self.error)
        layout.addWidget(self.output)
        layout.addLayout(button_row([self.copy_button, self.export_button, self.close_button]))
        self.recipient_box.setEnabled(False)  # until the trusted offices are known
        self.export_button.setEnabled(False)
        self.refresh_drives()
        cases, keys, ids = self.ws.cases, self.ws.keys, self.case_ids
        run_op(self, "", lambda: ([cases.get_case(case_id) for case_id in ids], keys.offices()), self._fill,
               on_failure=self._load_failed, busy_dialog=False)

    def _fill(self, answer: tuple[list, list[OfficeInfo]]) -> None:
        chosen, offices = answer
        self.cases.clear()
        for case in chosen:
            self.cases.addItem(f"{case.number}　{case.title}")
        for info in offices:
            if not info.own:
                self.office.addItem(f"{info.office_name}（指纹 {info.fingerprint}）", info.fingerprint)
        own = next((info.fingerprint for info in offices if info.own), "")
        self.passphrase_trust.setText(
            "口令只代替对方单位的公钥来加密，不能证明数据包来自本单位：数据包仍以本单位密钥签名，接收方须事先把"
            f"本单位公钥（指纹 {own or '尚未生成'}）列为可信单位，否则会拒绝导入。请先与对方核对指纹。"
            "涉密工作区请只发给可信单位的公钥（只有指定单位能打开）。")
        self.no_office.setVisible(self.office.count() == 0)
        self.recipient_box.setEnabled(True)
        (self.to_office if self.office.count() else self.by_passphrase).setChecked(True)
        self.to_office.setEnabled(self.office.count() > 0)
        self.export_button.setEnabled(True)
        self.loaded_ok = True
        self.loaded.emit()

    def _load_failed(self, error: BaseException) -> None:
        self.cases.clear()
        show_message(self.error, f"未能读取要导出的案件：{failure_text(self, error)}")

    def default_name(self) -> str:
        return f"案件数据包-{self.ws.ctx.clock().astimezone():%Y%m%d}-{len(self.case_ids)}件{SUFFIX}"

    def _mode_changed(self, *_args: object) -> None:
        office = self.to_office.isChecked()
        self.office.setEnabled(office)
        self.passphrase.setEnabled(not office)
        self.passphrase_again.setEnabled(not office)
        self.passphrase_trust.setVisible(not office)

    def refresh_drives(self) -> None:
        self.drives.clear()
        for volume in removable_volumes(writable=True):
            item = QListWidgetItem(volume.label())
            item.setData(Qt.ItemDataRole.UserRole, volume.path)
            self.drives.addItem(item)
        self.drives_label.setText("可移动磁盘：" if self.drives.count() else
                                  "可移动磁盘：未发现（插入 U 盘后点“刷新”，或点“浏览…”选择文件夹）")
        self.drives.setVisible(self.drives.count() > 0)
        if self.drives.count() and not self.folder.text():
            self.drives.setCurrentRow(0)

    def _drive_chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        if item is not None:
            self.folder.setText(item.data(Qt.ItemDataRole.UserRole))

    def browse(self) -> None:
        if chosen := self.choose_folder(self.folder.text() or str(Path.home())):
            self.drives.setCurrentRow(-1)
            self.folder.setText(chosen)

    def target(self) -> Path | None:
        """The file to write, or None with the reason shown."""
        folder, name = self.folder.text().strip(), self.file_name.text().strip()
        if not folder:
            return self._refuse("请选择保存数据包的 U 盘或文件夹。")
        if not Path(folder).is_dir():
            return self._refuse(f"文件夹 {folder} 不存在，请重新选择（U 盘是否已拔出？）。")
        if not name or any(ch in name for ch in BAD_NAME_CHARS) or name.strip(".") == "":
            return self._refuse(f"请填写文件名（不能含有 {BAD_NAME_CHARS} ）。")
        if not name.lower().endswith(SUFFIX):
            name += SUFFIX
        return Path(folder) / name

    def _refuse(self, text: str) -> None:
        show_message(self.error, text)
        return None

    def recipient(self) -> dict[str, str] | None:
        """``to=`` or ``passphrase=`` for the service, or None with the reason shown."""
        if self.to_office.isChecked():
            if self.office.currentIndex() < 0:
                return self._refuse("请选择接收单位。")
            return {"to": self.office.currentData()}
        phrase = self.passphrase.text()
        if len(phrase) < MIN_PASSPHRASE:
            return self._refuse(f"口令至少需要 {MIN_PASSPHRASE} 个字符。")
        if phrase != self.passphrase_again.text():
            return self._refuse("两次输入的口令不一致，请重新输入。")
        return {"passphrase": phrase}

    def export(self) -> bool:
        """Checks what was filled in, asks before overwriting, and starts the export (False if it did not start)."""
        if not self.loaded_ok:
            return False
        recipient = self.recipient()
        path = self.target() if recipient is not None else None
        if recipient is None or path is None:
            return False
        if path.exists() and not self.confirm(f"文件 {path} 已存在。\n覆盖原有文件吗？"):
            return False
        show_message(self.error, "")
        self.export_button.setEnabled(False)
        ids, service = self.case_ids, self.ws.transfer
        run_op(self, "正在导出案件数据包…", lambda report: service.export(ids, path, progress=report, **recipient),
               self._exported, progress=True, on_failure=self._failed)
        return True

    def _failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        show_message(self.error, "已取消导出，未生成数据包。" if isinstance(error, Cancelled) else
                     f"导出失败：{failure_text(self, error)}")

    def _exported(self, result: ExportResult) -> None:
        self.result = result
        self.export_button.setEnabled(True)
        self.output.setPlainText("数据包已导出。请将以下信息（特别是 SHA-256）随交接单告知接收方：\n"
                                 + result_text(result))
        self.output.show()
        self.copy_button.show()
        self.close_button.setText("关闭")
        self.exported.emit(result)

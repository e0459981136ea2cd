"""This office's public key (to give to others, as a file and a QR code) and the offices it trusts.

The keys are read, exported, trusted and removed on the database worker; the dialog fills in when answers arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QFileDialog, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from reportlab.graphics.barcode import qrencoder

from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.case_parts_widgets import button_row, fill_table, plain_table, selected_row
from wenze_desktop.gui.forms import error_label, show_message
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.gui.settings import GuiSettings
from wenze_desktop.gui.transfer_dialogs import RememberedDialog, confirm, local_time, workspace_of
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.facade import Workspace
from wenze_desktop.services.office_keys import OfficeInfo

KEY_SUFFIX = ".wzkey"
MAX_KEY_BYTES = 64 * 1024  # a key file is well under 1 KB
QR_QUIET_ZONE = 4  # modules of white around the code, as scanners expect


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code's dark modules (UTF-8 bytes, error correction M, the smallest version that holds the text)."""
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)  # version None: chosen to fit the data
    qr.addData(qrencoder.QR8bitByte(text.encode("utf-8")))
    qr.make()
    count = qr.getModuleCount()
    return [[bool(qr.isDark(r, c)) for c in range(count)] for r in range(count)]


def qr_image(text: str, size: int = 240) -> QImage:
    """The code drawn with whole pixels per module (scaling afterwards would blur or skew the modules)."""
    modules = qr_modules(text)
    scale = max(1, size // (len(modules) + 2 * QR_QUIET_ZONE))
    side = (len(modules) + 2 * QR_QUIET_ZONE) * scale
    image = QImage(side, side, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        for r, row in enumerate(modules):
            for c, dark in enumerate(row):
                if dark:
                    painter.fillRect((c + QR_QUIET_ZONE) * scale, (r + QR_QUIET_ZONE) * scale, scale, scale,
                                     QColor("black"))
    finally:
        painter.end()
    return image


def save_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


class OfficeKeysDialog(RememberedDialog):
    """Own key and trusted offices; the security officer (key.manage) exports, imports and removes keys."""

    changed = Signal()
    refreshed = Signal()  # the own key and the trusted offices are shown
    exported = Signal(object)  # the Path the own key was saved to

    def __init__(self, ws: Workspace | ServiceContext, parent: QWidget | None = None, *,
                 settings: GuiSettings | None = None) -> None:
        super().__init__(parent, settings, "office_keys", (820, 640))
        self.ws = workspace_of(ws)
        self.can_manage = Permission.KEY_MANAGE in permissions_of(self.ws.ctx.user.roles)
        self.offices: list[OfficeInfo] = []
        self.trusted: list[OfficeInfo] = []
        self.busy = False  # an export, import or removal is on its way
        # Seams for tests (and hosts with their own prompts).
        documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        self.choose_save_path: Callable[[str], str] = lambda name: QFileDialog.getSaveFileName(
            self, "保存本单位公钥", str(Path(documents or Path.home()) / name), f"单位公钥 (*{KEY_SUFFIX})")[0]
        self.choose_file: Callable[[], str] = lambda: QFileDialog.getOpenFileName(
            self, "选择其他单位的公钥文件", "", f"单位公钥 (*{KEY_SUFFIX});;所有文件 (*)")[0]
        self.confirm: Callable[[str, str], bool] = lambda title, text: confirm(self, title, text)
        self.setWindowTitle("单位公钥")
        intro = QLabel("案件数据包用接收单位的公钥加密、用发送单位的密钥签名。与其他单位交换案件前，"
                       "双方各导出本单位公钥交给对方，导入对方公钥时须电话核对指纹。")
        intro.setWordWrap(True)
        self.own_name, self.own_fingerprint = QLabel(), QLabel()
        for label in (self.own_name, self.own_fingerprint):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        own = QFormLayout()
        own.addRow("本单位：", self.own_name)
        own.addRow("公钥指纹：", self.own_fingerprint)
        self.notice = QLabel("您没有“管理密钥”的权限，只能查看。单位公钥由安全保密管理员导出、导入和移除。")
        self.notice.setWordWrap(True)
        self.notice.setVisible(not self.can_manage)
        self.table = plain_table(["可信单位", "公钥指纹", "导入人", "导入时间"])
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.qr = QLabel("导出本单位公钥后，在此显示其二维码。")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setWordWrap(True)
        self.qr.setMinimumSize(250, 250)
        self.qr.setStyleSheet("background: white; border: 1px solid #bbb; color: #777;")
        self.error = error_label()
        self.export_button = QPushButton("导出本单位公钥…")
        self.export_button.clicked.connect(lambda _=False: self.export_own())
        self.import_button = QPushButton("导入其他单位公钥…")
        self.import_button.clicked.connect(lambda _=False: self.import_key())
        self.remove_button = QPushButton("移除信任")
        self.remove_button.clicked.connect(lambda _=False: self.remove_selected())
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(own)
        layout.addWidget(self.notice)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.error)
        layout.addLayout(button_row([self.export_button, self.import_button, self.remove_button],
                                    stretch_first=False))
        layout.addLayout(button_row([close]))
        self.refresh()

    def refresh(self) -> None:
        keys = self.ws.keys
        run_op(self, "", keys.offices, self._show_offices, busy_dialog=False,
               on_failure=lambda error: self._refused("读取单位公钥", error))

    def _show_offices(self, offices: list[OfficeInfo]) -> None:
        self.offices = offices
        own = next((o for o in self.offices if o.own), None)
        self.own_name.setText(own.office_name if own else "")
        self.own_fingerprint.setText(own.fingerprint if own else "")
        self.trusted = [o for o in self.offices if not o.own]
        fill_table(self.table, [[o.office_name, o.fingerprint, o.added_by, local_time(o.added_at)]
                                for o in self.trusted])
        self.table.clearSelection()
        self._selection_changed()
        self.refreshed.emit()

    def selected(self) -> OfficeInfo | None:
        row = selected_row(self.table)
        return self.trusted[row] if row is not None and row < len(self.trusted) else None

    def _selection_changed(self) -> None:
        self.export_button.setEnabled(self.can_manage and not self.busy)
        self.import_button.setEnabled(self.can_manage and not self.busy)
        self.remove_button.setEnabled(self.can_manage and not self.busy and self.selected() is not None)

    def _refused(self, what: str, error: BaseException) -> None:
        if isinstance(error, WenzeError):
            show_message(self.error, f"未能{what}：{error}")
        else:
            show_error(self, error)

    def _run(self, label: str, work: Callable[[], object], on_done: Callable[[object], None], what: str) -> None:
        """One write on the worker; the buttons rest until it answers."""
        self.busy = True
        self._selection_changed()

        def done(result: object) -> None:
            self.busy = False
            self._selection_changed()
            on_done(result)

        def failed(error: BaseException) -> None:
            self.busy = False
            self._selection_changed()
            self._refused(what, error)

        run_op(self, label, work, done, on_failure=failed)

    # -- own key -------------------------------------------------------------------------------------------------

    def export_own(self) -> bool:
        """Reads the key on the worker (audited), shows its QR code and writes the file where the officer chooses
        (``exported`` with the path). False when it did not start."""
        if self.busy:
            return False
        self._run("正在导出本单位公钥…", self.ws.keys.export_public, self._exported_key, "导出公钥")
        return True

    def _exported_key(self, texts: tuple[str, str]) -> None:
        key_text, qr_text = texts
        show_message(self.error, "")
        self.show_qr(qr_text)
        chosen = self.choose_save_path(f"{self.own_name.text() or '本单位'}公钥{KEY_SUFFIX}")
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != KEY_SUFFIX:
            path = path.with_name(path.name + KEY_SUFFIX)
        try:
            save_text(path, key_text)
        except OSError as error:
            show_message(self.error, f"公钥文件未能保存到 {path}：{error.strerror or error}")
            return
        show_message(self.error, "")
        self.qr.setToolTip(f"已保存到 {path}")
        self.exported.emit(path)

    def show_qr(self, text: str) -> None:
        self.qr.setText("")
        self.qr.setPixmap(QPixmap.fromImage(qr_image(text)))

    # -- other offices -------------------------------------------------------------------------------------------

    def import_key(self) -> bool:
        chosen = self.choose_file()
        return self.import_file(Path(chosen)) if chosen else False

    def import_file(self, path: Path) -> bool:
        """Show the key's fingerprint to compare, then trust it on the worker (``changed`` once done). False when
        nothing was started (unreadable file, not a key, not confirmed)."""
        if self.busy:
            return False
        try:
            if path.stat().st_size > MAX_KEY_BYTES:
                show_message(self.error, "文件过大，不是单位公钥文件。")
                return False
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else "不是文本文件"
            show_message(self.error, f"无法读取文件「{path.name}」：{reason}")
            return False
        try:
            key = self.ws.keys.preview(text)  # parses the text only; no database
        except WenzeError as error:
            self._refused("导入", error)
            return False
        if not self.confirm("核对公钥指纹", f"单位：{key.office_name}\n公钥指纹：{key.fingerprint}\n\n"
                                          "请打电话给对方单位，请对方在本系统“单位公钥”中念出其公钥指纹，逐位核对。\n"
                                          "指纹完全一致，才能信任此公钥。您已核对一致吗？"):
            return False
        keys = self.ws.keys
        self._run("正在导入单位公钥…", lambda: keys.trust(text), lambda _info: self._changed(), "导入")
        return True

    def remove_selected(self) -> bool:
        office = self.selected()
        if self.busy or office is None or not self.confirm(
                "移除信任", f"不再信任“{office.office_name}”（指纹 {office.fingerprint}）？\n"
                         "移除后不能再向其导出，也不再接受其发来的数据包；已导入的案件不受影响。"):
            return False
        keys, fingerprint = self.ws.keys, office.fingerprint
        self._run("正在移除信任…", lambda: keys.remove(fingerprint), lambda _r: self._changed(), "移除")
        return True

    def _changed(self) -> None:
        show_message(self.error, "")
        self.refresh()
        self.changed.emit()

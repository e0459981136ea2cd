"""The issuing organ's settings for documents (letterhead and numbering, seals) and checking a document's PDF.

Every read and write of the workspace runs on the database worker (``run_op``); the dialogs open at once and fill
in when the answer arrives (``loaded`` / ``refreshed``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.documents.content import Letterhead
from wenze_desktop.documents.numbering import DEFAULT_KIND_CODES, DEFAULT_PATTERN, render
from wenze_desktop.errors import WenzeError
from wenze_desktop.gui.case_parts_widgets import button_row, fill_table, plain_table, selected_row
from wenze_desktop.gui.forms import dialog_buttons, error_label, show_message
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.procedure.actions import DOCUMENT_KINDS
from wenze_desktop.security.permissions import Permission, permissions_of
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.services.documents import DocumentService, Verification
from wenze_desktop.services.organ import OrganService, SealInfo

MAX_PDF_BYTES = 100 * 1024 * 1024  # far above any issued document; a bigger file is not one of ours
OK_STYLE, BAD_STYLE = "color: #2e7d32; font-weight: bold;", "color: #b00020; font-weight: bold;"
FORBIDDEN = "{}〔〕"  # they would break the number's pattern


def sample_number(organ_code: str, kind_code: str, year: int, seq: int = 1) -> str:
    return render(DEFAULT_PATTERN.replace("{organ}", organ_code).replace("{kind}", kind_code), year, seq)


class LetterheadDialog(QDialog):
    """发文机关标志, 署名, 代字 and the kinds' 文种代字 (system administrator); others see them read-only."""

    saved = Signal()
    loaded = Signal()  # the fields show the stored settings

    def __init__(self, ctx: ServiceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.service = ctx, OrganService(ctx)
        self.can_edit = Permission.CONFIG_MANAGE in permissions_of(ctx.user.roles)
        self.year = ctx.clock().astimezone().year
        self.head: Letterhead | None = None  # until the worker has read it
        self.saving = False
        self.setWindowTitle("文书版头与文号")
        self.resize(560, 640)
        self.mark = QLineEdit()
        self.signing_organ = QLineEdit()
        self.signing_organ.setPlaceholderText("不填则同发文机关标志")
        self.organ_code = QLineEdit()
        self.organ_code.setPlaceholderText("如：穗纪")
        self.printer = QLineEdit()
        self.printer.setPlaceholderText("不填则同发文机关署名")
        self.cc = QLineEdit()
        self.codes = plain_table(["文书", "文种代字"])
        fill_table(self.codes, [[label, DEFAULT_KIND_CODES[kind]] for kind, label in DOCUMENT_KINDS.items()])
        for row, kind in enumerate(DOCUMENT_KINDS):
            label = self.codes.item(row, 0)
            label.setData(Qt.ItemDataRole.UserRole, kind)
            label.setFlags(label.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.codes.item(row, 1).setToolTip(f"默认：{DEFAULT_KIND_CODES[kind]}；清空即恢复默认")
        if self.can_edit:
            self.codes.setEditTriggers(QTableWidget.EditTrigger.AllEditTriggers)
        self.sample = QLabel()
        self.sample.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = error_label()
        form = QFormLayout()
        for label, widget in (("发文机关标志：", self.mark), ("发文机关署名：", self.signing_organ),
                              ("机关代字：", self.organ_code), ("印发机关：", self.printer), ("抄送：", self.cc)):
            form.addRow(label, widget)
            widget.setReadOnly(not self.can_edit)
        layout = QVBoxLayout(self)
        if not self.can_edit:
            notice = QLabel("您没有“修改系统配置”的权限，只能查看。版头和文号由系统管理员设置。")
            notice.setWordWrap(True)
            layout.addWidget(notice)
        layout.addLayout(form)
        layout.addWidget(QLabel("文种代字（文号中机关代字之后的一字）："))
        layout.addWidget(self.codes, 1)
        layout.addWidget(self.sample)
        layout.addWidget(self.error)
        self.buttons = dialog_buttons("保存", "取消", self.apply, self.reject)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.save_button.setEnabled(False)  # until the stored settings are shown
        layout.addWidget(self.buttons)
        self.organ_code.textChanged.connect(self.update_sample)
        self.codes.itemChanged.connect(self.update_sample)
        self.update_sample()
        service = self.service
        run_op(self, "", service.letterhead, self._fill, busy_dialog=False,
               on_failure=lambda error: self._say_failure("未能读取", error))

    def _fill(self, head: Letterhead) -> None:
        self.head = head
        for widget, value in ((self.mark, head.mark), (self.signing_organ, head.signing_organ),
                              (self.organ_code, head.organ_code), (self.printer, head.printer), (self.cc, head.cc)):
            widget.setText(value)
        for row, kind in enumerate(DOCUMENT_KINDS):
            self.codes.item(row, 1).setText(OrganService.kind_code(head, kind))
        self.save_button.setEnabled(self.can_edit)
        self.update_sample()
        self.loaded.emit()

    def _say_failure(self, what: str, error: BaseException) -> None:
        if isinstance(error, WenzeError):
            show_message(self.error, f"{what}：{error}")
        else:
            show_error(self, error)

    def kind_codes(self) -> dict[str, str]:
        """The codes that differ from the defaults (an emptied cell means the default)."""
        codes = {}
        for row in range(self.codes.rowCount()):
            kind = self.codes.item(row, 0).data(Qt.ItemDataRole.UserRole)
            code = self.codes.item(row, 1).text().strip()
            if code and code != DEFAULT_KIND_CODES[kind]:
                codes[kind] = code
        return codes

    def sample_text(self) -> str:
        codes = {**DEFAULT_KIND_CODES, **self.kind_codes()}
        organ = self.organ_code.text().strip()
        return (f"{sample_number(organ, codes['decision'], self.year)}（问责决定书）　"
                f"{sample_number(organ, codes['filing_decision'], self.year)}（立项决定）")

    def update_sample(self, *_args: object) -> None:
        self.sample.setText("文号示例：" + self.sample_text())

    def values(self) -> dict[str, object]:
        return {"mark": self.mark.text().strip(), "signing_organ": self.signing_organ.text().strip(),
                "organ_code": self.organ_code.text().strip(), "printer": self.printer.text().strip(),
                "cc": self.cc.text().strip(), "kind_codes": self.kind_codes()}

    def apply(self) -> None:
        if self.head is None or self.saving or not self.can_edit:
            return
        values = self.values()
        if any(ch in code for code in values["kind_codes"].values() for ch in FORBIDDEN):
            show_message(self.error, "文种代字中不能含有 { } 〔 〕。")
            return
        self.saving = True
        self.save_button.setEnabled(False)
        service = self.service
        run_op(self, "正在保存文书版头…", lambda: service.set_letterhead(**values), lambda _r: self._saved(),
               on_failure=self._save_failed)

    def _saved(self) -> None:
        self.saving = False
        show_message(self.error, "")
        self.saved.emit()
        self.accept()

    def _save_failed(self, error: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self._say_failure("未能保存", error)


class SealDialog(QDialog):
    """The registered seals and the image of the chosen one; the security officer registers and retires them."""

    changed = Signal()
    refreshed = Signal()  # the table shows the registered seals
    image_shown = Signal()  # the chosen seal's image (or why not) is shown

    def __init__(self, ctx: ServiceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.service = ctx, OrganService(ctx)
        granted = permissions_of(ctx.user.roles)
        self.can_manage = Permission.SEAL_MANAGE in granted
        self.can_see = self.can_manage or Permission.DOCUMENT_SEAL in granted  # as the service allows
        self.seals: list[SealInfo] = []
        self.signer = ""  # the letterhead's signing organ: the name a first seal is offered
        self.loaded = False
        self.busy = False  # registering or retiring
        self._image_generation = 0
        # Seams for tests (and hosts with their own prompts).
        self.choose_file: Callable[[], str] = lambda: QFileDialog.getOpenFileName(
            self, "选择印章图像", "", "PNG 图像 (*.png);;所有文件 (*)")[0]
        self.ask_name: Callable[[str], str | None] = self._ask_name
        self.confirm: Callable[[str], bool] = lambda text: QMessageBox.question(
            self, "停用印章", text) == QMessageBox.StandardButton.Yes
        self.setWindowTitle("印章")
        self.resize(720, 520)
        intro = QLabel("盖章文书使用“使用中”的印章。登记新印章后，原印章自动停用；印章图像须为红色、背景透明的 PNG。")
        intro.setWordWrap(True)
        self.table = plain_table(["印章名称", "状态", "登记人", "登记时间", "SHA-256"])
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.image = QLabel()
        self.image.setFixedSize(200, 200)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setWordWrap(True)
        self.image.setStyleSheet("background: white; border: 1px solid #bbb; color: #777;")
        self.register_button = QPushButton("登记新印章…")
        self.register_button.clicked.connect(lambda _=False: self.register())
        self.retire_button = QPushButton("停用")
        self.retire_button.clicked.connect(lambda _=False: self.retire_selected())
        self.notice = QLabel("您没有“管理印章”的权限，只能查看。印章由安全保密管理员登记和停用。")
        self.notice.setWordWrap(True)
        self.notice.setVisible(not self.can_manage)
        self.error = error_label()
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        for widget in (intro, self.notice, self.table):
            layout.addWidget(widget)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.error)
        layout.addLayout(button_row([self.register_button, self.retire_button], stretch_first=False))
        layout.addLayout(button_row([close]))
        self.register_button.setEnabled(False)  # until the seals are read
        self.retire_button.setEnabled(False)
        self.image.setText("正在读取…")
        self.refresh()

    def refresh(self) -> None:
        """Read the seals (and the letterhead's signer) on the database worker."""
        service = self.service
        run_op(self, "", lambda: (service.seals(), service.letterhead().signer), self._show_seals,
               on_failure=lambda error: self._failed("未能读取印章", error), busy_dialog=False)

    def _show_seals(self, answer: tuple[list[SealInfo], str]) -> None:
        self.seals, self.signer = answer
        self.loaded = True
        self.table.blockSignals(True)  # one image request below, not one per selection step
        fill_table(self.table, [[s.name, "使用中" if s.active else f"已停用（{s.retired_at.astimezone():%Y-%m-%d}）",
                                 s.registered_by, f"{s.registered_at.astimezone():%Y-%m-%d %H:%M}", s.sha256]
                                for s in self.seals])
        active = next((row for row, seal in enumerate(self.seals) if seal.active), None)
        if active is not None:
            self.table.selectRow(active)
        else:
            self.table.clearSelection()
        self.table.blockSignals(False)
        self._selection_changed()
        self.refreshed.emit()

    def _failed(self, what: str, error: BaseException) -> None:
        if isinstance(error, WenzeError):
            show_message(self.error, f"{what}：{error}")
        else:
            show_error(self, error)

    def selected(self) -> SealInfo | None:
        row = selected_row(self.table)
        return self.seals[row] if row is not None and row < len(self.seals) else None

    def _selection_changed(self) -> None:
        seal = self.selected()
        self.register_button.setEnabled(self.can_manage and self.loaded and not self.busy)
        self.retire_button.setEnabled(self.can_manage and not self.busy and seal is not None and seal.active)
        self.image.setPixmap(QPixmap())
        self._image_generation += 1
        if seal is None:
            self.image.setText("尚未登记印章" if not self.seals else "")
        elif not self.can_see:
            self.image.setText("无权查看印章图像")
        else:
            self.image.setText("正在读取…")
            generation, service, seal_id = self._image_generation, self.service, seal.id
            run_op(self, "", lambda: service.seal_png(seal_id), lambda png: self._show_image(generation, png),
                   on_failure=lambda error: self._image_failed(generation, error), busy_dialog=False)
            return
        self.image_shown.emit()

    def _show_image(self, generation: int, png: bytes) -> None:
        if generation != self._image_generation:
            return  # another seal was chosen meanwhile
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.image.setText("")
        self.image.setPixmap(pixmap.scaled(190, 190, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))
        self.image_shown.emit()

    def _image_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._image_generation:
            return
        if not isinstance(error, WenzeError):
            show_error(self, error)
        self.image.setText(str(error) if isinstance(error, WenzeError) else "印章图像未能读取")
        self.image_shown.emit()

    def _ask_name(self, default: str) -> str | None:
        name, ok = QInputDialog.getText(self, "登记新印章", "印章名称（与印文一致）：", text=default)
        return name if ok else None

    def register(self) -> bool:
        """Choose the image and name the seal; True when the registration was started."""
        if not self.loaded or self.busy:
            return False
        chosen = self.choose_file()
        if not chosen:
            return False
        current = next((s for s in self.seals if s.active), None)
        name = self.ask_name(current.name if current else self.signer)
        return False if name is None else self.register_file(Path(chosen), name)

    def register_file(self, path: Path, name: str) -> bool:
        """Register the image at ``path`` on the worker (``changed`` once done); False when it could not start."""
        try:
            data = path.read_bytes()
        except OSError as error:
            show_message(self.error, f"无法读取文件「{path.name}」：{error.strerror or error}")
            return False
        service = self.service
        self._run("正在登记印章…", lambda: service.register_seal(name, data), "未能登记")
        return True

    def retire_selected(self) -> bool:
        """Retire the chosen seal after asking; True when it was started (``changed`` once done)."""
        seal = self.selected()
        if self.busy or seal is None or not seal.active or not self.confirm(
                f"停用印章「{seal.name}」？停用后签发盖章文书须先登记新印章；已签发的文书不受影响。"):
            return False
        service, seal_id = self.service, seal.id
        self._run("正在停用印章…", lambda: service.retire_seal(seal_id), "未能停用")
        return True

    def _run(self, label: str, work, what: str) -> None:
        self.busy = True
        self._selection_changed()

        def done(_result: object) -> None:
            self.busy = False
            show_message(self.error, "")
            self.refresh()
            self.changed.emit()

        def failed(error: BaseException) -> None:
            self.busy = False
            self._selection_changed()
            self._failed(what, error)

        run_op(self, label, work, done, on_failure=failed)


class VerifyDocumentDialog(QDialog):
    """Whether a PDF is, byte for byte, a document this workspace issued: choose or drop the file."""

    verified = Signal(object)  # Verification

    def __init__(self, ctx: ServiceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result: Verification | None = None
        self.choose_file: Callable[[], str] = lambda: QFileDialog.getOpenFileName(
            self, "选择要核验的文书", "", "PDF 文件 (*.pdf);;所有文件 (*)")[0]
        self.setWindowTitle("核验文书")
        self.resize(560, 420)
        self.setAcceptDrops(True)
        intro = QLabel("核对一份 PDF 是否为本工作区签发的原件：文件须与存档逐字节一致，并核对文件上的核验码。")
        intro.setWordWrap(True)
        self.drop_area = QLabel("将 PDF 文件拖到此处")
        self.drop_area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_area.setMinimumHeight(80)
        self.drop_area.setStyleSheet("border: 2px dashed #999; color: #777;")
        choose = QPushButton("选择 PDF 文件…")
        choose.clicked.connect(lambda _=False: self.choose())
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = {key: QLabel() for key in ("file", "case", "kind", "number", "code", "issued")}
        form = QFormLayout()
        for key, label in (("file", "文件："), ("case", "案件："), ("kind", "文书："), ("number", "文号："),
                           ("code", "核验码："), ("issued", "签发：")):
            self.details[key].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, self.details[key])
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.drop_area)
        layout.addLayout(button_row([choose], stretch_first=False))
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addLayout(button_row([close]))

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.verify_file(Path(files[0]))

    def choose(self) -> None:
        if chosen := self.choose_file():
            self.verify_file(Path(chosen))

    def verify_file(self, path: Path) -> None:
        try:
            if path.stat().st_size > MAX_PDF_BYTES:
                self._show_problem(path.name, "文件过大，不是本系统签发的文书。")
                return
            data = path.read_bytes()
        except OSError as error:
            self._show_problem(path.name, f"无法读取文件：{error.strerror or error}")
            return
        self.verify_bytes(data, path.name)

    def verify_bytes(self, data: bytes, name: str = "") -> None:
        service = DocumentService(self.ctx)
        self.message.setText("正在核验…")
        self.message.setStyleSheet("")
        run_op(self, "正在核验文书…", lambda: service.verify(data), lambda result: self._show(name, result),
               on_failure=lambda error: self._failed(name, error))

    def _failed(self, name: str, error: BaseException) -> None:
        if isinstance(error, WenzeError):
            self._show_problem(name, str(error))
        else:
            self._show_problem(name, "核验未完成。")
            show_error(self, error)

    def _show_problem(self, name: str, text: str) -> None:
        self.result = None
        self._fill(name, None)
        self.message.setText(text)
        self.message.setStyleSheet(BAD_STYLE)

    def _show(self, name: str, result: Verification) -> None:
        self.result = result
        self._fill(name, result)
        self.message.setText(result.message)
        self.message.setStyleSheet(OK_STYLE if result.ok else BAD_STYLE)
        self.verified.emit(result)

    def _fill(self, name: str, result: Verification | None) -> None:
        values = dict.fromkeys(self.details, "")
        values["file"] = name
        if (doc := result.document if result else None) is not None:
            issued = f"{doc.issued_at.astimezone():%Y-%m-%d %H:%M}（{doc.issued_by}）"
            if doc.voided_at is not None:
                issued += f"；已于 {doc.voided_at.astimezone():%Y-%m-%d} 作废"
            values.update(case=doc.case_number, kind=doc.label, number=doc.number, code=doc.verification_code,
                          issued=issued)
        for key, label in self.details.items():
            label.setText(values[key])

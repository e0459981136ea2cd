"""Entering a year's State Council holiday arrangement (for years chinese-calendar does not know yet).

The entered years are read, and a year entered, on the database worker; ``run_op`` publishes what changed. The
year and the recomputation of every case's deadlines are one unit (``CalendarService.import_year``): 取消 during the
recomputation keeps neither, and the dialog stays open to try again. What the recomputation did is shown in counts
only (the system administrator who enters years need not be able to read cases).
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wenze_desktop.errors import Cancelled, ValidationError, WenzeError
from wenze_desktop.gui.changes import ChangeHub
from wenze_desktop.gui.forms import dialog_buttons, error_label, show_message
from wenze_desktop.gui.messages import show_error
from wenze_desktop.gui.ops import run_op
from wenze_desktop.rules.calendar import YearArrangement, library_knows
from wenze_desktop.services.calendar import CalendarService, YearEntered
from wenze_desktop.services.context import ServiceContext

HOLIDAY_NAMES = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
MAX_FILE_BYTES = 256 * 1024


def year_template(year: int) -> str:
    """A TOML skeleton for ``year``; every line to fill is commented out until the administrator fills it."""
    holidays = "\n".join(f'  # "{year}-MM-DD..{year}-MM-DD",   # {name}' for name in HOLIDAY_NAMES)
    return (f"# {year} 年节假日安排：按国务院办公厅《关于{year}年部分节假日安排的通知》填写。\n"
            "# holidays：放假日（含与周末连休的日子），单日写 \"YYYY-MM-DD\"，连续几天写 \"起..止\"。\n"
            "# workdays：调休上班的周六、周日。删去行首的 # 并填入日期。\n"
            f"year = {year}\n"
            f"holidays = [\n{holidays}\n]\n"
            f"workdays = [\n  # \"{year}-MM-DD\",\n]\n")


def source_example(year: int) -> str:
    return f"例如：国务院办公厅关于{year}年部分节假日安排的通知（国办发明电〔{year - 1}〕X号）"


def library_range() -> tuple[int, int] | None:
    """The first and last year chinese-calendar knows (2004–2026 for the version shipped)."""
    known = [y for y in range(2000, 2101) if library_knows(y)]
    return (known[0], known[-1]) if known else None


class CalendarYearDialog(QDialog):
    """Pick a TOML file or paste the text, name the source, then enter the year and recompute all deadlines."""

    year_entered = Signal(int)
    loaded = Signal()  # the entered years are listed

    def __init__(self, ctx: ServiceContext, hub: ChangeHub, year: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.hub = ctx, hub
        self.service = CalendarService(ctx)
        self.running = False
        self.cancelled = False
        self.summary = ""  # what the last entry did, in counts (also shown in a message after the dialog closes)
        self.summary_box: QMessageBox | None = None
        self._confirm_replace: int | None = None
        self._year_given = year is not None
        self.setWindowTitle("录入节假日安排")
        self.resize(640, 620)

        self.known = known = library_range()
        self.entered: dict[int, dict] | None = None  # until the worker has read them
        if year is None:
            year = (known[1] if known else 2026) + 1  # the year after the entered ones, once they are known

        intro = QLabel("期限按国务院办公厅公布的节假日安排计算。内置日历尚未包含的年份，请按当年通知录入；"
                       "录入后，所有案件的期限将重新计算，标有「暂定」的期限随之确定。")
        intro.setWordWrap(True)

        self.years_list = QListWidget()
        self.years_list.setObjectName("enteredYears")
        self.years_list.setMaximumHeight(90)
        if known:
            self.years_list.addItem(f"{known[0]}–{known[1]} 年：内置日历（chinese-calendar）")

        self.year_box = QSpinBox()
        self.year_box.setRange(1950, 2199)
        self.year_box.setValue(year)
        self.year_box.setSuffix(" 年")
        self.year_box.valueChanged.connect(self._year_changed)
        self.source = QLineEdit()
        self.source.setPlaceholderText(source_example(year))
        self.file_button = QPushButton("从文件读取…")
        self.file_button.clicked.connect(self.choose_file)
        self.template_button = QPushButton("重置为模板")
        self.template_button.clicked.connect(lambda: self.text.setPlainText(year_template(self.year_box.value())))

        self.text = QPlainTextEdit()
        self.text.setObjectName("arrangementText")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._template = year_template(year)
        self.text.setPlainText(self._template)
        self.error = error_label()
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.buttons = dialog_buttons("录入并重新计算期限", "取消", self.accept, self.reject)

        form = QFormLayout()
        year_row = QHBoxLayout()
        year_row.addWidget(self.year_box)
        year_row.addStretch(1)
        year_row.addWidget(self.template_button)
        year_row.addWidget(self.file_button)
        form.addRow("年份：", year_row)
        form.addRow("依据：", self.source)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("已有的日历："))
        layout.addWidget(self.years_list)
        layout.addLayout(form)
        layout.addWidget(QLabel("安排内容（TOML）："))
        layout.addWidget(self.text, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        service = self.service
        run_op(self, "", service.entered_years, self._show_entered, busy_dialog=False,
               on_failure=lambda error: show_error(self, error, "已录入的年份未能读取"))

    def _show_entered(self, entered: list[dict]) -> None:
        self.entered = {row["year"]: row for row in entered}
        for row in entered:
            source = row["source"] or "未注明依据"
            self.years_list.addItem(f"{row['year']} 年：已录入，放假 {row['holidays']} 天、调休上班 "
                                    f"{row['workdays']} 天；依据：{source}；录入人：{row['entered_by']}")
        if not self._year_given and self.entered:
            # The year after every known one, as long as the administrator has not turned the box meanwhile.
            first_guess = (self.known[1] if self.known else 2026) + 1
            if self.year_box.value() == first_guess:
                self.year_box.setValue(max(first_guess - 1, *self.entered) + 1)
        self._year_changed(self.year_box.value())
        self.loaded.emit()

    # -- input --------------------------------------------------------------------------------------------------

    def _year_changed(self, year: int) -> None:
        """A fresh template for the new year, unless the administrator has already typed or loaded something."""
        if self.text.toPlainText() == self._template:
            self._template = year_template(year)
            self.text.setPlainText(self._template)
        self.source.setPlaceholderText(source_example(year))
        self.status.setText(f"{year} 年已录入过；再次录入将替换原有安排。" if year in (self.entered or {}) else "")

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择节假日安排文件", "", "节假日安排 (*.toml);;所有文件 (*)")
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> bool:
        """Put a file's text into the editor (not yet entered); the year box follows the file's year."""
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValidationError("该文件过大，不像节假日安排文件，请选择 .toml 文本文件。")
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            show_message(self.error, "该文件不是 UTF-8 文本，请用文本编辑器另存为 UTF-8 后再选择。")
            return False
        except OSError as error:
            show_message(self.error, f"无法读取文件：{error.strerror or error}。请检查文件是否存在、是否有读取权限。")
            return False
        except ValidationError as error:
            show_message(self.error, str(error))
            return False
        self.text.setPlainText(text)
        show_message(self.error, "")
        with suppress(ValidationError):  # problems are shown when the administrator presses 录入
            self.year_box.setValue(YearArrangement.from_toml(text).year)
        return True

    def set_text(self, text: str, source: str | None = None) -> None:
        self.text.setPlainText(text)
        if source is not None:
            self.source.setText(source)

    # -- entering -----------------------------------------------------------------------------------------------

    def validate(self) -> YearArrangement | None:
        """Check the text in the GUI thread (fast, no database); problems are shown in the dialog."""
        source = self.source.text().strip()
        try:
            arrangement = YearArrangement.from_toml(self.text.toPlainText(), source)
        except ValidationError as error:
            show_message(self.error, str(error))
            return None
        if arrangement.year != self.year_box.value():
            show_message(self.error, f"安排内容写的是 {arrangement.year} 年（year = {arrangement.year}），"
                                     f"与所选的 {self.year_box.value()} 年不一致，请核对。")
            return None
        if not source:
            show_message(self.error, "请填写依据：国务院办公厅通知的名称和文号，便于日后核对。")
            self.source.setFocus()
            return None
        show_message(self.error, "")
        return arrangement

    def accept(self) -> None:
        if self.running:
            return
        arrangement = self.validate()
        if arrangement is None:
            return
        if self.entered is None:
            show_message(self.error, "正在读取已录入的年份，请稍候再点“录入并重新计算期限”。")
            return
        if arrangement.year in self.entered and self._confirm_replace != arrangement.year:
            self._confirm_replace = arrangement.year
            show_message(self.error, f"{arrangement.year} 年已录入过。再次点击“录入并重新计算期限”将替换原有安排。")
            return
        self._run(self.text.toPlainText(), self.source.text().strip(), arrangement.year)

    def _run(self, text: str, source: str, year: int) -> None:
        self.running = True
        self._set_busy(True)
        self.status.setText(f"正在录入 {year} 年安排并重新计算所有案件的期限…")
        service = self.service

        def work(report):
            return service.import_year(text, source, progress=report)

        self.relay = run_op(self, f"正在录入 {year} 年节假日安排并重新计算期限…", work, self._done, progress=True,
                            on_failure=self._failed, hub=self.hub)

    def _done(self, entered: YearEntered) -> None:
        self.running = False
        self.summary = (f"已录入 {entered.year} 年节假日安排（放假 {entered.holidays} 天、调休上班 "
                        f"{entered.workdays} 天）。{entered.describe()}")
        self.year_entered.emit(entered.year)
        # Told without holding anything up: the dialog closes, the note stays with the window that opened it.
        box = QMessageBox(QMessageBox.Icon.Information, "节假日安排已录入", self.summary,
                          QMessageBox.StandardButton.Ok, self.parentWidget())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        self.summary_box = box
        super().accept()

    def _failed(self, error: BaseException) -> None:
        self.running = False
        self._set_busy(False)
        self.status.setText("")
        if isinstance(error, Cancelled):  # one unit: nothing of the year or the recomputation was kept
            self.cancelled = True
            show_message(self.error, f"{error}可再次点击“录入并重新计算期限”。")
        elif isinstance(error, WenzeError):
            show_message(self.error, f"未能录入：{error}")
        else:
            show_error(self, error, "节假日安排未能录入")

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.buttons, self.text, self.source, self.year_box, self.file_button, self.template_button):
            widget.setEnabled(not busy)

    def reject(self) -> None:
        if not self.running:  # while recomputing, the progress dialog's 取消 is the way to stop
            super().reject()

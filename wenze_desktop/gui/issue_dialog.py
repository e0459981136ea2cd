"""Confirming an issue (what it will use), and the words that describe documents (status gist, file name, the
issued copy's note)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QCheckBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from wenze_desktop.gui.forms import dialog_buttons
from wenze_desktop.services.documents import DocumentChoice, IssuedInfo, IssuePlan

PREVIEW_NOTE = "预览稿：未编号、未盖章，不能作为正式文书使用"
NO_ISSUE = "您没有“制发文书”的权限。"
NO_SEAL = "您没有“加盖印章”的权限：盖章文书须由领导签发。本次签发不加盖印章。"
NO_SEAL_REGISTERED = "尚未登记印章，不能盖章。请安全保密管理员在“管理 → 印章”中登记。"
REFUSED_STYLE = "color: #b00020;"
WARNING_STYLE = "color: #8a4b00;"
SEAL_PX = 72  # the seal's image beside its checkbox
MAX_WIDTH = 560  # long organ names wrap instead of widening the dialog past a small screen


def short_refusal(text: str, limit: int = 24) -> str:
    """The gist of a refusal for the status column; the full text with its article goes in the tooltip."""
    gist = text.split("（")[0].split("，")[0].rstrip("。")
    return gist if len(gist) <= limit else gist[:limit - 1] + "…"


def wrapped(text: str = "", style: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(style)
    return label


def issued_on(info: IssuedInfo) -> str:
    return f"{info.issued_at.astimezone():%Y-%m-%d}"


def file_name(info: IssuedInfo) -> str:
    return f"{info.number}-{info.label}.pdf".replace("/", "／").replace("\\", "＼")


def issued_note(info: IssuedInfo) -> str:
    """What identifies the stored file: number, hash, verification code and the fonts it was set in."""
    lines = [f"文号：{info.number}　{'已盖章' if info.sealed else '未盖章'}　"
             f"签发：{info.issued_by}，{info.issued_at.astimezone():%Y-%m-%d %H:%M}",
             f"SHA-256：{info.sha256}", f"核验码：{info.verification_code}", "字体：" + "；".join(info.fonts)]
    if info.voided_at is not None:
        lines.insert(0, f"已于 {info.voided_at.astimezone():%Y-%m-%d} 作废（{info.void_reason}），"
                        "仅供查阅，不是有效文书。")
    return "\n".join(lines)


class IssueDialog(QDialog):
    """Confirms issuing one document and shows what the issue will use: the number, the seal (its image, for those
    who may seal), the signing organ — pointed out, not refused, when it is not the letterhead's —, and for a
    document a receipt accompanies, the 送达回证 issued with it. Once issued it is numbered and stored, and can only
    be voided."""

    def __init__(self, choice: DocumentChoice, plan: IssuePlan, parent: QWidget | None = None, *,
                 offer_receipt: bool = False) -> None:
        super().__init__(parent)
        self.choice, self.plan = choice, plan
        self.setWindowTitle(f"签发{choice.label}")
        seal_refusal = NO_SEAL if not plan.may_seal else NO_SEAL_REGISTERED if plan.seal is None else None
        self.number_label = QLabel(f"<b>{escape(plan.number)}</b>")
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signer_label = QLabel(escape(plan.signer))
        form = QFormLayout()
        form.addRow("文号：", self.number_label)
        if plan.serves:
            form.addRow("随送文书：", QLabel(escape(plan.serves)))
        form.addRow("署名机关：", self.signer_label)
        self.seal_box = QCheckBox(f"加盖印章：{plan.seal.name}" if plan.seal is not None else "加盖印章")
        self.seal_box.setChecked(choice.sealed_by_default and seal_refusal is None)
        self.seal_box.setEnabled(seal_refusal is None)
        self.seal_box.setToolTip(seal_refusal or "")
        self.seal_image = QLabel()
        if plan.seal_png:
            pixmap = QPixmap()
            pixmap.loadFromData(plan.seal_png, "PNG")
            self.seal_image.setPixmap(pixmap.scaled(SEAL_PX, SEAL_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                                    Qt.TransformationMode.SmoothTransformation))
            self.seal_image.setToolTip(f"印章「{plan.seal.name}」，SHA-256：{plan.seal.sha256}")
        self.seal_image.setVisible(bool(plan.seal_png))
        form.addRow("印章：", self.seal_box)
        head = QHBoxLayout()  # the seal's image beside what it seals
        head.addLayout(form, 1)
        head.addWidget(self.seal_image, 0, Qt.AlignmentFlag.AlignTop)
        self.seal_note = wrapped(seal_refusal or "", "color: #777;")
        self.seal_note.setVisible(bool(seal_refusal))
        self.organ_warning = wrapped(
            f"注意：署名机关「{plan.signer}」与文书版头的发文机关「{plan.letterhead_signer}」不一致。请核对决定记录中的"
            "决定机关，或请系统管理员核对“管理 → 文书设置”；确认无误可以继续签发。", WARNING_STYLE)
        self.organ_warning.setVisible(plan.organ_differs)
        self.seal_warning = wrapped(
            f"注意：印章「{plan.seal.name if plan.seal else ''}」与署名机关「{plan.signer}」不一致，请核对所用印章。",
            WARNING_STYLE)
        self.receipt_box = QCheckBox(f"同时签发送达回证（文号 {plan.receipt_number}）")
        self.receipt_box.setToolTip("送达回证随本文书送达；送达日期、方式留待送达时填写。")
        self.receipt_box.setChecked(offer_receipt and bool(plan.receipt_number))
        self.receipt_box.setVisible(offer_receipt and bool(plan.receipt_number))
        note = wrapped("签发后即编定上述文号并存档，内容不能再改；如有错误，只能作废后重新签发。")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"签发<b>{escape(choice.label)}</b>？"))
        layout.addLayout(head)
        for widget in (self.seal_note, self.organ_warning, self.seal_warning, self.receipt_box, note):
            layout.addWidget(widget)
        layout.addWidget(dialog_buttons("签发", "取消", self.accept, self.reject))
        self.seal_box.toggled.connect(self._seal_toggled)
        self._seal_toggled(self.seal_box.isChecked())
        self.setMaximumWidth(MAX_WIDTH)

    def _seal_toggled(self, checked: bool) -> None:
        self.seal_image.setEnabled(checked)
        self.seal_warning.setVisible(checked and self.plan.seal_differs)

    def sealed(self) -> bool:
        return self.seal_box.isEnabled() and self.seal_box.isChecked()

    def with_receipt(self) -> bool:
        return self.receipt_box.isVisibleTo(self) and self.receipt_box.isChecked()

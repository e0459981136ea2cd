"""Confirming an issue, and the words that describe documents (status gist, file name, the issued copy's note)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QLabel, QVBoxLayout, QWidget

from wenze_desktop.gui.forms import dialog_buttons
from wenze_desktop.services.documents import DocumentChoice, IssuedInfo

PREVIEW_NOTE = "预览稿：未编号、未盖章，不能作为正式文书使用"
NO_ISSUE = "您没有“制发文书”的权限。"
NO_SEAL = "您没有“加盖印章”的权限：盖章文书须由领导签发。本次签发不加盖印章。"
NO_SEAL_REGISTERED = "尚未登记印章，不能盖章。请安全保密管理员在“管理 → 印章”中登记。"
REFUSED_STYLE = "color: #b00020;"


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
    """Confirms issuing one document: once issued it is numbered and stored, and can only be voided."""

    def __init__(self, choice: DocumentChoice, seal_refusal: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = choice
        self.setWindowTitle("签发文书")
        what = QLabel(f"签发<b>{choice.label}</b>？")
        note = wrapped("签发后文书即编定文号并存档，内容不能再改；如有错误，只能作废后重新签发。")
        self.seal_box = QCheckBox("加盖印章")
        self.seal_box.setChecked(choice.sealed_by_default and seal_refusal is None)
        self.seal_box.setEnabled(seal_refusal is None)
        self.seal_box.setToolTip(seal_refusal or "")
        self.seal_note = wrapped(seal_refusal or "", "color: #777;")
        self.seal_note.setVisible(bool(seal_refusal))
        layout = QVBoxLayout(self)
        for widget in (what, note, self.seal_box, self.seal_note):
            layout.addWidget(widget)
        if (live := choice.current) is not None:
            layout.addWidget(wrapped(f"本案已签发{choice.label} {live.number}（仍有效）。再次签发将另编文号；"
                                     "如原文书有误，应先将其作废。", REFUSED_STYLE))
        layout.addWidget(dialog_buttons("签发", "取消", self.accept, self.reject))

    def sealed(self) -> bool:
        return self.seal_box.isEnabled() and self.seal_box.isChecked()

"""What a document says, as plain data: the content builders fill it, the GB/T 9704 layout draws it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Para:
    """A paragraph. Styles: ``body`` (仿宋, indented two characters), ``h1`` (一、 黑体), ``h2`` (（一） 楷体),
    ``flush`` (no indent), ``center``, ``right``."""

    text: str
    style: str = "body"


@dataclass(frozen=True)
class FieldTable:
    """A bordered two-column form (label | value), e.g. the 送达回证."""

    rows: tuple[tuple[str, str], ...]
    min_lines: int = 2  # each row at least this many lines high (room to sign)


@dataclass(frozen=True)
class Signature:
    organ: str          # 发文机关署名 (or 调查组, 记录人 …)
    date: str           # 成文日期 in Arabic numerals, e.g. 2026年11月22日
    sealed: bool = False


@dataclass(frozen=True)
class Colophon:
    """版记: 抄送 and 印发机关/印发日期."""

    printer: str
    printed: str
    cc: str = ""


@dataclass(frozen=True)
class DocumentSpec:
    kind: str
    title: str
    blocks: tuple[Para | FieldTable, ...]
    mark: str = ""             # 发文机关标志 (red header); empty for records and forms
    number: str = ""           # 发文字号, printed under the mark (or as 编号 on documents without one)
    addressee: str = ""        # 主送机关, flush left, ends with "："
    signature: Signature | None = None
    signing_lines: tuple[str, ...] = ()  # extra lines to sign by hand (笔录: 陈述申辩人（签名）：)
    colophon: Colophon | None = None
    verification_code: str = ""  # printed with a QR code on the last page of an issued document
    qr_payload: str = ""
    watermark: str = ""        # e.g. "预览稿" on previews, so they are never mistaken for issued documents
    author: str = ""
    keywords: tuple[str, ...] = field(default_factory=tuple)

"""Lists that leave the encrypted workspace on purpose: the registry and the deadline board printed or saved as .xlsx.

One rule for everything that writes case data outside the workspace: the audit entry is written before the file (or
the printout) exists, and the file says where it came from and how it must be kept. The GUI warns first.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
from sqlalchemy import select

from wenze_desktop.domain.models import WorkspaceInfo
from wenze_desktop.errors import ValidationError
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services import journal
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.storage.files import fsync_file

KINDS = {"registry": "案件登记", "deadlines": "期限看板"}
MAX_ROWS = 100_000  # far beyond a real office's list; an absurd one is refused before anything is written
WARNING = ("导出或打印的列表不再受工作区加密保护，含案件信息。离开本程序后请按涉密载体管理："
           "不要存放在联网计算机上，用后按规定销毁。")


@dataclass(frozen=True)
class Table:
    kind: str  # a key of KINDS
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    filter: str = ""  # what the user had chosen (筛选条件), in Chinese

    def check(self) -> None:
        if self.kind not in KINDS:
            raise ValidationError(f"未知的列表「{self.kind}」。")
        if len(self.rows) > MAX_ROWS or any(len(r) != len(self.columns) for r in self.rows):
            raise ValidationError("列表的行数过多或列数不一致，未导出。")


class ListService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def provenance(self, verb: str) -> str:
        """The line every printout and file carries: where it came from, who took it out, and how to keep it."""
        with self.ctx.workspace.session() as s:
            name = s.scalar(select(WorkspaceInfo.name)) or ""
        when = self.ctx.clock().astimezone()
        return (f"本表来自问责案件办理系统工作区“{name}”，由{self.ctx.user.display_name}"
                f"（{self.ctx.user.username}）于{when:%Y年%m月%d日 %H:%M}{verb}。含案件信息，请按涉密载体管理。")

    def export_xlsx(self, table: Table, out: str | Path) -> Path:
        """Write the list as .xlsx: audited before the file exists (an intent, the file published by an atomic
        rename, the completion with its SHA-256), like every product of the journal."""
        table.check()
        out = Path(out).absolute()
        if out.suffix.lower() != ".xlsx":
            out = out.with_name(out.name + ".xlsx")
        described = {"list": KINDS[table.kind], "rows": len(table.rows), "filter": table.filter, "file": out.name}
        with journal.intended(self.ctx, "list.export", "list", table.kind, described, product=out,
                              permission=Permission.CASE_READ) as intent:
            _write_xlsx(intent.part, table, self.provenance("导出"))
            fsync_file(intent.part)
            intent.publish()
            data = out.read_bytes()
            intent.complete({**described, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        return out

    def printing(self, table: Table) -> str:
        """Record a printout before it is printed; returns the provenance line the printout carries."""
        table.check()
        with self.ctx.transaction(Permission.CASE_READ, action="list.print", object_type="list",
                                  object_id=table.kind) as s:
            self.ctx.audit(s, "list.print", "list", table.kind,
                           new={"list": KINDS[table.kind], "rows": len(table.rows), "filter": table.filter})
        return self.provenance("打印")


def _write_xlsx(path: Path, table: Table, provenance: str) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        book.set_properties({"title": KINDS[table.kind], "comments": provenance, "category": "含案件信息"})
        sheet = book.add_worksheet(KINDS[table.kind])
        bold = book.add_format({"bold": True, "bottom": 1})
        note = book.add_format({"italic": True, "font_color": "#8a5a00", "text_wrap": True})
        sheet.merge_range(0, 0, 0, max(len(table.columns) - 1, 0), provenance, note)
        sheet.set_row(0, 36)
        row = 1
        if table.filter:
            sheet.write_string(row, 0, f"筛选条件：{table.filter}")
            row += 1
        sheet.write_row(row, 0, table.columns, bold)
        for offset, values in enumerate(table.rows, start=row + 1):
            for column, value in enumerate(values):
                sheet.write_string(offset, column, str(value))
        sheet.freeze_panes(row + 1, 0)
        for column, title in enumerate(table.columns):
            widest = max([len(title), *(len(str(r[column])) for r in table.rows[:500])])
            sheet.set_column(column, column, min(60, 2 + widest * 2))
    finally:
        book.close()
    if not os.path.getsize(path):
        raise OSError(f"写出 {path.name} 失败")

"""Lists leaving the workspace (.xlsx, printouts): audited before the file exists; the file says where it came from."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import replace

import pytest
from sqlalchemy import select

from wenze_desktop.domain.models import AuditEntry
from wenze_desktop.errors import PermissionDenied, ValidationError
from wenze_desktop.services import lists
from wenze_desktop.services.context import CurrentUser
from wenze_desktop.services.lists import ListService, Table

TABLE = Table("deadlines", ("案件编号", "案件名称", "截止日期"),
              (("示纪〔2026〕1号", "孙某某违规审批案", "2026-11-30"), ("示纪〔2026〕2号", "=1+1", "2026-12-02")),
              filter="逾期及7日内到期")


def entries(ctx, action: str) -> list[tuple[dict, bool]]:
    with ctx.workspace.session() as s:
        return [(json.loads(e.new_values), e.success) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))]


@pytest.fixture
def usb(tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def xlsx_text(path) -> str:
    with zipfile.ZipFile(path) as book:
        return book.read("xl/sharedStrings.xml").decode("utf-8")


def test_export_is_audited_before_it_exists_and_says_where_it_came_from(ctx, usb):
    out = ListService(ctx).export_xlsx(TABLE, usb / "期限看板")
    assert out.name == "期限看板.xlsx" and out.exists() and not list(usb.glob("*.part"))
    text = xlsx_text(out)
    assert "本表来自问责案件办理系统工作区" in text and "请按涉密载体管理" in text and "孙某某违规审批案" in text
    assert "筛选条件：逾期及7日内到期" in text
    assert "<f>" not in zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()  # "=1+1" stays text
    (started, ok1), (completed, _) = entries(ctx, "list.export")
    assert started["stage"] == "started" and started["rows"] == 2 and started["file"] == out.name and ok1
    assert completed["stage"] == "completed" and completed["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_a_failed_export_leaves_no_file_and_says_so_in_the_audit(ctx, usb, monkeypatch):
    def broken(path, table, provenance):
        path.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lists, "_write_xlsx", broken)
    with pytest.raises(ValidationError, match="导出列表"):
        ListService(ctx).export_xlsx(TABLE, usb / "x.xlsx")
    assert list(usb.iterdir()) == []
    assert [e["stage"] for e, _ in entries(ctx, "list.export")] == ["started", "failed"]


def test_who_may_not_read_cases_exports_nothing(ctx, usb):
    auditor = replace(ctx, user=CurrentUser(None, "shenji", "审计员", roles=("security_auditor",)))
    with pytest.raises(PermissionDenied):
        ListService(auditor).export_xlsx(TABLE, usb / "x.xlsx")
    assert list(usb.iterdir()) == []
    assert [ok for _, ok in entries(ctx, "list.export")] == [False]


def test_a_printout_is_audited_first_and_carries_the_provenance(ctx):
    line = ListService(ctx).printing(TABLE)
    assert "打印" in line and "请按涉密载体管理" in line
    [(entry, ok)] = entries(ctx, "list.print")
    assert ok and entry == {"list": "期限看板", "rows": 2, "filter": "逾期及7日内到期"}


@pytest.mark.parametrize("table", [Table("secrets", ("a",), ()), Table("registry", ("a", "b"), (("only one",),))])
def test_malformed_tables_are_refused_before_anything_is_written(ctx, usb, table):
    with pytest.raises(ValidationError):
        ListService(ctx).export_xlsx(table, usb / "x.xlsx")
    assert list(usb.iterdir()) == [] and entries(ctx, "list.export") == []

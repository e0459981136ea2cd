"""`wenze selftest`: proves on this machine (or inside the bundle) that the core works, with no display
and no workspace: encrypted database, migrations, Chinese text round trip, the regulation profiles and the
working-day calendar, a Chinese PDF with an embedded font."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from wenze_desktop.domain.models import Case
from wenze_desktop.security.kdf import FAST_TEST_PARAMS
from wenze_desktop.services.auth import create_workspace
from wenze_desktop.services.cases import CaseService
from wenze_desktop.storage import migrations
from wenze_desktop.storage.engine import looks_plain_sqlite

SAMPLE = "关于对张三同志问责的决定（自检）"


def run(report: Callable[[str], None] = print) -> bool:
    ok = True

    def check(name: str, passed: bool, detail: str = "") -> None:
        nonlocal ok
        ok &= passed
        report(f"[{'通过' if passed else '失败'}] {name}{'：' + detail if detail else ''}")

    with tempfile.TemporaryDirectory(prefix="wenze-selftest-") as tmp:
        ctx, _ = create_workspace(Path(tmp), "selftest", "selftest-密码-123", params=FAST_TEST_PARAMS)
        try:
            engine = ctx.workspace.engine
            check("加密数据库", not looks_plain_sqlite(ctx.workspace.db_path), "SQLCipher 4")
            rev = migrations.current_revision(engine)
            check("数据结构迁移", rev == migrations.head_revision(), f"版本 {rev}")
            CaseService(ctx).create_case("自检〔2026〕1号", SAMPLE, "gz2009", facts="中文内容往返")
            with ctx.workspace.session() as s:
                title = s.scalars(select(Case.title)).one()
            check("中文记录读写", title == SAMPLE)
        finally:
            ctx.workspace.close()
    try:
        from datetime import date

        from wenze_desktop.procedure.validate import problems
        from wenze_desktop.rules.calendar import WorkCalendar
        from wenze_desktop.rules.profiles import all_profiles

        profiles = all_profiles()
        faults = [f"{p.id}: {problem}" for p in profiles for problem in problems(p)]
        check("问责规定", len(profiles) >= 7 and not faults, "、".join(p.id for p in profiles) or "；".join(faults))
        due = WorkCalendar().add_working_days(date(2026, 9, 28), 3).due
        check("工作日期限", due == date(2026, 10, 8), f"2026-09-28 起 3 个工作日 → {due.isoformat()}")
    except Exception as exc:
        check("问责规定", False, str(exc))
    try:
        from wenze_desktop.documents.smoke import render_sample

        pdf, font = render_sample(SAMPLE)
        embedded = b"/FontFile2" in pdf and re.search(rb"/BaseFont /[A-Z]{6}\+", pdf) is not None
        check("中文 PDF（嵌入字体）", pdf.startswith(b"%PDF") and embedded, f"{font.family}，{len(pdf)} 字节")
    except Exception as exc:  # report, don't crash: the point is to say what is missing
        check("中文 PDF（嵌入字体）", False, str(exc))
    try:  # the preview and print path: pdfium reads the PDF back from memory (its library must be bundled)
        import pypdfium2

        page = pypdfium2.PdfDocument(pdf)[0]
        found = SAMPLE in page.get_textpage().get_text_range()
        check("PDF 预览（pdfium）", found, f"页面 {page.get_size()[0]:.0f}×{page.get_size()[1]:.0f} pt，文字可读回")
    except Exception as exc:
        check("PDF 预览（pdfium）", False, str(exc))
    return ok
